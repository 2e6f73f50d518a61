"""`due_dates: project`: the GitHub adapter (unmodified PyGithub for REST, httpx for
GraphQL) against the fake GitHub and its fake Projects v2 GraphQL endpoint."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from pmsync.adapters import github as gha
from pmsync.adapters.base import RetryPolicy
from pmsync.adapters.github.project import graphql_url
from pmsync.errors import AuthError, ConfigError, NotFound
from pmsync.model import Created, IssueDraft
from tests.fakes.github import FakeGitHub
from tests.fakes.github_graphql import FakeProjects, attach, root_fields
from tests.fakes.server import Status
from tests.workspace import Workspace, actions, make_workspace

REPO = "acme/ops"
LOOKUP, ADD, SET, CLEAR = (
    "organization",
    "addProjectV2ItemById",
    "updateProjectV2ItemFieldValue",
    "clearProjectV2ItemFieldValue",
)
DUES = (date(2024, 6, 15), date(2024, 6, 15), date(2024, 7, 1))


class Waits(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def projects(fake_github: FakeGitHub) -> FakeProjects:
    fake = attach(fake_github)
    fake.add_project("acme", 7, fields={"Due": "DATE", "Status": "SINGLE_SELECT"})
    return fake


def make_tracker(
    fake: FakeGitHub, waits: Waits, *, field: str = "Due", owner: str = "acme", **config: object
) -> gha.GitHubTracker:
    project = gha.ProjectConfig(owner=owner, number=7, field=field)
    cfg = gha.GitHubConfig(repo=REPO, api_url=fake.api_url, writes_per_minute=0,
                           due_dates="project", project=project, **config)  # fmt: skip
    policy = RetryPolicy(base_delay=0.01, sleep=waits, announce=lambda m: None)
    return gha.connect(cfg, {"GITHUB_TOKEN": fake.token}, policy)


@pytest.fixture
def tracker(fake_github: FakeGitHub, projects: FakeProjects, waits: Waits) -> gha.GitHubTracker:
    return make_tracker(fake_github, waits)


def draft(n: int = 1, **fields: object) -> IssueDraft:
    values: dict[str, object] = {
        "item_id": f"pm-{n}",
        "content_hash": f"{n:08x}",
        "title": f"Add index {n}",
        "body": f"Item {n} text",
        "labels": ("pmsync",),
        "container": REPO,
    }
    values.update(fields)
    return IssueDraft(**values)  # type: ignore[arg-type]


def create_all(tracker: gha.GitHubTracker, drafts: list[IssueDraft]) -> list[Created]:
    results = tracker.create(drafts)
    assert all(isinstance(r, Created) for r in results), results
    return [r for r in results if isinstance(r, Created)]


def node_ids(fake: FakeGitHub) -> dict[str, str]:
    return {i.title: f"I_{i.id}" for i in fake.issues(REPO)}


# --- create ---------------------------------------------------------------------------


def test_push_sets_the_date_field_of_each_issue_and_makes_no_milestone(
    fake_github: FakeGitHub, projects: FakeProjects, tracker: gha.GitHubTracker
) -> None:
    created = create_all(tracker, [draft(n, due=due) for n, due in enumerate(DUES, 1)])
    assert [c.warnings for c in created] == [(), (), ()]
    ids = node_ids(fake_github)
    assert len(ids) == 3 and len(projects.project_items()) == 3
    assert projects.dates() == {
        ids["Add index 1"]: "2024-06-15",
        ids["Add index 2"]: "2024-06-15",
        ids["Add index 3"]: "2024-07-01",
    }
    assert fake_github.milestones(REPO) == []
    assert fake_github.count(path_prefix="/repos/acme/ops/milestones") == 0
    # one lookup a run; one add and one set per issue
    assert projects.operations() == [LOOKUP, "user"] + [ADD, SET] * 3
    assert fake_github.count("POST", "/graphql") == 1 + 2 * 3
    # REST listing cannot see project fields: the due date comes back from the engine
    assert {c.issue.due for c in created} == {None}


def test_values_travel_as_variables(
    fake_github: FakeGitHub, projects: FakeProjects, tracker: gha.GitHubTracker
) -> None:
    create_all(tracker, [draft(due=date(2024, 6, 15))])
    [node] = node_ids(fake_github).values()
    sent = [r.json() for r in fake_github.requests if r.path == "/graphql"]
    assert all(r.headers["authorization"] == "bearer ***" for r in fake_github.requests[-3:])
    assert [s["variables"].get("contentId") for s in sent] == [None, node, None]
    assert sent[2]["variables"]["date"] == "2024-06-15"
    assert not any(node in s["query"] or "2024-06-15" in s["query"] for s in sent)


def test_issue_without_due_date_makes_no_graphql_request(
    fake_github: FakeGitHub, projects: FakeProjects, tracker: gha.GitHubTracker
) -> None:
    create_all(tracker, [draft(due=None)])
    assert projects.operations() == [] and projects.project_items() == []


def test_user_owned_project(fake_github: FakeGitHub, waits: Waits) -> None:
    projects = attach(fake_github)
    projects.add_project(fake_github.login, 7, owner_type="User")
    tracker = make_tracker(fake_github, waits, owner=fake_github.login)
    create_all(tracker, [draft(due=date(2024, 6, 15))])
    assert list(projects.dates(fake_github.login).values()) == ["2024-06-15"]


# --- update ---------------------------------------------------------------------------


def test_changed_due_is_one_field_update(
    fake_github: FakeGitHub, projects: FakeProjects, waits: Waits
) -> None:
    [created] = create_all(make_tracker(fake_github, waits), [draft(due=date(2024, 6, 15))])
    fake_github.reset_log()
    second_run = make_tracker(fake_github, waits)
    moved = draft(due=date(2024, 7, 1))
    second_run.update(created.issue.ref, moved, {"due"}, created.issue.body)
    assert projects.count(SET) == 1 and projects.count(CLEAR) == 0
    assert projects.operations() == [LOOKUP, "user", ADD, SET]  # add: finds the item
    assert list(projects.dates().values()) == ["2024-07-01"]
    assert len(projects.project_items()) == 1  # the existing item, not a second one
    assert fake_github.count("PATCH") == 0 and fake_github.count("GET") == 1


def test_due_and_title_change_patches_once_then_sets_the_field(
    fake_github: FakeGitHub, projects: FakeProjects, tracker: gha.GitHubTracker
) -> None:
    [created] = create_all(tracker, [draft(due=date(2024, 6, 15))])
    fake_github.reset_log()
    changed = draft(title="Add the index", due=date(2024, 8, 1))
    tracker.update(created.issue.ref, changed, {"title", "due"}, created.issue.body)
    assert fake_github.count("PATCH") == 1 and fake_github.count("GET") == 0
    assert projects.operations() == [ADD, SET]  # same run: no second lookup
    assert list(projects.dates().values()) == ["2024-08-01"]


def test_removed_due_clears_the_field(
    fake_github: FakeGitHub, projects: FakeProjects, tracker: gha.GitHubTracker
) -> None:
    [created] = create_all(tracker, [draft(due=date(2024, 6, 15))])
    tracker.update(created.issue.ref, draft(due=None), {"due"}, created.issue.body)
    assert projects.count(CLEAR) == 1 and projects.dates() == {}


def test_lookup_happens_once_per_run(
    fake_github: FakeGitHub, projects: FakeProjects, tracker: gha.GitHubTracker
) -> None:
    created = create_all(tracker, [draft(n, due=due) for n, due in enumerate(DUES, 1)])
    for c in created:
        tracker.update(c.issue.ref, draft(due=date(2025, 1, 1)), {"due"}, c.issue.body)
    assert projects.count(LOOKUP) == 1 and projects.count(SET) == 6


# --- errors ---------------------------------------------------------------------------


def test_missing_field_is_a_clear_error_and_looked_up_once(
    fake_github: FakeGitHub, projects: FakeProjects, waits: Waits
) -> None:
    tracker = make_tracker(fake_github, waits, field="Deadline")
    created = create_all(tracker, [draft(1, due=DUES[0]), draft(2, due=DUES[1])])
    # the issues exist: a project failure after a create is a warning, not a failure
    assert len(fake_github.issues(REPO)) == 2
    [warning] = created[0].warnings
    assert warning.startswith("due date not set in project acme/7:")
    assert "no field named 'Deadline' (github.project.field)" in warning
    assert "its date fields: Due" in warning
    assert created[1].warnings == created[0].warnings
    assert projects.operations() == [LOOKUP, "user"]  # a wrong config costs one request
    with pytest.raises(NotFound, match=r"github\.project\.field"):
        tracker.update(created[0].issue.ref, draft(due=DUES[2]), {"due"}, None)


def test_field_of_another_type_is_named(
    fake_github: FakeGitHub, projects: FakeProjects, waits: Waits
) -> None:
    tracker = make_tracker(fake_github, waits, field="Status")
    [created] = create_all(tracker, [draft(due=DUES[0])])
    assert "'Status' is a SINGLE_SELECT field, not a date" in created.warnings[0]


def test_missing_project_names_owner_and_number(
    fake_github: FakeGitHub, projects: FakeProjects, waits: Waits
) -> None:
    projects.projects.clear()
    tracker = make_tracker(fake_github, waits)
    [created] = create_all(tracker, [draft(due=DUES[0])])
    assert "no Projects v2 project number 7 owned by 'acme'" in created.warnings[0]
    assert "github.project.owner / github.project.number" in created.warnings[0]


@pytest.mark.parametrize("kind", ["FORBIDDEN", "INSUFFICIENT_SCOPES"])
def test_forbidden_is_auth_error_naming_the_variable(
    fake_github: FakeGitHub, projects: FakeProjects, waits: Waits, kind: str
) -> None:
    [created] = create_all(make_tracker(fake_github, waits), [draft(due=DUES[0])])
    tracker = make_tracker(fake_github, waits)
    message = "Resource not accessible by personal access token"
    projects.fail_next(kind, message, operation=SET)
    with pytest.raises(AuthError) as err:
        tracker.update(created.issue.ref, draft(due=DUES[2]), {"due"}, created.issue.body)
    text = str(err.value)
    assert "$GITHUB_TOKEN" in text and "`project` scope" in text and message in text
    assert fake_github.token not in text and waits == []  # not retried


def test_forbidden_after_create_keeps_the_issue(
    fake_github: FakeGitHub, projects: FakeProjects, tracker: gha.GitHubTracker
) -> None:
    projects.fail_next("FORBIDDEN", "Resource not accessible by integration")
    [created] = create_all(tracker, [draft(due=DUES[0])])
    assert created.issue.ref.key == "acme/ops#1"
    assert "$GITHUB_TOKEN needs the `project` scope" in created.warnings[0]


def test_graphql_rate_limit_is_waited_out(
    fake_github: FakeGitHub, projects: FakeProjects, tracker: gha.GitHubTracker, waits: Waits
) -> None:
    projects.fail_next("RATE_LIMITED", "API rate limit exceeded for user ID 1.", operation=LOOKUP)
    [created] = create_all(tracker, [draft(due=DUES[0])])
    assert created.warnings == () and waits == [60.0]  # GitHub's advice: at least a minute
    assert projects.operations() == [LOOKUP, "user"] * 2 + [ADD, SET]


def test_502_on_a_mutation_is_retried_because_it_is_idempotent(
    fake_github: FakeGitHub, projects: FakeProjects, tracker: gha.GitHubTracker, waits: Waits
) -> None:
    assert tracker.project is not None
    tracker.project.target()  # the lookup, done
    fake_github.inject("POST", r"^/graphql$", Status(502, commit=True), times=1)
    [created] = create_all(tracker, [draft(due=DUES[0])])
    assert created.warnings == () and len(waits) == 1
    assert projects.operations() == [LOOKUP, "user", ADD, ADD, SET]
    assert len(projects.project_items()) == 1  # the repeated add found the same item


def test_due_dates_project_without_project_is_config_error(fake_github: FakeGitHub) -> None:
    cfg = gha.GitHubConfig(repo=REPO, api_url=fake_github.api_url, due_dates="project")
    with pytest.raises(ConfigError, match=r"github\.project"):
        gha.connect(cfg, {"GITHUB_TOKEN": fake_github.token}, RetryPolicy())


# --- push end to end (the five examples) ----------------------------------------------

ITEMS = 39  # items in the five examples


@pytest.fixture
def ws(tmp_path: Path, fake_github: FakeGitHub, projects: FakeProjects) -> Workspace:
    github = {"repo": REPO, "api_url": fake_github.api_url, "writes_per_minute": 0,
              "due_dates": "project", "project": {"owner": "acme", "number": 7}}  # fmt: skip
    return make_workspace(tmp_path, {"GITHUB_TOKEN": fake_github.token}, github=github)


def test_push_puts_every_item_in_the_project_and_repush_makes_no_request(
    ws: Workspace, fake_github: FakeGitHub, projects: FakeProjects
) -> None:
    result = ws.push()
    assert actions(result) == {"create": ITEMS}
    assert all(not o.warnings for o in result.outcomes)
    dates = projects.dates()
    assert len(dates) == ITEMS == len(fake_github.issues(REPO))
    assert "2024-06-15" in dates.values()  # written in checkout-down-missing-index.md
    assert fake_github.milestones(REPO) == []
    assert projects.count(LOOKUP) == 1 and projects.count(ADD) == projects.count(SET) == ITEMS
    fake_github.reset_log()
    assert actions(ws.push()) == {"unchanged": ITEMS} and fake_github.requests == []


def test_deleted_state_in_project_mode_creates_nothing(
    ws: Workspace, fake_github: FakeGitHub, projects: FakeProjects
) -> None:
    ws.push()
    ws.state_file().unlink()
    fake_github.reset_log()
    assert actions(ws.push()) == {"unchanged": ITEMS}
    assert fake_github.count("POST", "/repos") == 0 and projects.operations() == []


# --- GitHub Enterprise Server --------------------------------------------------------


@pytest.mark.parametrize(
    ("api_url", "expected"),
    [
        ("https://api.github.com", "https://api.github.com/graphql"),
        ("https://api.github.com/", "https://api.github.com/graphql"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/graphql"),
        ("https://ghe.example.com/api/v3/", "https://ghe.example.com/api/graphql"),
        ("https://api.acme.ghe.com", "https://api.acme.ghe.com/graphql"),
    ],
)
def test_graphql_url(api_url: str, expected: str) -> None:
    assert graphql_url(api_url) == expected


def test_enterprise_server_uses_api_graphql(github_enterprise: FakeGitHub, waits: Waits) -> None:
    projects = attach(github_enterprise)
    projects.add_project("acme", 7)
    tracker = make_tracker(github_enterprise, waits)
    assert tracker.project is not None and tracker.project.url.endswith("/api/graphql")
    create_all(tracker, [draft(due=DUES[0])])
    assert list(projects.dates().values()) == ["2024-06-15"]
    graphql = [r.raw_path for r in github_enterprise.requests if r.path.endswith("graphql")]
    assert graphql == ["/api/graphql"] * 3
    assert github_enterprise.count("POST", "/repos/acme/ops/issues") == 1  # REST under /api/v3


# --- the fake and the import ---------------------------------------------------------


def test_fake_rejects_unknown_operations_and_spliced_values(
    fake_github: FakeGitHub, projects: FakeProjects
) -> None:
    import httpx

    headers = {"Authorization": f"bearer {fake_github.token}"}
    url = fake_github.url + "/graphql"
    spliced_query = 'query { organization(login: "acme") { projectV2(number: 7) { id } } }'
    with httpx.Client(headers=headers) as http:
        unknown = http.post(url, json={"query": "query { viewer { login } }"}).json()
        spliced = http.post(url, json={"query": spliced_query}).json()
        wrong = {"Authorization": "bearer wrong"}
        denied = http.post(url, json={"query": "{ viewer { login } }"}, headers=wrong)
    assert unknown["errors"][0]["type"] == "UNKNOWN_FIELD"
    assert spliced["errors"][0]["type"] == "MISSING_VARIABLE"
    assert denied.status_code == 401


def test_root_fields_reads_aliases_fragments_and_directives() -> None:
    query = """
    # a comment { not: a field }
    query Q($a: ID!) {
      first: organization(login: $a) { projectV2(number: 1) { ...F } }
      user(login: "x") @include(if: true) { id }
    }
    fragment F on ProjectV2 { id }
    """
    assert root_fields(query) == ("query", ["organization", "user"])


def test_module_import_loads_no_httpx() -> None:
    code = "import pmsync.adapters.github.project, sys; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

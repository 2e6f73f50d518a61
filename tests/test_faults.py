"""Exactly once under faults: a fault × step matrix for every tracker, plus the rules
behind it (no request retried by two layers, bounded and announced waits, partial
outages, ambiguous matches).

Each matrix cell pushes a small postmortem (6 items) against a fake tracker, injects one
fault into one step of a run, then runs once more without faults and checks the result:
every item has exactly one issue and one complete state record (no duplicate, nothing
lost). `bench/fault_matrix.py` runs the same cells and prints the table.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from pmsync.adapters.base import read_marker
from pmsync.adapters.linear.values import read_marker as linear_marker
from pmsync.commands import PushResult, StatusResult, push_command, status_command
from pmsync.config import load_config
from pmsync.parse.postmortem import parse_postmortem
from pmsync.state.store import SyncState, load_state
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.fakes.jira import FakeJira
from tests.fakes.linear import FakeLinear, operation_target
from tests.fakes.server import (
    DropAfterCommit,
    DropBefore,
    FakeServer,
    Fault,
    Latency,
    LoggedRequest,
    Status,
)

REPO = "acme/ops"
GITLAB_PROJECT = "acme/platform/ops"  # the fake GitLab's project
TODAY = date(2024, 8, 1)
SECONDARY = {
    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before "
    "you try again.",
    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
}

# --- the postmortem -------------------------------------------------------------------


def postmortem(items: int, *, start: int = 0, verb: str = "make sure it cannot recur") -> str:
    lines = ["# Checkout outage", "", "Date: 2024-06-01", "", "## Action items", ""]
    lines += [f"- **Fix part {n} of the checkout path**: {verb}." for n in range(start, items)]
    return "\n".join(lines) + "\n"


def item_ids(text: str) -> set[str]:
    return {item.id for item in parse_postmortem(text, "postmortems/outage.md").items}


# --- a workspace on either tracker ------------------------------------------------------


@dataclass
class Run:
    """A postmortem folder and a pmsync.yaml pointed at one fake tracker."""

    root: Path
    tracker: str
    fake: FakeServer
    env: dict[str, str]
    waits: list[float] = field(default_factory=list)
    announced: list[str] = field(default_factory=list)

    @property
    def doc(self) -> Path:
        return self.root / "postmortems" / "outage.md"

    def write(self, text: str) -> None:
        self.doc.parent.mkdir(parents=True, exist_ok=True)
        self.doc.write_text(text)

    def state_file(self) -> Path:
        return load_config(self.root / "pmsync.yaml").state_path()

    def state(self) -> SyncState:
        return load_state(self.state_file())

    def push(self, *, prune: bool = False) -> PushResult:
        return push_command(
            load_config(self.root / "pmsync.yaml"), [], prune=prune, report=lambda o: None,
            env=self.env, announce=self.announced.append, sleep=self.waits.append,
        )  # fmt: skip

    def status(self) -> StatusResult:
        return status_command(
            load_config(self.root / "pmsync.yaml"), [], refresh=True, write=False,
            today=TODAY, env=self.env, announce=self.announced.append, sleep=self.waits.append,
        )  # fmt: skip

    def forget_state(self) -> None:
        for path in self.state_file().parent.glob("state.json*"):
            path.unlink()

    # what the tracker holds: issues by the item id their marker or label carries
    def issues_by_item(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        if isinstance(self.fake, FakeGitHub):
            for issue in self.fake.issues(REPO):
                marker = read_marker(issue.body)
                found.setdefault(marker[0] if marker else "", []).append(f"{REPO}#{issue.number}")
        elif isinstance(self.fake, FakeLinear):
            for issue in self.fake.issues():
                marker = linear_marker(issue["description"])
                found.setdefault(marker[0] if marker else "", []).append(issue["identifier"])
        elif isinstance(self.fake, FakeGitLab):
            for lab in self.fake.issues():
                marker = read_marker(lab.description)
                key = f"{GITLAB_PROJECT}#{lab.iid}"
                found.setdefault(marker[0] if marker else "", []).append(key)
            for group in self.fake.groups.values():  # parents as group epics
                for epic in group.epics.values():
                    marker = read_marker(epic.description)
                    key = f"{epic.group}&{epic.iid}"
                    found.setdefault(marker[0] if marker else "", []).append(key)
        else:
            assert isinstance(self.fake, FakeJira)
            for issue in self.fake.issues():
                labels = issue["fields"]["labels"]
                ids = [lbl[10:] for lbl in labels if lbl.startswith("pmsync-id-")]
                found.setdefault(ids[0] if ids else "", []).append(issue["key"])
        return found

    def open_issues(self) -> set[str]:
        if isinstance(self.fake, FakeGitHub):
            return {f"{REPO}#{i.number}" for i in self.fake.issues(REPO) if i.state == "open"}
        if isinstance(self.fake, FakeLinear):
            closed = ("completed", "canceled")
            return {i["identifier"] for i in self.fake.issues() if i["stateType"] not in closed}
        if isinstance(self.fake, FakeGitLab):
            return {f"{GITLAB_PROJECT}#{i.iid}" for i in self.fake.issues() if i.state == "opened"}
        assert isinstance(self.fake, FakeJira)
        return {
            i["key"]
            for i in self.fake.issues()
            if i["fields"]["status"]["statusCategory"]["key"] != "done"
        }


def make_run(root: Path, tracker: str, fake: FakeServer, **settings: Any) -> Run:
    if isinstance(fake, FakeGitHub):
        env = {"GITHUB_TOKEN": fake.token}
        section: dict[str, Any] = {"github": {"repo": REPO, "api_url": fake.api_url,
                                              "writes_per_minute": 0}}  # fmt: skip
    elif isinstance(fake, FakeLinear):
        env, section = fake.env(), {"tracker": "linear", "linear": fake.config()}
    elif isinstance(fake, FakeGitLab):
        section = {"tracker": "gitlab", "gitlab": fake.config(creates_per_minute=0)}
        env = fake.env()
    else:
        assert isinstance(fake, FakeJira)
        env, section = fake.env(), {"tracker": "jira", "jira": fake.config()}
    # Each re-run here stands for the next scheduled push, past limits.intent_grace (the
    # grace itself, a re-run while a create may still be landing, is in test_identity_push).
    limits = {"intent_grace": 0}
    config = {"postmortems": ["postmortems/**/*.md"], "limits": limits, **section, **settings}
    root.mkdir(parents=True, exist_ok=True)
    (root / "pmsync.yaml").write_text(yaml.safe_dump(config))
    return Run(root, tracker, fake, env)


# --- checking a run's outcome -------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    duplicates: int  # issues beyond the first for one item
    lost: int  # items without exactly one issue recorded in the state


def tally(run: Run, expected: set[str]) -> Tally:
    """Duplicates and lost items: every expected item must have exactly one issue in the
    tracker, and a state record naming that issue with no intent left open."""
    by_item = run.issues_by_item()
    duplicates = sum(len(keys) - 1 for item, keys in by_item.items() if item)
    state = run.state()
    lost = 0
    for item in expected:
        record = state.items.get(item)
        keys = by_item.get(item, [])
        complete = record is not None and record.issue is not None and record.intent is None
        if len(keys) != 1 or not complete or record.issue.key != keys[0]:  # type: ignore[union-attr]
            lost += 1
    return Tally(duplicates, lost)


# --- the matrix -------------------------------------------------------------------------

# Where each step's request goes, per tracker (method, path regex).
STEP_TARGETS: dict[str, dict[str, tuple[str, str]]] = {
    "github": {
        "reconcile": ("GET", r"^/repos/acme/ops/issues\?"),
        "create": ("POST", r"^/repos/acme/ops/issues$"),
        "update": ("PATCH", r"^/repos/acme/ops/issues/\d+$"),
        "close": ("PATCH", r"^/repos/acme/ops/issues/\d+$"),
        "status": ("GET", r"^/repos/acme/ops/issues\?"),
    },
    "jira": {
        "reconcile": ("POST", r"^/rest/api/3/search/jql"),
        "create": ("POST", r"^/rest/api/3/issue/bulk$"),
        "update": ("PUT", r"^/rest/api/3/issue/[^/?]+(\?|$)"),
        "close": ("POST", r"^/rest/api/3/issue/[^/]+/transitions$"),
        "status": ("POST", r"^/rest/api/3/search/jql"),
    },
    # one endpoint: the target is /graphql#<root fields of the operation>
    "linear": {
        "reconcile": ("POST", r"^/graphql#issues$"),
        "create": ("POST", r"^/graphql#issueBatchCreate$"),
        "update": ("POST", r"^/graphql#issueUpdate$"),
        "close": ("POST", r"^/graphql#commentCreate,issueUpdate$"),
        "status": ("POST", r"^/graphql#issues$"),
    },
    "gitlab": {
        "reconcile": ("GET", r"^/projects/acme%2Fplatform%2Fops/issues\?"),
        "create": ("POST", r"^/projects/acme%2Fplatform%2Fops/issues$"),
        "update": ("PUT", r"^/projects/acme%2Fplatform%2Fops/issues/\d+$"),
        "close": ("PUT", r"^/projects/acme%2Fplatform%2Fops/issues/\d+$"),
        "status": ("GET", r"^/projects/acme%2Fplatform%2Fops/issues\?"),
    },
}
STEPS = ("reconcile", "create", "update", "close", "status")


def fault_of(name: str, tracker: str) -> Fault:
    jira_body = {"errorMessages": ["Rate limit exceeded."], "errors": {}}
    faults: dict[str, Fault] = {
        "502": Status(502),
        "502-after-commit": Status(502, commit=True),
        "503+retry-after": Status(503, {"Retry-After": "7"}),
        "429": Status(429, {"Retry-After": "2"}, jira_body if tracker == "jira" else None),
        # Linear: HTTP 400 with a RATELIMITED error, the reset in its headers
        "ratelimited": FakeLinear.rate_limit_fault(2),
        "403-secondary": Status(403, {"Retry-After": "5"}, SECONDARY),
        "drop-before": DropBefore(),
        "drop-after-commit": DropAfterCommit(),
        "latency": Latency(0.05),
        "503-outage": Status(503),  # every request of the step, for the whole run
    }
    return faults[name]


FAULTS = (
    "502", "502-after-commit", "503+retry-after", "429", "403-secondary", "drop-before",
    "drop-after-commit", "latency", "503-outage",
)  # fmt: skip
ITEMS = 6


@dataclass
class Cell:
    tracker: str
    fault: str
    step: str
    runs: int = 0
    duplicates: int = 0
    lost: int = 0
    notes: list[str] = field(default_factory=list)


def inject(run: Run, cell: Cell) -> None:
    method, path = STEP_TARGETS[cell.tracker][cell.step]
    times = None if cell.fault == "503-outage" else 1
    fault = "ratelimited" if cell.tracker == "linear" and cell.fault == "429" else cell.fault
    run.fake.inject(method, path, fault_of(fault, cell.tracker), times=times)


def run_cell(run: Run, cell: Cell) -> Cell:
    """Set the scene for the step, run it with the fault, then once more without."""
    scenario = SCENARIOS[cell.step]
    expected = scenario(run, cell)
    result = tally(run, expected)
    cell.duplicates, cell.lost = result.duplicates, result.lost
    return cell


def _faulty_then_clean(run: Run, cell: Cell, action: Callable[[], object]) -> None:
    start = len(run.fake.requests)
    inject(run, cell)
    action()
    check_fault_hit(run, cell, start)
    run.fake.clear_faults()
    action()
    cell.runs += 2


def check_fault_hit(run: Run, cell: Cell, start: int) -> None:
    """The faulty run did reach the step: a cell whose fault was never met proves nothing."""
    method, path = STEP_TARGETS[cell.tracker][cell.step]
    pattern = re.compile(path)
    hit = [
        r for r in run.fake.requests[start:]
        if r.method == method and pattern.search(request_target(r))
    ]  # fmt: skip
    if not hit:
        cell.notes.append("the fault was never met")


def request_target(request: LoggedRequest) -> str:
    if request.path == "/graphql":
        return operation_target(request.body)
    return request.path + ("?" if request.params else "")


def scenario_create(run: Run, cell: Cell) -> set[str]:
    text = postmortem(ITEMS)
    run.write(text)
    _faulty_then_clean(run, cell, run.push)
    return item_ids(text)


def scenario_reconcile(run: Run, cell: Cell) -> set[str]:
    """State lost after a first push; two new items: the listing decides what exists."""
    run.write(postmortem(ITEMS - 2))
    run.push()
    run.forget_state()
    text = postmortem(ITEMS)
    run.write(text)
    _faulty_then_clean(run, cell, run.push)
    return item_ids(text)


def scenario_update(run: Run, cell: Cell) -> set[str]:
    run.write(postmortem(ITEMS))
    run.push()
    text = postmortem(ITEMS, verb="ensure it never recurs")
    run.write(text)
    _faulty_then_clean(run, cell, run.push)
    again = run.push()  # converged: the tracker holds the new text
    if any(o.action != "unchanged" for o in again.outcomes):
        cell.notes.append("not converged after the clean run")
    return item_ids(text)


def scenario_close(run: Run, cell: Cell) -> set[str]:
    run.write(postmortem(ITEMS + 2))
    run.push()
    text = postmortem(ITEMS + 2, start=2)
    run.write(text)
    _faulty_then_clean(run, cell, lambda: run.push(prune=True))
    state = run.state()
    gone = {k for k in item_ids(postmortem(ITEMS + 2)) - item_ids(text)}
    if gone & set(state.items):
        cell.notes.append("removed items still in the state")
    kept = {rec.issue.key for rec in state.items.values() if rec.issue}
    if run.open_issues() != kept:
        cell.notes.append("open issues differ from the recorded items")
    return item_ids(text)


def scenario_status(run: Run, cell: Cell) -> set[str]:
    text = postmortem(ITEMS)
    run.write(text)
    run.push()
    run.status()
    first = next(iter(sorted(run.state().items.values(), key=lambda r: r.title)))
    assert first.issue is not None
    close_in_tracker(run, first.issue.key)
    before = run.state()
    start = len(run.fake.requests)
    inject(run, cell)
    faulty = run.status()
    check_fault_hit(run, cell, start)
    if faulty.errors and run.state().items != before.items:
        cell.notes.append("status changed from a failed listing")
    run.fake.clear_faults()
    clean = run.status()
    cell.runs += 2
    if clean.errors or sum(r.state == "closed" for r in clean.rows) != 1:
        cell.notes.append("status not refreshed by the clean run")
    return item_ids(text)


def close_in_tracker(run: Run, key: str) -> None:
    if isinstance(run.fake, FakeGitHub):
        run.fake.close_issue(REPO, int(key.split("#")[1]))
    elif isinstance(run.fake, FakeLinear):
        run.fake.edit(key, state="Done")
    elif isinstance(run.fake, FakeGitLab):
        run.fake.edit_issue(int(key.split("#")[1]), state="closed")
    else:
        assert isinstance(run.fake, FakeJira)
        run.fake.transition(key, "Done")


def reworded(items: int) -> str:
    text = postmortem(items)
    return text.replace(
        "**Fix part 0 of the checkout path**", "**Fix part 0 of the whole checkout path**"
    )


def scenario_reword_lost_state(run: Run, cell: Cell) -> set[str]:
    """An item reworded, its update hit by the fault, then the state lost: the next push
    finds the issue by its marker (rewritten, or not, by the update)."""
    run.write(postmortem(ITEMS))
    run.push()
    text = reworded(ITEMS)
    run.write(text)
    start = len(run.fake.requests)
    inject_at(run, cell, "update")
    run.push()
    check_hit_at(run, cell, start, "update")
    run.fake.clear_faults()
    run.forget_state()
    run.push()
    cell.runs += 3
    return item_ids(text)


def scenario_title_edit(run: Run, cell: Cell) -> set[str]:
    """The postmortem retitled and two items added, a create hit by the fault, then a
    clean push: the retitled document keeps its issues, the new items get one each."""
    run.write(postmortem(ITEMS - 2))
    run.push()
    text = postmortem(ITEMS).replace("# Checkout outage", "# Checkout path outage (payments)")
    run.write(text)
    start = len(run.fake.requests)
    inject_at(run, cell, "create")
    run.push()
    check_hit_at(run, cell, start, "create")
    run.fake.clear_faults()
    run.push()
    cell.runs += 3
    return item_ids(text)


# Edit-then-fault rows: an ordinary edit, then a fault on the write it causes.
EDIT_ROWS: dict[str, Callable[[Run, Cell], set[str]]] = {
    "reword + lost state": scenario_reword_lost_state,
    "title edit + dropped response": scenario_title_edit,
}
EDIT_FAULTS = ("drop-before", "drop-after-commit", "502-after-commit")


def edit_cells() -> Iterator[tuple[str, str, str]]:
    for tracker in ("github", "jira", "linear"):
        for step in EDIT_ROWS:
            for fault in EDIT_FAULTS:
                yield tracker, fault, step


def run_edit_cell(run: Run, cell: Cell) -> Cell:
    expected = EDIT_ROWS[cell.step](run, cell)
    result = tally(run, expected)
    cell.duplicates, cell.lost = result.duplicates, result.lost
    return cell


def inject_at(run: Run, cell: Cell, step: str) -> None:
    method, path = STEP_TARGETS[cell.tracker][step]
    run.fake.inject(method, path, fault_of(cell.fault, cell.tracker), times=1)


def check_hit_at(run: Run, cell: Cell, start: int, step: str) -> None:
    method, path = STEP_TARGETS[cell.tracker][step]
    pattern = re.compile(path)
    if not any(
        r.method == method and pattern.search(request_target(r)) for r in run.fake.requests[start:]
    ):
        cell.notes.append("the fault was never met")


SCENARIOS: dict[str, Callable[[Run, Cell], set[str]]] = {
    "reconcile": scenario_reconcile,
    "create": scenario_create,
    "update": scenario_update,
    "close": scenario_close,
    "status": scenario_status,
}


def tracker_name(fake: FakeServer) -> str:
    names = {FakeGitHub: "github", FakeJira: "jira", FakeLinear: "linear", FakeGitLab: "gitlab"}
    return names[type(fake)]


def cells() -> Iterator[tuple[str, str, str]]:
    for tracker in ("github", "jira", "linear", "gitlab"):
        for fault in FAULTS:
            for step in STEPS:
                yield tracker, fault, step


@pytest.fixture
def tracker_fake(request: pytest.FixtureRequest) -> FakeServer:
    name = f"fake_{request.param}"
    fake: FakeServer = request.getfixturevalue(name)
    return fake


@pytest.mark.parametrize(
    ("tracker_fake", "fault", "step"),
    [pytest.param(t, f, s, id=f"{t}-{f}-{s}") for t, f, s in cells()],
    indirect=["tracker_fake"],
)
def test_fault_matrix(tmp_path: Path, tracker_fake: FakeServer, fault: str, step: str) -> None:
    tracker = tracker_name(tracker_fake)
    run = make_run(tmp_path, tracker, tracker_fake)
    cell = run_cell(run, Cell(tracker, fault, step))
    assert (cell.duplicates, cell.lost, cell.notes) == (0, 0, [])
    assert all(wait <= 60 for wait in run.waits)


@pytest.mark.parametrize(
    ("tracker_fake", "fault", "step"),
    [pytest.param(t, f, s, id=f"{t}-{s}-{f}") for t, f, s in edit_cells()],
    indirect=["tracker_fake"],
)
def test_edit_then_fault(tmp_path: Path, tracker_fake: FakeServer, fault: str, step: str) -> None:
    tracker = tracker_name(tracker_fake)
    run = make_run(tmp_path, tracker, tracker_fake)
    cell = run_edit_cell(run, Cell(tracker, fault, step))
    assert (cell.duplicates, cell.lost, cell.notes) == (0, 0, [])


# --- a state file one save behind --------------------------------------------------------

STALE_WAYS = ("restored .bak", "lost commit-back")


def scenario_stale_state(run: Run, cell: Cell) -> set[str]:
    """Two items added and pushed, then the state one save behind: the user restored
    `state.json.bak` (as pmsync's own message advises), or CI's commit of the state
    failed and the next run checks out the one before. The next push must find the
    issues the lost save recorded, not create them again."""
    run.write(postmortem(ITEMS - 2))
    run.push()
    before = run.state_file().read_bytes()
    text = postmortem(ITEMS)
    run.write(text)
    run.push()
    path = run.state_file()
    if cell.step == "restored .bak":
        before = path.with_name(path.name + ".bak").read_bytes()
    path.write_bytes(before)
    run.push()
    cell.runs += 3
    return item_ids(text)


def stale_cells() -> Iterator[tuple[str, str]]:
    for tracker in ("github", "jira", "linear", "gitlab"):
        for way in STALE_WAYS:
            yield tracker, way


@pytest.mark.parametrize(
    ("tracker_fake", "way"),
    [pytest.param(t, w, id=f"{t}-{w}") for t, w in stale_cells()],
    indirect=["tracker_fake"],
)
def test_a_stale_state_creates_nothing_again(
    tmp_path: Path, tracker_fake: FakeServer, way: str
) -> None:
    tracker = tracker_name(tracker_fake)
    run = make_run(tmp_path, tracker, tracker_fake)
    cell = Cell(tracker, "stale state", way)
    expected = scenario_stale_state(run, cell)
    assert tally(run, expected) == Tally(duplicates=0, lost=0)


def test_jira_a_stale_state_in_a_user_time_zone_behind_the_server(
    tmp_path: Path, fake_jira: FakeJira
) -> None:
    """JQL reads dates in the user's profile time zone, which may differ from the
    server's: the listing since the last push must not depend on either."""
    fake_jira.user_tz = timezone(timedelta(hours=-8))
    run = make_run(tmp_path, "jira", fake_jira)
    expected = scenario_stale_state(run, Cell("jira", "stale state", STALE_WAYS[0]))
    assert tally(run, expected) == Tally(duplicates=0, lost=0)


# --- no request is retried by two layers ------------------------------------------------


def test_github_one_502_on_a_get_is_sent_twice(tmp_path: Path, fake_github: FakeGitHub) -> None:
    run = make_run(tmp_path, "github", fake_github)
    run.write(postmortem(ITEMS))
    fake_github.inject("GET", r"^/repos/acme/ops/labels", Status(502))
    run.push()
    assert fake_github.count("GET", "/repos/acme/ops/labels") == 2
    assert len(run.waits) == 1 and run.waits[0] <= 1.0  # jittered backoff, base 0.5 s


def test_github_one_502_on_a_create_is_sent_once(tmp_path: Path, fake_github: FakeGitHub) -> None:
    run = make_run(tmp_path, "github", fake_github)
    text = postmortem(ITEMS)
    run.write(text)
    fake_github.inject("POST", r"^/repos/acme/ops/issues$", Status(502))
    first = run.push()
    assert fake_github.count("POST", "/repos/acme/ops/issues") == ITEMS  # one each, none twice
    failed = [o for o in first.outcomes if o.action == "fail"]
    assert len(failed) == 1 and "may have been created" in (failed[0].error or "")
    assert run.state().items[failed[0].change.item_id].intent is not None
    fake_github.reset_log()
    run.push()  # the intent is settled by the listing: nothing landed, so it is created
    assert fake_github.count("POST", "/repos/acme/ops/issues") == 1
    assert tally(run, item_ids(text)) == Tally(0, 0)


def test_jira_one_502_on_a_search_is_sent_twice(tmp_path: Path, fake_jira: FakeJira) -> None:
    run = make_run(tmp_path, "jira", fake_jira)
    run.write(postmortem(ITEMS))
    fake_jira.inject("POST", r"^/rest/api/3/search/jql", Status(502))
    run.push()
    # the 502'd search sent again, then the listing (the first is lag.py's newest key)
    assert fake_jira.count("POST", "/rest/api/3/search/jql") == 3


def test_jira_one_502_on_a_bulk_create_is_sent_once(tmp_path: Path, fake_jira: FakeJira) -> None:
    run = make_run(tmp_path, "jira", fake_jira)
    text = postmortem(ITEMS)
    run.write(text)
    fake_jira.inject("POST", r"^/rest/api/3/issue/bulk$", Status(502))
    first = run.push()
    assert fake_jira.count("POST", "/rest/api/3/issue/bulk") == 1
    assert [o.action for o in first.outcomes] == ["fail"] * ITEMS
    run.push()
    assert tally(run, item_ids(text)) == Tally(0, 0)


@pytest.mark.parametrize("tracker_fake", ["github", "jira", "gitlab"], indirect=True)
def test_lost_bulk_response_is_reconciled(tmp_path: Path, tracker_fake: FakeServer) -> None:
    """The server committed every create and the answer never came: the next run finds
    them by marker or label, records them, and posts nothing."""
    tracker = tracker_name(tracker_fake)
    run = make_run(tmp_path, tracker, tracker_fake)
    text = postmortem(ITEMS)
    run.write(text)
    create = STEP_TARGETS[tracker]["create"]
    tracker_fake.inject(*create, DropAfterCommit(), times=None)
    run.push()
    assert len(run.issues_by_item()) == ITEMS  # committed
    assert all(rec.intent is not None and rec.issue is None for rec in run.state().items.values())
    tracker_fake.clear_faults()
    start = len(tracker_fake.requests)
    second = run.push()
    assert {o.action for o in second.outcomes} == {"unchanged"}
    method, path = create
    assert not [
        r
        for r in tracker_fake.requests[start:]
        if (r.method, r.path) == (method, r.path) and re.search(path, r.path)
    ]
    assert tally(run, item_ids(text)) == Tally(0, 0)


# --- waits: backoff, Retry-After, announcements, the ceiling -------------------------------


def test_backoff_is_exponential_jittered_and_bounded() -> None:
    from pmsync.adapters.base import RetryPolicy
    from pmsync.errors import TrackerError, TrackerUnavailable

    waits: list[float] = []
    policy = RetryPolicy(sleep=waits.append, announce=lambda m: None, writes_per_minute=0)

    def failing() -> None:
        raise TrackerUnavailable("GitHub failed GET (HTTP 502)", transient=True)

    with pytest.raises(TrackerError):
        policy.call("read", failing)
    assert len(waits) == policy.attempts - 1
    for attempt, wait in enumerate(waits, start=1):
        ceiling = min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))
        assert ceiling / 2 <= wait <= ceiling


@pytest.mark.parametrize(
    ("tracker_fake", "fault", "expected"),
    [
        ("github", Status(429, {"Retry-After": "7"}), 7.0),
        ("github", Status(403, {"Retry-After": "9"}, SECONDARY), 9.0),
        ("github", "reset", 20.0),
        ("jira", Status(429, {"Retry-After": "8"}), 8.0),
        ("jira", "reset", 20.0),
        ("gitlab", Status(429, {"Retry-After": "6"}), 6.0),
        ("gitlab", "reset", 20.0),
    ],
    indirect=["tracker_fake"],
)
def test_rate_limits_honour_the_trackers_wait_and_announce_it(
    tmp_path: Path, tracker_fake: FakeServer, fault: Fault | str, expected: float
) -> None:
    tracker = tracker_name(tracker_fake)
    if fault == "reset":
        fault = rate_reset_fault(tracker, seconds=20)
    assert not isinstance(fault, str)
    run = make_run(tmp_path, tracker, tracker_fake)
    text = postmortem(ITEMS)
    run.write(text)
    tracker_fake.inject(*STEP_TARGETS[tracker]["create"], fault)
    result = run.push()
    assert {o.action for o in result.outcomes} == {"create"}
    assert len(run.waits) == 1 and abs(run.waits[0] - expected) <= 1.5
    assert len(run.announced) == 1
    assert re.match(r"waiting \d+s: .*(rate limit|429)", run.announced[0])
    assert tally(run, item_ids(text)) == Tally(0, 0)


def rate_reset_fault(tracker: str, seconds: int) -> Fault:
    """A primary rate limit that says when it resets (GitHub: epoch seconds; Jira: an
    ISO timestamp)."""
    import time
    from datetime import datetime, timedelta, timezone

    if tracker == "gitlab":  # RateLimit-Reset: epoch seconds, with no Retry-After
        reset = str(int(time.time()) + seconds)
        return Status(429, {"RateLimit-Remaining": "0", "RateLimit-Reset": reset})
    if tracker == "github":
        reset = str(int(time.time()) + seconds)
        body = {"message": "API rate limit exceeded for user ID 1.", "documentation_url": "x"}
        return Status(403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}, body)
    when = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return Status(429, {"X-RateLimit-Reset": when.strftime("%Y-%m-%dT%H:%MZ")[:-1]
                        + when.strftime(":%SZ")})  # fmt: skip


@pytest.mark.parametrize("tracker_fake", ["github", "jira", "gitlab"], indirect=True)
def test_a_wait_past_max_wait_stops_cleanly_with_work_recorded(
    tmp_path: Path, tracker_fake: FakeServer
) -> None:
    tracker = tracker_name(tracker_fake)
    run = make_run(tmp_path, tracker, tracker_fake, limits={"max_wait": 30})
    run.write(postmortem(3))
    run.push()
    text = postmortem(ITEMS)
    run.write(text)
    tracker_fake.inject(*STEP_TARGETS[tracker]["create"], Status(429, {"Retry-After": "3600"}))
    result = run.push()
    assert run.waits == []  # nothing slept: the wait was refused up front
    failed = [o for o in result.outcomes if o.action == "fail"]
    assert failed and all("max_wait" in (o.error or "") for o in failed)
    state = run.state()
    recorded = {k for k, r in state.items.items() if r.issue is not None}
    assert recorded == item_ids(postmortem(3)) and not [r for r in state.items.values() if r.intent]
    tracker_fake.clear_faults()
    run.push()
    assert tally(run, item_ids(text)) == Tally(0, 0)


# --- partial outages and ambiguous matches ------------------------------------------------


def two_tracker_run(root: Path, github: FakeGitHub, jira: FakeJira) -> Run:
    """GitHub by default; `outage-jira.md` goes to Jira through its front matter."""
    run = make_run(root, "github", github, jira=jira.config())
    run.env.update(jira.env())
    return run


def jira_postmortem(items: int) -> str:
    body = postmortem(items).replace("# Checkout outage", "# Queue outage")
    return "---\ntracker: jira\n---\n" + body.replace("checkout path", "queue path")


def test_one_tracker_down_the_other_completes(
    tmp_path: Path, fake_github: FakeGitHub, fake_jira: FakeJira
) -> None:
    run = two_tracker_run(tmp_path, fake_github, fake_jira)
    run.write(postmortem(ITEMS))
    jira_doc = run.doc.with_name("outage-jira.md")
    jira_doc.write_text(jira_postmortem(ITEMS))
    fake_github.inject("*", r".", Status(503), times=None)
    result = run.push()
    by_tracker = Counter((o.change.tracker, o.action) for o in result.outcomes)
    assert by_tracker == {("jira", "create"): ITEMS, ("github", "fail"): ITEMS}
    state = run.state()
    github_records = [r for r in state.items.values() if r.container == REPO]
    assert all(r.issue is None for r in github_records)  # no half-truths
    assert (
        "github:acme/ops" not in state.trackers or not state.trackers["github:acme/ops"].last_push
    )
    assert len(fake_jira.issues()) == ITEMS and fake_github.issues(REPO) == []
    fake_github.clear_faults()
    run.push()
    jira_view = Run(run.root, "jira", fake_jira, run.env)  # same state file, other tracker
    assert tally(run, item_ids(postmortem(ITEMS))) == Tally(0, 0)
    assert tally(jira_view, jira_ids(jira_postmortem(ITEMS))) == Tally(0, 0)


def jira_ids(text: str) -> set[str]:
    return {i.id for i in parse_postmortem(text, "postmortems/outage-jira.md").items}


def test_no_prune_and_no_status_from_a_tracker_that_is_down(
    tmp_path: Path, fake_github: FakeGitHub, fake_jira: FakeJira
) -> None:
    run = two_tracker_run(tmp_path, fake_github, fake_jira)
    run.write(postmortem(ITEMS))
    run.doc.with_name("outage-jira.md").write_text(jira_postmortem(ITEMS))
    run.push()
    run.status()
    run.write(postmortem(ITEMS, start=1))  # one GitHub item deleted
    fake_github.close_issue(REPO, 2)
    before = run.state()
    fake_github.inject("*", r".", Status(503), times=None)
    result = run.push(prune=True)
    assert [o.action for o in result.outcomes if o.change.action == "remove"] == ["fail"]
    assert run.state().items == before.items  # nothing concluded, nothing forgotten
    assert all(i.state == "open" for i in fake_github.issues(REPO) if i.number != 2)
    status = run.status()
    assert len(status.errors) == 1 and status.errors[0].startswith("github acme/ops")
    after = run.state()
    github_ids = {k for k, r in after.items.items() if r.container == REPO}
    assert all(after.items[k].status == before.items[k].status for k in github_ids)
    fake_github.clear_faults()
    assert [o.action for o in run.push(prune=True).outcomes if o.change.action == "remove"] == [
        "remove"
    ]
    assert [i.number for i in fake_github.issues(REPO) if i.state == "closed"] == [1, 2]
    assert sum(r.state == "closed" for r in run.status().rows) == 1  # #1 is forgotten


@pytest.mark.parametrize("tracker_fake", ["github", "jira"], indirect=True)
def test_an_issue_copied_with_its_marker_is_never_closed_on_prune(
    tmp_path: Path, tracker_fake: FakeServer
) -> None:
    tracker = tracker_name(tracker_fake)
    run = make_run(tmp_path, tracker, tracker_fake)
    run.write(postmortem(ITEMS))
    run.push()
    copy_first_issue(run)
    run.write(postmortem(ITEMS, start=1))
    result = run.push(prune=True)
    removed = [o for o in result.outcomes if o.change.action == "remove"]
    assert len(removed) == 1 and removed[0].action == "remove"
    assert "also carries this item's marker" in removed[0].warnings[0]
    assert len(run.open_issues()) == ITEMS + 1  # nothing closed
    assert removed[0].change.item_id in run.state().items  # reported again next time


def copy_first_issue(run: Run) -> None:
    """A person duplicates an issue, marker (or identity label) included."""
    if isinstance(run.fake, FakeGitHub):
        first = run.fake.issues(REPO)[0]
        run.fake.add_issue(REPO, first.title, first.body, labels=list(first.labels))
    else:
        assert isinstance(run.fake, FakeJira)
        first = run.fake.issues()[0]["fields"]
        with run.fake.lock:
            fields = {"project": {"key": "OPS"}, "issuetype": {"name": "Task"},
                      "summary": first["summary"], "labels": first["labels"]}  # fmt: skip
            run.fake._commit(fields)


def test_cli_announces_a_long_wait_and_stops_past_max_wait(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    """Through the console script: a 4 s Retry-After is announced on stderr (reason and
    length) and honoured; one past limits.max_wait stops the run with what was done
    recorded, exit 1."""
    import os
    import subprocess
    import sys

    run = make_run(tmp_path, "github", fake_github, limits={"max_wait": 60})
    text = postmortem(4)
    run.write(text)
    create = r"^/repos/acme/ops/issues$"
    fake_github.inject("POST", create, Status(429, {"Retry-After": "4"}), times=1)
    fake_github.inject("POST", create, Latency(0), times=2)  # two creates go through, then…
    fake_github.inject("POST", create, Status(429, {"Retry-After": "3600"}), times=1)
    pmsync = str(Path(sys.executable).with_name("pmsync"))
    result = subprocess.run(
        [pmsync, "push", "--config", str(run.root / "pmsync.yaml")],
        env={"PATH": os.environ["PATH"], **run.env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    waits = [ln for ln in result.stderr.splitlines() if "waiting" in ln]
    assert len(waits) == 1 and waits[0].startswith(
        "pmsync: waiting 4s: GitHub rate limit on create"
    )
    assert "rate limit" in waits[0] and "HTTP 429" in waits[0]
    stopped = [ln for ln in result.stderr.splitlines() if "stopped" in ln]
    assert len(stopped) == 1 and stopped[0].startswith("pmsync: github acme/ops: stopped: ")
    assert "more than max_wait (60s): stopping, work so far is recorded" in stopped[0]
    assert all(ln.count("max_wait") == 1 for ln in result.stdout.splitlines() if "fail" in ln)
    state = run.state()
    assert sum(r.issue is not None for r in state.items.values()) == 2 == len(run.issues_by_item())
    assert not [r for r in state.items.values() if r.intent]

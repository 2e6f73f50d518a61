"""Identity that survives ordinary edits, end to end through the fake GitHub and Jira:
a postmortem already pushed is recognised after edits to its title, date and front
matter, after a rename or a move (with or without the state), and a reworded item's
issue is found again by its marker. Nothing is ever created twice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pmsync.adapters.base import read_marker
from pmsync.errors import IdentityUnclear, InputError
from tests.fakes.github import FakeGitHub, Issue
from tests.fakes.jira import FakeJira
from tests.workspace import Workspace, actions

REPO = "acme/ops"

DB = """# Database outage

Start: June 5, 2024

## Action items

- [ ] Add an alert on replication lag (owner: ann)
- [ ] Rebuild the orders index nightly
- [ ] Write a runbook for failover
"""

WEB = """# Web outage

Start: June 9, 2024

## Action items

- [ ] Raise the nginx worker limit
- [ ] Add a synthetic checkout probe
"""


def small_workspace(root: Path, env: dict[str, str], **settings: object) -> Workspace:
    (root / "postmortems").mkdir(parents=True)
    (root / "postmortems" / "db.md").write_text(DB)
    (root / "postmortems" / "web.md").write_text(WEB)
    ws = Workspace(root, env)
    ws.configure(postmortems=["postmortems/**/*.md"], **settings)
    return ws


@pytest.fixture
def ws(tmp_path: Path, fake_github: FakeGitHub) -> Workspace:
    settings = {"repo": REPO, "api_url": fake_github.api_url, "writes_per_minute": 0}
    workspace = small_workspace(tmp_path, {"GITHUB_TOKEN": fake_github.token}, github=settings)
    assert actions(workspace.push()) == {"create": 5}
    return workspace


def issue_count(fake: FakeGitHub) -> int:
    return len(fake.issues(REPO))


def lose_state(ws: Workspace) -> None:
    shutil.rmtree(ws.state_file().parent)


# --- 1. document identity --------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("# Database outage", "# Orders database outage (replica lag)"),  # the H1
        ("Start: June 5, 2024", "Start: June 6, 2024"),  # the incident date
        ("# Database outage", "---\ntitle: DB outage\nowner: ann\n---\n# Database outage"),
        ("# Database outage", "---\nid: pm-2024-017\n---\n# Database outage"),
    ],
    ids=["title", "date", "front-matter", "explicit-id-added"],
)
def test_title_date_and_front_matter_edits_update_never_create(
    ws: Workspace, fake_github: FakeGitHub, old: str, new: str
) -> None:
    ws.edit("db.md", old, new)
    result = ws.push()
    assert "create" not in actions(result)
    assert issue_count(fake_github) == 5
    # and with the state lost after that edit, the markers still find every issue
    lose_state(ws)
    assert "create" not in actions(ws.push())
    assert issue_count(fake_github) == 5


def test_a_renamed_and_moved_postmortem_keeps_its_issues(
    ws: Workspace, fake_github: FakeGitHub
) -> None:
    (ws.postmortems / "2024").mkdir()
    ws.doc("db.md").rename(ws.postmortems / "2024" / "orders-db.md")
    ws.edit("2024/orders-db.md", "# Database outage", "# Orders database outage")
    result = ws.push()
    assert "create" not in actions(result) and "remove" not in actions(result)
    assert issue_count(fake_github) == 5
    assert all("2024/orders-db.md" in i.body for i in fake_github.issues(REPO)[:3])
    assert actions(ws.push()) == {"unchanged": 5}


def test_a_renamed_postmortem_with_the_state_lost_is_found_through_the_markers(
    ws: Workspace, fake_github: FakeGitHub
) -> None:
    ws.doc("db.md").rename(ws.postmortems / "orders-db.md")
    lose_state(ws)
    result = ws.push()
    assert "create" not in actions(result)
    assert issue_count(fake_github) == 5
    # the markers followed the items' new ids: a second loss finds them directly
    lose_state(ws)
    assert actions(ws.push()) == {"unchanged": 5}
    assert ws.rebuild() == (5, [])


def test_a_vanished_postmortem_and_an_unpairable_new_one_stop_the_push(
    ws: Workspace, fake_github: FakeGitHub
) -> None:
    ws.doc("db.md").unlink()
    ws.doc("other.md").write_text(
        "# Cache outage\n\n## Action items\n\n- Tune the eviction policy\n- Page on misses\n"
    )
    fake_github.reset_log()
    with pytest.raises(IdentityUnclear, match=r"postmortems/other\.md.*db\.md.*--force-new"):
        ws.push()
    assert fake_github.requests == [] and issue_count(fake_github) == 5
    result = push_force_new(ws)
    assert actions(result) == {"create": 2, "unchanged": 2, "orphan": 3}
    assert "create" not in actions(ws.push())  # settled: no second stop, no duplicate


def push_force_new(ws: Workspace) -> object:
    from pmsync.commands import push_command

    return push_command(
        ws.config(), [], prune=False, report=lambda o: None, env=ws.env, force_new=True
    )


def test_the_cli_says_so_in_one_line_and_exits_2(ws: Workspace) -> None:
    from typer.testing import CliRunner

    from pmsync.cli import app

    ws.doc("db.md").unlink()
    ws.doc("other.md").write_text("# Cache outage\n\n## Action items\n\n- Tune eviction\n")
    config = str(ws.root / "pmsync.yaml")
    result = CliRunner().invoke(app, ["push", "--config", config], env=ws.env)
    assert result.exit_code == 2, result.output
    assert "other.md" in result.output and "Traceback" not in result.output
    forced = CliRunner().invoke(app, ["push", "--config", config, "--force-new"], env=ws.env)
    assert forced.exit_code == 0, forced.output


def test_two_files_claiming_one_id_stop_the_push(ws: Workspace) -> None:
    ws.edit("db.md", "# Database outage", "---\nid: pm-17\n---\n# Database outage")
    ws.push()
    copy = ws.doc("db.md").read_text().replace("# Database outage", "# Copy")
    ws.doc("copy.md").write_text(copy)
    with pytest.raises(InputError, match=r"same identity"):
        ws.push()


# --- issue 20 points 1, 8, 9: identities never shared, in any script --------------------


def test_same_title_and_date_in_two_files_are_two_documents(
    ws: Workspace, fake_github: FakeGitHub
) -> None:
    ws.doc("db-copy.md").write_text(DB.replace("replication lag", "replication delay"))
    result = ws.push()
    assert actions(result) == {"create": 3, "unchanged": 5}
    assert len({read_marker(i.body) for i in fake_github.issues(REPO)}) == 8
    # pruning one file's item never closes the other file's
    ws.edit("db-copy.md", "- [ ] Write a runbook for failover\n", "")
    result = ws.push(prune=True)
    assert actions(result) == {"remove": 1, "unchanged": 7}
    assert sum(1 for i in fake_github.issues(REPO) if i.state == "closed") == 1


def test_non_latin_titles_in_dated_folders_never_collide(
    ws: Workspace, fake_github: FakeGitHub
) -> None:
    text = "# Сбой базы данных\n\n## Action items\n\n- Добавить мониторинг\n"
    for day in ("2024-06-01", "2024-07-01"):
        (ws.postmortems / day).mkdir()
        (ws.postmortems / day / "README.md").write_text(text)
    assert actions(ws.push()) == {"create": 2, "unchanged": 5}
    (ws.postmortems / "2024-06-01" / "README.md").rename(ws.postmortems / "2024-06-01" / "pm.md")
    assert "create" not in actions(ws.push())
    assert issue_count(fake_github) == 7


def test_items_sharing_a_long_opening_keep_their_own_issues(
    ws: Workspace, fake_github: FakeGitHub
) -> None:
    opening = "Add an alert on the replication lag of every orders database replica " * 2
    items = f"- [ ] {opening}in the east region\n- [ ] {opening}in the west region\n"
    ws.edit("web.md", "- [ ] Add a synthetic checkout probe\n", items)
    assert actions(ws.push())["create"] == 2
    ws.edit("web.md", f"- [ ] {opening}in the east region\n", "")
    result = ws.push(prune=True)
    closed = [o.change.title for o in result.outcomes if o.action == "remove"]
    assert len(closed) == 2  # the probe and the east alert, never the west one
    west = [i for i in fake_github.issues(REPO) if "west region" in (i.body or "")]
    assert len(west) == 1 and west[0].state == "open"


# --- 2. markers follow the item ----------------------------------------------------------


def test_a_reworded_item_carries_its_new_id_so_a_lost_state_finds_it(
    ws: Workspace, fake_github: FakeGitHub
) -> None:
    ws.edit("db.md", "Rebuild the orders index nightly", "Rebuild the orders index every night")
    assert actions(ws.push()) == {"update": 1, "unchanged": 4}
    item = next(i for i in ws.plan().documents[0].items if "every night" in i.title)
    issue = next(i for i in fake_github.issues(REPO) if "every night" in i.title)
    assert read_marker(issue.body) is not None and read_marker(issue.body)[0] == item.id
    lose_state(ws)
    assert actions(ws.push()) == {"unchanged": 5}
    lose_state(ws)
    assert ws.rebuild() == (5, [])
    assert issue_count(fake_github) == 5


def test_jira_identity_label_follows_a_reworded_item(tmp_path: Path, fake_jira: FakeJira) -> None:
    ws = small_workspace(tmp_path, fake_jira.env(), tracker="jira", jira=fake_jira.config())
    assert actions(ws.push()) == {"create": 5}
    ws.edit("db.md", "Write a runbook for failover", "Write a failover runbook")
    assert actions(ws.push()) == {"update": 1, "unchanged": 4}
    lose_state(ws)
    assert actions(ws.push()) == {"unchanged": 5}
    assert len(fake_jira.issues()) == 5


# --- 3. orphans ---------------------------------------------------------------------------


def test_issues_of_a_deleted_postmortem_are_orphans_in_plan_push_and_status(
    ws: Workspace, fake_github: FakeGitHub
) -> None:
    from datetime import date

    ws.doc("web.md").unlink()
    assert ws.plan().plan.count("orphan") == 2
    fake_github.reset_log()
    result = ws.push(prune=True)
    assert actions(result) == {"orphan": 2, "unchanged": 3}
    assert fake_github.requests == []  # reported, never closed: the document is not there
    rows = ws.status(date(2024, 6, 20)).rows
    assert sorted(r.title for r in rows if r.orphan) == [
        "Add a synthetic checkout probe",
        "Raise the nginx worker limit",
    ]
    assert all(i.state == "open" for i in fake_github.issues(REPO))


# --- 4. the person's tick wins -------------------------------------------------------------


def ticked_workspace(root: Path, fake: FakeGitHub, **defaults: object) -> Workspace:
    settings = {"repo": REPO, "api_url": fake.api_url, "writes_per_minute": 0}
    ws = small_workspace(root, {"GITHUB_TOKEN": fake.token}, github=settings)
    if defaults:
        ws.configure(defaults=defaults)
    ws.edit(
        "db.md", "- [ ] Rebuild the orders index nightly", "- [x] Rebuild the orders index nightly"
    )
    return ws


def by_title(fake: FakeGitHub, words: str) -> Issue:
    return next(i for i in fake.issues(REPO) if words in i.title)


def test_an_item_written_done_is_created_closed_and_write_back_keeps_its_tick(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    from datetime import date

    ws = ticked_workspace(tmp_path, fake_github)
    assert actions(ws.push()) == {"create": 5}
    assert by_title(fake_github, "orders index").state == "closed"
    assert sum(i.state == "open" for i in fake_github.issues(REPO)) == 4
    ws.status(date(2024, 6, 20), write=True)
    assert "- [x] Rebuild the orders index nightly" in ws.doc("db.md").read_text()
    fake_github.reset_log()
    assert actions(ws.push()) == {"unchanged": 5} and fake_github.requests == []


def test_create_done_skip_creates_nothing_for_a_done_item(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    ws = ticked_workspace(tmp_path, fake_github, create_done="skip")
    assert actions(ws.push()) == {"create": 4}
    assert not any("orders index" in i.title for i in fake_github.issues(REPO))


def test_ticking_closes_and_unticking_reopens_the_issue(
    ws: Workspace, fake_github: FakeGitHub
) -> None:
    from datetime import date

    ws.edit("db.md", "- [ ] Write a runbook", "- [x] Write a runbook")
    assert actions(ws.push()) == {"update": 1, "unchanged": 4}
    assert by_title(fake_github, "runbook").state == "closed"
    # status --write-back right after: the person's tick stays, the issue stays closed
    ws.status(date(2024, 6, 20), write=True)
    assert "- [x] Write a runbook" in ws.doc("db.md").read_text()
    assert actions(ws.push()) == {"unchanged": 5}
    ws.edit("db.md", "- [x] Write a runbook", "- [ ] Write a runbook")
    assert actions(ws.push()) == {"update": 1, "unchanged": 4}
    assert by_title(fake_github, "runbook").state == "open"


def test_write_back_never_unticks_a_tick_written_since_the_last_sync(
    ws: Workspace, fake_github: FakeGitHub
) -> None:
    from datetime import date

    ws.edit("db.md", "- [ ] Write a runbook", "- [x] Write a runbook")
    ws.status(date(2024, 6, 20), write=True)  # the issue is still open in the tracker
    assert "- [x] Write a runbook" in ws.doc("db.md").read_text()
    # and a close made in the tracker is still written into the document
    fake_github.close_issue(REPO, by_title(fake_github, "failover").number)
    ws.status(date(2024, 6, 20), write=True)
    assert "- [x] Write a runbook for failover" in ws.doc("db.md").read_text()
    assert actions(ws.push()) == {"update": 1, "unchanged": 4}  # the person's tick: closes
    assert by_title(fake_github, "runbook").state == "closed"


def test_jira_issue_of_a_done_item_is_created_done_and_reopened_when_unticked(
    tmp_path: Path, fake_jira: FakeJira
) -> None:
    ws = small_workspace(tmp_path, fake_jira.env(), tracker="jira", jira=fake_jira.config())
    ws.edit("web.md", "- [ ] Raise the nginx", "- [x] Raise the nginx")
    assert actions(ws.push()) == {"create": 5}
    statuses = {i["fields"]["summary"]: i["fields"]["status"]["name"] for i in fake_jira.issues()}
    assert statuses["Raise the nginx worker limit"] == "Done"
    ws.edit("web.md", "- [x] Raise the nginx", "- [ ] Raise the nginx")
    assert actions(ws.push()) == {"update": 1, "unchanged": 4}
    statuses = {i["fields"]["summary"]: i["fields"]["status"]["name"] for i in fake_jira.issues()}
    assert statuses["Raise the nginx worker limit"] == "To Do"


# --- 5. front matter validated like the config --------------------------------------------

BAD_FRONT_MATTER = [
    ("tracker: jria\n", ":2:", "unknown tracker 'jria'"),
    ("title: DB\nownr: ann\n", ":3:", "unknown key 'ownr'"),
    ("date: 2024-02-30\n", "db.md", "date"),
    ("labels: {a: 1}\n", ":2:", "'labels'"),
    ("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", ":3:", "aliases"),
]


@pytest.mark.parametrize(("block", "where", "what"), BAD_FRONT_MATTER)
@pytest.mark.parametrize("command", ["push", "plan", "check"])
def test_bad_front_matter_is_one_line_exit_2_and_nothing_is_written(
    ws: Workspace, fake_github: FakeGitHub, command: str, block: str, where: str, what: str
) -> None:
    from typer.testing import CliRunner

    from pmsync.cli import app

    ws.edit("db.md", "# Database outage", f"---\n{block}---\n# Database outage")
    ws.edit("web.md", "- [ ] Raise the nginx", "- [ ] Raise the Nginx")  # a pending update
    before = ws.state_file().read_bytes()
    fake_github.reset_log()
    config = str(ws.root / "pmsync.yaml")
    result = CliRunner().invoke(app, [command, "--config", config], env=ws.env)
    assert result.exit_code == 2, result.output
    message = result.output.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    assert "postmortems/db.md" in message and where in message and what in message
    assert fake_github.requests == [] and ws.state_file().read_bytes() == before


def test_unclosed_front_matter_is_an_error(ws: Workspace) -> None:
    from pmsync.errors import FrontMatterError

    ws.edit("db.md", "# Database outage", "---\ntitle: DB\n# Database outage")
    with pytest.raises(FrontMatterError, match=r"db\.md:1: .*never closed"):
        ws.plan()


def test_labels_as_a_string_is_one_label(ws: Workspace, fake_github: FakeGitHub) -> None:
    ws.edit("db.md", "# Database outage", "---\nlabels: database\n---\n# Database outage")
    ws.push()
    labels = {lab for i in fake_github.issues(REPO)[:3] for lab in i.labels}
    assert "database" in labels and "d" not in labels


# --- 6. adopted references verified once ---------------------------------------------------


def test_adopted_references_are_verified_once_and_a_missing_one_is_not_reread(
    ws: Workspace, fake_github: FakeGitHub
) -> None:
    from datetime import date

    existing = fake_github.add_issue(REPO, title="Tune the pool", body="by hand")
    table = (
        "| Action | Ticket |\n|---|---|\n"
        f"| Tune the pool size | {REPO}#{existing.number} |\n"
        f"| Add a pool dashboard | {REPO}#999 |\n"
    )
    ws.edit(
        "web.md",
        "- [ ] Add a synthetic checkout probe\n",
        "- [ ] Add a synthetic checkout probe\n\n" + table,
    )
    fake_github.reset_log()
    result = ws.push()
    adopted = {o.change.title: o for o in result.outcomes if o.action == "adopt"}
    assert set(adopted) == {"Tune the pool size", "Add a pool dashboard"}
    assert any("#999 does not exist" in w for w in adopted["Add a pool dashboard"].warnings)
    assert not adopted["Tune the pool size"].warnings
    assert fake_github.count("GET", f"/repos/{REPO}/issues/999") == 1
    for _ in range(2):
        rows = ws.status(date(2024, 6, 20)).rows
    assert fake_github.count("GET", f"/repos/{REPO}/issues/999") == 1  # never re-read
    missing = [r.title for r in rows if r.missing]
    assert missing == ["Add a pool dashboard"]


# --- 7. an interrupted create is never repeated blindly ------------------------------------


def age_intents(ws: Workspace, seconds: float) -> None:
    """Let time pass for the state's unanswered creates."""
    from datetime import timedelta

    from pmsync.state.store import save_state

    state = ws.state()
    for record in state.items.values():
        if record.intent is not None:
            record.intent -= timedelta(seconds=seconds)
    save_state(state, ws.state_file())


@pytest.mark.parametrize("lands", [True, False], ids=["lands-late", "never-lands"])
def test_a_create_without_answer_is_pending_until_the_grace_period_has_passed(
    ws: Workspace, fake_github: FakeGitHub, lands: bool
) -> None:
    from pmsync.adapters.base import neutralize, render_block
    from tests.fakes.server import DropBefore

    ws.edit(
        "web.md", "- [ ] Raise the nginx", "- [ ] Tune the proxy buffers\n- [ ] Raise the nginx"
    )
    fake_github.inject("POST", rf"^/repos/{REPO}/issues$", DropBefore(), times=1)
    (change,) = [c for c in ws.plan().plan.changes if c.action == "create"]
    fake_github.reset_log()
    assert actions(ws.push())["fail"] == 1  # no answer: it may be landing
    again = ws.push()  # re-run at once: not found yet, and not re-created
    assert actions(again) == {"pending": 1, "unchanged": 5}
    assert fake_github.count("POST", f"/repos/{REPO}/issues") == 1
    if lands:  # the server finishes the create the client gave up on
        assert change.draft is not None
        body = render_block(change.item_id, change.draft.content_hash, neutralize("late"))
        fake_github.add_issue(REPO, title=change.title, body=body, labels=["pmsync"])
    age_intents(ws, 61)
    final = ws.push()
    assert actions(final).get("create", 0) == (0 if lands else 1)
    assert "pending" not in actions(final) and "fail" not in actions(final)
    titles = [i.title for i in fake_github.issues(REPO)]
    assert titles.count("Tune the proxy buffers") == 1


# --- 8. container errors fail fast ---------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("repo", "acme/nope", "acme/nope"),
        ("api_url", "/wrong-prefix", "/wrong-prefix"),
        ("token", "not-a-token", "GITHUB_TOKEN"),
    ],
)
def test_a_wrong_repo_url_or_token_is_one_line_exit_2(
    tmp_path: Path, fake_github: FakeGitHub, setting: str, value: str, named: str
) -> None:
    from typer.testing import CliRunner

    from pmsync.cli import app

    settings = {"repo": REPO, "api_url": fake_github.api_url, "writes_per_minute": 0}
    env = {"GITHUB_TOKEN": fake_github.token}
    if setting == "token":
        env["GITHUB_TOKEN"] = value
    elif setting == "api_url":
        settings["api_url"] = fake_github.api_url + value
    else:
        settings[setting] = value
    ws = small_workspace(tmp_path, env, github=settings)
    config = str(ws.root / "pmsync.yaml")
    result = CliRunner().invoke(app, ["push", "--config", config], env=env)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and named in lines[0] and "Traceback" not in result.output
    assert "github.repo" in lines[0] and "github.api_url" in lines[0]
    assert len(fake_github.issues(REPO)) == 0


def test_check_warns_about_two_postmortems_with_one_title_and_date(ws: Workspace) -> None:
    from pmsync.commands import check_command

    ws.doc("db-copy.md").write_text(DB)
    findings, _ = check_command(ws.config(), [])
    (found,) = [f for f in findings if "same title and incident date" in f.message]
    assert found.path == "postmortems/db.md" or found.path == "postmortems/db-copy.md"
    assert found.level == "warning"

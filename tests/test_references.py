"""Work attached to the right issue (issue 20, point 10): only a link in an issue position
is adopted, a link in an item's prose is a reference (reported; the item gets its own
issue), and `status` reads the issue the state records, not whichever carries the
item's marker. Through the fake GitHub."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pmsync.plan.planner import plan_changes
from pmsync.state.store import SyncState
from tests.fakes.github import FakeGitHub
from tests.test_identity_push import REPO, by_title, small_workspace
from tests.test_plan import CONFIG, doc, item
from tests.workspace import Workspace, actions

CRASH = "https://github.com/acme/ops/issues/1"


def github_workspace(root: Path, fake: FakeGitHub) -> Workspace:
    settings = {"repo": REPO, "api_url": fake.api_url, "writes_per_minute": 0}
    return small_workspace(root, {"GITHUB_TOKEN": fake.token}, github=settings)


def test_a_reference_in_prose_is_reported_and_not_adopted() -> None:
    mentioning = item("a", "Add a regression test", references=("acme/ops#1",))
    (change,) = plan_changes([doc(mentioning)], SyncState(), CONFIG).changes
    assert change.action == "create"
    assert "mentions acme/ops#1" in change.warnings[0] and "Tracked in" in change.warnings[0]
    elsewhere = item("b", "Add a regression test", references=("other/repo#1",))
    (change,) = plan_changes([doc(elsewhere)], SyncState(), CONFIG).changes
    assert change.action == "create" and not change.warnings


def test_the_fixed_crash_mentioned_in_an_item_is_not_its_issue(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    crash = fake_github.add_issue(REPO, "Crash on empty cart", "Fixed.")
    fake_github.close_issue(REPO, crash.number)
    fake_github.add_issue(REPO, "Checkout probe")
    ws = github_workspace(tmp_path, fake_github)
    ws.edit("web.md", "- [ ] Add a synthetic checkout probe\n",
            f"- [ ] Add a regression test for the crash fixed in {CRASH}\n"
            f"- [ ] Add a synthetic checkout probe (tracked in {REPO}#2)\n")  # fmt: skip
    result = ws.push()
    assert actions(result) == {"create": 5, "adopt": 1}
    adopted = next(o for o in result.outcomes if o.action == "adopt")
    assert adopted.change.title.startswith("Add a synthetic checkout probe")
    assert adopted.issue is not None and adopted.issue.key == f"{REPO}#2"
    test = next(o for o in result.outcomes if "regression test" in o.change.title)
    assert test.action == "create" and test.issue is not None and test.issue.key != f"{REPO}#1"
    assert any("mentions acme/ops#1" in w for w in test.change.warnings)
    rows = {r.title: r for r in ws.status(date(2024, 6, 20)).rows}
    assert rows["Add a regression test for the crash fixed in " + CRASH].state == "open"
    assert fake_github.repo(REPO).issues[1].body == "Fixed."  # never written


def test_status_reads_the_recorded_issue_not_a_closed_copy_of_its_marker(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    ws = github_workspace(tmp_path, fake_github)
    assert actions(ws.push()) == {"create": 5}
    ws.status(date(2024, 6, 20))
    probe = by_title(fake_github, "synthetic checkout probe")
    copy = fake_github.add_issue(REPO, probe.title, probe.body, labels=list(probe.labels))
    fake_github.close_issue(REPO, copy.number)  # a pasted duplicate, closed as such
    rows = {r.title: r for r in ws.status(date(2024, 6, 21)).rows}
    assert rows[probe.title].state == "open"
    assert rows[probe.title].record.issue is not None
    assert rows[probe.title].record.issue.key == f"{REPO}#{probe.number}"
    fake_github.close_issue(REPO, probe.number)
    rows = {r.title: r for r in ws.status(date(2024, 6, 22)).rows}
    assert rows[probe.title].state == "closed"


def test_parse_explain_tells_an_items_issue_from_its_references() -> None:
    from pmsync.parse.explain import explain_postmortem

    text = (
        "# PM\n\n## Tasks\n\n- Add a regression test for the crash fixed in acme/ops#1\n"
        "- Add alerts (tracked in acme/ops#2)\n"
    )
    notes = {note.line: note.text for note in explain_postmortem(text, "pm.md")}
    assert notes[5].endswith("; references acme/ops#1 (not its issue)")
    assert notes[6].endswith("; its issue acme/ops#2")

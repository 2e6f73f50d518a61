"""plan, push and status end to end against the fake GitLab, through the unmodified
python-gitlab. Request counts come from the fake's log."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest

from tests.docgen import write_postmortems
from tests.fakes.gitlab import FakeGitLab
from tests.fakes.server import DropAfterCommit, Status
from tests.workspace import Workspace, actions, make_workspace

ITEMS = 120
PATH = "acme/platform/ops"
TODAY = date(2024, 8, 1)


def gitlab_workspace(tmp_path: Path, fake: FakeGitLab, items: int = ITEMS) -> Workspace:
    ws = make_workspace(tmp_path, fake.env(), tracker="gitlab",
                        gitlab=fake.config(creates_per_minute=0))  # fmt: skip
    for path in ws.postmortems.glob("*.md"):
        path.unlink()
    write_postmortems(ws.postmortems, items, per_doc=40)
    return ws


@pytest.fixture
def ws(tmp_path: Path, fake_gitlab: FakeGitLab) -> Workspace:
    return gitlab_workspace(tmp_path, fake_gitlab)


@pytest.fixture
def pushed(ws: Workspace, fake_gitlab: FakeGitLab) -> Workspace:
    assert actions(ws.push()) == {"create": ITEMS}
    fake_gitlab.reset_log()
    return ws


def test_first_push_is_one_request_per_issue_plus_one_listing(
    ws: Workspace, fake_gitlab: FakeGitLab
) -> None:
    assert actions(ws.push()) == {"create": ITEMS}
    assert fake_gitlab.count("POST") == ITEMS
    assert len(fake_gitlab.requests) <= ITEMS + 1 + math.ceil(ITEMS / 100)
    first = fake_gitlab.issue(1)
    assert first.due_date == date(2024, 6, 8)
    assert first.labels == ["postmortem", "action-item", "pmsync"]


def test_repush_makes_no_request(pushed: Workspace, fake_gitlab: FakeGitLab) -> None:
    assert actions(pushed.push()) == {"unchanged": ITEMS}
    assert fake_gitlab.requests == []


def test_deleted_state_creates_nothing(pushed: Workspace, fake_gitlab: FakeGitLab) -> None:
    pushed.state_file().unlink()
    assert actions(pushed.push()) == {"unchanged": ITEMS}
    assert fake_gitlab.count("POST") == 0 and len(fake_gitlab.issues()) == ITEMS


def test_edited_item_is_one_update(pushed: Workspace, fake_gitlab: FakeGitLab) -> None:
    path = pushed.postmortems / "incident-00002.md"
    path.write_text(path.read_text().replace("step 4)**: make sure", "step 4)**: ensure"))
    assert actions(pushed.push()) == {"update": 1, "unchanged": ITEMS - 1}
    assert fake_gitlab.count("PUT") == 1 and fake_gitlab.count("POST") == 0


def test_prune_adds_a_note_then_closes(pushed: Workspace, fake_gitlab: FakeGitLab) -> None:
    pushed.edit("incident-00001.md", "- **Add connection pool limits", "- Removed:")
    result = pushed.push(prune=True)
    assert actions(result).get("remove") == 1
    closed = [i for i in fake_gitlab.issues() if i.state == "closed"]
    assert len(closed) == 1 and len(closed[0].notes) == 1


def test_prune_rerun_after_a_failed_close_does_not_note_twice(
    pushed: Workspace, fake_gitlab: FakeGitLab
) -> None:
    pushed.edit("incident-00001.md", "- **Add connection pool limits", "- Removed:")
    gone = next(i for i in fake_gitlab.issues() if "(incident 1, step 0)" in i.title)
    # the note lands, the close is refused (once: a 4xx is not retried)
    fake_gitlab.inject("PUT", rf"/issues/{gone.iid}$", Status(422))
    assert actions(pushed.push(prune=True)).get("fail") == 1
    assert fake_gitlab.issue(gone.iid).state == "opened"
    assert len(fake_gitlab.issue(gone.iid).notes) == 1
    assert actions(pushed.push(prune=True)).get("remove") == 1
    issue = fake_gitlab.issue(gone.iid)
    assert issue.state == "closed" and len(issue.notes) == 1


def test_a_lost_create_is_reconciled_not_duplicated(ws: Workspace, fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.inject("POST", r"/issues$", DropAfterCommit())
    first = ws.push()
    assert actions(first).get("fail", 0) <= 1
    ws.push()
    assert len(fake_gitlab.issues()) == ITEMS  # 0 duplicates, 0 lost
    assert actions(ws.push()) == {"unchanged": ITEMS}


def test_status_is_bulk_then_cheap(pushed: Workspace, fake_gitlab: FakeGitLab) -> None:
    for iid in range(1, 11):
        fake_gitlab.edit_issue(iid, state="closed")
    fake_gitlab.reset_log()
    result = pushed.status(TODAY)
    assert len(fake_gitlab.requests) <= math.ceil(ITEMS / 100) + 1
    assert sum(r.state == "closed" for r in result.rows) == 10 and len(result.rows) == ITEMS
    fake_gitlab.reset_log()
    again = pushed.status(TODAY)
    assert len(fake_gitlab.requests) <= 2
    fake_gitlab.edit_issue(50, state="closed")
    fake_gitlab.reset_log()
    third = pushed.status(TODAY)
    assert len(fake_gitlab.requests) <= 2
    assert sum(r.state == "closed" for r in third.rows) == 11
    assert [r.state for r in again.rows] == [r.state for r in result.rows]


def test_moved_and_deleted_issues_are_reported(pushed: Workspace, fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.move_issue(3, "acme/elsewhere")
    fake_gitlab.delete_issue(4)
    rows = {r.record.issue.key: r for r in pushed.status(TODAY).rows if r.record.issue}
    moved, deleted = rows[f"{PATH}#3"], rows[f"{PATH}#4"]
    assert moved.state == "closed" and moved.record.status is not None
    assert moved.record.status.state_reason == "moved" and not moved.missing
    assert deleted.missing and len(rows) == ITEMS


def test_gitlab_references_are_adopted_not_created(tmp_path: Path, fake_gitlab: FakeGitLab) -> None:
    ws = gitlab_workspace(tmp_path, fake_gitlab, items=0)
    fake_gitlab.add_issue("Existing one")
    fake_gitlab.add_issue("Existing two")
    url = f"{fake_gitlab.url}/{PATH}/-/issues/2"
    (ws.postmortems / "refs.md").write_text(
        "# Outage\n\nDate: 2024-06-01\n\n## Action items\n\n"
        f"- **Add an index**: tracked in {PATH}#1\n"
        f"- **Rotate keys** — {url}\n"
        "- **Elsewhere**: see https://gitlab.example.org/acme/platform/ops/-/issues/9\n"
        "- **Other project**: acme/other#4\n"
    )
    result = ws.push()
    assert actions(result) == {"adopt": 2, "create": 2}
    adopted = sorted(o.issue.key for o in result.outcomes if o.action == "adopt" and o.issue)
    assert adopted == [f"{PATH}#1", f"{PATH}#2"]
    assert len(fake_gitlab.issues()) == 4  # two adopted, two created; none written twice


def test_confidential_from_front_matter(tmp_path: Path, fake_gitlab: FakeGitLab) -> None:
    ws = gitlab_workspace(tmp_path, fake_gitlab, items=0)
    (ws.postmortems / "breach.md").write_text(
        "---\ntitle: Key leak\ndate: 2024-06-01\nconfidential: true\n---\n\n# Key leak\n\n"
        "## Action items\n\n- Rotate the signing keys\n"
    )
    (ws.postmortems / "outage.md").write_text(
        "# Outage\n\nDate: 2024-06-01\n\n## Action items\n\n- Add an index\n"
    )
    assert actions(ws.push()) == {"create": 2}
    by_title = {i.title: i.confidential for i in fake_gitlab.issues()}
    assert by_title == {"Rotate the signing keys": True, "Add an index": False}


def test_text_people_write_around_the_block_survives_an_update(
    pushed: Workspace, fake_gitlab: FakeGitLab
) -> None:
    issue = fake_gitlab.issue(3)
    fake_gitlab.edit_issue(3, description="Triage notes.\n\n" + (issue.description or ""))
    path = pushed.postmortems / "incident-00000.md"
    path.write_text(path.read_text().replace("step 2)**: make sure", "step 2)**: ensure"))
    fake_gitlab.reset_log()
    assert actions(pushed.push()) == {"update": 1, "unchanged": ITEMS - 1}
    # one listing of the issues edited since the last push, one PUT, no GET of the issue
    assert [r.method for r in fake_gitlab.requests] == ["GET", "PUT"]
    after = fake_gitlab.issue(3).description or ""
    assert after.startswith("Triage notes.") and "ensure" in after

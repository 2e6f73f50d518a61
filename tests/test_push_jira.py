"""plan and push end to end against the fake Jira (Cloud and Data Center), through the
unmodified `jira` client. Request counts come from the fake's log."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from pmsync.adapters.jira.lag import GAP
from tests.docgen import write_postmortems
from tests.fakes.jira import FakeJira
from tests.fakes.server import Status
from tests.workspace import Workspace, actions, make_workspace

ITEMS = 120


def jira_workspace(tmp_path: Path, fake: FakeJira, items: int = ITEMS) -> Workspace:
    ws = make_workspace(tmp_path, fake.env(), tracker="jira", jira=fake.config())
    for path in ws.postmortems.glob("*.md"):
        path.unlink()
    write_postmortems(ws.postmortems, items)
    return ws


@pytest.fixture
def ws(tmp_path: Path, fake_jira: FakeJira) -> Workspace:
    return jira_workspace(tmp_path, fake_jira)


@pytest.fixture
def pushed(ws: Workspace, fake_jira: FakeJira) -> Workspace:
    assert actions(ws.push()) == {"create": ITEMS}
    fake_jira.reset_log()
    return ws


def test_first_push_uses_bulk_creates(ws: Workspace, fake_jira: FakeJira) -> None:
    assert actions(ws.push()) == {"create": ITEMS}
    bulk = fake_jira.count("POST", "/rest/api/3/issue/bulk")
    assert bulk == math.ceil(ITEMS / 50)
    # + the search for the newest indexed key and GAP reads past it (the index lag, lag.py)
    assert len(fake_jira.requests) <= bulk + 3 + 1 + GAP
    issues = fake_jira.issues()
    assert len(issues) == ITEMS
    first = issues[0]["fields"]
    assert first["duedate"] == "2024-06-08" and "pmsync" in first["labels"]
    assert first["description"]["type"] == "doc"


def test_repush_makes_no_request(pushed: Workspace, fake_jira: FakeJira) -> None:
    assert actions(pushed.push()) == {"unchanged": ITEMS}
    assert fake_jira.requests == []


def test_deleted_state_creates_nothing(pushed: Workspace, fake_jira: FakeJira) -> None:
    pushed.state_file().unlink()
    assert actions(pushed.push()) == {"unchanged": ITEMS}
    assert fake_jira.count("POST", "/rest/api/3/issue/bulk") == 0
    assert len(fake_jira.issues()) == ITEMS


def test_edited_item_is_one_update(pushed: Workspace, fake_jira: FakeJira) -> None:
    path = pushed.postmortems / "incident-00002.md"
    path.write_text(path.read_text().replace("step 4)**: make sure", "step 4)**: ensure"))
    assert actions(pushed.push()) == {"update": 1, "unchanged": ITEMS - 1}
    assert fake_jira.count("PUT") == 1 and fake_jira.count("POST", "/rest/api/3/issue/bulk") == 0


def test_one_rejected_element_fails_only_that_item(ws: Workspace, fake_jira: FakeJira) -> None:
    fake_jira.reject_summary_containing("step 7)")
    result = ws.push()
    failed = [o for o in result.outcomes if o.action == "fail"]
    assert len(failed) == 6 and all("step 7)" in o.change.title for o in failed)
    assert len(fake_jira.issues()) == ITEMS - 6
    fake_jira.rejected_summaries.clear()
    assert actions(ws.push()) == {"create": 6, "unchanged": ITEMS - 6}
    assert len(fake_jira.issues()) == ITEMS


def test_data_center_with_bearer_token(tmp_path: Path, fake_jira_dc: FakeJira) -> None:
    ws = jira_workspace(tmp_path, fake_jira_dc, items=60)
    assert actions(ws.push()) == {"create": 60}
    assert all(
        r.headers.get("authorization", "").startswith("Bearer") for r in fake_jira_dc.requests
    )
    fake_jira_dc.reset_log()
    ws.state_file().unlink()
    assert actions(ws.push()) == {"unchanged": 60}
    assert fake_jira_dc.count("POST", "/rest/api/2/issue/bulk") == 0


def test_prune_rerun_after_a_failed_transition_does_not_comment_twice(
    pushed: Workspace, fake_jira: FakeJira
) -> None:
    path = pushed.postmortems / "incident-00000.md"
    path.write_text("".join(ln for ln in path.read_text().splitlines(True) if "step 3)" not in ln))
    fake_jira.inject("POST", r"/transitions$", Status(400), times=1)
    failed = pushed.push(prune=True)
    [fail] = [o for o in failed.outcomes if o.action == "fail"]
    assert fail.issue is not None and len(fake_jira.comments(fail.issue.key)) == 1
    assert actions(pushed.push(prune=True))["remove"] == 1
    assert fake_jira.issue(fail.issue.key)["fields"]["status"]["name"] == "Done"
    assert len(fake_jira.comments(fail.issue.key)) == 1


def test_prune_comments_and_transitions(pushed: Workspace, fake_jira: FakeJira) -> None:
    path = pushed.postmortems / "incident-00000.md"
    path.write_text("".join(ln for ln in path.read_text().splitlines(True) if "step 3)" not in ln))
    result = pushed.push(prune=True)
    assert actions(result)["remove"] == 1
    removed = next(o for o in result.outcomes if o.action == "remove")
    assert removed.issue is not None
    issue = fake_jira.issue(removed.issue.key)
    assert issue["fields"]["status"]["name"] == "Done"
    assert len(fake_jira.comments(removed.issue.key)) == 1

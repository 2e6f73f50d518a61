"""plan, push and status end to end against the fake Linear, through the adapter's
httpx client. Request counts come from the fake's log."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest

from tests.docgen import write_postmortems
from tests.fakes.linear import FakeLinear
from tests.fakes.server import DropAfterCommit, Status
from tests.workspace import Workspace, actions, make_workspace

ITEMS = 120
TODAY = date(2024, 7, 1)


def linear_workspace(
    tmp_path: Path, fake: FakeLinear, items: int = ITEMS, **cfg: object
) -> Workspace:
    ws = make_workspace(tmp_path, fake.env(), tracker="linear", linear=fake.config(**cfg))
    for path in ws.postmortems.glob("*.md"):
        path.unlink()
    write_postmortems(ws.postmortems, items)
    return ws


@pytest.fixture
def ws(tmp_path: Path, fake_linear: FakeLinear) -> Workspace:
    return linear_workspace(tmp_path, fake_linear)


@pytest.fixture
def pushed(ws: Workspace, fake_linear: FakeLinear) -> Workspace:
    assert actions(ws.push()) == {"create": ITEMS}
    fake_linear.reset_log()
    return ws


def test_first_push_creates_in_batches_of_50(ws: Workspace, fake_linear: FakeLinear) -> None:
    assert actions(ws.push()) == {"create": ITEMS}
    batches = fake_linear.count_op("issueBatchCreate")
    assert batches == math.ceil(ITEMS / 50)
    # + team, listing (no baseline yet), labels read, 3 labels created
    assert len(fake_linear.requests) <= batches + 6
    issues = fake_linear.issues()
    assert len(issues) == ITEMS
    first = issues[0]
    assert first["dueDate"] == "2024-06-08" and "pmsync" in first["labels"]
    assert first["description"].splitlines()[-1].startswith("pmsync item ")


def test_repush_makes_no_request(pushed: Workspace, fake_linear: FakeLinear) -> None:
    assert actions(pushed.push()) == {"unchanged": ITEMS}
    assert fake_linear.requests == []


def test_deleted_state_creates_nothing(pushed: Workspace, fake_linear: FakeLinear) -> None:
    pushed.state_file().unlink()
    assert actions(pushed.push()) == {"unchanged": ITEMS}
    assert fake_linear.count_op("issueBatchCreate") == 0
    assert fake_linear.count_op("issues") == 1  # ⌈120/250⌉ listing pages
    assert len(fake_linear.issues()) == ITEMS


def test_edited_item_is_one_update(pushed: Workspace, fake_linear: FakeLinear) -> None:
    pushed.edit("incident-00002.md", "step 4)**: make sure", "step 4)**: ensure")
    assert actions(pushed.push()) == {"update": 1, "unchanged": ITEMS - 1}
    # the team, the issues people edited since the last push (none), one issueUpdate
    assert len(fake_linear.requests) == 3
    assert fake_linear.count_op("issues") == 1 and fake_linear.count_op("issueUpdate") == 1


def test_one_rejected_item_fails_alone(ws: Workspace, fake_linear: FakeLinear) -> None:
    fake_linear.rejected_titles.add("Fix connection pool limits (incident 1, step 1)")
    result = ws.push()
    failed = [o for o in result.outcomes if o.action == "fail"]
    assert [o.change.title for o in failed] == ["Fix connection pool limits (incident 1, step 1)"]
    assert len(fake_linear.issues()) == ITEMS - 1
    fake_linear.rejected_titles.clear()
    assert actions(ws.push()) == {"create": 1, "unchanged": ITEMS - 1}
    assert len(fake_linear.issues()) == ITEMS


def test_lost_batch_answer_is_reconciled_not_resent(ws: Workspace, fake_linear: FakeLinear) -> None:
    fake_linear.inject("POST", r"#issueBatchCreate\b", DropAfterCommit())
    result = ws.push()
    assert actions(result)["fail"] == 50  # the first batch's answer was lost
    assert fake_linear.count_op("issueBatchCreate") == 3  # not sent twice
    assert len(fake_linear.issues()) == ITEMS  # it landed anyway
    assert actions(ws.push()) == {"unchanged": ITEMS}
    assert len(fake_linear.issues()) == ITEMS


def test_gateway_error_after_commit_is_not_resent(ws: Workspace, fake_linear: FakeLinear) -> None:
    fake_linear.inject("POST", r"#issueBatchCreate\b", Status(502, commit=True))
    assert actions(ws.push())["fail"] == 50
    assert actions(ws.push()) == {"unchanged": ITEMS}
    assert len(fake_linear.issues()) == ITEMS


def test_rate_limited_batch_waits_and_is_sent_once(ws: Workspace, fake_linear: FakeLinear) -> None:
    fake_linear.inject("POST", r"#issueBatchCreate\b", fake_linear.rate_limit_fault(0.2))
    assert actions(ws.push()) == {"create": ITEMS}
    assert len(fake_linear.issues()) == ITEMS


def test_rate_limit_past_max_wait_stops_cleanly(ws: Workspace, fake_linear: FakeLinear) -> None:
    ws.configure(limits={"max_wait": 5})
    fake_linear.inject("POST", r"#issueBatchCreate\b", fake_linear.rate_limit_fault(3600))
    result = ws.push()
    assert actions(result) == {"fail": ITEMS}
    assert "max_wait" in (result.outcomes[0].error or "")
    assert fake_linear.issues() == []


def test_prune_comments_and_cancels(pushed: Workspace, fake_linear: FakeLinear) -> None:
    path = pushed.postmortems / "incident-00000.md"
    path.write_text("".join(ln for ln in path.read_text().splitlines(True) if "step 3)" not in ln))
    result = pushed.push(prune=True)
    assert actions(result)["remove"] == 1
    removed = next(o for o in result.outcomes if o.action == "remove")
    assert removed.issue is not None
    issue = next(i for i in fake_linear.issues() if i["identifier"] == removed.issue.key)
    assert issue["stateType"] == "canceled" and len(issue["comments"]) == 1


def test_prune_rerun_after_a_refused_move_does_not_comment_twice(
    pushed: Workspace, fake_linear: FakeLinear
) -> None:
    """Comment and move go in one request; Linear may refuse the move after the comment
    landed. The re-run finds the comment by its marker and only moves the issue."""
    path = pushed.postmortems / "incident-00000.md"
    path.write_text("".join(ln for ln in path.read_text().splitlines(True) if "step 3)" not in ln))
    gone = next(i for i in fake_linear.issues() if "incident 0, step 3" in i["title"])
    fake_linear.refused_moves.add(gone["identifier"])
    failed = pushed.push(prune=True)
    assert actions(failed).get("fail") == 1
    issue = next(i for i in fake_linear.issues() if i["id"] == gone["id"])
    assert issue["stateType"] == "backlog" and len(issue["comments"]) == 1
    fake_linear.refused_moves.clear()
    assert actions(pushed.push(prune=True)).get("remove") == 1
    issue = next(i for i in fake_linear.issues() if i["id"] == gone["id"])
    assert issue["stateType"] == "canceled" and len(issue["comments"]) == 1


def test_status_reads_pages_of_250_then_only_changes(
    pushed: Workspace, fake_linear: FakeLinear
) -> None:
    result = pushed.status(TODAY)
    assert result.errors == []
    assert fake_linear.count_op("issues") == math.ceil(ITEMS / 250)
    fake_linear.reset_log()
    key = fake_linear.issues()[5]["identifier"]
    fake_linear.edit(key, state="Done")
    rows = {r.record.issue.key: r for r in pushed.status(TODAY).rows if r.record.issue}
    assert rows[key].state == "closed"
    assert len(fake_linear.requests) <= 2  # the team, one page of what changed


def test_priority_assignee_and_project(tmp_path: Path, fake_linear: FakeLinear) -> None:
    fake_linear.add_project("Reliability")
    ws = linear_workspace(tmp_path, fake_linear, items=0, project="Reliability")
    ws.configure(people={"pat": {"linear": "pat@example.com"}})
    ws.doc("a.md").write_text(
        "# Outage\n\n## Action items\n\n- [ ] Add alerts (owner: @pat) [P1] Due: 2024-07-09\n"
    )
    assert actions(ws.push()) == {"create": 1}
    issue = fake_linear.issues()[0]
    assert issue["priority"] == 2 and issue["assignee"] == "pat@example.com"
    assert issue["project"] == "Reliability" and issue["dueDate"] == "2024-07-09"


def test_unknown_user_fails_that_item_in_one_line(tmp_path: Path, fake_linear: FakeLinear) -> None:
    ws = linear_workspace(tmp_path, fake_linear, items=0)
    ws.configure(people={"kim": {"linear": "kim@example.com"}})
    ws.doc("a.md").write_text("# Outage\n\n## Action items\n\n- [ ] Add alerts (owner: @kim)\n")
    [outcome] = ws.push().outcomes
    assert outcome.action == "fail" and "kim@example.com" in (outcome.error or "")
    assert "\n" not in (outcome.error or "") and fake_linear.issues() == []


def test_a_linear_issue_written_in_the_postmortem_is_adopted(
    tmp_path: Path, fake_linear: FakeLinear
) -> None:
    ws = linear_workspace(tmp_path, fake_linear, items=0, workspace="acme")
    ws.doc("a.md").write_text(
        "# Outage\n\n## Action items\n\n"
        "- [ ] Add alerts, tracked in https://linear.app/acme/issue/OPS-7/add-alerts\n"
        "- [ ] Rotate the keys (ticket OPS-9)\n"
        "- [ ] Fix the pool, see issue OTHER-3\n"
    )
    outcomes = ws.push().outcomes
    refs = {o.issue.key: o.issue.url for o in outcomes if o.action == "adopt" and o.issue}
    assert refs == {
        "OPS-7": "https://linear.app/acme/issue/OPS-7",
        "OPS-9": "https://linear.app/acme/issue/OPS-9",
    }
    assert [o.action for o in outcomes].count("create") == 1  # OTHER-3 is another team's


def test_front_matter_routes_a_postmortem_to_another_team(
    tmp_path: Path, fake_linear: FakeLinear
) -> None:
    fake_linear.add_team("ENG", "Engineering")
    ws = linear_workspace(tmp_path, fake_linear, items=0)
    ws.doc("a.md").write_text("# Outage\n\n## Action items\n\n- [ ] Add alerts\n")
    ws.doc("b.md").write_text(
        "---\nlinear_team: ENG\n---\n# Outage\n\n## Action items\n\n- [ ] Add retries\n"
    )
    assert actions(ws.push()) == {"create": 2}
    assert [i["title"] for i in fake_linear.issues("OPS")] == ["Add alerts"]
    assert [i["title"] for i in fake_linear.issues("ENG")] == ["Add retries"]
    assert [i["identifier"] for i in fake_linear.issues("ENG")] == ["ENG-1"]


def test_doctor_checks_key_team_access_and_headroom_in_three_requests(
    tmp_path: Path, fake_linear: FakeLinear
) -> None:
    from pmsync.doctor import diagnose_setup

    ws = linear_workspace(tmp_path, fake_linear, items=2)

    def failed(env: dict[str, str]) -> list[str]:
        found = diagnose_setup(str(ws.root / "pmsync.yaml"), env, sleep=lambda s: None)
        return [d.what for d in found if not d.ok]

    assert failed(ws.env) == []
    assert fake_linear.count_op("viewer") == 1 and fake_linear.count_op("teams") == 1
    assert fake_linear.count_op("team") == 1 and len(fake_linear.requests) == 3
    assert failed({"LINEAR_API_KEY": "lin_api_wrong"}) == ["Linear API key: rejected"]
    ws.configure(linear=fake_linear.config(team="NOPE"))
    [team] = failed(ws.env)
    assert "team NOPE" in team
    fake_linear.requests_limit = fake_linear.requests_used + 50
    ws.configure(linear=fake_linear.config())
    assert [f[:17] for f in failed(ws.env)] == ["Linear rate limit"]


def test_text_people_write_in_linear_survives_the_next_push(
    pushed: Workspace, fake_linear: FakeLinear
) -> None:
    old = next(i for i in fake_linear.issues() if "incident 2, step 4" in i["title"])
    notes = "On-call: the replica lagged 40 s."
    fake_linear.edit(old["identifier"], description=f"{notes}\n\n{old['description']}\n\nThanks!")
    pushed.edit("incident-00002.md", "step 4)**: make sure", "step 4)**: ensure")
    assert actions(pushed.push()) == {"update": 1, "unchanged": ITEMS - 1}
    text = next(i for i in fake_linear.issues() if i["id"] == old["id"])["description"]
    assert text.startswith(notes) and text.endswith("Thanks!") and "ensure" in text
    assert text != old["description"] and text.count("pmsync begin") == 1
    assert fake_linear.count_op("issues") == 1  # people's edits since the last push: one page


def test_a_quiet_night_changes_no_byte_of_the_state(
    pushed: Workspace, fake_linear: FakeLinear
) -> None:
    """Status with nothing changed in Linear: the team's memo (people's text) and the rest
    of the state stay byte for byte, two requests a night (the team, one empty page)."""
    key = fake_linear.issues()[3]["identifier"]
    fake_linear.edit(key, description="Notes.\n\n" + fake_linear.issues()[3]["description"])
    pushed.status(TODAY)
    before = pushed.state_file().read_bytes()
    for night in range(2):
        fake_linear.reset_log()
        assert pushed.status(TODAY).errors == []
        assert len(fake_linear.requests) <= 2, night
        assert pushed.state_file().read_bytes() == before, night

"""plan and push end to end: the five example postmortems against the fake GitHub,
through unmodified PyGithub. Request counts come from the fake's log."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from pmsync.adapters.base import read_marker
from tests.fakes.github import FakeGitHub
from tests.fakes.server import DropAfterCommit, Status
from tests.workspace import Workspace, actions, make_workspace

REPO = "acme/ops"
ITEMS = 39  # items in the five examples (8 + 8 + 8 + 9 + 6)


def github_settings(fake: FakeGitHub) -> dict[str, object]:
    return {"github": {"repo": REPO, "api_url": fake.api_url, "writes_per_minute": 0}}


@pytest.fixture
def ws(tmp_path: Path, fake_github: FakeGitHub) -> Workspace:
    return make_workspace(
        tmp_path, {"GITHUB_TOKEN": fake_github.token}, **github_settings(fake_github)
    )


@pytest.fixture
def pushed(ws: Workspace, fake_github: FakeGitHub) -> Workspace:
    result = ws.push()
    assert actions(result) == {"create": ITEMS}
    fake_github.reset_log()
    return ws


def test_first_push_creates_one_issue_per_item_within_budget(
    ws: Workspace, fake_github: FakeGitHub
) -> None:
    result = ws.push()
    assert actions(result) == {"create": ITEMS}
    issues = fake_github.issues(REPO)
    assert len(issues) == ITEMS
    assert len({read_marker(i.body) for i in issues}) == ITEMS
    milestones = len(fake_github.milestones(REPO))
    labels = len(fake_github.label_names(REPO))  # all were missing
    # + 1: the search for issues with a marker and no label (github/unlabelled.py)
    assert len(fake_github.requests) <= ITEMS + milestones + labels + 2 + 1
    assert {lab for i in issues for lab in i.labels} >= {"postmortem", "action-item", "pmsync"}


def test_milestones_carry_the_due_date_and_are_reused(
    pushed: Workspace, fake_github: FakeGitHub
) -> None:
    titles = sorted(m.title for m in fake_github.milestones(REPO))
    assert len(titles) == len(set(titles))
    assert "Due 2024-06-15" in titles  # written in checkout-down-missing-index.md
    assert "Due 2024-07-01" in titles  # incident 2024-06-01 + 30 days, shared by two postmortems
    item = next(i for i in fake_github.issues(REPO) if "periodically check" in i.title)
    by_number = {m.number: m.title for m in fake_github.milestones(REPO)}
    assert by_number[item.milestone] == "Due 2024-06-15"


def test_repush_and_plan_without_changes_make_no_request(
    pushed: Workspace, fake_github: FakeGitHub
) -> None:
    before = pushed.state_file().read_bytes()
    assert actions(pushed.push()) == {"unchanged": ITEMS}
    plan = pushed.plan()
    assert plan.plan.count("unchanged") == ITEMS and not plan.plan.writes_needed
    assert fake_github.requests == []
    assert pushed.state_file().read_bytes() == before


def test_edited_item_makes_exactly_one_patch(pushed: Workspace, fake_github: FakeGitHub) -> None:
    pushed.edit(
        "ecommerce-db-index-slowdown.md", "Ensure the latest patches", "Ensure the newest patches"
    )
    result = pushed.push()
    assert actions(result) == {"update": 1, "unchanged": ITEMS - 1}
    assert fake_github.count("PATCH") == 1 and fake_github.count("POST") == 0
    issue = next(i for i in fake_github.issues(REPO) if i.title == "Patch Nginx Server")
    assert "newest patches" in issue.body


def test_reorder_whitespace_and_emphasis_edits_change_nothing(
    pushed: Workspace, fake_github: FakeGitHub
) -> None:
    doc = pushed.doc("ecommerce-db-index-slowdown.md")
    text = doc.read_text()
    first = next(line for line in text.splitlines(True) if "**Patch Nginx Server**" in line)
    second = next(line for line in text.splitlines(True) if "**Enhanced Logging**" in line)
    assert first in text and second in text
    text = text.replace(first, "@@").replace(second, first).replace("@@", second)
    text = text.replace("Add Monitoring on Server Memory**:", "Add  monitoring on server memory**:")
    doc.write_text(text)
    assert actions(pushed.push()) == {"unchanged": ITEMS}
    assert fake_github.count("POST") == 0 and fake_github.count("PATCH") == 0


def test_renamed_postmortem_updates_its_links_and_duplicates_nothing(
    pushed: Workspace, fake_github: FakeGitHub
) -> None:
    doc = pushed.doc("ecommerce-db-index-slowdown.md")
    (pushed.postmortems / "2024").mkdir()
    doc.rename(pushed.postmortems / "2024" / "db-index.md")
    result = actions(pushed.push())
    assert result == {"update": 8, "unchanged": ITEMS - 8}
    assert fake_github.count("POST") == 0 and len(fake_github.issues(REPO)) == ITEMS
    assert all(
        "2024/db-index.md" in i.body
        for i in fake_github.issues(REPO)
        if "db-index" in i.body or "ecommerce" in i.body
    )
    assert actions(pushed.push()) == {"unchanged": ITEMS}


def test_deleted_state_creates_nothing(pushed: Workspace, fake_github: FakeGitHub) -> None:
    pushed.state_file().unlink()
    result = pushed.push()
    assert actions(result) == {"unchanged": ITEMS}
    assert fake_github.count("POST") == 0 and len(fake_github.issues(REPO)) == ITEMS
    fake_github.reset_log()
    assert actions(pushed.push()) == {"unchanged": ITEMS} and fake_github.requests == []


def test_state_rebuild_recovers_every_issue(pushed: Workspace, fake_github: FakeGitHub) -> None:
    pushed.state_file().unlink()
    count, errors = pushed.rebuild()
    assert (count, errors) == (ITEMS, [])
    assert fake_github.count("POST") == 0 and fake_github.count("PATCH") == 0
    fake_github.reset_log()
    assert actions(pushed.push()) == {"unchanged": ITEMS} and fake_github.requests == []


def test_people_are_mapped_to_assignees(ws: Workspace, fake_github: FakeGitHub) -> None:
    ws.edit(
        "unoptimized-query-outage.md",
        "across the application to prevent similar issues.",
        "across the application to prevent similar issues. Owner: @alice",
    )
    ws.configure(people={"alice": {"github": "alice-gh"}})
    ws.push()
    issue = next(i for i in fake_github.issues(REPO) if i.title.startswith("Review and optimize"))
    assert issue.assignees == ["alice-gh"]


def test_text_outside_the_marker_survives_updates(
    pushed: Workspace, fake_github: FakeGitHub
) -> None:
    issue = next(i for i in fake_github.issues(REPO) if i.title == "Patch Nginx Server")
    fake_github.edit_issue(
        REPO, issue.number, body=issue.body + "\n\nNotes from on-call: use nginx 1.27."
    )
    pushed.edit(
        "ecommerce-db-index-slowdown.md", "Ensure the latest patches", "Ensure the newest patches"
    )
    pushed.push()
    body = fake_github.issues(REPO)[issue.number - 1].body
    assert "Notes from on-call: use nginx 1.27." in body and "newest patches" in body
    assert body.count("pmsync:begin") == 1


def test_removed_item_is_reported_and_closed_only_with_prune(
    pushed: Workspace, fake_github: FakeGitHub
) -> None:
    doc = pushed.doc("ecommerce-db-index-slowdown.md")
    text = doc.read_text()
    doc.write_text("".join(ln for ln in text.splitlines(True) if "**Enhanced Logging**" not in ln))
    assert actions(pushed.push())["remove"] == 1
    assert fake_github.count("PATCH") == 0 and fake_github.count("POST") == 0
    assert actions(pushed.push(prune=True))["remove"] == 1
    issue = next(i for i in fake_github.issues(REPO) if i.title == "Enhanced Logging")
    assert issue.state == "closed" and len(issue.comments) == 1
    assert "remove" not in actions(pushed.push())


def test_plan_without_credentials_shows_creates_and_writes_nothing(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {}, github={"repo": REPO})
    result = ws.plan()
    assert result.plan.count("create") == ITEMS
    assert not ws.state_file().exists()


def test_github_enterprise_api_url(tmp_path: Path, github_enterprise: FakeGitHub) -> None:
    ws = make_workspace(
        tmp_path, {"GITHUB_TOKEN": github_enterprise.token}, **github_settings(github_enterprise)
    )
    assert github_enterprise.api_url.endswith("/api/v3")
    assert actions(ws.push()) == {"create": ITEMS}
    assert all(r.raw_path.startswith("/api/v3/") for r in github_enterprise.requests)
    assert ws.state().items and all(
        rec.issue is not None and rec.issue.url.startswith(github_enterprise.url)
        for rec in ws.state().items.values()
    )


def test_lost_create_response_is_reconciled_not_duplicated(
    ws: Workspace, fake_github: FakeGitHub
) -> None:
    fake_github.inject("POST", r"^/repos/acme/ops/issues$", DropAfterCommit(), times=1)
    first = ws.push()
    assert actions(first)["fail"] == 1 and len(fake_github.issues(REPO)) == ITEMS
    second = ws.push()
    assert "create" not in actions(second) and "fail" not in actions(second)
    assert len(fake_github.issues(REPO)) == ITEMS
    assert all(rec.issue is not None and rec.intent is None for rec in ws.state().items.values())


def test_server_error_after_commit_is_not_reposted(ws: Workspace, fake_github: FakeGitHub) -> None:
    fake_github.inject("POST", r"^/repos/acme/ops/issues$", Status(502, commit=True), times=1)
    ws.push()
    ws.push()
    assert len(fake_github.issues(REPO)) == ITEMS
    assert len({read_marker(i.body) for i in fake_github.issues(REPO)}) == ITEMS


def test_status_reads_in_bulk_and_second_status_is_cheap(
    pushed: Workspace, fake_github: FakeGitHub
) -> None:
    first = fake_github.issues(REPO)[0]
    fake_github.close_issue(REPO, first.number)
    result = pushed.status(date(2024, 8, 1))
    assert sum(r.state == "closed" for r in result.rows) == 1
    assert all(r.overdue for r in result.rows if r.state == "open")
    assert fake_github.count("GET") <= 2 + 1  # + the search for unlabelled issues
    fake_github.reset_log()
    pushed.status(date(2024, 8, 1))
    assert len(fake_github.requests) <= 1


def test_large_push_is_read_back_once_so_later_updates_cost_one_request_each(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    from tests.docgen import write_postmortems

    ws = make_workspace(
        tmp_path, {"GITHUB_TOKEN": fake_github.token}, **github_settings(fake_github)
    )
    for path in ws.postmortems.glob("*.md"):
        path.unlink()
    write_postmortems(ws.postmortems, 250)
    # The push's writes are stamped 5 s in the past, as they would be in a real push that
    # took a while: GitHub's `since` has whole seconds, so writes in the very second the
    # read-back started are read again by the next push (a few, not all).
    real_clock = fake_github.clock
    fake_github.clock = lambda: real_clock() - timedelta(seconds=5)
    try:
        ws.push()
    finally:
        fake_github.clock = real_clock
    listed = fake_github.count("GET", "/repos/acme/ops/issues")
    assert listed <= 3  # the read-back of 250 writes: at most ⌈250/100⌉ pages, once
    issue = fake_github.issues(REPO)[7]
    fake_github.edit_issue(REPO, issue.number, body=issue.body + "\n\nOn-call notes.")
    fake_github.reset_log()
    doc = ws.postmortems / "incident-00000.md"
    text = doc.read_text().replace("step 7)**: make sure", "step 7)**: be sure")
    doc.write_text(text.replace("step 8)**: make sure", "step 8)**: be sure"))
    assert actions(ws.push()) == {"update": 2, "unchanged": 248}
    # One read of people's edits since the read-back, then one PATCH per item: no GET
    # for the item nobody touched, its body is still what pmsync wrote. The read may
    # take a second page on a fast machine: GitHub's `since` has whole seconds, and the
    # unpaced test push can write over a hundred issues in its last second.
    reads = [r for r in fake_github.requests if r.method == "GET"]
    assert 1 <= len(reads) <= 2 and all(r.path == "/repos/acme/ops/issues" for r in reads)
    assert [r.method for r in fake_github.requests if r.method != "GET"] == ["PATCH", "PATCH"]
    assert "On-call notes." in fake_github.issues(REPO)[7].body


def test_stale_issue_found_by_marker_is_updated_even_after_a_failed_update(
    pushed: Workspace, fake_github: FakeGitHub
) -> None:
    pushed.state_file().unlink()
    pushed.edit(
        "ecommerce-db-index-slowdown.md", "Ensure the latest patches", "Ensure the newest patches"
    )
    fake_github.inject("PATCH", r"^/repos/acme/ops/issues/\d+$", Status(422), times=1)
    assert actions(pushed.push()) == {"fail": 1, "unchanged": ITEMS - 1}
    fake_github.reset_log()
    assert actions(pushed.push()) == {"update": 1, "unchanged": ITEMS - 1}
    issue = next(i for i in fake_github.issues(REPO) if i.title == "Patch Nginx Server")
    assert "newest patches" in issue.body
    assert actions(pushed.push()) == {"unchanged": ITEMS}


def test_prune_rerun_after_a_failed_close_does_not_comment_twice(
    pushed: Workspace, fake_github: FakeGitHub
) -> None:
    doc = pushed.doc("ecommerce-db-index-slowdown.md")
    text = doc.read_text()
    doc.write_text("".join(ln for ln in text.splitlines(True) if "**Enhanced Logging**" not in ln))
    fake_github.inject("PATCH", r"/issues/\d+$", Status(422), times=1)
    failed = pushed.push(prune=True)
    assert actions(failed).get("fail") == 1
    issue = next(i for i in fake_github.issues(REPO) if i.title == "Enhanced Logging")
    assert issue.state == "open" and len(issue.comments) == 1
    assert actions(pushed.push(prune=True)).get("remove") == 1
    issue = next(i for i in fake_github.issues(REPO) if i.title == "Enhanced Logging")
    assert issue.state == "closed" and len(issue.comments) == 1


def test_recorded_urls_are_web_urls_also_after_rebuild_and_a_lost_state(
    pushed: Workspace, fake_github: FakeGitHub
) -> None:
    web = {i.number: f"{fake_github.url}/{REPO}/issues/{i.number}"
           for i in fake_github.issues(REPO)}  # fmt: skip
    first = {k: r.issue.url for k, r in pushed.state().items.items() if r.issue}
    assert set(first.values()) == set(web.values())
    pushed.state_file().unlink()
    pushed.rebuild()
    assert {k: r.issue.url for k, r in pushed.state().items.items() if r.issue} == first
    pushed.state_file().unlink()
    pushed.push()
    assert {k: r.issue.url for k, r in pushed.state().items.items() if r.issue} == first

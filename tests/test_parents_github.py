"""Parent issues end to end against the fake GitHub (sub-issues), through PyGithub's
requester: the five example postmortems, request counts from the fake's log."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pmsync.adapters.base import read_marker
from pmsync.commands import push_command, report_command
from tests.fakes.github import FakeGitHub, Issue
from tests.fakes.github_sub_issues import children_of
from tests.fakes.server import DropAfterCommit
from tests.workspace import Workspace, actions, make_workspace

REPO = "acme/ops"
ITEMS, DOCS = 39, 5


@pytest.fixture
def ws(tmp_path: Path, fake_github: FakeGitHub) -> Workspace:
    settings = {"repo": REPO, "api_url": fake_github.api_url, "writes_per_minute": 0}
    return make_workspace(tmp_path, {"GITHUB_TOKEN": fake_github.token}, github=settings,
                          limits={"intent_grace": 0})  # fmt: skip


def push(ws: Workspace, said: list[str] | None = None) -> dict[str, int]:
    result = push_command(ws.config(), [], prune=False, report=lambda o: None, env=ws.env,
                          announce=(said if said is not None else []).append)  # fmt: skip
    return actions(result)


def with_parent(ws: Workspace, on: bool = True) -> None:
    ws.configure(defaults={"parent": on})


def parents(fake: FakeGitHub) -> list[Issue]:
    return [i for i in fake.issues(REPO) if (read_marker(i.body) or ("",))[0].startswith("pm-")]


def test_first_push_makes_one_parent_per_postmortem_with_its_items_as_sub_issues(
    ws: Workspace, fake_github: FakeGitHub
) -> None:
    with_parent(ws)
    assert push(ws) == {"create": ITEMS}
    made = parents(fake_github)
    assert len(made) == DOCS and len(fake_github.issues(REPO)) == ITEMS + DOCS
    linked = [n for p in made for n in children_of(fake_github, REPO, p.number)]
    assert sorted(linked) == sorted(
        i.number for i in fake_github.issues(REPO) if i not in made
    )  # every item under exactly one parent
    assert fake_github.count("POST", f"/repos/{REPO}/issues/") == ITEMS  # one link each
    assert fake_github.count("GET", f"/repos/{REPO}/issues/") == 0  # ids from the creates


def test_the_parent_body_has_summary_link_and_checklist(
    ws: Workspace, fake_github: FakeGitHub
) -> None:
    with_parent(ws)
    push(ws)
    [parent] = [p for p in parents(fake_github) if "Outage Postmortem" in p.title]
    body = parent.body or ""
    assert parent.title.startswith("Postmortem: Web Stack Outage Postmortem")
    assert "**Postmortem:**" in body and "(0 of " in body
    assert body.count("- [ ] [") == len(children_of(fake_github, REPO, parent.number))
    summary = ws.state().parents
    assert all(r.issue is not None and r.linked for r in summary.values())


def test_a_rerun_with_nothing_new_makes_no_request(ws: Workspace, fake_github: FakeGitHub) -> None:
    with_parent(ws)
    push(ws)
    fake_github.reset_log()
    before = ws.state_file().read_bytes()
    assert push(ws) == {"unchanged": ITEMS}
    assert fake_github.requests == [] and ws.state_file().read_bytes() == before


def test_turning_parent_on_later_links_the_existing_issues_and_recreates_none(
    ws: Workspace, fake_github: FakeGitHub
) -> None:
    push(ws)
    fake_github.reset_log()
    with_parent(ws)
    assert push(ws) == {"unchanged": ITEMS}
    assert len(fake_github.issues(REPO)) == ITEMS + DOCS
    assert fake_github.count("POST", f"/repos/{REPO}/issues/") == ITEMS  # links
    assert fake_github.count("POST", f"/repos/{REPO}/issues") == ITEMS + DOCS
    # the ids of the earlier issues: one listing page, not one read per issue
    assert fake_github.count("GET", f"/repos/{REPO}/issues/") == 0
    assert fake_github.count("GET", f"/repos/{REPO}/issues") <= 1
    fake_github.reset_log()
    assert push(ws) == {"unchanged": ITEMS} and fake_github.requests == []


def test_a_dropped_answer_to_the_parent_create_makes_no_second_parent(
    ws: Workspace, fake_github: FakeGitHub
) -> None:
    push(ws)
    with_parent(ws)
    fake_github.inject("POST", rf"^/repos/{REPO}/issues$", DropAfterCommit())
    said: list[str] = []
    push(ws, said)
    assert any("may have been created" in line for line in said)
    push(ws)
    push(ws)
    assert len(parents(fake_github)) == DOCS and len(fake_github.issues(REPO)) == ITEMS + DOCS
    assert all(r.issue is not None for r in ws.state().parents.values())


def test_a_lost_state_finds_the_parents_by_their_marker(
    ws: Workspace, fake_github: FakeGitHub
) -> None:
    with_parent(ws)
    push(ws)
    ws.state_file().unlink()
    assert push(ws) == {"unchanged": ITEMS}
    assert len(parents(fake_github)) == DOCS and len(fake_github.issues(REPO)) == ITEMS + DOCS
    assert len(ws.state().parents) == DOCS


def test_state_rebuild_finds_the_parents(ws: Workspace, fake_github: FakeGitHub) -> None:
    with_parent(ws)
    push(ws)
    recorded = {k: r.issue for k, r in ws.state().parents.items()}
    ws.rebuild()
    assert {k: r.issue for k, r in ws.state().parents.items()} == recorded
    # the listing's parent_issue_url says which sub-issues are linked already
    assert sum(len(r.linked) for r in ws.state().parents.values()) == ITEMS
    fake_github.reset_log()
    assert push(ws) == {"unchanged": ITEMS} and fake_github.requests == []
    assert len(fake_github.issues(REPO)) == ITEMS + DOCS


def test_a_lost_state_links_no_sub_issue_again(ws: Workspace, fake_github: FakeGitHub) -> None:
    with_parent(ws)
    push(ws)
    ws.state_file().unlink()
    fake_github.reset_log()
    push(ws)
    assert not [r for r in fake_github.requests if r.path.endswith("/sub_issues")]
    assert sum(len(r.linked) for r in ws.state().parents.values()) == ITEMS


def test_a_server_without_sub_issues_keeps_the_checklist_and_warns_once(
    ws: Workspace, fake_github: FakeGitHub
) -> None:
    fake_github.sub_issues_enabled = False
    with_parent(ws)
    said: list[str] = []
    push(ws, said)
    assert sum("no native sub-issues" in line for line in said) == 1
    assert len(parents(fake_github)) == DOCS
    fake_github.reset_log()
    assert push(ws) == {"unchanged": ITEMS} and fake_github.requests == []


def test_status_ticks_the_checklist_and_closes_the_parent_when_all_are_closed(
    ws: Workspace, fake_github: FakeGitHub
) -> None:
    with_parent(ws)
    push(ws)
    [parent] = [p for p in parents(fake_github) if "Outage Postmortem" in p.title]
    kids = children_of(fake_github, REPO, parent.number)
    fake_github.close_issue(REPO, kids[0])
    fake_github.reset_log()
    ws.status(date(2024, 7, 1))
    assert fake_github.count("PATCH") == 1  # one checklist update, this parent only
    assert "- [x] [" in (fake_github.issues(REPO)[parent.number - 1].body or "")
    for number in kids[1:]:
        fake_github.close_issue(REPO, number)
    ws.status(date(2024, 7, 2))
    closed = fake_github.issues(REPO)[parent.number - 1]
    assert (closed.state, closed.state_reason) == ("closed", "completed")
    fake_github.edit_issue(REPO, kids[0], state="open", state_reason="reopened")
    ws.status(date(2024, 7, 3))
    assert fake_github.issues(REPO)[parent.number - 1].state == "open"


def test_the_dashboard_groups_items_by_parent_with_a_link(
    ws: Workspace, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    with_parent(ws)
    push(ws)
    page = tmp_path / "report.html"
    report_command(ws.config(), [], page, refresh=False, today=date(2024, 7, 1))
    html = page.read_text()
    section = html.split('data-testid="parents"', 1)[1].split("</section>", 1)[0]
    for parent in parents(fake_github):
        assert f"{REPO}#{parent.number}</a> Postmortem: " in section
    assert section.count('<span class="badge open">') == ITEMS


def test_turning_parent_off_leaves_the_parents_alone_in_push_and_status(
    ws: Workspace, fake_github: FakeGitHub
) -> None:
    with_parent(ws)
    push(ws)
    with_parent(ws, on=False)
    fake_github.reset_log()
    assert push(ws) == {"unchanged": ITEMS} and fake_github.requests == []
    [parent] = [p for p in parents(fake_github) if "Outage Postmortem" in p.title]
    for number in children_of(fake_github, REPO, parent.number):
        fake_github.close_issue(REPO, number)
    ws.status(date(2024, 7, 1))
    assert fake_github.count("PATCH") == 0 and fake_github.count("POST") == 0
    assert fake_github.issues(REPO)[parent.number - 1].state == "open"

"""Parent issues end to end on GitLab (related-issue links, one POST per item) and
Linear (parentId in the batch create), against their fakes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pmsync.adapters.base import read_marker
from pmsync.adapters.linear.values import read_marker as linear_marker
from tests.docgen import write_postmortems
from tests.fakes.gitlab import FakeGitLab
from tests.fakes.gitlab_links import linked_to
from tests.fakes.linear import FakeLinear
from tests.workspace import Workspace, actions, make_workspace

ITEMS, DOCS = 60, 3
PATH = "acme/platform/ops"
TODAY = date(2024, 9, 1)


def workspace(tmp_path: Path, env: dict[str, str], **settings: object) -> Workspace:
    ws = make_workspace(tmp_path, env, limits={"intent_grace": 0}, **settings)
    for path in ws.postmortems.glob("*.md"):
        path.unlink()
    write_postmortems(ws.postmortems, ITEMS)
    return ws


# --- GitLab -------------------------------------------------------------------------


@pytest.fixture
def gitlab_ws(tmp_path: Path, fake_gitlab: FakeGitLab) -> Workspace:
    return workspace(tmp_path, fake_gitlab.env(), tracker="gitlab",
                     gitlab=fake_gitlab.config(creates_per_minute=0))  # fmt: skip


def gitlab_parents(fake: FakeGitLab) -> list[int]:
    return [i.iid for i in fake.issues() if (read_marker(i.description) or ("",))[0][:3] == "pm-"]


def test_gitlab_links_each_item_to_its_parent_once(
    gitlab_ws: Workspace, fake_gitlab: FakeGitLab
) -> None:
    gitlab_ws.configure(defaults={"parent": True})
    assert actions(gitlab_ws.push()) == {"create": ITEMS}
    parents = gitlab_parents(fake_gitlab)
    assert len(parents) == DOCS
    assert sum(len(linked_to(fake_gitlab, PATH, p)) for p in parents) == ITEMS
    links = [r for r in fake_gitlab.requests if r.method == "POST" and r.path.endswith("/links")]
    assert len(links) == ITEMS  # one link request per item
    fake_gitlab.reset_log()
    assert actions(gitlab_ws.push()) == {"unchanged": ITEMS} and fake_gitlab.requests == []


def test_gitlab_lost_state_makes_no_second_parent_and_relinking_succeeds(
    gitlab_ws: Workspace, fake_gitlab: FakeGitLab
) -> None:
    gitlab_ws.configure(defaults={"parent": True})
    gitlab_ws.push()
    gitlab_ws.rebuild()  # parents found; which children are linked is not known
    assert len(gitlab_ws.state().parents) == DOCS
    assert actions(gitlab_ws.push()) == {"unchanged": ITEMS}
    parents = gitlab_parents(fake_gitlab)
    assert len(parents) == DOCS and len(fake_gitlab.issues()) == ITEMS + DOCS
    assert sum(len(linked_to(fake_gitlab, PATH, p)) for p in parents) == ITEMS


# --- Linear -------------------------------------------------------------------------


@pytest.fixture
def linear_ws(tmp_path: Path, fake_linear: FakeLinear) -> Workspace:
    return workspace(tmp_path, fake_linear.env(), tracker="linear", linear=fake_linear.config())


def linear_parents(fake: FakeLinear) -> list[str]:
    return [
        str(i["identifier"]) for i in fake.issues()
        if (linear_marker(str(i["description"])) or ("",))[0][:3] == "pm-"
    ]  # fmt: skip


def test_linear_creates_items_under_their_parent_in_the_batch(
    linear_ws: Workspace, fake_linear: FakeLinear
) -> None:
    linear_ws.configure(defaults={"parent": True})
    assert actions(linear_ws.push()) == {"create": ITEMS}
    parents = linear_parents(fake_linear)
    assert len(parents) == DOCS
    assert sum(len(fake_linear.children(p)) for p in parents) == ITEMS
    fake_linear.reset_log()
    assert actions(linear_ws.push()) == {"unchanged": ITEMS} and fake_linear.requests == []


def test_linear_turning_parent_on_later_puts_existing_issues_under_it(
    linear_ws: Workspace, fake_linear: FakeLinear
) -> None:
    linear_ws.push()
    linear_ws.configure(defaults={"parent": True})
    assert actions(linear_ws.push()) == {"unchanged": ITEMS}
    parents = linear_parents(fake_linear)
    assert len(parents) == DOCS and len(fake_linear.issues()) == ITEMS + DOCS
    assert sum(len(fake_linear.children(p)) for p in parents) == ITEMS


def test_linear_after_a_lost_state_or_a_rebuild_puts_no_issue_under_its_parent_again(
    linear_ws: Workspace, fake_linear: FakeLinear
) -> None:
    """The listing reads each issue's `parent`: no issueUpdate re-sets a parentId."""
    linear_ws.configure(defaults={"parent": True})
    linear_ws.push()
    for lose in (lambda: linear_ws.state_file().unlink(), linear_ws.rebuild):
        lose()
        fake_linear.reset_log()
        assert actions(linear_ws.push()) == {"unchanged": ITEMS}
        assert fake_linear.count_op("issueUpdate") == 0
        assert sum(len(r.linked) for r in linear_ws.state().parents.values()) == ITEMS


def test_gitlab_status_closes_the_parent_when_all_its_items_are_closed_and_reopens_it(
    gitlab_ws: Workspace, fake_gitlab: FakeGitLab
) -> None:
    gitlab_ws.configure(defaults={"parent": True})
    gitlab_ws.push()
    parent = gitlab_parents(fake_gitlab)[0]
    kids = linked_to(fake_gitlab, PATH, parent)
    for iid in kids:
        fake_gitlab.edit_issue(iid, state="closed")
    gitlab_ws.status(TODAY)
    assert fake_gitlab.issue(parent).state == "closed"
    fake_gitlab.edit_issue(kids[0], state="opened")
    gitlab_ws.status(TODAY)
    assert fake_gitlab.issue(parent).state == "opened"


def test_linear_status_completes_the_parent_when_all_its_items_are_done(
    linear_ws: Workspace, fake_linear: FakeLinear
) -> None:
    linear_ws.configure(defaults={"parent": True})
    linear_ws.push()
    parent = linear_parents(fake_linear)[0]
    for key in fake_linear.children(parent):
        fake_linear.edit(key, state="Done")
    linear_ws.status(TODAY)
    [found] = [i for i in fake_linear.issues() if i["identifier"] == parent]
    assert found["stateType"] == "completed"

"""Parent issues end to end against the fake Jira: an Epic per postmortem, its items
created under it in the bulk create (Cloud: `parent`; Data Center: Epic Link)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from pmsync.commands import push_command
from tests.docgen import write_postmortems
from tests.fakes.jira import FakeJira
from tests.fakes.jira_hierarchy import children_of
from tests.fakes.server import DropAfterCommit
from tests.workspace import Workspace, actions, make_workspace

ITEMS = 120


def jira_workspace(tmp_path: Path, fake: FakeJira) -> Workspace:
    ws = make_workspace(tmp_path, fake.env(), tracker="jira", jira=fake.config(),
                        limits={"intent_grace": 0})  # fmt: skip
    for path in ws.postmortems.glob("*.md"):
        path.unlink()
    write_postmortems(ws.postmortems, ITEMS)
    return ws


def push(ws: Workspace, said: list[str] | None = None) -> dict[str, int]:
    result = push_command(ws.config(), [], prune=False, report=lambda o: None, env=ws.env,
                          announce=(said if said is not None else []).append)  # fmt: skip
    return actions(result)


def epics(fake: FakeJira) -> list[dict[str, object]]:
    return [i for i in fake.issues() if i["fields"]["issuetype"]["name"] == "Epic"]


def items_under_epics(fake: FakeJira) -> int:
    return sum(len(children_of(fake, str(e["key"]))) for e in epics(fake))


@pytest.fixture(params=["cloud", "datacenter"])
def fake(request: pytest.FixtureRequest) -> FakeJira:
    name = "fake_jira" if request.param == "cloud" else "fake_jira_dc"
    found: FakeJira = request.getfixturevalue(name)
    return found


def test_first_push_creates_the_epics_before_their_items_and_links_at_no_extra_request(
    tmp_path: Path, fake: FakeJira
) -> None:
    ws = jira_workspace(tmp_path, fake)
    ws.configure(defaults={"parent": True})
    docs = len(list(ws.postmortems.glob("*.md")))
    assert push(ws) == {"create": ITEMS}
    assert len(epics(fake)) == docs and items_under_epics(fake) == ITEMS
    api = fake.api
    assert fake.count("PUT", f"{api}/issue/") == docs  # one checklist update per epic
    bulk = fake.count("POST", f"{api}/issue/bulk")
    assert bulk == 1 + math.ceil(ITEMS / 50)  # the epics in one bulk, then the items
    fake.reset_log()
    assert push(ws) == {"unchanged": ITEMS} and fake.requests == []


def test_turning_parent_on_later_puts_each_existing_issue_under_its_epic(
    tmp_path: Path, fake: FakeJira
) -> None:
    ws = jira_workspace(tmp_path, fake)
    push(ws)
    ws.configure(defaults={"parent": True})
    fake.reset_log()
    assert push(ws) == {"unchanged": ITEMS}
    assert len(fake.issues()) == ITEMS + len(epics(fake)) and items_under_epics(fake) == ITEMS
    assert fake.count("PUT", f"{fake.api}/issue/") == ITEMS  # one per existing item


def test_a_dropped_answer_to_the_epic_create_makes_no_second_epic(
    tmp_path: Path, fake: FakeJira
) -> None:
    ws = jira_workspace(tmp_path, fake)
    push(ws)
    ws.configure(defaults={"parent": True})
    fake.inject("POST", r"/issue/bulk$", DropAfterCommit())
    said: list[str] = []
    push(ws, said)
    assert any("may have been created" in line for line in said)
    push(ws)
    push(ws)
    docs = len(list(ws.postmortems.glob("*.md")))
    assert len(epics(fake)) == docs and items_under_epics(fake) == ITEMS


def test_a_lost_state_finds_the_epics(tmp_path: Path, fake: FakeJira) -> None:
    ws = jira_workspace(tmp_path, fake)
    ws.configure(defaults={"parent": True})
    push(ws)
    ws.state_file().unlink()
    assert push(ws) == {"unchanged": ITEMS}
    docs = len(list(ws.postmortems.glob("*.md")))
    assert len(epics(fake)) == docs and len(fake.issues()) == ITEMS + docs


def test_data_center_without_epic_link_keeps_the_checklist_alone(
    tmp_path: Path, fake_jira_dc: FakeJira
) -> None:
    fake_jira_dc.epic_fields = False
    ws = jira_workspace(tmp_path, fake_jira_dc)
    ws.configure(defaults={"parent": True})
    said: list[str] = []
    assert push(ws, said) == {"create": ITEMS}
    assert sum("no native sub-issues" in line for line in said) == 1
    assert len(epics(fake_jira_dc)) == len(list(ws.postmortems.glob("*.md")))
    fake_jira_dc.reset_log()
    assert push(ws) == {"unchanged": ITEMS} and fake_jira_dc.requests == []


def test_after_a_lost_state_or_a_rebuild_cloud_puts_no_item_under_its_epic_again(
    tmp_path: Path, fake_jira: FakeJira
) -> None:
    """The listing reads each issue's `parent`: the children under their epic already are
    recorded as linked. (Data Center's Epic Link is not read: one PUT each again.)"""
    ws = jira_workspace(tmp_path, fake_jira)
    ws.configure(defaults={"parent": True})
    push(ws)
    for lose in (lambda: ws.state_file().unlink(), ws.rebuild):
        lose()
        fake_jira.reset_log()
        assert push(ws) == {"unchanged": ITEMS}
        assert fake_jira.count("PUT", f"{fake_jira.api}/issue/") == 0
        linked = sum(len(r.linked) for r in ws.state().parents.values())
        assert linked == ITEMS

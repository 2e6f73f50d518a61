"""People's text in a Jira description survives pmsync's updates, on Cloud (ADF) and Data
Center (wiki markup): pmsync owns only its delimited block; an update whose block was
edited by people deletes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pmsync.adapters.jira.adf import plain_text
from tests.docgen import write_postmortems
from tests.fakes.jira import FakeJira, adf_problems
from tests.workspace import Workspace, actions, make_workspace

NOTE = "Notes from on-call: check the replica lag first."


def workspace(tmp_path: Path, fake: FakeJira) -> Workspace:
    ws = make_workspace(tmp_path, fake.env(), tracker="jira", jira=fake.config())
    for path in ws.postmortems.glob("*.md"):
        path.unlink()
    write_postmortems(ws.postmortems, 20)
    assert actions(ws.push()) == {"create": 20}
    return ws


def text_of(description: Any) -> str:
    return description if isinstance(description, str) else plain_text(description)


def with_note(description: Any, where: str) -> Any:
    """The description as a person leaves it: a paragraph before or after pmsync's."""
    if isinstance(description, str):
        return f"{NOTE}\n\n{description}" if where == "before" else f"{description}\n\n{NOTE}"
    note = {"type": "paragraph", "content": [{"type": "text", "text": NOTE}]}
    content = description["content"]
    both = [note, *content] if where == "before" else [*content, note]
    return {**description, "content": both}


def reword(ws: Workspace) -> None:
    path = ws.postmortems / "incident-00000.md"
    path.write_text(path.read_text().replace("step 1)**: make sure", "step 1)**: ensure"))


@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_text_people_add_survives_an_update(
    tmp_path: Path, fake_jira: FakeJira, fake_jira_dc: FakeJira, flavor: str, where: str
) -> None:
    fake = fake_jira if flavor == "cloud" else fake_jira_dc
    ws = workspace(tmp_path, fake)
    [issue] = [i for i in fake.issues() if "step 1)" in i["fields"]["summary"]]
    fake.edit(issue["key"], description=with_note(issue["fields"]["description"], where))
    reword(ws)
    fake.reset_log()
    assert actions(ws.push()) == {"update": 1, "unchanged": 19}
    # serverInfo, one search for the current descriptions, the PUT (Data Center: + read back)
    assert fake.count("PUT") == 1 and len(fake.requests) <= 4
    description = fake.issue(issue["key"])["fields"]["description"]
    text = text_of(description)
    block = text.split(NOTE)[0 if where == "after" else 1]
    assert NOTE in text and "ensure" in block and "make sure" not in block
    if flavor == "cloud":
        assert adf_problems(description) == []
    assert actions(ws.push()) == {"unchanged": 20}  # the marker is still found


def test_an_edited_block_is_never_deleted(tmp_path: Path, fake_jira: FakeJira) -> None:
    ws = workspace(tmp_path, fake_jira)
    [issue] = [i for i in fake_jira.issues() if "step 1)" in i["fields"]["summary"]]
    description = issue["fields"]["description"]
    node = description["content"][1]  # the first paragraph of pmsync's block
    node["content"] = [{"type": "text", "text": "Bob: also on the replicas. " + plain_text(node)}]
    fake_jira.edit(issue["key"], description=description)
    reword(ws)
    assert actions(ws.push()) == {"update": 1, "unchanged": 19}
    text = plain_text(fake_jira.issue(issue["key"])["fields"]["description"])
    assert "Bob: also on the replicas." in text and "ensure" in text

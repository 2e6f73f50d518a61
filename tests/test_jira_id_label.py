"""Jira finds an issue's item by its identity label, `pmsync-id-<item id>` (issue 20.4).
A label people choose (`pmsync-q3`) is never read as an item id; labels of the reserved
form are refused in front matter and config; issues labelled by earlier versions
(`pmsync-<item id>`) are still found when their marker names the same item."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmsync.errors import ConfigError, FrontMatterError
from tests.docgen import postmortem
from tests.fakes.jira import FakeJira
from tests.workspace import Workspace, actions, make_workspace

ITEMS = 3


def workspace(root: Path, fake: FakeJira, labels: str, **settings: object) -> Workspace:
    ws = make_workspace(root, fake.env(), tracker="jira", jira=fake.config(), **settings)
    for path in ws.postmortems.glob("*.md"):
        path.unlink()
    text = f"---\nlabels: {labels}\n---\n" + postmortem(1, ITEMS)
    (ws.postmortems / "incident.md").write_text(text)
    return ws


def test_a_chosen_pmsync_label_is_not_an_identity(tmp_path: Path, fake_jira: FakeJira) -> None:
    ws = workspace(tmp_path, fake_jira, "[pmsync-q3, pmsync-zz]")
    assert actions(ws.push()) == {"create": ITEMS}
    labels = fake_jira.issue("OPS-1")["fields"]["labels"]
    assert "pmsync-q3" in labels and any(lbl.startswith("pmsync-id-") for lbl in labels)
    ws.state_file().unlink()
    assert actions(ws.push()) == {"unchanged": ITEMS}
    assert len(fake_jira.issues()) == ITEMS
    ws.state_file().unlink()
    assert ws.rebuild() == (ITEMS, [])
    assert {r.issue.key for r in ws.state().items.values() if r.issue} == {
        f"OPS-{n}" for n in range(1, ITEMS + 1)
    }


def test_issues_of_earlier_versions_are_found(tmp_path: Path, fake_jira: FakeJira) -> None:
    ws = workspace(tmp_path, fake_jira, "[pmsync-q3]")
    ws.push()
    for issue in fake_jira.issues():  # as an earlier version labelled them
        labels = [lbl.replace("pmsync-id-", "pmsync-") for lbl in issue["fields"]["labels"]]
        fake_jira.edit(issue["key"], labels=labels)
    ws.state_file().unlink()
    assert actions(ws.push()) == {"unchanged": ITEMS}
    assert len(fake_jira.issues()) == ITEMS


def test_the_reserved_form_is_refused_in_front_matter(tmp_path: Path, fake_jira: FakeJira) -> None:
    ws = workspace(tmp_path, fake_jira, "[db, pmsync-id-4f2a]")
    with pytest.raises(FrontMatterError, match=r"incident\.md:2: .*pmsync-id-4f2a.*reserved"):
        ws.push()
    assert fake_jira.issues() == []


def test_the_reserved_form_is_refused_in_config(tmp_path: Path, fake_jira: FakeJira) -> None:
    ws = workspace(tmp_path, fake_jira, "[db]", defaults={"labels": ["PMSYNC-ID-1"]})
    with pytest.raises(ConfigError, match=r"defaults\.labels.*PMSYNC-ID-1.*reserved"):
        ws.push()

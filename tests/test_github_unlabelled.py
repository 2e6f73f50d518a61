"""GitHub recovery finds pmsync's issues by the marker in their body, not only by the
`pmsync` label (issue 20.5): a label someone removed, or a token without push access
(GitHub drops the labels of its creates silently), must not lead to a second issue
when the state is lost. The listing adds one search (`/search/issues`) for issues that
carry the marker without the label."""

from __future__ import annotations

from pathlib import Path

from pmsync.adapters.base import read_marker
from tests.docgen import postmortem
from tests.fakes.github import FakeGitHub
from tests.workspace import Workspace, actions, make_workspace

REPO = "acme/ops"
ITEMS = 4


def workspace(root: Path, fake: FakeGitHub) -> Workspace:
    github = {"repo": REPO, "api_url": fake.api_url, "writes_per_minute": 0}
    ws = make_workspace(root, {"GITHUB_TOKEN": fake.token}, github=github)
    for path in ws.postmortems.glob("*.md"):
        path.unlink()
    (ws.postmortems / "incident.md").write_text(postmortem(1, ITEMS))
    return ws


def marked(fake: FakeGitHub) -> list[str]:
    return [m[0] for i in fake.issues(REPO) if (m := read_marker(i.body or ""))]


def test_an_issue_whose_label_was_removed_is_found(tmp_path: Path, fake_github: FakeGitHub) -> None:
    ws = workspace(tmp_path, fake_github)
    assert actions(ws.push()) == {"create": ITEMS}
    fake_github.edit_issue(REPO, 2, labels=["postmortem"])  # someone removed `pmsync`
    ws.state_file().unlink()
    assert actions(ws.push()) == {"unchanged": ITEMS}
    assert len(fake_github.issues(REPO)) == ITEMS
    searches = [r for r in fake_github.requests if r.path == "/search/issues"]
    assert searches and all("-label:pmsync" in r.params["q"] for r in searches)


def test_a_token_without_push_access(tmp_path: Path, fake_github: FakeGitHub) -> None:
    ws = workspace(tmp_path, fake_github)
    fake_github.set_push_access(False)  # GitHub drops the labels of its creates
    ws.push()
    assert len(marked(fake_github)) == ITEMS
    assert all(not i.labels for i in fake_github.issues(REPO))
    ws.state_file().unlink()
    ws.push()
    assert sorted(marked(fake_github)) == sorted(set(marked(fake_github)))
    assert len(fake_github.issues(REPO)) == ITEMS
    ws.state_file().unlink()
    assert ws.rebuild() == (ITEMS, [])

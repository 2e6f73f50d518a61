"""A file is one postmortem however often it is named (issue 20.7): overlapping
`postmortems:` globs, a file named beside its folder, a symlink to a postmortem. And
write-back through a symlinked postmortem writes its target and keeps the link (20.14)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from pmsync.commands import push_command
from tests.docgen import postmortem
from tests.fakes.github import FakeGitHub
from tests.workspace import Workspace, actions, make_workspace

REPO = "acme/ops"
ITEMS = 3


@pytest.fixture
def ws(tmp_path: Path, fake_github: FakeGitHub) -> Workspace:
    github = {"repo": REPO, "api_url": fake_github.api_url, "writes_per_minute": 0}
    ws = make_workspace(tmp_path, {"GITHUB_TOKEN": fake_github.token}, github=github)
    for path in ws.postmortems.glob("*.md"):
        path.unlink()
    (ws.postmortems / "a.md").write_text(postmortem(1, ITEMS))
    return ws


def push(ws: Workspace, *paths: Path) -> dict[str, int]:
    result = push_command(ws.config(), [str(p) for p in paths], prune=False,
                          report=lambda o: None, env=ws.env)  # fmt: skip
    assert result.errors == []
    return actions(result)


def test_overlapping_globs(ws: Workspace, fake_github: FakeGitHub) -> None:
    ws.configure(postmortems=["postmortems/**/*.md", "postmortems/*.md", "postmortems/a.md"])
    assert push(ws) == {"create": ITEMS}
    assert len(fake_github.issues(REPO)) == ITEMS


def test_a_file_named_beside_its_folder(ws: Workspace, fake_github: FakeGitHub) -> None:
    folder = ws.postmortems
    assert push(ws, folder, folder / "a.md", folder / ".." / "postmortems" / "a.md") == {
        "create": ITEMS
    }
    assert len(fake_github.issues(REPO)) == ITEMS


def test_a_symlink_beside_its_target(ws: Workspace, fake_github: FakeGitHub) -> None:
    (ws.postmortems / "link.md").symlink_to("a.md")
    assert push(ws) == {"create": ITEMS}
    assert len(fake_github.issues(REPO)) == ITEMS
    assert push(ws) == {"unchanged": ITEMS}


def test_write_back_keeps_a_symlink(ws: Workspace, fake_github: FakeGitHub) -> None:
    shared = ws.root / "shared"
    shared.mkdir()
    os.replace(ws.postmortems / "a.md", shared / "a.md")
    (ws.postmortems / "a.md").symlink_to(Path("..") / "shared" / "a.md")
    assert push(ws) == {"create": ITEMS}
    ws.status(date(2024, 7, 1), write=True)
    link = ws.postmortems / "a.md"
    assert link.is_symlink() and os.readlink(link) == str(Path("..") / "shared" / "a.md")
    assert (shared / "a.md").read_text().count(f"{REPO}#") == ITEMS
    assert push(ws) == {"unchanged": ITEMS}


def test_parse_and_check_read_a_file_once(ws: Workspace) -> None:
    """`pmsync parse` and `pmsync check` read the files themselves (not through the
    pairing of `push`): each file once, by its real path."""
    from pmsync.parse.files import parse_command

    (ws.postmortems / "link.md").symlink_to("a.md")
    folder = ws.postmortems
    named = [str(folder), str(folder / "a.md"), str(folder / "link.md")]
    documents, errors = parse_command(named)
    assert errors == [] and [Path(d.path).name for d in documents] == ["a.md"]

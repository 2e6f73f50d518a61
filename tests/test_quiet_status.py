"""A quiet night is quiet (no byte of a committed file changes, at most two requests), and
deleted or transferred issues are still found: by a full listing every week, or --full."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta
from pathlib import Path

from pmsync.state.store import save_state
from tests.fakes.github import FakeGitHub
from tests.fakes.jira import FakeJira
from tests.workspace import Workspace, make_workspace

REPO = "acme/ops"
DAY = date(2025, 1, 10)  # every example's due date is long past: no count moves by itself


def git(root: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def workspace(tmp_path: Path, fake: FakeGitHub) -> Workspace:
    settings = {"github": {"repo": REPO, "api_url": fake.api_url, "writes_per_minute": 0}}
    ws = make_workspace(tmp_path, {"GITHUB_TOKEN": fake.token}, **settings)
    ws.push()
    return ws


def test_a_quiet_night_changes_no_committed_byte_and_costs_two_requests(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    ws = workspace(tmp_path, fake_github)
    fake_github.close_issue(REPO, 3)
    first = ws.status(DAY, write=True)
    assert first.written  # the news: links and a done mark
    git(ws.root, "init", "-q")
    git(ws.root, "add", "-A")  # what a nightly job commits
    git(ws.root, "commit", "-qm", "night 1")
    committed = git(ws.root, "ls-files")
    assert ".pmsync/state.json" in committed and ".pmsync/.gitignore" in committed
    assert "state.json.bak" not in committed and "state.json.lock" not in committed
    for night in (DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)):
        fake_github.reset_log()
        result = ws.status(night, write=True)
        assert result.written == [] and result.errors == []
        assert len(fake_github.requests) <= 2, night
        assert git(ws.root, "status", "--porcelain", "--ignored=no") == "", night
    # News is still recorded, as one change.
    fake_github.close_issue(REPO, 4)
    ws.status(DAY + timedelta(days=3))
    assert sum(r.status.state == "closed" for r in ws.state().items.values() if r.status) == 2
    changed = git(ws.root, "status", "--porcelain").split()
    assert changed == ["M", ".pmsync/state.json"]
    history = ws.state().history
    assert [p.closed for p in history] == [1, 2]


def age_full_listing(ws: Workspace, days: int) -> None:
    state = ws.state()
    for marker in state.trackers.values():
        assert marker.last_full is not None
        marker.last_full -= timedelta(days=days)
    save_state(state, ws.state_file())


def missing(ws: Workspace) -> list[str]:
    items = ws.state().items.values()
    return sorted(r.issue.key for r in items if r.issue and r.status and r.status.missing)


def test_deleted_and_transferred_issues_are_found_weekly_and_with_full(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    ws = workspace(tmp_path, fake_github)
    ws.status(DAY)  # the first status lists everything
    fake_github.delete_issue(REPO, 1)
    fake_github.transfer_issue(REPO, 2, "acme/elsewhere")
    ws.status(DAY + timedelta(days=1))
    assert missing(ws) == []  # an incremental listing cannot show them
    age_full_listing(ws, 6)
    ws.status(DAY + timedelta(days=2))
    assert missing(ws) == [] and ws.announced == []
    age_full_listing(ws, 2)  # the last full listing is now 8 days old
    fake_github.reset_log()
    ws.status(DAY + timedelta(days=3))
    assert missing(ws) == ["acme/ops#1", "acme/ops#2"]
    [said] = ws.announced
    assert "listing every issue to find deleted or transferred ones" in said
    assert "about 1 requests" in said
    fake_github.delete_issue(REPO, 5)
    ws.status(DAY + timedelta(days=4))
    assert "acme/ops#5" not in missing(ws)
    ws.status(DAY + timedelta(days=4), full=True)
    assert "acme/ops#5" in missing(ws)


def test_a_state_from_before_gets_its_gitignore_on_the_next_run(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    ws = workspace(tmp_path, fake_github)
    ws.status(DAY)
    for name in (".gitignore", ".gitattributes"):
        (ws.state_file().parent / name).unlink()
    ws.status(DAY)  # nothing new: the state is not saved, the lock is still taken
    ignored = (ws.state_file().parent / ".gitignore").read_text()
    assert "/state.json.lock" in ignored and "/state.json.bak" in ignored


def test_a_quiet_night_on_jira_changes_no_byte(tmp_path: Path, fake_jira: FakeJira) -> None:
    ws = make_workspace(tmp_path, fake_jira.env(), tracker="jira", jira=fake_jira.config())
    ws.push()
    fake_jira.transition(fake_jira.issues()[0]["key"], "Done")
    ws.status(DAY, write=True)
    files = [ws.state_file(), *sorted(ws.postmortems.glob("*.md"))]
    before = [f.read_bytes() for f in files]
    for night in (DAY, DAY + timedelta(days=1)):
        fake_jira.reset_log()
        ws.status(night, write=True)
        assert len(fake_jira.requests) <= 2, night
        assert [f.read_bytes() for f in files] == before, night

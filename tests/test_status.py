"""pmsync status: bulk reads, cost following change, write-back into the postmortems."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest

from pmsync.adapters.jira.lag import GAP
from tests.docgen import write_postmortems
from tests.fakes.github import FakeGitHub
from tests.fakes.jira import FakeJira
from tests.workspace import Workspace, actions, make_workspace

REPO = "acme/ops"
TODAY = date(2024, 8, 1)


def scale_workspace(
    tmp_path: Path, env: dict[str, str], items: int, **settings: object
) -> Workspace:
    ws = make_workspace(tmp_path, env, **settings)
    for path in ws.postmortems.glob("*.md"):
        path.unlink()
    write_postmortems(ws.postmortems, items, per_doc=50)
    return ws


def github_workspace(tmp_path: Path, fake: FakeGitHub, items: int) -> Workspace:
    settings = {"github": {"repo": REPO, "api_url": fake.api_url, "writes_per_minute": 0}}
    return scale_workspace(tmp_path, {"GITHUB_TOKEN": fake.token}, items, **settings)


def test_github_status_of_1000_items_is_bulk_and_then_cheap(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    ws = github_workspace(tmp_path, fake_github, 1000)
    assert actions(ws.push()) == {"create": 1000}
    for issue in fake_github.issues(REPO)[:10]:
        fake_github.close_issue(REPO, issue.number)
    fake_github.reset_log()
    result = ws.status(TODAY)
    assert len(fake_github.requests) <= 12
    assert sum(r.state == "closed" for r in result.rows) == 10 and len(result.rows) == 1000
    fake_github.reset_log()
    again = ws.status(TODAY)
    assert len(fake_github.requests) <= 2
    assert [r.state for r in again.rows] == [r.state for r in result.rows]
    fake_github.close_issue(REPO, fake_github.issues(REPO)[500].number)
    fake_github.reset_log()
    third = ws.status(TODAY)
    assert len(fake_github.requests) <= 2
    assert sum(r.state == "closed" for r in third.rows) == 11


def test_jira_status_of_1000_items_is_bulk_and_then_cheap(
    tmp_path: Path, fake_jira: FakeJira
) -> None:
    ws = scale_workspace(tmp_path, fake_jira.env(), 1000, tracker="jira", jira=fake_jira.config())
    assert actions(ws.push()) == {"create": 1000}
    for issue in fake_jira.issues()[:10]:
        fake_jira.transition(issue["key"], "Done")
    fake_jira.reset_log()
    result = ws.status(TODAY)
    assert len(fake_jira.requests) <= 12 + 1 + GAP  # the full listing catches up (lag.py)
    assert sum(r.state == "closed" for r in result.rows) == 10
    fake_jira.reset_log()
    ws.status(TODAY)
    assert len(fake_jira.requests) <= 2


def test_status_reports_overdue_tracker_edits_and_missing_issues(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    ws = github_workspace(tmp_path, fake_github, 3)
    ws.push()
    first, second, third = fake_github.issues(REPO)
    fake_github.edit_issue(REPO, first.number, assignees=["bob"])
    fake_github.delete_issue(REPO, third.number)
    rows = {r.title: r for r in ws.status(TODAY).rows}
    assert rows[first.title].assignee == "bob"
    assert rows[second.title].overdue and not rows[third.title].overdue
    assert rows[third.title].missing
    assert ws.status(date(2024, 6, 2), refresh=False).rows[0].overdue is False


@pytest.fixture
def examples(tmp_path: Path, fake_github: FakeGitHub) -> Workspace:
    settings = {"github": {"repo": REPO, "api_url": fake_github.api_url, "writes_per_minute": 0}}
    ws = make_workspace(tmp_path, {"GITHUB_TOKEN": fake_github.token}, **settings)
    ws.push()
    subprocess.run(["git", "init", "-q"], cwd=ws.root, check=True)
    subprocess.run(["git", "add", "."], cwd=ws.root, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
        cwd=ws.root,
        check=True,
    )
    return ws


def changed_lines(root: Path) -> list[str]:
    diff = subprocess.run(
        ["git", "diff", "-U0", "--", "postmortems"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [ln for ln in diff.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---")]


def test_write_back_touches_only_item_lines_and_is_stable(
    examples: Workspace, fake_github: FakeGitHub
) -> None:
    # Five list items (checkboxes) and one heading item (link only).
    closing = (
        "Patch Nginx Server",
        "Enhanced Logging",
        "Load Testing",
        "Engineer Training",
        "Increased capacity planning",
        "Patch the monitoring system",
    )
    for issue in fake_github.issues(REPO):
        if issue.title.startswith(closing):
            fake_github.close_issue(REPO, issue.number)
    result = examples.status(TODAY, write=True)
    assert len(result.written) == 5  # every example has tracked items
    lines = changed_lines(examples.root)
    added = [ln for ln in lines if ln.startswith("+")]
    assert len(added) == len([ln for ln in lines if ln.startswith("-")]) == 39
    assert all(f"]({REPO}" not in ln and "acme/ops#" in ln for ln in added)
    assert sum("[x]" in ln for ln in added) == 5
    snapshot = {p: p.read_bytes() for p in examples.postmortems.glob("*.md")}
    fake_github.reset_log()
    again = examples.status(TODAY, write=True)
    assert again.written == [] and snapshot == {p: p.read_bytes() for p in snapshot}
    assert actions(examples.push()) == {"unchanged": 39}
    assert fake_github.count("POST") == 0 and fake_github.count("PATCH") == 0


def test_write_back_keeps_crlf_line_endings(tmp_path: Path, fake_github: FakeGitHub) -> None:
    ws = github_workspace(tmp_path, fake_github, 3)
    doc = next(ws.postmortems.glob("*.md"))
    doc.write_bytes(doc.read_bytes().replace(b"\n", b"\r\n"))
    ws.push()
    ws.status(TODAY, write=True)
    data = doc.read_bytes()
    assert data.count(b"\r\n") == data.count(b"\n") and data.count(b"acme/ops#") == 3
    assert actions(ws.push()) == {"unchanged": 3}

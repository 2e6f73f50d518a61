"""The runner's clock may run ahead of the tracker's (CI machines drift): pmsync never
asks the tracker for edits `since` a moment of its own clock, so people's notes around
pmsync's block survive the next update. The tracker's clock is simulated 30 s behind."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.fakes.linear import FakeLinear
from tests.workspace import Workspace, actions, make_workspace

REPO = "acme/ops"
POSTMORTEM = "# Outage\n\nDate: 2024-06-01\n\n## Action items\n\n- Fix the pool\n- Add alerts\n"


@pytest.fixture
def behind(fake_github: FakeGitHub) -> Iterator[FakeGitHub]:
    real = fake_github.clock
    fake_github.clock = lambda: real() - timedelta(seconds=30)
    yield fake_github
    fake_github.clock = real


def workspace(root: Path, fake: FakeGitHub) -> Workspace:
    github = {"repo": REPO, "api_url": fake.api_url, "writes_per_minute": 0}
    ws = make_workspace(root, {"GITHUB_TOKEN": fake.token}, github=github)
    for path in ws.postmortems.rglob("*.md"):
        path.unlink()
    ws.doc("outage.md").write_text(POSTMORTEM)
    return ws


@pytest.mark.parametrize("edits", [1, 2])
def test_notes_around_the_block_survive_a_runner_clock_ahead(
    tmp_path: Path, behind: FakeGitHub, edits: int
) -> None:
    ws = workspace(tmp_path, behind)
    assert actions(ws.push()) == {"create": 2}
    number = next(i.number for i in behind.issues(REPO) if i.title == "Fix the pool")
    for round_ in range(edits):
        issue = next(i for i in behind.issues(REPO) if i.number == number)
        note = f"On-call notes, round {round_}: the pool was at 100%."
        behind.edit_issue(REPO, issue.number, body=issue.body + "\n\n" + note)
        ws.edit(
            "outage.md", f"Fix the pool{' now' * round_}", f"Fix the pool{' now' * (round_ + 1)}"
        )
        assert actions(ws.push()) == {"update": 1, "unchanged": 1}
        body = next(i for i in behind.issues(REPO) if i.number == number).body or ""
        assert note in body and f"Fix the pool{' now' * (round_ + 1)}" in body


def test_status_sees_an_issue_closed_just_after_a_refresh(
    tmp_path: Path, behind: FakeGitHub
) -> None:
    ws = workspace(tmp_path, behind)
    ws.push()
    today = date(2024, 6, 2)
    assert {row.state for row in ws.status(today).rows} == {"open"}
    number = next(i.number for i in behind.issues(REPO) if i.title == "Fix the pool")
    behind.edit_issue(REPO, number, state="closed")
    rows = {row.title: row.state for row in ws.status(today).rows}
    assert rows == {"Fix the pool": "closed", "Add alerts": "open"}
    assert {row.title: row.state for row in ws.status(today).rows} == rows


def test_gitlab_notes_survive_a_runner_clock_ahead(tmp_path: Path, fake_gitlab: FakeGitLab) -> None:
    real = fake_gitlab.clock
    fake_gitlab.clock = lambda: real() - timedelta(seconds=30)
    try:
        ws = make_workspace(tmp_path, fake_gitlab.env(), tracker="gitlab",
                            gitlab=fake_gitlab.config(creates_per_minute=0))  # fmt: skip
        for path in ws.postmortems.rglob("*.md"):
            path.unlink()
        ws.doc("outage.md").write_text(POSTMORTEM)
        assert actions(ws.push()) == {"create": 2}
        issue = next(i for i in fake_gitlab.issues() if i.title == "Fix the pool")
        note = "On-call notes: the pool was at 100%."
        fake_gitlab.edit_issue(issue.iid, description=(issue.description or "") + "\n\n" + note)
        ws.edit("outage.md", "Fix the pool", "Fix the pool now")
        assert actions(ws.push()) == {"update": 1, "unchanged": 1}
        body = fake_gitlab.issue(issue.iid).description or ""
        assert note in body and "Fix the pool now" in body
    finally:
        fake_gitlab.clock = real


def test_linear_notes_survive_a_runner_clock_ahead(tmp_path: Path, fake_linear: FakeLinear) -> None:
    fake_linear.set_clock(timedelta(seconds=-30))
    ws = make_workspace(tmp_path, fake_linear.env(), tracker="linear", linear=fake_linear.config())
    for path in ws.postmortems.rglob("*.md"):
        path.unlink()
    ws.doc("outage.md").write_text(POSTMORTEM)
    assert actions(ws.push()) == {"create": 2}
    issue = next(i for i in fake_linear.issues() if i["title"] == "Fix the pool")
    note = "On-call notes: the pool was at 100%."
    fake_linear.edit(issue["identifier"], description=f"{issue['description']}\n\n{note}")
    ws.edit("outage.md", "Fix the pool", "Fix the pool now")
    assert actions(ws.push()) == {"update": 1, "unchanged": 1}
    body = next(i for i in fake_linear.issues() if i["id"] == issue["id"])["description"]
    assert note in body and "Fix the pool now" in body

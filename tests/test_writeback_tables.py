"""Write-back reaches table rows: the issue link into a Ticket/Issue column (added when
the table has none and can take one), done into a Status column; a row it cannot reach
is reported by status."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pmsync.status.writeback import LineEdit, apply_edits
from tests.fakes.github import FakeGitHub
from tests.workspace import actions, make_workspace

REPO = "acme/ops"
DOC = """\
# Queue backlog

## Action items

| Task | Owner | Status | Ticket |
|------|-------|--------|--------|
| Alert on queue depth | ops | open | |
| Add a dead-letter queue | ops | open | |

## Follow-ups

| Task | Owner |
|---|---|
| Document the replay procedure | ops |

## Next steps

Task | Owner
--- | ---
Rehearse the failover | ops
"""


def test_table_rows_get_their_link_and_done_mark(tmp_path: Path, fake_github: FakeGitHub) -> None:
    settings = {"github": {"repo": REPO, "api_url": fake_github.api_url, "writes_per_minute": 0}}
    ws = make_workspace(tmp_path, {"GITHUB_TOKEN": fake_github.token}, **settings)
    for path in ws.postmortems.glob("*.md"):
        path.unlink()
    (ws.postmortems / "queue.md").write_text(DOC)
    assert actions(ws.push()) == {"create": 4}
    by_title = {i.title: i for i in fake_github.issues(REPO)}
    fake_github.close_issue(REPO, by_title["Alert on queue depth"].number)
    result = ws.status(date(2024, 8, 1), write=True)
    text = (ws.postmortems / "queue.md").read_text()
    url = f"{fake_github.url}/{REPO}/issues"
    n = {title: issue.number for title, issue in by_title.items()}
    assert f"| Alert on queue depth | ops | Done | [{REPO}#{n['Alert on queue depth']}]" in text
    assert (
        f"| Add a dead-letter queue | ops | open | [{REPO}#{n['Add a dead-letter queue']}]" in text
    )
    assert "| Task | Owner | Issue |\n|---|---| --- |\n" in text
    replay = n["Document the replay procedure"]
    assert f"| Document the replay procedure | ops | [{REPO}#{replay}]({url}/{replay}) |" in text
    # A table without framing pipes cannot take a column: left, and said so.
    assert "Rehearse the failover | ops\n" in text
    [left] = result.left
    assert left.startswith("postmortems/queue.md:") and "not written back" in left
    assert actions(ws.push()) == {"unchanged": 4}
    again = ws.status(date(2024, 8, 1), write=True)
    assert again.written == [] and (ws.postmortems / "queue.md").read_text() == text


def test_cells_and_pipes_around_them_are_kept() -> None:
    doc = "| A | Status | Issue |\n|:--|:-:|--:|\n| x \\| y | open |  |\n"
    out = apply_edits(doc, [LineEdit(3, "OPS-1", "https://j/browse/OPS-1", True)])
    row = "| x \\| y | Done | [OPS-1](https://j/browse/OPS-1) |\n"
    assert out == "| A | Status | Issue |\n|:--|:-:|--:|\n" + row

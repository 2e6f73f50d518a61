"""Status rows → table (grouped by postmortem), Markdown, CSV and JSON."""

from __future__ import annotations

import csv
import io
from itertools import groupby
from typing import Any

from rich.console import Console
from rich.table import Table

from pmsync.plan.drafts import neutralize_mentions
from pmsync.status.refresh import StatusRow


def status_summary(rows: list[StatusRow]) -> dict[str, int]:
    return {
        "total": len(rows),
        "open": sum(1 for r in rows if r.state == "open"),
        "closed": sum(1 for r in rows if r.state == "closed"),
        "overdue": sum(1 for r in rows if r.overdue),
        "missing": sum(1 for r in rows if r.missing),
    }


def status_json(rows: list[StatusRow]) -> dict[str, Any]:
    return {"items": [_row_json(r) for r in rows], "summary": status_summary(rows)}


def _row_json(row: StatusRow) -> dict[str, Any]:
    issue = row.record.issue
    return {
        "id": row.item_id,
        "doc": row.doc,
        "title": row.title,
        "due": row.due.isoformat() if row.due else None,
        "issue": issue.ref().to_json() if issue else None,
        "state": row.state,
        "state_reason": row.record.status.state_reason if row.record.status else None,
        "assignee": row.assignee,
        "overdue": row.overdue,
        "missing": row.missing,
        "orphan": row.orphan,
    }


def _by_doc(rows: list[StatusRow]) -> list[tuple[str, list[StatusRow]]]:
    return [(doc, list(group)) for doc, group in groupby(rows, key=lambda r: r.doc)]


def _completion(rows: list[StatusRow]) -> str:
    closed = sum(1 for r in rows if r.state == "closed")
    return f"{closed}/{len(rows)} done ({percent(closed, len(rows))}%)"


def percent(part: int, whole: int) -> int:
    """Rounded half up, as people read it: 1 in 6 is 17%, not 16%."""
    return (200 * part + whole) // (2 * whole) if whole else 0


def _state_text(row: StatusRow) -> str:
    if row.missing:
        return "missing"
    state = "OVERDUE" if row.overdue else row.state
    return f"{state}, orphan" if row.orphan else state


def print_status(rows: list[StatusRow], console: Console) -> None:
    for doc, group in _by_doc(rows):
        table = Table(title=f"{doc} — {_completion(group)}", title_justify="left")
        for column in ("state", "item", "issue", "due", "assignee"):
            table.add_column(column)
        for row in group:
            style = "bold red" if row.overdue or row.missing else None
            issue = row.record.issue.key if row.record.issue else ""
            due = row.due.isoformat() if row.due else ""
            table.add_row(_state_text(row), row.title, issue, due, row.assignee or "", style=style)
        console.print(table)
    summary = status_summary(rows)
    orphans = sum(1 for r in rows if r.orphan)
    console.print(
        f"{summary['total']} items: {summary['open']} open, {summary['closed']} closed, "
        f"{summary['overdue']} overdue"
        + (f", {summary['missing']} missing" if summary["missing"] else "")
        + (f", {orphans} orphan (postmortem gone)" if orphans else "")
    )


def status_markdown(rows: list[StatusRow]) -> str:
    summary = status_summary(rows)
    lines = [
        f"## Action items: {summary['closed']}/{summary['total']} closed, "
        f"{summary['overdue']} overdue",
    ]
    for doc, group in _by_doc(rows):
        lines += [
            "",
            f"### `{doc}` — {_completion(group)}",
            "",
            "| state | item | issue | due | assignee |",
            "|---|---|---|---|---|",
        ]
        for row in group:
            issue = row.record.issue
            link = f"[{issue.key}]({issue.url})" if issue else ""
            state = f"**{_state_text(row)}**" if row.overdue or row.missing else _state_text(row)
            due = row.due.isoformat() if row.due else ""
            title = neutralize_mentions(row.title).replace("|", "\\|")
            lines.append(f"| {state} | {title} | {link} | {due} | {row.assignee or ''} |")
    return "\n".join(lines) + "\n"


def status_csv(rows: list[StatusRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "postmortem",
            "item",
            "id",
            "tracker",
            "issue",
            "url",
            "state",
            "overdue",
            "due",
            "assignee",
        ]
    )
    for row in rows:
        issue = row.record.issue
        writer.writerow(
            [
                row.doc,
                row.title,
                row.item_id,
                issue.tracker if issue else "",
                issue.key if issue else "",
                issue.url if issue else "",
                _state_text(row).lower(),
                "yes" if row.overdue else "no",
                row.due.isoformat() if row.due else "",
                row.assignee or "",
            ]
        )
    return out.getvalue()

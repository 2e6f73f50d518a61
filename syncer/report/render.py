"""Rendering parse results, plans and push outcomes as tables, Markdown and JSON."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from pmsync.errors import NotAttempted
from pmsync.model import Postmortem
from pmsync.plan.changes import draft_of, fields_of, issue_of

if TYPE_CHECKING:  # rendering needs only their shape: keep `pmsync parse` start-up light
    from pmsync.plan.changes import Action, Change, ParentChange, Plan
    from pmsync.sync.run import Outcome

ACTIONS: tuple[Action, ...] = ("create", "update", "unchanged", "remove", "adopt", "orphan")


def print_documents(documents: list[Postmortem], console: Console | None = None) -> None:
    console = console or Console()
    for doc in documents:
        table = Table(title=f"{doc.path} — {doc.title or 'untitled'}", title_justify="left")
        for column in ("line", "section", "title", "due", "owner", "done"):
            table.add_column(column)
        for item in doc.items:
            table.add_row(
                str(item.line),
                item.section,
                item.title,
                item.due.isoformat() if item.due else "",
                item.owner or "",
                "yes" if item.done else "",
            )
        console.print(table)
        for warning in doc.warnings:
            console.print(f"  [yellow]warning[/] line {warning.line}: {warning.message}")


# --- plan -------------------------------------------------------------------------------


DEFAULTED_NOTE = "* due date from defaults.due_days: none is written in the postmortem"


def defaulted_dues(plan: Plan, documents: list[Postmortem]) -> set[str]:
    """Ids of the changes whose due date comes from `defaults.due_days`, not the text."""
    unwritten = {item.id for doc in documents for item in doc.items if item.due is None}
    return {c.item_id for c in plan.changes if _due(c) and c.item_id in unwritten}


def _due(change: Change) -> date | None:
    draft = draft_of(change)
    return draft.due if draft else None


def _due_text(change: Change, defaulted: set[str]) -> str:
    due = _due(change)
    if due is None:
        return ""
    return due.isoformat() + ("*" if change.item_id in defaulted else "")


def _destination(change: Change) -> str:
    return f"{change.tracker} {change.container or '(not set)'}"


def plan_json(plan: Plan, defaulted: set[str] | None = None) -> dict[str, Any]:
    return {
        "summary": {action: plan.count(action) for action in ACTIONS},
        "tracker_consulted": False,
        "changes": [_change_json(c, defaulted or set()) for c in plan.changes],
        "parents": [_parent_json(p) for p in plan.parent_changes],
        "warnings": plan.warnings,
    }


def _parent_json(change: ParentChange) -> dict[str, Any]:
    return {
        "doc": change.doc_path,
        "title": change.title,
        "action": change.action,
        "steps": list(change.steps),
        "tracker": change.tracker,
        "container": change.container,
        "issue": change.issue.to_json() if change.issue else None,
    }


def _change_json(change: Change, defaulted: set[str]) -> dict[str, Any]:
    due_source = "due_days" if change.item_id in defaulted else "postmortem"
    issue, due = issue_of(change), _due(change)
    return {
        "id": change.item_id,
        "doc": change.doc_path,
        "title": change.title,
        "action": change.action,
        "fields": list(fields_of(change)),
        "tracker": change.tracker,
        "container": change.container,
        "issue": issue.to_json() if issue else None,
        "due": due.isoformat() if due else None,
        "due_source": due_source if due else None,
        "warnings": list(change.warnings),
    }


def plan_markdown(plan: Plan, defaulted: set[str] | None = None) -> str:
    defaulted = defaulted or set()
    counts = [f"{plan.count(a)} {a}" for a in ACTIONS if plan.count(a)]
    if parents := sum(1 for p in plan.parent_changes if p.steps):
        counts.append(f"{parents} parent issue{'s' if parents > 1 else ''} to write")
    lines = [f"### pmsync plan: {', '.join(counts) or 'nothing to do'}", ""]
    visible = [c for c in plan.changes if c.action != "unchanged"]
    if visible:
        lines += [
            "| action | postmortem | item | to | issue | due |",
            "|---|---|---|---|---|---|",
        ]
        lines += [_markdown_row(c, defaulted) for c in visible]
    if any(c.item_id in defaulted for c in visible):
        lines += ["", "\\" + DEFAULTED_NOTE]
    lines += _parents_markdown(plan.parent_changes)
    lines += [
        "",
        "_The tracker was not consulted: this plan comes from the documents and the state file._",
    ]
    return "\n".join(lines) + "\n"


def _parents_markdown(changes: list[ParentChange]) -> list[str]:
    from pmsync.plan.drafts import neutralize_mentions

    visible = [c for c in changes if c.steps]
    if not visible:
        return []
    lines = ["", "| parent issue | postmortem | steps | to | issue |", "|---|---|---|---|---|"]
    for change in visible:
        issue = f"[{change.issue.key}]({change.issue.url})" if change.issue else ""
        title = neutralize_mentions(change.title).replace("|", "\\|")
        where = f"`{change.tracker} {change.container or '(not set)'}`"
        steps = "; ".join(change.steps)
        lines.append(f"| {title} | `{change.doc_path}` | {steps} | {where} | {issue} |")
    return lines


def _action_text(change: Change) -> str:
    fields = fields_of(change)
    return change.action + (f" ({', '.join(fields)})" if fields else "")


def _markdown_row(change: Change, defaulted: set[str]) -> str:
    from pmsync.plan.drafts import neutralize_mentions

    ref = issue_of(change)
    issue = f"[{ref.key}]({ref.url})" if ref else ""
    action, due = _action_text(change), _due_text(change, defaulted)
    # A pull-request comment must not notify the people named in item titles.
    title = neutralize_mentions(change.title).replace("|", "\\|")
    to = f"`{_destination(change)}`"
    return f"| {action} | `{change.doc_path}` | {title} | {to} | {issue} | {due} |"


def print_plan(plan: Plan, console: Console, defaulted: set[str] | None = None) -> None:
    defaulted = defaulted or set()
    table = Table(title="pmsync plan", title_justify="left")
    for column in ("action", "postmortem", "item", "to", "issue", "due"):
        table.add_column(column)
    for change in plan.changes:
        ref = issue_of(change)
        due = _due_text(change, defaulted)
        row = (_action_text(change), change.doc_path, change.title, _destination(change))
        table.add_row(*row, ref.key if ref else "", due)
    console.print(table)
    if any(c.item_id in defaulted for c in plan.changes):
        console.print(DEFAULTED_NOTE, markup=False)
    if plan.parent_changes:
        console.print(_parents_table(plan.parent_changes))
    counts = ", ".join(f"{plan.count(a)} {a}" for a in ACTIONS)
    console.print(f"{counts}. The tracker was not consulted.")
    item_warnings = (w for c in plan.changes for w in c.warnings)
    for warning in [*plan.warnings, *dict.fromkeys(item_warnings)]:
        console.print(f"[yellow]warning[/] {warning}")


def _parents_table(changes: list[ParentChange]) -> Table:
    table = Table(title="parent issues", title_justify="left")
    for column in ("action", "postmortem", "parent", "steps", "issue"):
        table.add_column(column)
    for change in changes:
        steps = "; ".join(change.steps)
        issue = change.issue.key if change.issue else ""
        table.add_row(change.action, change.doc_path, change.title, steps, issue)
    return table


# --- push -------------------------------------------------------------------------------

OUTCOME_SUMMARY = {
    "create": "created",
    "update": "updated",
    "unchanged": "unchanged",
    "adopt": "adopted",
    "remove": "removed",
    "orphan": "orphaned",
    "pending": "pending",
    "fail": "failed",
}


def push_json(outcomes: list[Outcome]) -> dict[str, Any]:
    summary = {name: 0 for name in OUTCOME_SUMMARY.values()}
    for outcome in outcomes:
        summary[OUTCOME_SUMMARY[outcome.action]] += 1
    return {"summary": summary, "items": [_outcome_json(o) for o in outcomes]}


def _outcome_json(outcome: Outcome) -> dict[str, Any]:
    change = outcome.change
    return {
        "id": change.item_id,
        "doc": change.doc_path,
        "title": change.title,
        "action": outcome.action,
        "fields": list(fields_of(change)) if outcome.action == "update" else [],
        "issue": outcome.issue.to_json() if outcome.issue else None,
        "error": outcome.error,
        "warnings": list(outcome.warnings),
    }


def push_summary(outcomes: list[Outcome], *, pruned: bool) -> list[str]:
    """The closing lines of a push: the counts, and how to close removed items' issues."""
    counts = push_json(outcomes)["summary"]
    shown = [f"{n} {name}" for name, n in counts.items() if n or name in ("created", "failed")]
    skipped = sum(isinstance(o.failure, NotAttempted) for o in outcomes)
    tail = f" ({skipped} not attempted, for the reason above)" if skipped else ""
    lines = [f"pmsync: {', '.join(shown)}{tail}"]
    removed = counts["removed"]
    if removed and not pruned:
        lines.append(
            f"pmsync: {removed} item(s) were removed from their postmortems; their issues stay "
            "open: `pmsync push --prune` comments on and closes them"
        )
    return lines


def outcome_line(outcome: Outcome) -> str:
    issue = f" {outcome.issue.key} {outcome.issue.url}" if outcome.issue else ""
    detail = f": {outcome.error}" if outcome.error else ""
    text = f"{outcome.action:<9} {outcome.change.title[:70]}{issue}{detail}"
    return "\n".join([text, *(f"  warning: {w}" for w in outcome.warnings)])

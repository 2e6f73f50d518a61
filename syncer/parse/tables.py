"""Markdown tables of actions: each row is an item; columns map onto the item's fields.

Recognised columns (by header words, case-insensitive): the action itself
(Action / Item / Task / Description / What / Title / Summary), Owner / Assignee / Who,
Priority, Due / Deadline / Date / ETA / Target, Status / State / Done, and
Bug / Issue / Ticket / Link / Jira / PR. Other columns go into the body as "Header: value".
"""

from __future__ import annotations

import re

from pmsync.adapters import TRACKERS
from pmsync.parse.links import find_links
from pmsync.parse.owners import owner_value
from pmsync.parse.text import Entry, plain_text, priority_cell

# Columns named after a tracker ("Jira") hold references too: the trackers say so.
_TRACKER_WORDS = "".join(f"{w}|" for spec in TRACKERS.values() for w in spec.refs.column_words)
_ROLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("owner", re.compile(r"\b(?:owners?|assignees?|assigned|who|responsible|dri)\b", re.I)),
    ("priority", re.compile(r"\b(?:priority|prio|importance)\b", re.I)),
    ("due", re.compile(r"\b(?:due|deadline|date|eta|target|by when)\b", re.I)),
    ("status", re.compile(r"\b(?:status|state|done|progress)\b", re.I)),
    (
        "links",
        re.compile(rf"\b(?:bugs?|issues?|tickets?|links?|{_TRACKER_WORDS}prs?|tracking)\b", re.I),
    ),
    ("title", re.compile(r"\b(?:action|item|task|description|what|title|summary|todo)", re.I)),
)
_DONE = re.compile(
    r"^\s*(?:(?:done|fixed|closed|complete[d]?|resolved|finished|merged|shipped|yes)\b"
    r"|[✅✓✔☑]|\[[xX]\]|[xX]\s*$)",
    re.I,
)
# Without a status column, a status closing another cell: Google's SRE template writes
# "Bug 5554825 **DONE**" in its Bug column. Upper case only ("to be done" is not a status).
_STATUS_MARK = re.compile(r"\b(DONE|FIXED|CLOSED|COMPLETED?|TODO|WIP|OPEN)\W*$")
# A numbering column ("#", "No.", "ID" holding 1, 2, 3…) says nothing about the item.
_NUMBERING = re.compile(r"^\s*(?:#|no\.?|nr\.?|id|number)\s*$", re.I)


def column_roles(header: list[str]) -> list[str]:
    """A role per column; the action column falls back to the first unassigned one."""
    roles = [_role(plain_text(cell)) for cell in header]
    if "title" not in roles:
        free = [i for i, role in enumerate(roles) if role == "other"]
        if free:
            roles[free[0]] = "title"
    seen_title = False
    for i, role in enumerate(roles):  # only the first action column names the item
        if role == "title":
            roles[i] = "other" if seen_title else role
            seen_title = True
    return roles


_ACTION_COLUMN = re.compile(
    r"^\W*(?:action(?:\s+items?)?|actions|tasks?|follow[- ]?ups?|to-?dos?|remediation|fix)\W*$",
    re.I,
)


def is_action_header(header: list[str]) -> bool:
    """A header row that says its table lists actions: an action column ("Action item",
    "Task", "Follow-up") beside an owner, due date or status column."""
    texts = [plain_text(cell) for cell in header]
    roles = {_role(text) for text in texts}
    named = any(_ACTION_COLUMN.match(text) for text in texts)
    return named and bool(roles & {"owner", "due", "status"})


def _role(header: str) -> str:
    for role, pattern in _ROLES:
        if pattern.search(header):
            return role
    return "other"


def row_entry(header: list[str], roles: list[str], cells: list[str], line: int) -> Entry | None:
    """The row as an item, or None when its action cell is empty."""
    by_role: dict[str, str] = {}
    extra: list[str] = []
    for name, role, cell in zip(header, roles, cells, strict=False):  # rows may be ragged
        cell = cell.strip()
        if role == "other" or role in by_role:
            if cell and not (_NUMBERING.match(plain_text(name)) and cell.isdigit()):
                extra.append(f"{plain_text(name)}: {cell}")
        else:
            by_role[role] = cell
    title = by_role.get("title", "")
    if not plain_text(title):
        return None
    links = find_links(by_role.get("links", ""), column=True)
    if by_role.get("links") and not links:  # "Bug 5554823": another tracker's, kept as text
        name = header[roles.index("links")] if "links" in roles else "Links"
        extra.append(f"{plain_text(name)}: {by_role['links']}")
    owner = owner_value(by_role.get("owner", ""))
    return Entry(
        line=line,
        head=title,
        body="\n".join([title, *extra]),
        done=_is_done(by_role["status"]) if "status" in by_role else _marked_done(roles, cells),
        owner=owner,
        priority=priority_cell(by_role.get("priority", "")),
        due_text=plain_text(by_role.get("due", "")).strip("-—–? ") or None,  # "—": none
        links=links,
        rule="table row",
    )


def _marked_done(roles: list[str], cells: list[str]) -> bool:
    others = [cell for role, cell in zip(roles, cells, strict=False) if role != "title"]
    marks = [m[1] for cell in others if (m := _STATUS_MARK.search(cell.replace("*", "")))]
    return bool(marks) and _is_done(marks[-1])


def _is_done(status: str) -> bool:
    """A Done/Status cell saying done: "Done", "**DONE**", "[x]", "✅", "Closed"."""
    return bool(_DONE.match(status.replace("*", "")) or _DONE.match(plain_text(status)))

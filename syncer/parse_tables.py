"""Markdown tables of actions: each row is an item; columns map onto the item's fields.

Recognised columns (by header words, case-insensitive): the action itself
(Action / Item / Task / Description / What / Title / Summary), Owner / Assignee / Who,
Priority, Due / Deadline / Date / ETA / Target, Status / State / Done, and
Bug / Issue / Ticket / Link / Jira / PR. Other columns go into the body as "Header: value".
"""

from __future__ import annotations

import re

from pmsync.adapters import TRACKERS
from pmsync.links import find_links
from pmsync.parse_text import Entry, plain_text, priority_cell

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
    r"^\s*(?:done|fixed|closed|complete[d]?|resolved|finished|merged|shipped|✅|✓|✔)\b", re.I
)


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
            if cell:
                extra.append(f"{plain_text(name)}: {cell}")
        else:
            by_role[role] = cell
    title = by_role.get("title", "")
    if not plain_text(title):
        return None
    owner = plain_text(by_role.get("owner", "")).lstrip("@") or None
    return Entry(
        line=line,
        head=title,
        body="\n".join([title, *extra]),
        done=bool(_DONE.match(plain_text(by_role.get("status", "")))),
        owner=owner,
        priority=priority_cell(by_role.get("priority", "")),
        due_text=plain_text(by_role.get("due", "")) or None,
        links=find_links(by_role.get("links", ""), column=True),
    )

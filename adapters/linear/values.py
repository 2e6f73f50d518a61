"""Linear's values ↔ pmsync's: the marker line, priorities, and RemoteIssue from an issue
node. Pure functions, no requests."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pmsync.model import IssueRef, RemoteIssue

# The last line of every description pmsync writes. Plain text, not an HTML comment:
# Linear stores descriptions as rich text and does not keep comments.
MARKER = "pmsync item {item} · rev {hash}"
MARKER_RE = re.compile(r"^\s*pmsync item ([A-Za-z0-9._-]+) · rev ([0-9a-f]*)\s*$", re.M)
TEAM_KEY_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,9}$")
CLOSED_TYPES = ("completed", "canceled")
MAX_TITLE = 255
PRIORITY_NAMES = {0: None, 1: "Urgent", 2: "High", 3: "Medium", 4: "Low"}


def describe(body: str, item_id: str, content_hash: str) -> str:
    """The description: the item's Markdown, then the marker line."""
    return f"{body.strip()}\n\n{MARKER.format(item=item_id, hash=content_hash)}"


def read_marker(description: str | None) -> tuple[str, str] | None:
    """(item id, content hash) of the last marker line: pmsync writes it last, so text
    imitating it inside an item comes before it."""
    found = MARKER_RE.findall(description or "")
    return (found[-1][0], found[-1][1]) if found else None


def title_of(title: str) -> str:
    one_line = " ".join(title.split()) or "(untitled action item)"
    return one_line if len(one_line) <= MAX_TITLE else one_line[: MAX_TITLE - 1] + "…"


def priority_of(value: str | None, mapping: Mapping[str, int]) -> int:
    """Linear's 0 (none) … 4 (low) for a postmortem priority; unmapped or absent: 0."""
    return mapping.get(value or "", 0) if value else 0


def issue_ref(node: Mapping[str, Any]) -> IssueRef:
    return IssueRef("linear", str(node["identifier"]), str(node["url"]), id=str(node["id"]))


def to_remote(node: Mapping[str, Any]) -> RemoteIssue:
    """An issue node (fields of queries.ISSUE_FIELDS) as a RemoteIssue. No `body`: pmsync
    owns the whole description, there is no text of people's around it to keep."""
    marker = read_marker(node.get("description"))
    state = node.get("state") or {}
    closed = state.get("type") in CLOSED_TYPES
    person = node.get("assignee") or {}
    return RemoteIssue(
        ref=issue_ref(node),
        title=str(node.get("title") or ""),
        state="closed" if closed else "open",
        item_id=marker[0] if marker else None,
        content_hash=marker[1] if marker else None,
        state_reason=str(state.get("name")) if closed else None,
        assignee=person.get("email") or person.get("id"),
        due=date.fromisoformat(node["dueDate"]) if node.get("dueDate") else None,
        updated_at=linear_time(node.get("updatedAt")),
        closed_at=linear_time(node.get("completedAt") or node.get("canceledAt")),
    )


def linear_time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def looks_like_email(value: str) -> bool:
    return "@" in value and "." in value.rsplit("@", 1)[-1]

"""Linear's values ↔ pmsync's: priorities, titles, and RemoteIssue from an issue node (its
identity from the marker closing pmsync's block: block.py). Pure functions, no requests."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pmsync.adapters.linear.block import read_marker
from pmsync.model import IssueRef, RemoteIssue

TEAM_KEY_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,9}$")
CLOSED_TYPES = ("completed", "canceled")
MAX_TITLE = 255
PRIORITY_NAMES = {0: None, 1: "Urgent", 2: "High", 3: "Medium", 4: "Low"}


def title_of(title: str) -> str:
    one_line = " ".join(title.split()) or "(untitled action item)"
    return one_line if len(one_line) <= MAX_TITLE else one_line[: MAX_TITLE - 1] + "…"


def priority_of(value: str | None, mapping: Mapping[str, int]) -> int:
    """Linear's 0 (none) … 4 (low) for a postmortem priority; unmapped or absent: 0."""
    return mapping.get(value or "", 0) if value else 0


def issue_ref(node: Mapping[str, Any]) -> IssueRef:
    return IssueRef("linear", str(node["identifier"]), str(node["url"]), id=str(node["id"]))


def to_remote(node: Mapping[str, Any]) -> RemoteIssue:
    """An issue node (fields of queries.ISSUE_FIELDS) as a RemoteIssue; `body` is the whole
    description (pmsync's block and people's text around it)."""
    marker = read_marker(node.get("description"))
    state = node.get("state") or {}
    closed = state.get("type") in CLOSED_TYPES
    person = node.get("assignee") or {}
    return RemoteIssue(
        ref=issue_ref(node),
        title=str(node.get("title") or ""),
        body=node.get("description"),
        state="closed" if closed else "open",
        item_id=marker[0] if marker else None,
        content_hash=marker[1] if marker else None,
        state_reason=str(state.get("name")) if closed else None,
        assignee=person.get("email") or person.get("id"),
        due=date.fromisoformat(node["dueDate"]) if node.get("dueDate") else None,
        updated_at=linear_time(node.get("updatedAt")),
        closed_at=linear_time(node.get("completedAt") or node.get("canceledAt")),
        parent=(node.get("parent") or {}).get("identifier"),
    )


def linear_time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def looks_like_email(value: str) -> bool:
    return "@" in value and "." in value.rsplit("@", 1)[-1]

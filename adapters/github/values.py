"""GitHub's JSON and URLs ↔ pmsync's values: pure functions, no requests."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pmsync.adapters.base import read_marker
from pmsync.adapters.github.client import Response
from pmsync.errors import NotFound
from pmsync.model import IssueRef, RemoteIssue

MILESTONE_PREFIX = "Due "
DUE_TITLE_RE = re.compile(r"^Due (\d{4}-\d{2}-\d{2})$")
_KEY_RE = re.compile(r"^([\w.-]+/[\w.-]+)#(\d+)$")


def issues_of(container: str, page: Response) -> Iterator[RemoteIssue]:
    return (to_remote(container, d) for d in page.data if "pull_request" not in d)


def later_page_urls(first: Response) -> list[str]:
    """The URLs of pages 2..last, from the first page's `next` and `last` links (none
    when the answer is a single page or its links are not page numbers)."""
    next_url, last_url = first.link("next"), first.link("last")
    if next_url is None or last_url is None or page_number(next_url) != 2:
        return []
    last = page_number(last_url)
    return [with_page(last_url, n) for n in range(2, (last or 1) + 1)]


def page_number(url: str) -> int | None:
    value = dict(parse_qsl(urlsplit(url).query)).get("page", "")
    return int(value) if value.isdigit() else None


def with_page(url: str, page: int) -> str:
    parts = urlsplit(url)
    query = [(k, str(page) if k == "page" else v) for k, v in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def to_remote(repo: str, data: Mapping[str, Any]) -> RemoteIssue:
    """A GitHub issue document as a RemoteIssue (item id and hash from the marker)."""
    body = data.get("body")
    marker = read_marker(body)
    assignee = data.get("assignee") or {}
    number = data["number"]
    return RemoteIssue(
        ref=IssueRef("github", f"{repo}#{number}", str(data.get("html_url", "")),
                     id=str(data.get("node_id") or number)),
        title=str(data.get("title", "")),
        state="closed" if data.get("state") == "closed" else "open",
        body=body,
        item_id=marker[0] if marker else None,
        content_hash=marker[1] if marker else None,
        state_reason=data.get("state_reason"),
        assignee=assignee.get("login"),
        due=milestone_due(data.get("milestone")),
        labels=tuple(label_names(data)),
        updated_at=parse_time(data.get("updated_at")),
        closed_at=parse_time(data.get("closed_at")),
        parent=parent_key(data.get("parent_issue_url")),
    )  # fmt: skip


_API_ISSUE = re.compile(r"/repos/([^/]+/[^/]+)/issues/(\d+)$")


def parent_key(url: str | None) -> str | None:
    """`owner/repo#n` from a sub-issue's `parent_issue_url` (the parent's API URL)."""
    match = _API_ISSUE.search(url or "")
    return f"{match[1]}#{match[2]}" if match else None


def milestone_title(due: date) -> str:
    return f"{MILESTONE_PREFIX}{due.isoformat()}"


def milestone_due(milestone: Mapping[str, Any] | None) -> date | None:
    """The date GitHub shows for a milestone: `due_on` is midnight US Pacific of that
    date (07:00Z or 08:00Z), so its UTC date is the shown date. A milestone without
    `due_on` falls back to a "Due YYYY-MM-DD" title."""
    if not milestone:
        return None
    due_on = parse_time(milestone.get("due_on"))
    if due_on is not None:
        return due_on.astimezone(timezone.utc).date()
    match = DUE_TITLE_RE.match(str(milestone.get("title", "")))
    return date.fromisoformat(match.group(1)) if match else None


def label_names(data: Mapping[str, Any]) -> list[str]:
    labels = data.get("labels") or []
    return [str(lab["name"] if isinstance(lab, dict) else lab) for lab in labels]


def dropped_fields(sent: Mapping[str, Any], got: Mapping[str, Any], repo: str) -> list[str]:
    """GitHub silently drops assignees, labels and milestone for tokens without push
    access: name each field the response lacks (`pmsync doctor` reads the access)."""
    why = f"the token probably lacks push access to {repo}"
    warnings = []
    assigned = {a.get("login") for a in got.get("assignees") or [] if isinstance(a, dict)}
    missing = [a for a in sent.get("assignees", []) if a not in assigned]
    if missing:
        warnings.append(f"GitHub dropped the assignee {', '.join(missing)}: {why}")
    have = {name.lower() for name in label_names(got)}
    lost = [name for name in sent.get("labels", []) if name.lower() not in have]
    if lost:
        warnings.append(f"GitHub dropped the labels {', '.join(lost)}: {why}")
    if sent.get("milestone") is not None and not got.get("milestone"):
        warnings.append(f"GitHub dropped the milestone (due date): {why}")
    return warnings


def parse_key(key: str) -> tuple[str, int]:
    match = _KEY_RE.match(key)
    if not match:
        raise NotFound(f"not a GitHub issue key: {key!r} (expected owner/repo#number)")
    return match.group(1), int(match.group(2))


def same_repo(data: Mapping[str, Any], repo: str) -> bool:
    return str(data.get("repository_url", "")).lower().endswith(f"/repos/{repo.lower()}")


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def iso_z(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

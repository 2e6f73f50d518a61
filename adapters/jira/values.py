"""Jira's JSON ↔ pmsync's values: issue fields from a draft, RemoteIssue from a search
hit, and the small parsers around them. Pure functions, no requests."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from pmsync.adapters.jira.adf import markdown_to_adf, markdown_to_wiki, marker_text
from pmsync.adapters.jira.block import new_description, read_block_marker
from pmsync.errors import ConfigError
from pmsync.model import RESERVED_LABEL, IssueDraft, IssueRef, RemoteIssue, reserved_label

if TYPE_CHECKING:
    from pmsync.adapters.jira.config import JiraConfig

MAX_DESCRIPTION = 30_000  # Jira refuses descriptions past 32,767 characters
ITEM_RE = re.compile(r"^[a-z0-9-]{1,64}$")
_PROJECT_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,254}$")


def draft_fields(
    draft: IssueDraft, cfg: JiraConfig, cloud: bool
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The fields of a create or edit; warnings for what Jira cannot take."""
    if not ITEM_RE.match(draft.item_id):
        raise ConfigError(f"item id {draft.item_id!r} cannot be a Jira label ([a-z0-9-] only)")
    project = project_key(draft.container or cfg.project or "")
    body = draft.body or ""
    warnings: list[str] = []
    if len(body) > MAX_DESCRIPTION:
        body = body[:MAX_DESCRIPTION] + "\n\n(truncated: the item is longer than Jira allows)"
        warnings.append("description truncated to fit Jira's limit")
    marker = marker_text(draft.item_id, draft.content_hash)
    fields: dict[str, Any] = dict(cfg.fields)
    render = markdown_to_adf if cloud else markdown_to_wiki
    fields.update(
        project={"key": project}, issuetype={"name": cfg.issue_type},
        summary=summary_of(draft.title), description=new_description(render(body, marker)),
        labels=labels_of(draft),
    )  # fmt: skip
    if draft.due:
        fields["duedate"] = draft.due.isoformat()
    if draft.priority:
        name = cfg.priority_map.get(draft.priority)
        if name:
            fields["priority"] = {"name": name}
        else:
            warnings.append(f"priority {draft.priority!r} is not in jira.priority_map: not set")
    if draft.assignee:
        fields["assignee"] = {"accountId" if cloud else "name": draft.assignee}
    return fields, tuple(warnings)


def project_key(key: str) -> str:
    if not key:
        raise ConfigError("no Jira project: set jira.project or jira_project in front matter")
    if not _PROJECT_RE.match(key):
        raise ConfigError(f"{key!r} is not a Jira project key (e.g. OPS)")
    return key


def issue_ref(base: str, key: str, issue_id: str) -> IssueRef:
    return IssueRef("jira", key, url=f"{base}/browse/{key}", id=issue_id)


def id_label(item_id: str) -> str:
    return f"{RESERVED_LABEL}{item_id}"


def visible_labels(labels: Sequence[str], item_id: str | None) -> tuple[str, ...]:
    """Labels without the identity label (`pmsync-id-<id>`, or `pmsync-<id>` as earlier
    versions wrote it), comparable to a draft's."""
    hidden = {id_label(item_id), f"pmsync-{item_id}"} if item_id else set()
    return tuple(lbl for lbl in labels if lbl not in hidden)


def label_item(labels: Sequence[str], marker_item: str | None) -> str | None:
    """The item an issue's labels name: its `pmsync-id-<id>` label (the one its marker
    names when there are several). Only that form: a label people chose (`pmsync-q3`)
    never names an item. An issue labelled by an earlier version (`pmsync-<id>`) is
    read when its marker names the same item."""
    named = [lbl[len(RESERVED_LABEL) :] for lbl in labels if lbl.startswith(RESERVED_LABEL)]
    named = [item for item in named if ITEM_RE.match(item)]
    if marker_item is not None and (marker_item in named or f"pmsync-{marker_item}" in labels):
        return marker_item
    return named[0] if named else None


def to_remote(base: str, raw: dict[str, Any]) -> RemoteIssue:
    """A Jira issue document as a RemoteIssue (item id from its identity label)."""
    f = raw.get("fields") or {}
    labels = [str(lbl) for lbl in f.get("labels") or []]
    description = f.get("description")
    marker = read_block_marker(description)
    item_id = label_item(labels, marker[0] if marker else None)
    status = f.get("status") or {}
    category = (status.get("statusCategory") or {}).get("key")
    person = f.get("assignee") or {}
    return RemoteIssue(
        ref=issue_ref(base, str(raw["key"]), str(raw["id"])),
        title=str(f.get("summary") or ""),
        state="closed" if category == "done" else "open",
        item_id=item_id,
        # a marker naming another item (text imitating it) is not this issue's hash
        content_hash=marker[1] if marker and marker[0] == item_id else None,
        state_reason=(f.get("resolution") or {}).get("name"),
        assignee=person.get("accountId") or person.get("name"),
        due=date.fromisoformat(f["duedate"]) if f.get("duedate") else None,
        labels=visible_labels(labels, item_id),
        updated_at=jira_time(f.get("updated")),
        closed_at=jira_time(f.get("resolutiondate")),
        parent=(f.get("parent") or {}).get("key"),  # Cloud; Data Center's Epic Link is not read
    )


def labels_of(draft: IssueDraft) -> list[str]:
    chosen = (re.sub(r"\s+", "-", lbl.strip()) for lbl in draft.labels)
    wanted = ["pmsync", *(lbl for lbl in chosen if not reserved_label(lbl))]
    wanted.append(id_label(draft.item_id))
    return list(dict.fromkeys(lbl for lbl in wanted if lbl))


def summary_of(title: str) -> str:
    one_line = " ".join(title.split()) or "(untitled action item)"
    return one_line if len(one_line) <= 255 else one_line[:254] + "…"


def jira_time(value: Any) -> datetime | None:
    """Jira's 2021-01-17T12:34:00.000+0000."""
    if not value:
        return None
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from Retry-After (seconds or an HTTP date), else from X-RateLimit-Reset."""
    value = headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    reset = headers.get("X-RateLimit-Reset")
    if reset:
        try:
            when = datetime.fromisoformat(reset.replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    return None


# JQL reads a date in the time zone of the user's profile, which no free answer tells
# (neither the server's zone nor UTC is it). UTC offsets run from -12 h to +14 h.
EARLIEST_OFFSET = timedelta(hours=-12)


def jql_lower_bound(since: datetime) -> str:
    """A JQL date no later than `since` in any user's time zone: `since` in UTC moved by
    the earliest offset. The listing is ordered newest first and stops at the first
    issue older than `since` (`older_than`), so the wider window costs no request."""
    moment = since if since.tzinfo else since.replace(tzinfo=timezone.utc)
    return f"{moment.astimezone(timezone.utc) + EARLIEST_OFFSET:%Y-%m-%d %H:%M}"


def older_than(updated: datetime | None, since: datetime) -> bool:
    if updated is None:
        return False
    moment = since if since.tzinfo else since.replace(tzinfo=timezone.utc)
    return updated < moment

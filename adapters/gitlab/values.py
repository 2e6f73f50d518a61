"""GitLab issue documents ↔ pmsync values, and the grammar of references to GitLab issues
written in postmortems (`group/project#12`, issue URLs on the configured host). Pure."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from pmsync.adapters.base import read_marker
from pmsync.model import IssueDraft, IssueRef, RemoteIssue

TRACKER = "gitlab"
TRACKING_LABEL = "pmsync"  # every issue (and epic) pmsync creates carries it; listings filter on it
PAGE = 100  # GitLab's largest page
_KEY = re.compile(r"^([\w.-]+(?:/[\w.-]+)+)#(\d+)$")
# A group epic, in GitLab's own reference form: `group/subgroup&5` (a top group too).
_EPIC_KEY = re.compile(r"^([\w.-]+(?:/[\w.-]+)*)&(\d+)$")
_URL = re.compile(r"^(https?://[^/\s]+(?::\d+)?)/([\w.-]+(?:/[\w.-]+)+?)(?:/-)?/issues/(\d+)\b")
# Access levels (GitLab's Members API). pmsync needs Reporter, or Planner (GitLab 17.7+,
# below Reporter in number, with the same rights on issues): a lower role's labels,
# assignees and due dates are dropped, and it edits and closes only its own issues.
PLANNER, REPORTER = 15, 20
ROLES = {10: "Guest", 15: "Planner", 20: "Reporter", 30: "Developer", 40: "Maintainer",
         50: "Owner"}  # fmt: skip


def project_id(path: str) -> str:
    """A project path as GitLab's API takes it in a URL: `group%2Fsub%2Fproject`."""
    return quote(path, safe="")


def issue_path(path: str, iid: int) -> str:
    """An issue's API path: `/projects/group%2Fproject/issues/12`."""
    return f"/projects/{project_id(path)}/issues/{iid}"


def issue_key(path: str, iid: int | str) -> str:
    return f"{path}#{iid}"


def parse_key(key: str) -> tuple[str, int]:
    match = _KEY.match(key)
    if not match:
        raise ValueError(f"not a GitLab issue key: {key!r}")
    return match.group(1), int(match.group(2))


def epic_key(group: str, iid: int | str) -> str:
    return f"{group}&{iid}"


def is_epic_key(key: str) -> bool:
    return _EPIC_KEY.match(key) is not None


def parse_epic_key(key: str) -> tuple[str, int]:
    match = _EPIC_KEY.match(key)
    if not match:
        raise ValueError(f"not a GitLab epic key: {key!r}")
    return match.group(1), int(match.group(2))


def group_of(project: str) -> str:
    """The namespace a project lives in: `acme/platform` for `acme/platform/ops`."""
    return project.rsplit("/", 1)[0]


def issue_url(web: str, path: str, iid: int | str) -> str:
    return f"{web.rstrip('/')}/{path}/-/issues/{iid}"


def parse_reference(text: str, web: str, project: str | None) -> IssueRef | None:
    """A reference to a GitLab issue on the instance at `web`: `group/project#12`, or an
    issue URL on that host. `project` (when set) keeps only references into it."""
    text = text.strip()
    found = _KEY.match(text)
    path, iid = (found.group(1), found.group(2)) if found else (None, None)
    url = _URL.match(text)
    if url and _same_host(url.group(1), web):
        path, iid = url.group(2), url.group(3)
    if path is None or iid is None:
        return None
    if project and path.casefold() != project.casefold():
        return None
    return IssueRef(TRACKER, issue_key(path, iid), issue_url(web, path, iid))


def _same_host(found: str, web: str) -> bool:
    return urlsplit(found).netloc.casefold() == urlsplit(web).netloc.casefold()


def parse_time(text: Any) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def to_remote(data: Mapping[str, Any]) -> RemoteIssue:
    """A GitLab issue document as a RemoteIssue (item id and hash from the marker)."""
    full = str((data.get("references") or {}).get("full") or "")
    path = full.rsplit("#", 1)[0] if "#" in full else _path_of(str(data.get("web_url", "")))
    assignees = data.get("assignees") or []
    assignee = data.get("assignee") or (assignees[0] if assignees else None) or {}
    return dataclasses.replace(
        _remote(data, issue_key(path, data["iid"])),
        state_reason="moved" if data.get("moved_to_id") else None,
        assignee=assignee.get("username"),
        due=date.fromisoformat(data["due_date"]) if data.get("due_date") else None,
        parent=_epic_of(data.get("epic")),
    )


def _epic_of(epic: Any) -> str | None:
    """The key of the epic an issue is in, from the summary GitLab Premium adds to it
    (`url`: `/groups/acme/platform/-/epics/5`); None outside one, or on GitLab Free."""
    if not isinstance(epic, Mapping) or not epic.get("iid") or not epic.get("url"):
        return None
    return epic_key(_group_of_epic(str(epic["url"])), epic["iid"])


def epic_to_remote(data: Mapping[str, Any]) -> RemoteIssue:
    """A GitLab epic document as a RemoteIssue: a parent, its key `group&iid`."""
    full = str((data.get("references") or {}).get("full") or "")
    group = full.rsplit("&", 1)[0] if "&" in full else _group_of_epic(str(data.get("web_url")))
    return _remote(data, epic_key(group, data["iid"]))


def _remote(data: Mapping[str, Any], key: str) -> RemoteIssue:
    """What issues and epics say alike: title, state, body and its marker, labels, times."""
    body = data.get("description")
    marker = read_marker(body)
    return RemoteIssue(
        ref=IssueRef(TRACKER, key, str(data.get("web_url", "")), id=str(data.get("id", ""))),
        title=str(data.get("title", "")),
        state="closed" if data.get("state") == "closed" else "open",
        body=body,
        item_id=marker[0] if marker else None,
        content_hash=marker[1] if marker else None,
        labels=tuple(str(name) for name in data.get("labels") or ()),
        updated_at=parse_time(data.get("updated_at")),
        closed_at=parse_time(data.get("closed_at")),
    )


def _group_of_epic(web_url: str) -> str:
    """`group/sub` from `https://host/groups/group/sub/-/epics/5`."""
    path = urlsplit(web_url).path.strip("/").removeprefix("groups/")
    return path.split("/-/", 1)[0]


def _path_of(web_url: str) -> str:
    """`group/project` from `https://host/group/project/-/issues/12`."""
    path = urlsplit(web_url).path.strip("/")
    return path.split("/-/", 1)[0].rsplit("/issues/", 1)[0]


def wanted_labels(draft: IssueDraft, priority_label: str) -> list[str]:
    """The draft's labels plus its priority label (`priority::P1` by default)."""
    labels = list(draft.labels)
    if draft.priority and priority_label:
        labels.append(priority_label.format(priority=draft.priority))
    return list(dict.fromkeys(labels))


def merged_labels(wanted: Sequence[str], current: Sequence[str], priority_label: str) -> list[str]:
    """`wanted` plus the labels people added, minus pmsync's former priority label (a
    scoped label holds one value; an unscoped template is matched by its prefix)."""
    prefix = _priority_prefix(priority_label)
    kept = [n for n in current if not (prefix and n.startswith(prefix) and n not in wanted)]
    return list(dict.fromkeys([*wanted, *kept]))


def _priority_prefix(template: str) -> str:
    return template.split("{priority}", 1)[0] if "{priority}" in template else ""


def dropped(asked: Mapping[str, Any], data: Mapping[str, Any], path: str) -> list[str]:
    """Warnings for what GitLab silently left out of a created issue: a Guest's labels,
    assignee, due date and confidentiality are dropped without an error."""
    lost = []
    if set(asked.get("labels") or ()) - set(data.get("labels") or ()):
        lost.append("labels")
    if asked.get("assignee_ids") and not data.get("assignees"):
        lost.append("assignee")
    if asked.get("due_date") and not data.get("due_date"):
        lost.append("due date")
    if asked.get("confidential") and not data.get("confidential"):
        lost.append("confidentiality")
    if not lost:
        return []
    return [
        f"GitLab dropped the {', '.join(lost)} of {data.get('web_url', 'the issue')}: the "
        f"token's user needs at least the Reporter role in {path}"
    ]


def access_level(project: Mapping[str, Any]) -> int | None:
    """The token user's highest access level in a project (project or group membership)."""
    permissions = project.get("permissions") or {}
    levels = [int(a["access_level"]) for a in (permissions.get("project_access"),
              permissions.get("group_access")) if isinstance(a, dict)]  # fmt: skip
    return max(levels) if levels else None

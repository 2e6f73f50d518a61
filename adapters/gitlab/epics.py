"""Group epics as postmortem parents (`gitlab.parent_kind`): whether a project's group
offers them, and an epic's create, read, update, close, reopen and listing. An item
joins its epic through the issue's own `epic_id`: in its create, or one PUT.

Epics need GitLab Premium or Ultimate and a project in a group: GitLab answers 403 where
the licence lacks them and 404 for a namespace that is no group (a user's). Which kind a
new parent is costs one request per group, made only when a parent is created or looked
for; an existing parent's kind is its key's (`group&5` an epic, `group/project#5` an
issue). The epic's description carries pmsync's block and marker as an issue's does, and
its labels the tracking label, so a lost state or a lost answer finds it by listing the
group's epics. GitLab deprecated this REST API in 17.0 (the Work Items API replaces it)
but still serves it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING, Any

from pmsync.adapters.base import (
    CLOSE_MARKER,
    neutralize,
    render_block,
    split_outside,
    wrap_block,
)
from pmsync.adapters.gitlab.client import Forbidden
from pmsync.adapters.gitlab.values import (
    PAGE,
    TRACKING_LABEL,
    epic_to_remote,
    group_of,
    issue_path,
    parse_epic_key,
    parse_key,
    project_id,
)
from pmsync.errors import ConfigError, NotFound
from pmsync.model import IssueDraft, IssueRef, RemoteIssue

if TYPE_CHECKING:
    from pmsync.adapters.gitlab.client import GitLabClient
    from pmsync.adapters.gitlab.config import GitLabConfig

NO_EPICS = (
    "gitlab.parent_kind is epic, but group {group} (of {project}) offers no epics (GitLab "
    "Premium or Ultimate, and a project in a group): set gitlab.parent_kind: auto or issue"
)
NO_RIGHT = (
    "GitLab refused to create an epic in group {group} (HTTP 403): the token's user needs "
    "the Reporter role (or Planner) in the group"
)


def offers_epics(client: GitLabClient, group: str) -> bool:
    """One request: does `group` answer for its epics (a group, licensed for them)?"""
    try:
        client.get(f"look for epics in group {group}", _epics_url(group), {"per_page": 1})
    except (NotFound, Forbidden):
        return False
    return True


class Epics:
    """The epics of the groups a run's projects live in. One instance per run."""

    def __init__(self, config: GitLabConfig, client: GitLabClient) -> None:
        self.config = config
        self.client = client
        self._offered: dict[str, bool] = {}  # group path → it answers for its epics
        # epic key → its description as last read or written in this run: people's text
        # around the block, kept by an update with no read more (as an issue's memo is)
        self._texts: dict[str, str | None] = {}

    def wanted(self, project: str) -> bool:
        """Whether a new parent in `project` is an epic (asks its group once a run).
        `parent_kind: epic` where there are none is a config error."""
        if self.config.parent_kind == "issue":
            return False
        group = group_of(project)
        if group not in self._offered:
            self._offered[group] = offers_epics(self.client, group)
        if not self._offered[group] and self.config.parent_kind == "epic":
            raise ConfigError(NO_EPICS.format(group=group, project=project))
        return self._offered[group]

    def listing(self, project: str) -> Iterator[RemoteIssue]:
        """The group's epics carrying the tracking label, oldest first, in its own group
        only; nothing where the group has no epics (that answer is kept for the run)."""
        group = group_of(project)
        if self.config.parent_kind == "issue" or self._offered.get(group) is False:
            return
        params = {"labels": TRACKING_LABEL, "state": "all", "per_page": PAGE,
                  "order_by": "created_at", "sort": "asc",
                  "include_descendant_groups": "false"}  # fmt: skip
        try:
            for data in self.client.pages(f"list epics of {group}", _epics_url(group), params):
                yield self._seen(data)
        except (NotFound, Forbidden):
            self._offered[group] = False
            return
        self._offered[group] = True

    # --- the epic itself ---------------------------------------------------------------

    def create(self, draft: IssueDraft, project: str) -> tuple[RemoteIssue | None, list[str]]:
        """The epic and warnings; None where GitLab refused it (403: a project member
        who is not one of the group's) under `auto`, which then makes a parent issue."""
        group = group_of(project)
        try:
            data = self.client.post(f"create the epic for {draft.item_id}", _epics_url(group),
                                    self._payload(draft), create=True)  # fmt: skip
        except Forbidden:
            if self.config.parent_kind == "epic":
                raise ConfigError(f"{NO_RIGHT.format(group=group)}, or set "
                                  "gitlab.parent_kind: auto or issue") from None  # fmt: skip
            self._offered[group] = False
            return None, [f"{NO_RIGHT.format(group=group)}: a parent issue instead"]
        return self._seen(data), _unlabelled(data, group)

    def _payload(self, draft: IssueDraft) -> dict[str, Any]:
        labels = [*draft.labels, TRACKING_LABEL]
        payload: dict[str, Any] = {
            "title": draft.title,
            "description": render_block(draft.item_id, draft.content_hash, neutralize(draft.body)),
            "labels": ",".join(dict.fromkeys(labels)),  # a comma-separated string, as documented
        }
        if self.config.confidential or draft.confidential:
            payload["confidential"] = True
        return payload

    def get(self, ref: IssueRef) -> RemoteIssue | None:
        try:
            return self._seen(self._read(ref))
        except NotFound:
            return None

    def update(self, ref: IssueRef, draft: IssueDraft, fields: Collection[str]) -> RemoteIssue:
        """One PUT, after a read of the epic unless this run read or wrote it already
        (people's text around the block is kept)."""
        payload: dict[str, Any] = {}
        if "title" in fields:
            payload["title"] = draft.title
        if "body" in fields:
            if ref.key not in self._texts:
                self._seen(self._read(ref))
            block = render_block(draft.item_id, draft.content_hash, neutralize(draft.body))
            payload["description"] = wrap_block(split_outside(self._texts[ref.key]), block)
        if not payload:
            return self._seen(self._read(ref))
        return self._seen(self.client.put(f"update {ref.key}", _epic_url(ref), payload))

    def close(self, ref: IssueRef, comment: str) -> RemoteIssue:
        """A note (once: a re-run after a failed close finds it among the newest), then
        close. Closing a closed epic succeeds."""
        notes = self._notes_url(ref)
        params = {"sort": "desc", "order_by": "created_at", "per_page": PAGE}
        found = self.client.get(f"read the notes of {ref.key}", notes, params) or []
        if not any(CLOSE_MARKER in str(note.get("body") or "") for note in found):
            body = {"body": f"{comment}\n\n{CLOSE_MARKER}"}
            self.client.post(f"comment on {ref.key}", notes, body)
        data = self.client.put(f"close {ref.key}", _epic_url(ref), {"state_event": "close"})
        return self._seen(data)

    def reopen(self, ref: IssueRef, comment: str) -> RemoteIssue:
        self.client.post(f"comment on {ref.key}", self._notes_url(ref), {"body": comment})
        data = self.client.put(f"reopen {ref.key}", _epic_url(ref), {"state_event": "reopen"})
        return self._seen(data)

    # --- children ----------------------------------------------------------------------

    def link(self, epic: IssueRef, child: IssueRef) -> bool:
        """One PUT of the issue's `epic_id`; setting it again changes nothing."""
        path, iid = parse_key(child.key)
        body = {"epic_id": self.id_of(epic)}
        self.client.put(f"put {child.key} in {epic.key}", issue_path(path, iid), body)
        return True

    def id_of(self, epic: IssueRef) -> int:
        """The epic's global id (what `epic_id` and the notes take): recorded with its
        ref, else read once."""
        return int(epic.id) if epic.id.isdigit() else int(self._read(epic)["id"])

    def _seen(self, data: dict[str, Any]) -> RemoteIssue:
        epic = epic_to_remote(data)
        self._texts[epic.ref.key] = epic.body
        return epic

    def _read(self, ref: IssueRef) -> dict[str, Any]:
        data: dict[str, Any] = self.client.get(f"read {ref.key}", _epic_url(ref))
        return data

    def _notes_url(self, ref: IssueRef) -> str:
        group, _ = parse_epic_key(ref.key)
        return f"{_epics_url(group)}/{self.id_of(ref)}/notes"  # by id, not iid (GitLab's)


def _unlabelled(data: dict[str, Any], group: str) -> list[str]:
    """GitLab drops a label it may not create in the group: the epic could not be found
    again by it after a lost state."""
    if TRACKING_LABEL in (data.get("labels") or []):
        return []
    return [f"GitLab dropped the label {TRACKING_LABEL!r} of epic {data.get('web_url')}: create "
            f"it in group {group}, or a lost state will not find the epic"]  # fmt: skip


def _epics_url(group: str) -> str:
    return f"/groups/{project_id(group)}/epics"


def _epic_url(ref: IssueRef) -> str:
    group, iid = parse_epic_key(ref.key)
    return f"{_epics_url(group)}/{iid}"

"""The GitLab tracker: issues of one or more projects (GitLab.com or self-managed).

Identity lives in GitLab itself: every issue pmsync creates carries the label `pmsync`
and, in its description, pmsync's hidden marker block. Text people write around the block
is kept on update: the project's memo (adapters/edits.py) holds it between runs. Due dates are
GitLab's native `due_date`; the priority is a label (`priority::P1` by default); owners
become assignees through `people` (username → user id, looked up once a run).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, ClassVar

from pmsync.adapters.base import (
    CLOSE_MARKER,
    Memo,
    RetryPolicy,
    neutralize,
    render_block,
    split_outside,
    wrap_block,
)
from pmsync.adapters.edits import EditMemos
from pmsync.adapters.gitlab.client import GitLabClient
from pmsync.adapters.gitlab.config import GitLabConfig
from pmsync.adapters.gitlab.epics import Epics
from pmsync.adapters.gitlab.values import (
    PAGE,
    TRACKING_LABEL,
    dropped,
    is_epic_key,
    issue_path,
    merged_labels,
    parse_key,
    project_id,
    to_remote,
    wanted_labels,
)
from pmsync.errors import AuthError, ConfigError, NotFound, RateLimited, TrackerError
from pmsync.model import Created, Failed, IssueDraft, IssueRef, RemoteIssue


def connect(config: GitLabConfig, env: Mapping[str, str], policy: RetryPolicy) -> GitLabTracker:
    """A tracker for `config`; the token comes from `env[config.token_env]` only. Makes
    no request."""
    token = env.get(config.token_env, "").strip()
    if not token:
        raise ConfigError(
            f"no GitLab token: set the environment variable ${config.token_env} "
            "(gitlab.token_env) to a personal, group or project access token with the "
            "`api` scope"
        )
    import gitlab  # here, not at module level: `pmsync --help` must not load it
    import requests

    gl = gitlab.Gitlab(
        config.url.rstrip("/"),
        private_token=token,
        session=requests.Session(),
        retry_transient_errors=False,  # a POST after a 5xx must never be re-sent
        per_page=PAGE,
        timeout=30,
        keep_base_url=True,  # follow pages on the configured URL, not GitLab's external_url
    )
    client = GitLabClient(
        gl,
        errors=(gitlab.exceptions.GitlabError, requests.RequestException),
        policy=dataclasses.replace(policy, writes_per_minute=0),
        create_policy=dataclasses.replace(policy, writes_per_minute=config.creates_per_minute),
        token_env=config.token_env,
    )
    return GitLabTracker(config, client)


class GitLabTracker:
    """GitLab issues through REST v4. One instance per run: user ids are cached."""

    name: ClassVar[str] = "gitlab"
    max_batch: ClassVar[int] = 1

    def __init__(self, config: GitLabConfig, client: GitLabClient) -> None:
        self.config = config
        self.client = client
        self._user_ids: dict[str, int | None] = {}  # username → id (None: no such user)
        self.edits = EditMemos(self._listing)  # per project
        self.epics = Epics(config, client)  # postmortem parents as group epics
        self._container: str | None = None  # the project of the group being pushed

    # --- the memo the state keeps per project -----------------------------------------

    def recall(self, container: str, memo: Memo) -> None:
        self._container = container
        self.edits.recall(container, memo)

    def memo(self, container: str) -> Memo:
        return self.edits.dump(container)

    def settle(self, container: str, started: datetime) -> None:
        """A push that started at `started` ended: people's edits before it are known.
        After many writes, read them back now (one request per 100) so the next push's
        listing of edits does not return pmsync's own writes."""
        self.edits.settle(container, started)

    # --- reads ------------------------------------------------------------------------

    def list_managed(self, container: str, since: datetime | None = None) -> Iterator[RemoteIssue]:
        """Every pmsync issue of project `container`, 100 a page, oldest first (issues
        created while the pages are read land on the last page); with `since`, only
        those updated at or after it. A moved issue stays in the listing as GitLab keeps
        it (closed, `moved_to_id`), reported closed with the reason "moved"."""
        return self._listing(container or self._project(), since)

    def _listing(self, path: str, since: datetime | None) -> Iterator[RemoteIssue]:
        """The listing; the text people keep around each issue's block is noted."""
        memo = self.edits.of(path)
        params: dict[str, Any] = {"labels": TRACKING_LABEL, "state": "all", "per_page": PAGE,
                                  "order_by": "created_at", "sort": "asc"}  # fmt: skip
        if since is not None:
            params["updated_after"] = _utc(since)
        url = f"/projects/{project_id(path)}/issues"
        try:
            for data in self.client.pages(f"list issues of {path}", url, params):
                issue = to_remote(data)
                memo.note(issue.ref.key, issue.body)
                yield issue
        except NotFound:
            raise self._missing(path) from None

    def list_parents(self, container: str) -> Iterator[RemoteIssue]:
        """The parents kept apart from the project's issues: its group's epics (one
        listing; none where the group has no epics or `parent_kind` is issue)."""
        return self.epics.listing(container or self._project())

    def get(self, ref: IssueRef) -> RemoteIssue | None:
        if is_epic_key(ref.key):
            return self.epics.get(ref)
        path, iid = parse_key(ref.key)
        try:
            data = self.client.get(f"read {ref.key}", issue_path(path, iid))
        except NotFound:
            return None
        if data.get("moved_to_id"):
            return None
        issue = to_remote(data)
        self.edits.of(path).note(issue.ref.key, issue.body)
        return issue

    # --- writes -----------------------------------------------------------------------

    def create(self, drafts: Sequence[IssueDraft]) -> list[Created | Failed]:
        results: list[Created | Failed] = []
        for draft in drafts:
            try:
                results.append(self._create_one(draft, draft.container or self._project()))
            except (AuthError, RateLimited):
                raise  # the run cannot go on: stop it cleanly
            except TrackerError as exc:
                results.append(Failed(draft.item_id, str(exc), maybe_applied=exc.maybe_applied))
        return results

    def _create_one(self, draft: IssueDraft, path: str) -> Created:
        """One issue, or a parent's epic where new parents are epics (see epics.py)."""
        refused: list[str] = []
        if draft.kind == "parent" and self.epics.wanted(path):
            epic, refused = self.epics.create(draft, path)
            if epic is not None:
                return Created(draft.item_id, epic, tuple(refused))
        payload = self._create_payload(draft)
        data = self.client.post(f"create the issue for {draft.item_id}",
                                f"/projects/{project_id(path)}/issues", payload,
                                create=True)  # fmt: skip
        issue = self._wrote(path, data)
        warnings = [*refused, *self._unknown_assignee(draft), *dropped(payload, data, path),
                    *self._linked_after(draft.parent, issue.ref)]  # fmt: skip
        return Created(draft.item_id, issue, tuple(warnings))

    def _linked_after(self, parent: IssueRef | None, child: IssueRef) -> list[str]:
        """A draft named under a parent issue (not an epic, which `epic_id` joined in the
        create): linked now, as `links_on_create` promised (a parent made before epics)."""
        if parent is None or is_epic_key(parent.key):
            return []
        try:
            self.link_child(parent, child)
        except TrackerError as exc:
            return [f"{child.key} was created but not linked to {parent.key}: {exc}"]
        return []

    def _create_payload(self, draft: IssueDraft) -> dict[str, Any]:
        body = render_block(draft.item_id, draft.content_hash, neutralize(draft.body))
        labels = [*wanted_labels(draft, self.config.priority_label), TRACKING_LABEL]
        payload: dict[str, Any] = {"title": draft.title, "description": body,
                                   "labels": list(dict.fromkeys(labels))}  # fmt: skip
        if draft.due:
            payload["due_date"] = draft.due.isoformat()
        user_id = self._user_id(draft.assignee)
        if user_id is not None:
            payload["assignee_ids"] = [user_id]
        if self.config.confidential or draft.confidential:
            payload["confidential"] = True
        if draft.parent is not None and is_epic_key(draft.parent.key):
            payload["epic_id"] = self.epics.id_of(draft.parent)  # created in its epic
        return payload

    def update(self, ref: IssueRef, draft: IssueDraft, fields: Collection[str]) -> RemoteIssue:
        """One PUT with what changed. People's text around pmsync's block comes from the
        project's memo (after one listing of the issues edited since the last push), else
        from a GET of the issue, which labels need too (people's labels are kept)."""
        if is_epic_key(ref.key):
            return self.epics.update(ref, draft, fields)
        path, iid = parse_key(ref.key)
        outside = self._known(path, ref) if "body" in fields else None
        current: dict[str, Any] | None = None
        if ("body" in fields and outside is None) or {"labels", "priority"} & set(fields):
            current = self.client.get(f"read {ref.key}", issue_path(path, iid))
            outside = outside if outside is not None else split_outside(current.get("description"))
        payload = self._update_payload(draft, fields, outside, current)
        if not payload:
            found = self.get(ref)
            if found is None:
                raise NotFound(f"GitLab: {ref.key} is gone or was moved")
            return found
        data = self.client.put(f"update {ref.key}", issue_path(path, iid), payload)
        return self._wrote(path, data)

    def _wrote(self, path: str, data: Mapping[str, Any]) -> RemoteIssue:
        """An issue as GitLab answered a write: counted, its text noted, its stamp taken
        as a bound of the clock skew."""
        issue = to_remote(data)
        self.edits.of(path).wrote(issue.ref.key, issue.body, issue.updated_at)
        return issue

    def _known(self, path: str, ref: IssueRef) -> tuple[str, str] | None:
        """People's text around the block of `ref` as the memo knows it, after reading
        the issues edited since the last push once; None without a memo (read it)."""
        return self.edits.around(path, ref.key)

    def _update_payload(self, draft: IssueDraft, fields: Collection[str],
                        outside: tuple[str, str] | None,
                        current: dict[str, Any] | None) -> dict[str, Any]:  # fmt: skip
        payload: dict[str, Any] = {}
        if "title" in fields:
            payload["title"] = draft.title
        if "body" in fields:
            block = render_block(draft.item_id, draft.content_hash, neutralize(draft.body))
            payload["description"] = wrap_block(outside or ("", ""), block)
        if current is not None and {"labels", "priority"} & set(fields):
            wanted = [*wanted_labels(draft, self.config.priority_label), TRACKING_LABEL]
            labels = merged_labels(wanted, current.get("labels") or [], self.config.priority_label)
            if labels != list(current.get("labels") or []):
                payload["labels"] = labels
        if "assignee" in fields:
            user_id = self._user_id(draft.assignee)
            payload["assignee_ids"] = [user_id] if user_id is not None else []
        if "due" in fields:
            payload["due_date"] = draft.due.isoformat() if draft.due else ""  # "" clears it
        return payload

    def close(self, ref: IssueRef, comment: str) -> RemoteIssue:
        """A note (once: a re-run after a failed close finds it by its marker among the
        newest notes), then close. Closing a closed issue succeeds."""
        if is_epic_key(ref.key):
            return self.epics.close(ref, comment)
        path, iid = parse_key(ref.key)
        url = issue_path(path, iid)
        if not self._closing_noted(ref.key, url):
            body = {"body": f"{comment}\n\n{CLOSE_MARKER}"}
            self.client.post(f"comment on {ref.key}", f"{url}/notes", body)
        data = self.client.put(f"close {ref.key}", url, {"state_event": "close"})
        return self._wrote(path, data)

    def _closing_noted(self, key: str, url: str) -> bool:
        """One page of the newest notes: a closing note left by a failed close is among
        them unless a hundred notes came after it (then a second one does little harm)."""
        params = {"sort": "desc", "order_by": "created_at", "per_page": PAGE}
        notes = self.client.get(f"read the notes of {key}", f"{url}/notes", params)
        return any(CLOSE_MARKER in str(note.get("body") or "") for note in notes or [])

    def reopen(self, ref: IssueRef, comment: str) -> RemoteIssue:
        """A note, then reopen. Reopening an open issue succeeds."""
        if is_epic_key(ref.key):
            return self.epics.reopen(ref, comment)
        path, iid = parse_key(ref.key)
        url = issue_path(path, iid)
        self.client.post(f"comment on {ref.key}", f"{url}/notes", {"body": comment})
        data = self.client.put(f"reopen {ref.key}", url, {"state_event": "reopen"})
        return self._wrote(path, data)

    def comment(self, ref: IssueRef, text: str, mention: str | None) -> None:
        """A note (`pmsync remind`); `mention` is a GitLab username, notified by `@`."""
        path, iid = parse_key(ref.key)
        body = f"@{mention.lstrip('@')} {text}" if mention else text
        self.client.post(f"comment on {ref.key}", f"{issue_path(path, iid)}/notes", {"body": body})

    @property
    def links_on_create(self) -> bool:
        """True where new parents are epics: an item is created in its epic (`epic_id`)
        at no request more. Asks the project's group once a run (epics.py)."""
        project = self._container or self.config.project
        return project is not None and self.epics.wanted(project)

    def link_child(self, parent: IssueRef, child: IssueRef) -> bool:
        """Into an epic: one PUT of the child's `epic_id`. Under a parent issue: a
        "relates_to" issue link from the parent to the child, one POST; linked already
        (GitLab answers 409): read the parent's links, and it is fine if there."""
        if is_epic_key(parent.key):
            return self.epics.link(parent, child)
        path, iid = parse_key(parent.key)
        child_path, child_iid = parse_key(child.key)
        body = {"target_project_id": child_path, "target_issue_iid": str(child_iid),
                "link_type": "relates_to"}  # fmt: skip
        url = f"{issue_path(path, iid)}/links"
        what = f"link {child.key} to {parent.key}"
        try:
            self.client.post(what, url, body)
        except TrackerError as exc:
            if exc.transient or exc.maybe_applied or isinstance(exc, (AuthError, NotFound)):
                raise
            linked = self.client.get(f"read the links of {parent.key}", url) or []
            if not any(int(i.get("iid", 0)) == child_iid for i in linked):
                raise
        return True

    # --- people -----------------------------------------------------------------------

    def _user_id(self, username: str | None) -> int | None:
        """The id of a GitLab username, looked up once a run (None: no such user)."""
        if not username:
            return None
        name = username.lstrip("@")
        if name.casefold() not in self._user_ids:
            found = self.client.get(f"look up GitLab user {name}", "/users", {"username": name})
            match = next((u for u in found or [] if str(u.get("username")).casefold()
                          == name.casefold()), None)  # fmt: skip
            self._user_ids[name.casefold()] = int(match["id"]) if match else None
        return self._user_ids[name.casefold()]

    def _unknown_assignee(self, draft: IssueDraft) -> list[str]:
        if draft.assignee and self._user_id(draft.assignee) is None:
            return [f"GitLab has no user {draft.assignee!r} (from `people`): left unassigned"]
        return []

    def _missing(self, path: str) -> NotFound:
        setting = "gitlab.project" if path == self.config.project else "front matter gitlab_project"
        return NotFound(
            f"GitLab project {path} ({setting}) does not exist on {self.config.url} or the "
            f"token in ${self.config.token_env} cannot see it"
        )

    def _project(self) -> str:
        if not self.config.project:
            raise ConfigError("gitlab.project is not set (e.g. project: acme/platform/ops)")
        return self.config.project


def _utc(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    # Milliseconds, as GitLab stamps: a `since` cut to the second would list again
    # every write of that second.
    return aware.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")

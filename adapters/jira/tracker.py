"""Jira adapter (Cloud and Data Center) through the `jira` client library.

Identity lives in Jira itself: every issue carries the labels `pmsync` and
`pmsync-id-<item id>` (found again by JQL; see `values.label_item`), and its
description ends with the marker paragraph `pmsync item <id> · rev <content hash>`.
Cloud speaks REST v3 (descriptions in Atlassian Document Format, search through
`/search/jql` with `nextPageToken`), Data Center REST v2 (wiki markup, classic `/search`
with `startAt`); which one is read once from `serverInfo`. Creates go through
`/issue/bulk`, 50 a request. A full listing catches up with the lagging search index by
reading the newest issues by key (`lag.py`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from pmsync.adapters.base import Memo, RetryPolicy, chunks
from pmsync.adapters.jira.adf import markdown_to_adf, markdown_to_wiki, plain_text
from pmsync.adapters.jira.block import merge_description
from pmsync.adapters.jira.client import JiraClient, library
from pmsync.adapters.jira.config import JiraConfig
from pmsync.adapters.jira.lag import key_number, newest_query, unindexed
from pmsync.adapters.jira.parents import EpicFields, child_fields, epic_fields, parent_fields
from pmsync.adapters.jira.values import (
    draft_fields,
    issue_ref,
    jql_lower_bound,
    older_than,
    project_key,
    to_remote,
    visible_labels,
)
from pmsync.errors import AuthError, ConfigError, NotFound, RateLimited, TrackerError
from pmsync.model import Created, Failed, IssueDraft, IssueRef, RemoteIssue

# The last line of the comment pmsync leaves when it closes an issue (Jira comments have
# no hidden text): a re-run whose transition failed after the comment finds it.
CLOSE_MARKER = "(closed by pmsync)"

# --- connect ------------------------------------------------------------------------------

FIELDS = ("summary", "description", "labels", "duedate", "priority", "assignee", "status",
          "resolution", "resolutiondate", "updated", "created", "parent")  # fmt: skip
PAGE = 100


def connect(config: JiraConfig, env: Mapping[str, str], policy: RetryPolicy) -> JiraTracker:
    """A tracker for `config`; credentials come from the environment variables it names.
    Makes no request: the flavour (Cloud or Data Center) is read once, on first use."""
    if not config.url:
        raise ConfigError("jira.url is not set in the config (e.g. https://acme.atlassian.net)")
    names = [config.email_env, config.token_env] if config.auth == "basic" else [config.token_env]
    missing = [name for name in names if not env.get(name)]
    if missing:
        what = "email and API token" if config.auth == "basic" else "personal access token"
        raise ConfigError(
            f"environment variable {' and '.join(missing)} is not set: jira.auth is "
            f"{config.auth}, which needs the Jira {what} in {' and '.join(names)}"
        )
    return JiraTracker(config, JiraClient(config, policy, library(config, env)))


# --- the tracker --------------------------------------------------------------------------


class JiraTracker:
    name: ClassVar[str] = "jira"
    max_batch: ClassVar[int] = 50

    def __init__(self, config: JiraConfig, client: JiraClient) -> None:
        self._config = config
        self.client = client
        self._descriptions: dict[str, Any] = {}  # key → description read by prefetch()
        self._epics: EpicFields | None = None  # Data Center: read once, when needed

    @property
    def cloud(self) -> bool:
        return self.client.cloud

    # --- the memo the state keeps per project: nothing (no conditional requests; people's
    # text around pmsync's block is read just before an update, see `prefetch`) ---------
    def recall(self, container: str, memo: Memo) -> None:
        pass

    def memo(self, container: str) -> Memo:
        return {}

    def settle(self, container: str, started: datetime) -> None:
        pass

    # --- reads --------------------------------------------------------------------------
    def list_managed(self, container: str, since: datetime | None = None) -> Iterator[RemoteIssue]:
        self.client.ready()
        project = project_key(container or self._config.project or "")
        jql = f"project = {project} AND labels = pmsync"
        if since is not None:
            jql += f' AND updated >= "{jql_lower_bound(since)}"'
        jql += " ORDER BY updated DESC"
        # The index lags behind creates: a full listing also reads by key what came
        # after the newest indexed issue, found before the listing (see lag.py).
        newest = self._newest_indexed(project) if since is None else None
        pages = self._pages_cloud(jql) if self.cloud else self._pages_classic(jql)
        seen: set[str] = set()
        for page in pages:
            fresh = [raw for raw in page if raw.get("key") not in seen]
            seen.update(str(raw.get("key")) for raw in fresh)
            for remote in (to_remote(self.client.base, raw) for raw in fresh):
                if since is not None and older_than(remote.updated_at, since):
                    # JQL compares `updated` to the minute; ordered newest first, the
                    # first issue older than `since` ends what changed: stop paging.
                    return
                yield remote
        if newest is not None:
            yield from self._unindexed(project, newest, seen)

    def _newest_indexed(self, project: str) -> int:
        body = {"jql": newest_query(project), "maxResults": 1, "fields": ["created"]}
        page = self.client.rest("POST", "search/jql" if self.cloud else "search", body,
                          what="search issues")  # fmt: skip
        issues = page.get("issues") or []
        return key_number(str(issues[0]["key"])) if issues else 0

    def _unindexed(self, project: str, newest: int, seen: set[str]) -> Iterator[RemoteIssue]:
        def read(key: str) -> dict[str, Any]:
            params = {"fields": ",".join(FIELDS)}
            return dict(self.client.rest("GET", f"issue/{key}", params=params, what=f"read {key}"))

        for raw in unindexed(project, newest, read):
            remote = to_remote(self.client.base, raw)
            if raw["key"] not in seen and "pmsync" in (raw.get("fields") or {}).get("labels", []):
                yield remote

    def _pages_cloud(self, jql: str) -> Iterator[list[dict[str, Any]]]:
        body: dict[str, Any] = {"jql": jql, "fields": list(FIELDS), "maxResults": PAGE}
        while True:
            page = self.client.rest("POST", "search/jql", body, what="search issues")
            yield page.get("issues") or []
            token = page.get("nextPageToken")
            if page.get("isLast", not token) or not token:
                return
            body["nextPageToken"] = token

    def _pages_classic(self, jql: str) -> Iterator[list[dict[str, Any]]]:
        """startAt pages. An issue edited while the pages are read moves to the front of
        `updated DESC` and shifts the rest: repeats are dropped, and a listing that saw
        fewer issues than Jira counts raises rather than ending short."""
        start, seen = 0, set[str]()
        while True:
            body = {"jql": jql, "startAt": start, "maxResults": PAGE, "fields": list(FIELDS)}
            page = self.client.rest("POST", "search", body, what="search issues")
            issues = page.get("issues") or []
            yield [raw for raw in issues if raw.get("key") not in seen]
            seen.update(raw.get("key") for raw in issues)
            start += len(issues)  # the server may cap maxResults: trust what it sent
            total = int(page.get("total", 0))
            if not issues or start >= total:
                break
        if len(seen) < total:
            raise TrackerError(
                f"Jira search: issues changed while they were listed ({len(seen)} of "
                f"{total} read); run again",
                transient=True,
            )

    def get(self, ref: IssueRef) -> RemoteIssue | None:
        client = self.client.ready()
        try:
            issue = self.client.call(
                f"read {ref.key}", lambda: client.issue(ref.id or ref.key, fields=",".join(FIELDS))
            )
        except NotFound:
            return None
        return to_remote(self.client.base, issue.raw)

    # --- writes -------------------------------------------------------------------------
    def create(self, drafts: Sequence[IssueDraft]) -> list[Created | Failed]:
        self.client.ready()
        results: list[Created | Failed] = []
        for chunk in chunks(drafts, self.max_batch):  # the library does not split bulks
            results += self._create_chunk(chunk)
        return results

    def _create_chunk(self, drafts: Sequence[IssueDraft]) -> list[Created | Failed]:
        results: dict[int, Created | Failed] = {}
        sent: list[tuple[int, IssueDraft, dict[str, Any], tuple[str, ...]]] = []
        for n, draft in enumerate(drafts):
            try:
                fields, warnings = draft_fields(draft, self._config, self.cloud)
                fields.update(parent_fields(draft, self._config.parent_issue_type, self.cloud,
                                            self._epic_fields))  # fmt: skip
            except ConfigError as exc:
                results[n] = Failed(draft.item_id, str(exc))
                continue
            sent.append((n, draft, fields, warnings))
        if sent:
            for (n, draft, fields, warnings), outcome in zip(sent, self._bulk(sent), strict=True):
                results[n] = self._outcome(draft, fields, warnings, outcome)
        return [results[n] for n in range(len(drafts))]

    def _bulk(
        self, sent: list[tuple[int, IssueDraft, dict[str, Any], tuple[str, ...]]]
    ) -> list[Any]:
        field_list = [fields for _, _, fields, _ in sent]
        client = self.client.ready()
        try:
            # prefetch=False and project/issuetype given as objects: exactly one request
            out: list[Any] = self.client.call(
                f"create {len(field_list)} issues",
                lambda: client.create_issues(field_list, prefetch=False),
                write=True,
                post=True,
            )
            return out
        except (AuthError, RateLimited):
            raise
        except TrackerError as exc:
            return [exc] * len(sent)

    def _outcome(
        self, draft: IssueDraft, fields: dict[str, Any], warnings: tuple[str, ...], out: Any
    ) -> Created | Failed:
        if isinstance(out, TrackerError):
            # never re-posted: the engine reconciles through the pmsync-id-<id> label
            return Failed(draft.item_id, str(out), maybe_applied=out.maybe_applied)
        if out.get("status") != "Success":
            errors = out.get("error") or {}
            detail = "; ".join(f"{k}: {v}" for k, v in errors.items()) or "refused"
            return Failed(draft.item_id, f"Jira refused the issue: {detail}")
        raw = out["issue"].raw
        key, issue_id = str(raw["key"]), str(raw["id"])
        issue = RemoteIssue(
            ref=issue_ref(self.client.base, key, issue_id), title=fields["summary"], state="open",
            item_id=draft.item_id, content_hash=draft.content_hash,
            assignee=draft.assignee if "assignee" in fields else None,
            due=draft.due, labels=visible_labels(fields["labels"], draft.item_id),
        )  # fmt: skip
        return Created(draft.item_id, issue, warnings)

    def update(self, ref: IssueRef, draft: IssueDraft, fields: Collection[str]) -> RemoteIssue:
        """One PUT with the changed fields. Of the description only pmsync's block is
        replaced: the text people wrote around it, read just before (see `prefetch`), is
        kept, and an edited block is kept as their text."""
        self.client.ready()
        full, _ = draft_fields(draft, self._config, self.cloud)
        if "body" in fields:
            current = self._current_description(ref)
            full["description"] = merge_description(current, full["description"])[0]
        names = {"title": "summary", "body": "description", "labels": "labels",
                 "due": "duedate", "assignee": "assignee", "priority": "priority"}  # fmt: skip
        # an unset due date or assignee clears it; an unmapped priority is left alone
        payload = {
            names[f]: full.get(names[f])
            for f in fields
            if f in names and (names[f] in full or names[f] in ("duedate", "assignee"))
        }
        if not payload:
            found = self.get(ref)
            if found is None:
                raise NotFound(f"{ref.key} no longer exists in Jira or is not visible")
            return found
        key = ref.id or ref.key
        if self.cloud:  # returnIssue: the edited issue comes back in the same request
            raw = self.client.rest("PUT", f"issue/{key}", {"fields": payload},
                             params={"returnIssue": "true"}, what=f"update {ref.key}")  # fmt: skip
            return to_remote(self.client.base, raw)
        self.client.rest("PUT", f"issue/{key}", {"fields": payload}, what=f"update {ref.key}")
        found = self.get(ref)
        if found is None:
            raise NotFound(f"{ref.key} disappeared right after its update")
        return found

    # --- parents (pmsync.sync.parents) ----------------------------------------------------

    @property
    def links_on_create(self) -> bool:
        """Items are created under their Epic: on Cloud, and on Data Center when it has
        the Epic Link field."""
        self.client.ready()
        if self._config.parent_issue_type != "Epic":
            # another hierarchy level: a refused `parent` must not fail the items' creates,
            # so they are linked one PUT each after (a refusal is then a warning)
            return False
        return self.cloud or self._epic_fields().link is not None

    def link_child(self, parent: IssueRef, child: IssueRef) -> bool:
        """One PUT setting the child's parent (Epic Link on Data Center); setting it again
        succeeds. False on a server with no such field."""
        self.client.ready()
        fields = child_fields(parent.key, self.cloud, self._epic_fields)
        if not fields:
            return False
        self.client.rest("PUT", f"issue/{child.id or child.key}", {"fields": fields},
                   what=f"put {child.key} under {parent.key}")  # fmt: skip
        return True

    def _epic_fields(self) -> EpicFields:
        if self.cloud:
            return EpicFields()
        if self._epics is None:
            self._epics = epic_fields(self.client.rest("GET", "field", what="read the fields"))
        return self._epics

    def comment(self, ref: IssueRef, text: str, mention: str | None) -> None:
        self.client.ready()
        if self.cloud:
            body: Any = markdown_to_adf(text)
            if mention:  # ADF notifies only through a mention node
                node = {"type": "mention", "attrs": {"id": mention}}
                body["content"].insert(0, {"type": "paragraph", "content": [node]})
        else:
            body = (f"[~{mention}] " if mention else "") + markdown_to_wiki(text)
        key = ref.id or ref.key
        self.client.rest(
            "POST", f"issue/{key}/comment", {"body": body}, what=f"comment on {ref.key}"
        )

    def prefetch(self, refs: Sequence[IssueRef]) -> None:
        """Read the current descriptions of the issues about to be updated, 100 a search
        (instead of one read each). A failed search reads nothing: each update then reads
        its own issue."""
        self.client.ready()
        for batch in chunks([r.key for r in refs], PAGE):
            jql = f"key in ({', '.join(batch)})"
            try:
                pages = self._pages_cloud(jql) if self.cloud else self._pages_classic(jql)
                for raw in (raw for page in pages for raw in page):
                    fields = raw.get("fields") or {}
                    self._descriptions[str(raw.get("key"))] = fields.get("description")
            except (AuthError, RateLimited):
                raise
            except TrackerError:
                continue

    def _current_description(self, ref: IssueRef) -> Any:
        if ref.key in self._descriptions:
            return self._descriptions.pop(ref.key)
        key = ref.id or ref.key
        raw = self.client.rest("GET", f"issue/{key}", params={"fields": "description"},
                         what=f"read {ref.key}")  # fmt: skip
        return (raw.get("fields") or {}).get("description")

    def close(self, ref: IssueRef, comment: str) -> RemoteIssue:
        """Comment, then apply `done_transition`. An issue already done is left alone."""
        self.client.ready()
        key = ref.id or ref.key
        params = {"fields": ",".join(FIELDS), "expand": "transitions"}
        raw = self.client.rest("GET", f"issue/{key}", params=params, what=f"read {ref.key}")
        if to_remote(self.client.base, raw).state == "closed":
            return to_remote(self.client.base, raw)
        wanted = self._config.done_transition
        available = [t for t in raw.get("transitions") or [] if isinstance(t, dict)]
        match = next(
            (t for t in available if str(t.get("name", "")).lower() == wanted.lower()), None
        )
        if match is None:
            names = ", ".join(str(t.get("name")) for t in available) or "none"
            raise TrackerError(
                f"{ref.key}: Jira offers no transition named {wanted!r} (available: {names}); "
                "set jira.done_transition to one of them"
            )
        if not self._commented(key, ref):
            text = f"{comment}\n\n{CLOSE_MARKER}"
            body = markdown_to_adf(text) if self.cloud else markdown_to_wiki(text)
            self.client.rest("POST", f"issue/{key}/comment", {"body": body},
                       what=f"comment on {ref.key}")  # fmt: skip
        transition = {"transition": {"id": str(match["id"])}}
        self.client.rest("POST", f"issue/{key}/transitions", transition, what=f"close {ref.key}")
        closed = self.get(ref)
        if closed is None:
            raise NotFound(f"{ref.key} disappeared while being closed")
        return closed

    def _commented(self, key: str, ref: IssueRef) -> bool:
        """Whether pmsync's closing comment is there already: a re-run after a failed
        transition must not comment twice (the newest 100 comments are read)."""
        params = {"orderBy": "-created", "maxResults": "100"}
        page = self.client.rest("GET", f"issue/{key}/comment", params=params,
                          what=f"read the comments of {ref.key}") or {}  # fmt: skip
        return any(CLOSE_MARKER in plain_text(c.get("body")) for c in page.get("comments") or [])

    def reopen(self, ref: IssueRef, comment: str) -> RemoteIssue:
        """Comment, then apply the first transition back to a to-do status. An issue not
        done is left alone."""
        self.client.ready()
        key = ref.id or ref.key
        params = {"fields": ",".join(FIELDS), "expand": "transitions"}
        raw = self.client.rest("GET", f"issue/{key}", params=params, what=f"read {ref.key}")
        if to_remote(self.client.base, raw).state == "open":
            return to_remote(self.client.base, raw)
        available = [t for t in raw.get("transitions") or [] if isinstance(t, dict)]
        match = next((t for t in available if _category(t) == "new"), None)
        if match is None:
            raise TrackerError(f"{ref.key}: Jira offers no transition back to a to-do status")
        body = markdown_to_adf(comment) if self.cloud else markdown_to_wiki(comment)
        self.client.rest(
            "POST", f"issue/{key}/comment", {"body": body}, what=f"comment on {ref.key}"
        )
        transition = {"transition": {"id": str(match["id"])}}
        self.client.rest("POST", f"issue/{key}/transitions", transition, what=f"reopen {ref.key}")
        reopened = self.get(ref)
        if reopened is None:
            raise NotFound(f"{ref.key} disappeared while being reopened")
        return reopened


def _category(transition: dict[str, Any]) -> str:
    """The status category key ("new", "indeterminate", "done") a transition leads to."""
    to = transition.get("to")
    category = to.get("statusCategory") if isinstance(to, dict) else None
    return str(category.get("key", "")) if isinstance(category, dict) else ""

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

import json
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal, cast

from pmsync.adapters.base import Memo, RetryPolicy, chunks
from pmsync.adapters.jira.adf import markdown_to_adf, markdown_to_wiki, plain_text
from pmsync.adapters.jira.block import merge_description
from pmsync.adapters.jira.config import JiraConfig
from pmsync.adapters.jira.lag import key_number, newest_query, unindexed
from pmsync.adapters.jira.parents import EpicFields, child_fields, epic_fields, parent_fields
from pmsync.adapters.jira.values import (
    draft_fields,
    issue_ref,
    jql_lower_bound,
    older_than,
    project_key,
    retry_after,
    to_remote,
    visible_labels,
)
from pmsync.errors import AuthError, ConfigError, NotFound, RateLimited, TrackerError
from pmsync.model import Created, Failed, IssueDraft, IssueRef, RemoteIssue

# The last line of the comment pmsync leaves when it closes an issue (Jira comments have
# no hidden text): a re-run whose transition failed after the comment finds it.
CLOSE_MARKER = "(closed by pmsync)"

# --- connect ------------------------------------------------------------------------------

PERMISSIONS = "Browse projects, Create issues, Edit issues, Transition issues and Add comments"
FIELDS = ("summary", "description", "labels", "duedate", "priority", "assignee", "status",
          "resolution", "resolutiondate", "updated", "created", "parent")  # fmt: skip
PAGE = 100
TIMEOUT = (10, 60)  # seconds to connect, to read


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
    import jira  # here, not at module level: `pmsync --help` must not load it
    import requests

    secret = (env[config.email_env], env[config.token_env]) if config.auth == "basic" else None

    def client(version: str) -> Any:
        # max_retries=0: ResilientSession tries once and never sleeps (requests' own adapter
        # retries nothing either), so RetryPolicy is the only layer that retries, and never
        # a POST whose outcome is unknown.
        return jira.JIRA(
            server=config.url,
            options={"rest_api_version": version, "check_update": False},
            basic_auth=secret,
            token_auth=None if secret else env[config.token_env],
            max_retries=0,
            get_server_info=False,
            validate=False,
            timeout=TIMEOUT,
            logging=False,
        )

    # The library's own methods cost extra requests where pmsync needs one (a field-name
    # lookup before each search, a GET after each edit) and cannot send ADF comments: those
    # calls go out as plain REST on a requests session set up as the library sets up its
    # own (its default headers, the same auth), and the library's public `raise_on_error`
    # turns their answers into the library's errors, converted like every other.
    transport = requests.Session()
    transport.headers.update(cast("dict[str, str]", jira.JIRA.DEFAULT_OPTIONS["headers"]))
    transport.auth = secret or jira.client.TokenAuth(env[config.token_env])
    library = JiraLibrary(
        client, transport, jira.resilientsession.raise_on_error, jira.exceptions.JIRAError,
        requests.RequestException,
    )  # fmt: skip
    return JiraTracker(config, policy, library)


@dataclass(frozen=True)
class JiraLibrary:
    """What the adapter uses of the `jira` library, imported in `connect()` only."""

    client: Callable[[str], Any]  # a JIRA client speaking REST version "2" or "3"
    transport: Any  # requests.Session for the plain REST calls
    raise_on_error: Callable[[Any], object]
    jira_error: type[Exception]
    network_error: type[Exception]


# --- the tracker --------------------------------------------------------------------------


class JiraTracker:
    name: ClassVar[str] = "jira"
    max_batch: ClassVar[int] = 50

    def __init__(self, config: JiraConfig, policy: RetryPolicy, library: JiraLibrary) -> None:
        self._config = config
        self._policy = policy
        self._library = library
        self._client = library.client
        self._jira_error = library.jira_error
        self._network_error = library.network_error
        self._base = str(config.url).rstrip("/")
        self._jira: Any = None
        self.cloud = True
        self._descriptions: dict[str, Any] = {}  # key → description read by prefetch()
        self._epics: EpicFields | None = None  # Data Center: read once, when needed

    # --- the memo the state keeps per project: nothing (no conditional requests; people's
    # text around pmsync's block is read just before an update, see `prefetch`) ---------
    def recall(self, container: str, memo: Memo) -> None:
        pass

    def memo(self, container: str) -> Memo:
        return {}

    def settle(self, container: str, started: datetime) -> None:
        pass

    # --- flavour and access -----------------------------------------------------------
    def _ready(self) -> Any:
        """The client for this server's flavour; GET serverInfo once (v2 exists on both)."""
        if self._jira is None:
            probe = self._client("2")
            info = self._call("read serverInfo", probe.server_info)
            self.cloud = info.get("deploymentType") == "Cloud"
            self._jira = self._client("3") if self.cloud else probe
        return self._jira

    # --- reads --------------------------------------------------------------------------
    def list_managed(self, container: str, since: datetime | None = None) -> Iterator[RemoteIssue]:
        self._ready()
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
            for remote in (to_remote(self._base, raw) for raw in fresh):
                if since is not None and older_than(remote.updated_at, since):
                    # JQL compares `updated` to the minute; ordered newest first, the
                    # first issue older than `since` ends what changed: stop paging.
                    return
                yield remote
        if newest is not None:
            yield from self._unindexed(project, newest, seen)

    def _newest_indexed(self, project: str) -> int:
        body = {"jql": newest_query(project), "maxResults": 1, "fields": ["created"]}
        page = self._rest("POST", "search/jql" if self.cloud else "search", body,
                          what="search issues")  # fmt: skip
        issues = page.get("issues") or []
        return key_number(str(issues[0]["key"])) if issues else 0

    def _unindexed(self, project: str, newest: int, seen: set[str]) -> Iterator[RemoteIssue]:
        def read(key: str) -> dict[str, Any]:
            params = {"fields": ",".join(FIELDS)}
            return dict(self._rest("GET", f"issue/{key}", params=params, what=f"read {key}"))

        for raw in unindexed(project, newest, read):
            remote = to_remote(self._base, raw)
            if raw["key"] not in seen and "pmsync" in (raw.get("fields") or {}).get("labels", []):
                yield remote

    def _pages_cloud(self, jql: str) -> Iterator[list[dict[str, Any]]]:
        body: dict[str, Any] = {"jql": jql, "fields": list(FIELDS), "maxResults": PAGE}
        while True:
            page = self._rest("POST", "search/jql", body, what="search issues")
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
            page = self._rest("POST", "search", body, what="search issues")
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
        client = self._ready()
        try:
            issue = self._call(
                f"read {ref.key}", lambda: client.issue(ref.id or ref.key, fields=",".join(FIELDS))
            )
        except NotFound:
            return None
        return to_remote(self._base, issue.raw)

    # --- writes -------------------------------------------------------------------------
    def create(self, drafts: Sequence[IssueDraft]) -> list[Created | Failed]:
        self._ready()
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
        client = self._jira
        try:
            # prefetch=False and project/issuetype given as objects: exactly one request
            out: list[Any] = self._call(
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
            ref=issue_ref(self._base, key, issue_id), title=fields["summary"], state="open",
            item_id=draft.item_id, content_hash=draft.content_hash,
            assignee=draft.assignee if "assignee" in fields else None,
            due=draft.due, labels=visible_labels(fields["labels"], draft.item_id),
        )  # fmt: skip
        return Created(draft.item_id, issue, warnings)

    def update(self, ref: IssueRef, draft: IssueDraft, fields: Collection[str]) -> RemoteIssue:
        """One PUT with the changed fields. Of the description only pmsync's block is
        replaced: the text people wrote around it, read just before (see `prefetch`), is
        kept, and an edited block is kept as their text."""
        self._ready()
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
            raw = self._rest("PUT", f"issue/{key}", {"fields": payload},
                             params={"returnIssue": "true"}, what=f"update {ref.key}")  # fmt: skip
            return to_remote(self._base, raw)
        self._rest("PUT", f"issue/{key}", {"fields": payload}, what=f"update {ref.key}")
        found = self.get(ref)
        if found is None:
            raise NotFound(f"{ref.key} disappeared right after its update")
        return found

    # --- parents (pmsync.sync.parents) ----------------------------------------------------

    @property
    def links_on_create(self) -> bool:
        """Items are created under their Epic: on Cloud, and on Data Center when it has
        the Epic Link field."""
        self._ready()
        if self._config.parent_issue_type != "Epic":
            # another hierarchy level: a refused `parent` must not fail the items' creates,
            # so they are linked one PUT each after (a refusal is then a warning)
            return False
        return self.cloud or self._epic_fields().link is not None

    def link_child(self, parent: IssueRef, child: IssueRef) -> bool:
        """One PUT setting the child's parent (Epic Link on Data Center); setting it again
        succeeds. False on a server with no such field."""
        self._ready()
        fields = child_fields(parent.key, self.cloud, self._epic_fields)
        if not fields:
            return False
        self._rest("PUT", f"issue/{child.id or child.key}", {"fields": fields},
                   what=f"put {child.key} under {parent.key}")  # fmt: skip
        return True

    def _epic_fields(self) -> EpicFields:
        if self.cloud:
            return EpicFields()
        if self._epics is None:
            self._epics = epic_fields(self._rest("GET", "field", what="read the fields"))
        return self._epics

    def comment(self, ref: IssueRef, text: str, mention: str | None) -> None:
        self._ready()
        if self.cloud:
            body: Any = markdown_to_adf(text)
            if mention:  # ADF notifies only through a mention node
                node = {"type": "mention", "attrs": {"id": mention}}
                body["content"].insert(0, {"type": "paragraph", "content": [node]})
        else:
            body = (f"[~{mention}] " if mention else "") + markdown_to_wiki(text)
        key = ref.id or ref.key
        self._rest("POST", f"issue/{key}/comment", {"body": body}, what=f"comment on {ref.key}")

    def prefetch(self, refs: Sequence[IssueRef]) -> None:
        """Read the current descriptions of the issues about to be updated, 100 a search
        (instead of one read each). A failed search reads nothing: each update then reads
        its own issue."""
        self._ready()
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
        raw = self._rest("GET", f"issue/{key}", params={"fields": "description"},
                         what=f"read {ref.key}")  # fmt: skip
        return (raw.get("fields") or {}).get("description")

    def close(self, ref: IssueRef, comment: str) -> RemoteIssue:
        """Comment, then apply `done_transition`. An issue already done is left alone."""
        self._ready()
        key = ref.id or ref.key
        params = {"fields": ",".join(FIELDS), "expand": "transitions"}
        raw = self._rest("GET", f"issue/{key}", params=params, what=f"read {ref.key}")
        if to_remote(self._base, raw).state == "closed":
            return to_remote(self._base, raw)
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
            self._rest("POST", f"issue/{key}/comment", {"body": body},
                       what=f"comment on {ref.key}")  # fmt: skip
        transition = {"transition": {"id": str(match["id"])}}
        self._rest("POST", f"issue/{key}/transitions", transition, what=f"close {ref.key}")
        closed = self.get(ref)
        if closed is None:
            raise NotFound(f"{ref.key} disappeared while being closed")
        return closed

    def _commented(self, key: str, ref: IssueRef) -> bool:
        """Whether pmsync's closing comment is there already: a re-run after a failed
        transition must not comment twice (the newest 100 comments are read)."""
        params = {"orderBy": "-created", "maxResults": "100"}
        page = self._rest("GET", f"issue/{key}/comment", params=params,
                          what=f"read the comments of {ref.key}") or {}  # fmt: skip
        return any(CLOSE_MARKER in plain_text(c.get("body")) for c in page.get("comments") or [])

    def reopen(self, ref: IssueRef, comment: str) -> RemoteIssue:
        """Comment, then apply the first transition back to a to-do status. An issue not
        done is left alone."""
        self._ready()
        key = ref.id or ref.key
        params = {"fields": ",".join(FIELDS), "expand": "transitions"}
        raw = self._rest("GET", f"issue/{key}", params=params, what=f"read {ref.key}")
        if to_remote(self._base, raw).state == "open":
            return to_remote(self._base, raw)
        available = [t for t in raw.get("transitions") or [] if isinstance(t, dict)]
        match = next((t for t in available if _category(t) == "new"), None)
        if match is None:
            raise TrackerError(f"{ref.key}: Jira offers no transition back to a to-do status")
        body = markdown_to_adf(comment) if self.cloud else markdown_to_wiki(comment)
        self._rest("POST", f"issue/{key}/comment", {"body": body}, what=f"comment on {ref.key}")
        transition = {"transition": {"id": str(match["id"])}}
        self._rest("POST", f"issue/{key}/transitions", transition, what=f"reopen {ref.key}")
        reopened = self.get(ref)
        if reopened is None:
            raise NotFound(f"{ref.key} disappeared while being reopened")
        return reopened

    # --- requests and errors ------------------------------------------------------------
    def _rest(
        self,
        method: Literal["GET", "POST", "PUT"],
        path: str,
        body: Any = None,
        *,
        params: dict[str, str] | None = None,
        what: str,
    ) -> Any:
        """One plain REST request (see `connect` for why), errors as the library's."""
        self._ready()  # the flavour decides the API version
        url = f"{self._base}/rest/api/{'3' if self.cloud else '2'}/{path}"
        data = None if body is None else json.dumps(body)
        read_only = method == "GET" or path.startswith("search")
        library = self._library

        def send() -> Any:
            response = library.transport.request(
                method, url, params=params, data=data, timeout=TIMEOUT
            )
            library.raise_on_error(response)
            return response.json() if response.content else None

        return self._call(what, send, write=not read_only, post=method == "POST" and not read_only)

    def _call(
        self, what: str, fn: Callable[[], Any], *, write: bool = False, post: bool = False
    ) -> Any:
        def attempt() -> Any:
            try:
                return fn()
            except self._jira_error as exc:
                raise self._convert(exc, what, post) from None
            except self._network_error as exc:
                # a lost POST may have landed: never retried, reconciled by the engine
                raise TrackerError(
                    f"{what}: connection to Jira at {self._base} failed "
                    f"({type(exc).__name__}): check jira.url, or run again later",
                    transient=True, maybe_applied=post,
                ) from None  # fmt: skip
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                # an answer that is not Jira's JSON (a proxy's page, a truncated body)
                raise TrackerError(
                    f"{what}: unexpected answer from Jira ({type(exc).__name__})",
                    maybe_applied=post,
                ) from None

        return self._policy.call(what, attempt, write=write)

    def _convert(self, exc: Any, what: str, post: bool) -> TrackerError:
        """A library error as a pmsync error. Built from the status and the server's own
        messages only: the library's str() of an error includes the request headers."""
        status = getattr(exc, "status_code", None)
        detail = str(getattr(exc, "text", "") or "")[:300]
        headers = getattr(getattr(exc, "response", None), "headers", None) or {}
        if status == 403 and retry_after(headers) is not None:
            # a rate limit (Jira Cloud's secondary limit), not a permission: wait, retry
            return TrackerError(
                f"{what}: Jira answered 403 with Retry-After" + (f": {detail}" if detail else ""),
                transient=True, retry_after=retry_after(headers),
            )  # fmt: skip
        if status in (401, 403):
            names = (
                f"{self._config.email_env} and {self._config.token_env}"
                if self._config.auth == "basic"
                else f"{self._config.token_env} (personal access token)"
            )
            return AuthError(
                f"{what}: Jira answered {status}: check {names}; the account needs the "
                f"project permissions {PERMISSIONS}" + (f" ({detail})" if detail else "")
            )
        if status == 404:
            return NotFound(f"{what}: not found in Jira (404)" + (f": {detail}" if detail else ""))
        if status == 429 or (status is not None and status >= 500):
            return TrackerError(
                f"{what}: Jira answered {status}" + (f": {detail}" if detail else ""),
                transient=True, retry_after=retry_after(headers),
                maybe_applied=post and status != 429,
            )  # fmt: skip
        answer = f"Jira answered {status}" if status else "the request failed"
        return TrackerError(f"{what}: {answer}" + (f": {detail}" if detail else ""))


def _category(transition: dict[str, Any]) -> str:
    """The status category key ("new", "indeterminate", "done") a transition leads to."""
    to = transition.get("to")
    category = to.get("statusCategory") if isinstance(to, dict) else None
    return str(category.get("key", "")) if isinstance(category, dict) else ""

"""GitHub Issues adapter (REST through PyGithub; Projects v2 through GraphQL with httpx)."""

from __future__ import annotations

import dataclasses
import queue
from collections import deque
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any, ClassVar, TypeGuard, TypeVar
from urllib.parse import urlencode

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
from pmsync.adapters.github.catalog import Catalog
from pmsync.adapters.github.client import GitHubClient, Response
from pmsync.adapters.github.config import GitHubConfig
from pmsync.adapters.github.project import GitHubProject
from pmsync.adapters.github.sub_issues import SubIssues
from pmsync.adapters.github.unlabelled import unlabelled
from pmsync.adapters.github.values import (
    dropped_fields,
    iso_z,
    issues_of,
    label_names,
    later_page_urls,
    parse_key,
    same_repo,
    to_remote,
)
from pmsync.errors import AuthError, ConfigError, NotFound, RateLimited, TrackerError
from pmsync.model import Created, Failed, IssueDraft, IssueRef, RemoteIssue

# --- the tracker ----------------------------------------------------------------------

TRACKING_LABEL = "pmsync"  # every issue pmsync creates carries it; listings filter on it
READ_WORKERS = 8  # listing pages fetched at a time once the last page number is known
T = TypeVar("T")
# A create ready to send: the draft, its repository and the POST body.
Prepared = tuple[IssueDraft, str, dict[str, Any]]


def connect(config: GitHubConfig, env: Mapping[str, str], policy: RetryPolicy) -> GitHubTracker:
    """A tracker for `config`; the token comes from `env[config.token_env]` only."""
    token = env.get(config.token_env, "").strip()
    if not token:
        raise ConfigError(
            f"no GitHub token: set the environment variable ${config.token_env} "
            f"(github.token_env) to a token with access to {config.repo or 'the repository'}"
        )
    from github import Auth, Github

    gh = Github(
        base_url=config.api_url.rstrip("/"),
        auth=Auth.Token(token),
        retry=None,  # no library retries: a POST after a 5xx must never be re-sent
        seconds_between_requests=0,  # pacing belongs to RetryPolicy
        seconds_between_writes=0,
        per_page=100,
        timeout=30,
    )
    client = GitHubClient(gh.requester, token_env=config.token_env, repo=config.repo)
    paced = dataclasses.replace(policy, writes_per_minute=config.writes_per_minute)
    project = project_client(config, token, paced)
    if config.parallel_creates > 1:
        from pmsync.adapters.github.parallel import ParallelGitHubTracker

        return ParallelGitHubTracker(config, client, paced, project)
    return GitHubTracker(config, client, paced, project)


def project_client(config: GitHubConfig, token: str, policy: RetryPolicy) -> GitHubProject | None:
    """The Projects v2 client for `due_dates: project` (None in the other modes)."""
    if config.due_dates != "project":
        return None
    if config.project is None:
        raise ConfigError(
            "github.due_dates is project but github.project is not set "
            "(e.g. project: {owner: acme, number: 7, field: Due})"
        )
    p = config.project
    return GitHubProject(owner=p.owner, number=p.number, field=p.field, api_url=config.api_url,
                         token=token, token_env=config.token_env, policy=policy)  # fmt: skip


class GitHubTracker:
    """GitHub Issues through REST. One instance per run: labels and milestones are
    looked up once per repository and cached."""

    name: ClassVar[str] = "github"
    max_batch: ClassVar[int] = 1
    links_on_create: ClassVar[bool] = False  # sub-issues are added one request each

    def __init__(
        self,
        config: GitHubConfig,
        client: GitHubClient,
        policy: RetryPolicy,
        project: GitHubProject | None = None,
    ) -> None:
        self.config = config
        self.client = client
        self.policy = policy
        self.project = project  # due dates in a Projects v2 date field (due_dates: project)
        # Listing URL (without `since`) → ETag of its first page, kept in each
        # repository's memo between runs; a 304 costs no rate limit.
        self.etags: dict[str, str] = {}
        self.edits = EditMemos(self._listing)  # per repository
        self.catalog = Catalog(self._call)  # labels, milestones
        self._spares: queue.SimpleQueue[GitHubClient] = queue.SimpleQueue()  # for threads
        self._stopped: TrackerError | None = None  # a fatal error ends every later call
        self.sub_issues = SubIssues(self._call)
        self._ids_read: set[str] = set()  # repositories listed for their issues' ids

    # --- the memo the state keeps per repository ----------------------------------------

    def recall(self, container: str, memo: Memo) -> None:
        self.edits.recall(container, memo)
        self.etags.update(memo.get("etags") or {})

    def memo(self, container: str) -> Memo:
        prefix = f"/repos/{container}/"
        etags = {k: v for k, v in self.etags.items() if k.startswith(prefix)}
        return {**self.edits.dump(container), **({"etags": etags} if etags else {})}

    def settle(self, container: str, started: datetime) -> None:
        """A push that started at `started` ended: people's edits before it are known.
        After many writes, read them back now (one request per 100) so the next push's
        listing of edits does not return pmsync's own writes."""
        self.edits.settle(container, started)

    # --- reads ------------------------------------------------------------------------

    def list_managed(self, container: str, since: datetime | None = None) -> Iterator[RemoteIssue]:
        """Every pmsync issue of `container`, 100 a page, pull requests dropped; without
        `since`, also those whose label is gone, by one search (see `unlabelled.py`).

        With `since`, the first page is a conditional request: the ETag is kept per URL
        *without* `since` (GitHub's ETag covers the answer, so an unchanged answer, e.g.
        still nothing updated, matches across runs whose `since` moved on). A 304 means
        "the same answer as last time, already recorded": nothing is yielded. Without
        `since` no conditional request is made: an empty result must only ever mean
        "no issues"."""
        return self._listing(container, since, conditional=since is not None)

    def _listing(
        self, container: str, since: datetime | None, *, conditional: bool = False
    ) -> Iterator[RemoteIssue]:
        """The listing; the text people keep around each issue's block is noted."""
        memo = self.edits.of(container)
        seen: set[str] = set()
        for issue in self._pages(container, since, conditional):
            memo.note(issue.ref.key, issue.body)
            seen.add(issue.ref.key)
            yield issue
        if since is None:  # a full listing: a lost label must not mean a second issue
            for issue in unlabelled(self._call, container, TRACKING_LABEL):
                if issue.ref.key not in seen:
                    memo.note(issue.ref.key, issue.body)
                    yield issue

    def _pages(
        self, container: str, since: datetime | None, conditional: bool
    ) -> Iterator[RemoteIssue]:
        if since is None and TRACKING_LABEL not in self.catalog.known_labels(container):
            return  # no issue can carry a label the repository does not have
        params = self._list_params(since)
        url = f"/repos/{container}/issues"
        key = f"{url}?{urlencode({k: v for k, v in params.items() if k != 'since'})}"
        etag = self.etags.get(key) if conditional else None
        headers = {"If-None-Match": etag} if etag else {}
        what = f"list issues of {container}"
        resp = self._call(what, "GET", url, params=params, headers=headers)
        if resp.status == 304:
            return
        if "etag" in resp.headers and not resp.link("next"):
            self.etags[key] = resp.headers["etag"]  # single-page answers only (see above)
        else:
            self.etags.pop(key, None)
        self.sub_issues.note_page(container, resp)
        yield from issues_of(container, resp)
        for page in self._later_pages(what, resp):
            self.sub_issues.note_page(container, page)
            yield from issues_of(container, page)

    def _later_pages(self, what: str, first: Response) -> Iterator[Response]:
        """Pages 2..last, READ_WORKERS at a time (page-number links make them independent)
        and yielded in order; then, one by one, any page past the last one announced:
        the listing is sorted by creation, so issues created meanwhile land there."""
        resp = first
        for resp in self._fetch_concurrently(what, later_page_urls(first)):
            yield resp
        while (next_url := resp.link("next")) is not None:
            resp = self._call(what, "GET", next_url)
            yield resp

    def _fetch_concurrently(self, what: str, urls: list[str]) -> Iterator[Response]:
        """GET each URL on a pool of threads, each with its own connection; at most
        READ_WORKERS answers are held at once (memory stays flat with the page count)."""
        if not urls:
            return
        todo = iter(urls)
        pending: deque[Future[Response]] = deque()
        pool = ThreadPoolExecutor(min(READ_WORKERS, len(urls)), thread_name_prefix="pmsync")

        def submit(url: str) -> None:
            fetch = lambda client: self._call(what, "GET", url, client=client)  # noqa: E731
            pending.append(pool.submit(self._on_spare, fetch))

        try:
            for url in [next(todo) for _ in range(min(READ_WORKERS, len(urls)))]:
                submit(url)
            while pending:
                resp = pending.popleft().result()
                for url in todo:
                    submit(url)
                    break
                yield resp
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _on_spare(self, fn: Callable[[GitHubClient], T]) -> T:
        """Run `fn` with a client no other thread is using (one connection each)."""
        try:
            client = self._spares.get_nowait()
        except queue.Empty:
            client = self.client.fork()
        try:
            return fn(client)
        finally:
            self._spares.put(client)

    def get(self, ref: IssueRef) -> RemoteIssue | None:
        repo, number = parse_key(ref.key)
        try:
            resp = self._call(f"read {ref.key}", "GET", f"/repos/{repo}/issues/{number}")
        except NotFound:
            return None
        if not same_repo(resp.data, repo) or "pull_request" in resp.data:
            return None  # transferred: GitHub answered 301 and PyGithub followed it
        return to_remote(repo, resp.data)

    # --- writes -----------------------------------------------------------------------

    def create(self, drafts: Sequence[IssueDraft]) -> list[Created | Failed]:
        results: list[Created | Failed] = []
        for draft in drafts:
            prepared = self._prepare(draft)
            if isinstance(prepared, Failed):
                results.append(prepared)
                continue
            outcome = self._post(prepared, self.client)
            if is_fatal(outcome):
                raise outcome  # the run cannot go on: stop it cleanly
            results.append(self._settle(prepared, outcome))
        return results

    def _prepare(self, draft: IssueDraft) -> Prepared | Failed:
        """The POST body; creates the labels and milestone it needs (AuthError and
        RateLimited are raised: nothing of this draft was created)."""
        repo = draft.container or self._repo()
        try:
            return draft, repo, self._create_payload(repo, draft)
        except (AuthError, RateLimited):
            raise
        except TrackerError as exc:
            return Failed(draft.item_id, str(exc), maybe_applied=exc.maybe_applied)

    def _post(self, prepared: Prepared, client: GitHubClient) -> Response | TrackerError:
        """One POST, never re-sent when its outcome is unknown; errors are returned."""
        draft, repo, payload = prepared
        try:
            return self._call(
                f"create the issue for {draft.item_id}", "POST", f"/repos/{repo}/issues",
                body=payload, write=True, client=client,
            )  # fmt: skip
        except TrackerError as exc:
            return exc

    def _settle(self, prepared: Prepared, outcome: Response | TrackerError) -> Created | Failed:
        draft, repo, payload = prepared
        if isinstance(outcome, TrackerError):
            return Failed(draft.item_id, str(outcome), maybe_applied=outcome.maybe_applied)
        warnings = dropped_fields(payload, outcome.data, repo)
        if draft.due and self.project is not None:
            # Queued: sent in batches (a failure there is a warning of finish(); the issue
            # exists whatever happens, so it must never become a Failed).
            self.project.set_due(str(outcome.data["node_id"]), draft.due)
        issue = to_remote(repo, outcome.data)
        self.edits.of(repo).wrote(issue.ref.key, issue.body, issue.updated_at)
        self.sub_issues.note(issue.ref.key, outcome.data)
        return Created(draft.item_id, issue, tuple(warnings))

    def _create_payload(self, repo: str, draft: IssueDraft) -> dict[str, Any]:
        body = render_block(draft.item_id, draft.content_hash, neutralize(draft.body))
        payload: dict[str, Any] = {"title": draft.title, "body": body}
        if draft.labels:
            self.catalog.ensure_labels(repo, draft.labels)
            payload["labels"] = list(dict.fromkeys(draft.labels))
        if draft.assignee:
            payload["assignees"] = [draft.assignee]
        if draft.due and self.config.due_dates == "milestone":
            payload["milestone"] = self.catalog.milestone(repo, draft.due)
        return payload

    def update(
        self,
        ref: IssueRef,
        draft: IssueDraft,
        fields: Collection[str],
        base_body: str | None = None,
    ) -> RemoteIssue:
        """Only pmsync's block of the body is replaced: people's text around it is kept.
        It comes from `base_body` (the current body, when a caller has it), else from the
        repository's memo (after one listing of the issues edited since the last push),
        else from a GET of the issue."""
        repo, number = parse_key(ref.key)
        outside = split_outside(base_body) if base_body is not None else self._known(repo, ref)
        current = None
        if ("body" in fields and outside is None) or "labels" in fields:
            current = self._call(f"read {ref.key}", "GET", f"/repos/{repo}/issues/{number}").data
            outside = split_outside(current.get("body")) if outside is None else outside
        updated = self._apply(
            ref, draft, fields, self._update_payload(repo, draft, fields, outside, current)
        )
        self.edits.of(repo).wrote(updated.ref.key, updated.body, updated.updated_at)
        return updated

    def _apply(
        self, ref: IssueRef, draft: IssueDraft, fields: Collection[str], payload: dict[str, Any]
    ) -> RemoteIssue:
        repo, number = parse_key(ref.key)
        if not payload:
            found = self.get(ref)
            if found is None:
                raise NotFound(f"GitHub: {ref.key} is gone")
            if "due" in fields and self.project is not None:
                self.project.set_due(found.ref.id, draft.due)  # to_remote: id is node_id
            return found
        resp = self._call(
            f"update {ref.key}", "PATCH", f"/repos/{repo}/issues/{number}", body=payload,
            write=True,
        )  # fmt: skip
        if "due" in fields and self.project is not None:
            self.project.set_due(str(resp.data["node_id"]), draft.due)
        return to_remote(repo, resp.data)

    def _known(self, repo: str, ref: IssueRef) -> tuple[str, str] | None:
        return self.edits.around(repo, ref.key)

    def _update_payload(
        self,
        repo: str,
        draft: IssueDraft,
        fields: Collection[str],
        outside: tuple[str, str] | None,
        current: dict[str, Any] | None,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        if "title" in fields:
            payload["title"] = draft.title
        if "body" in fields:
            block = render_block(draft.item_id, draft.content_hash, neutralize(draft.body))
            payload["body"] = wrap_block(outside or ("", ""), block)
        if "labels" in fields:
            self.catalog.ensure_labels(repo, draft.labels)
            kept = label_names(current or {})
            payload["labels"] = list(dict.fromkeys([*draft.labels, *kept]))
        if "assignee" in fields:
            payload["assignees"] = [draft.assignee] if draft.assignee else []
        if "due" in fields and self.config.due_dates == "milestone":
            payload["milestone"] = self.catalog.milestone(repo, draft.due) if draft.due else None
        return payload

    def comment(self, ref: IssueRef, text: str, mention: str | None) -> None:
        repo, number = parse_key(ref.key)
        body = f"@{mention} {text}" if mention else text
        self._call(f"comment on {ref.key}", "POST", f"/repos/{repo}/issues/{number}/comments",
                   body={"body": body}, write=True)  # fmt: skip

    def link_child(self, parent: IssueRef, child: IssueRef) -> bool:
        """`child` a sub-issue of `parent`: one request (plus, once a run, a listing of
        the repository when `child`'s id is not known yet); False on a server without
        sub-issues."""
        repo, _ = parse_key(child.key)
        if child.key not in self.sub_issues.ids and repo not in self._ids_read:
            # Issues from earlier runs: one listing (100 a request) learns every id,
            # where one GET per child would cost as many requests as children.
            self._ids_read.add(repo)
            for _ in self._listing(repo, None):
                pass
        return self.sub_issues.link(parent, child)

    def finish(self) -> list[str]:
        """Send the writes queued for batching (Projects v2 due dates); their warnings."""
        return self.project.finish() if self.project is not None else []

    def close(self, ref: IssueRef, comment: str) -> RemoteIssue:
        """Comment (once: a re-run after a failed close finds the comment by its marker),
        then close as not planned."""
        repo, number = parse_key(ref.key)
        url = f"/repos/{repo}/issues/{number}"
        comments = self.catalog.get_all(f"read the comments of {ref.key}", f"{url}/comments")
        if not any(CLOSE_MARKER in str(c.get("body") or "") for c in comments):
            self._call(f"comment on {ref.key}", "POST", f"{url}/comments",
                       body={"body": f"{comment}\n\n{CLOSE_MARKER}"}, write=True)  # fmt: skip
        body = {"state": "closed", "state_reason": "not_planned"}
        resp = self._call(f"close {ref.key}", "PATCH", url, body=body, write=True)
        return to_remote(repo, resp.data)

    def complete(self, ref: IssueRef, comment: str) -> RemoteIssue:
        """Comment, then close as completed (a parent whose items are all closed; `close`
        is for work dropped: not planned)."""
        repo, number = parse_key(ref.key)
        url = f"/repos/{repo}/issues/{number}"
        self._call(f"comment on {ref.key}", "POST", f"{url}/comments",
                   body={"body": comment}, write=True)  # fmt: skip
        body = {"state": "closed", "state_reason": "completed"}
        resp = self._call(f"close {ref.key}", "PATCH", url, body=body, write=True)
        return to_remote(repo, resp.data)

    def reopen(self, ref: IssueRef, comment: str) -> RemoteIssue:
        """Comment, then reopen. Reopening an open issue succeeds."""
        repo, number = parse_key(ref.key)
        url = f"/repos/{repo}/issues/{number}"
        self._call(f"comment on {ref.key}", "POST", f"{url}/comments",
                   body={"body": comment}, write=True)  # fmt: skip
        resp = self._call(f"reopen {ref.key}", "PATCH", url, body={"state": "open"}, write=True)
        return to_remote(repo, resp.data)

    # --- plumbing ---------------------------------------------------------------------

    def _repo(self) -> str:
        if not self.config.repo:
            raise ConfigError("github.repo is not set (e.g. repo: acme/ops)")
        return self.config.repo

    def _list_params(self, since: datetime | None) -> dict[str, Any]:
        # created/asc: issues created while we page land on the last page, not in between
        params: dict[str, Any] = {"state": "all", "labels": TRACKING_LABEL, "per_page": 100,
                                  "sort": "created", "direction": "asc"}  # fmt: skip
        if since is not None:
            params["since"] = iso_z(since)
        return params

    def _call(
        self,
        what: str,
        verb: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        write: bool = False,
        client: GitHubClient | None = None,
    ) -> Response:
        if self._stopped is not None:
            raise self._stopped
        sender = client or self.client

        def send() -> Response:
            return sender.request(verb, url, params=params, body=body, headers=headers,
                                  what=what)  # fmt: skip

        return self.policy.call(what, send, write=write)


# --- conversions ----------------------------------------------------------------------


def is_fatal(outcome: object) -> TypeGuard[TrackerError]:
    """AuthError or RateLimited: nothing later in the run would succeed."""
    return isinstance(outcome, (AuthError, RateLimited))

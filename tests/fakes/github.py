"""A stateful fake GitHub REST API (the Issues subset pmsync uses) on a loopback server.

Behaviour copied from GitHub, not from convenience:
- the issue listing returns pull requests too (items with a `pull_request` key);
  `labels` is comma-separated and ANDed; `since` keeps issues updated at or after it;
  page-number pagination with `Link` headers; `per_page` is capped at 100;
- GET answers carry an ETag; a matching `If-None-Match` gets `304` with no body;
- a token without push access silently loses assignees, labels and milestone on create
  (and on edit): `set_push_access(False)`;
- milestone `due_on` is stored as a date: GitHub floors the timestamp to midnight
  US Pacific time and answers 07:00Z/08:00Z of that Pacific date (see `pacific_midnight`);
- labels named in an issue that do not exist are created (color ededed);
- a deleted issue answers 410, a transferred one 301 to its new home;
- a wrong token answers 401 "Bad credentials" (GitHub's docs; the description omits 401).

Every request and response is validated against tests/fakes/github-issues.openapi.json.
Sub-issues are in tests/fakes/github_sub_issues.py.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from tests.fakes import github_sub_issues
from tests.fakes.server import FakeRequest, FakeResponse, FakeServer

SPEC = Path(__file__).with_name("github-issues.openapi.json")
DOCS = "https://docs.github.com/rest"
PACIFIC = ZoneInfo("America/Los_Angeles")
REPO = "/repos/{owner}/{repo}"
ISSUE = REPO + "/issues/{issue_number}"
_ids = itertools.count(1000)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def pacific_midnight(moment: datetime) -> datetime:
    """What GitHub keeps of a milestone `due_on`: the US Pacific calendar date of the
    instant, at 00:00 Pacific (so 07:00Z in summer, 08:00Z in winter). 2024-06-15T00:00Z
    is June 14 in Pacific time and comes back as 2024-06-14T07:00:00Z. Sources:
    microsoft/PowerShellForGitHub#133, wordpress-mobile/release-toolkit#419."""
    day = moment.astimezone(PACIFIC).date()
    return datetime.combine(day, time(0), tzinfo=PACIFIC).astimezone(timezone.utc)


def error(status: int, message: str, *, validate: bool = True) -> FakeResponse:
    body = {"message": message, "documentation_url": DOCS, "status": str(status)}
    return FakeResponse(status, body, validate=validate)


def invalid(resource: str, field_name: str, code: str, value: Any = None) -> FakeResponse:
    err = {"resource": resource, "field": field_name, "code": code}
    if value is not None:
        err["value"] = value
    body = {"message": "Validation Failed", "documentation_url": DOCS, "errors": [err]}
    return FakeResponse(422, body)


# --- state ----------------------------------------------------------------------------


@dataclass
class Label:
    id: int
    name: str
    color: str = "ededed"
    description: str | None = None


@dataclass
class Milestone:
    id: int
    number: int
    title: str
    created_at: datetime
    updated_at: datetime
    due_on: datetime | None = None
    description: str | None = None
    state: str = "open"
    closed_at: datetime | None = None


@dataclass
class Comment:
    id: int
    body: str
    user: str
    created_at: datetime


@dataclass
class Issue:
    id: int
    number: int
    title: str
    body: str | None
    user: str
    created_at: datetime
    updated_at: datetime
    state: str = "open"
    state_reason: str | None = None
    closed_at: datetime | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    milestone: int | None = None
    comments: list[Comment] = field(default_factory=list)
    pull_request: bool = False


@dataclass
class Repo:
    owner: str
    name: str
    id: int = field(default_factory=lambda: next(_ids))
    issues: dict[int, Issue] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)  # key: lower-case name
    milestones: dict[int, Milestone] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    moved: dict[int, tuple[str, int]] = field(default_factory=dict)
    next_number: int = 1
    next_milestone: int = 1
    has_issues: bool = True

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


# --- the fake ------------------------------------------------------------------------


class FakeGitHub(FakeServer):
    """`FakeGitHub(prefix="/api/v3")` serves GitHub Enterprise Server paths."""

    def __init__(
        self,
        *,
        prefix: str = "",
        token: str = "ghp_test_token_123",
        login: str = "pmsync-bot",
        repos: tuple[str, ...] = ("acme/ops",),
        spec_path: Path | None = SPEC,
    ) -> None:
        super().__init__(spec_path, prefix=prefix)
        self.token = token
        self.login = login
        self.initial_repos = repos
        self.clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
        self.reset()
        self._register()

    # --- test helpers ---------------------------------------------------------------

    def reset(self) -> None:
        """Forget all state, the log and the faults (between tests)."""
        with self.lock:
            self.repos: dict[str, Repo] = {}
            for full in self.initial_repos:
                self.add_repo(full)
            self.push_access = True
            self.collaborators: set[str] | None = None  # None: every login is assignable
            self.rate_limit = 5000
            self.rate_remaining = 5000
            self.sub_issues_enabled = True  # False: a GitHub Enterprise Server without them
            self.sub_issues: dict[int, list[int]] = {}  # parent id → sub-issue ids
            self.sub_parent: dict[int, int] = {}  # sub-issue id → parent id
            self.sub_parent_url: dict[int, str] = {}  # sub-issue id → its parent's API URL
            self.validation_errors.clear()
            self.reset_log()
            self.clear_faults()

    def add_repo(self, full_name: str) -> Repo:
        owner, name = full_name.split("/")
        with self.lock:
            repo = self.repos.setdefault(full_name.lower(), Repo(owner, name))
        return repo

    def repo(self, full_name: str) -> Repo:
        return self.repos[full_name.lower()]

    def set_push_access(self, allowed: bool) -> None:
        self.push_access = allowed

    def now(self) -> datetime:
        return self.clock().astimezone(timezone.utc).replace(microsecond=0)

    def issues(self, full_name: str, *, include_prs: bool = False) -> list[Issue]:
        """The issues of a repository, by number (pull requests left out by default)."""
        with self.lock:
            found = self.repo(full_name).issues.values()
            return [i for i in found if include_prs or not i.pull_request]

    def add_issue(
        self, full_name: str, title: str, body: str | None = None, **fields: Any
    ) -> Issue:
        """An issue as a person would create it (no validation, no push-access rules)."""
        with self.lock:
            repo = self.repo(full_name)
            for name in fields.get("labels", []):
                self._ensure_label(repo, name)
            now = self.now()
            issue = Issue(next(_ids), repo.next_number, title, body, self.login, now, now, **fields)
            repo.issues[issue.number] = issue
            repo.next_number += 1
            return issue

    def add_pull_request(
        self, full_name: str, title: str, body: str | None = None, labels: tuple[str, ...] = ()
    ) -> Issue:
        return self.add_issue(full_name, title, body, labels=list(labels), pull_request=True)

    def edit_issue(self, full_name: str, number: int, **changes: Any) -> Issue:
        """Change an issue as a person would in the web UI; bumps updated_at."""
        with self.lock:
            repo = self.repo(full_name)
            issue = repo.issues[number]
            for name in changes.get("labels", []):
                self._ensure_label(repo, name)
            for name, value in changes.items():
                setattr(issue, name, value)
            issue.updated_at = self.now()
            return issue

    def close_issue(self, full_name: str, number: int, reason: str = "completed") -> Issue:
        now = self.now()
        return self.edit_issue(
            full_name, number, state="closed", state_reason=reason, closed_at=now
        )

    def delete_issue(self, full_name: str, number: int) -> None:
        with self.lock:
            repo = self.repo(full_name)
            del repo.issues[number]
            repo.deleted.add(number)

    def transfer_issue(self, full_name: str, number: int, to_repo: str) -> Issue:
        with self.lock:
            source, target = self.repo(full_name), self.add_repo(to_repo)
            issue = source.issues.pop(number)
            for name in issue.labels:
                self._ensure_label(target, name)
            issue.number, issue.updated_at = target.next_number, self.now()
            issue.milestone = None  # milestones belong to the old repository
            target.issues[issue.number] = issue
            target.next_number += 1
            source.moved[number] = (target.full_name, issue.number)
            return issue

    def milestones(self, full_name: str) -> list[Milestone]:
        with self.lock:
            return list(self.repo(full_name).milestones.values())

    def label_names(self, full_name: str) -> list[str]:
        with self.lock:
            return [label.name for label in self.repo(full_name).labels.values()]

    # --- rendering ------------------------------------------------------------------

    def user_json(self, login: str) -> dict[str, Any]:
        api, web = f"{self.api_url}/users/{login}", f"{self.url}/{login}"
        uid = int(hashlib.sha256(login.encode()).hexdigest()[:6], 16)
        return {
            "login": login, "id": uid, "node_id": f"U_{uid}", "type": "User",
            "avatar_url": f"{self.url}/avatars/{login}", "gravatar_id": "", "url": api,
            "html_url": web, "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions", "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos", "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events", "site_admin": False,
        }  # fmt: skip

    def label_json(self, repo: Repo, label: Label) -> dict[str, Any]:
        return {
            "id": label.id, "node_id": f"LA_{label.id}", "name": label.name,
            "url": f"{self.api_url}/repos/{repo.full_name}/labels/{label.name}",
            "color": label.color, "description": label.description, "default": False,
        }  # fmt: skip

    def milestone_counts(self, repo: Repo) -> dict[int, tuple[int, int]]:
        """Open and closed issues per milestone number, counted in one pass."""
        counts: dict[int, tuple[int, int]] = {}
        for issue in repo.issues.values():
            if issue.milestone:
                opened, closed = counts.get(issue.milestone, (0, 0))
                is_open = issue.state == "open"
                counts[issue.milestone] = (opened + is_open, closed + (not is_open))
        return counts

    def milestone_json(
        self, repo: Repo, ms: Milestone, counts: dict[int, tuple[int, int]] | None = None
    ) -> dict[str, Any]:
        url = f"{self.api_url}/repos/{repo.full_name}/milestones/{ms.number}"
        # A listing passes the counts it made once: per issue, they cost a scan of all.
        opened, closed = (counts if counts is not None else self.milestone_counts(repo)).get(
            ms.number, (0, 0)
        )
        return {
            "url": url, "html_url": f"{self.url}/{repo.full_name}/milestone/{ms.number}",
            "labels_url": f"{url}/labels", "id": ms.id, "node_id": f"MI_{ms.id}",
            "number": ms.number, "state": ms.state, "title": ms.title,
            "description": ms.description, "creator": self.user_json(self.login),
            "open_issues": opened,
            "closed_issues": closed,
            "created_at": iso(ms.created_at), "updated_at": iso(ms.updated_at),
            "closed_at": iso(ms.closed_at), "due_on": iso(ms.due_on),
        }  # fmt: skip

    def issue_json(
        self, repo: Repo, issue: Issue, counts: dict[int, tuple[int, int]] | None = None
    ) -> dict[str, Any]:
        url = f"{self.api_url}/repos/{repo.full_name}/issues/{issue.number}"
        kind = "pull" if issue.pull_request else "issues"
        html = f"{self.url}/{repo.full_name}/{kind}/{issue.number}"
        assignees = [self.user_json(login) for login in issue.assignees]
        ms = repo.milestones.get(issue.milestone) if issue.milestone else None
        data = {
            "id": issue.id, "node_id": f"I_{issue.id}", "url": url,
            "repository_url": f"{self.api_url}/repos/{repo.full_name}",
            "labels_url": f"{url}/labels{{/name}}", "comments_url": f"{url}/comments",
            "events_url": f"{url}/events", "html_url": html, "number": issue.number,
            "state": issue.state, "title": issue.title,
            "body": issue.body, "user": self.user_json(issue.user),
            "labels": [self.label_json(repo, repo.labels[n.lower()]) for n in issue.labels],
            "assignee": assignees[0] if assignees else None, "assignees": assignees,
            "milestone": self.milestone_json(repo, ms, counts) if ms else None,
            "locked": False,
            "active_lock_reason": None, "comments": len(issue.comments),
            "closed_at": iso(issue.closed_at), "created_at": iso(issue.created_at),
            "updated_at": iso(issue.updated_at), "author_association": "OWNER",
        }  # fmt: skip
        if self.sub_issues_enabled:  # a server without sub-issues does not know the key
            data["parent_issue_url"] = self.sub_parent_url.get(issue.id)
        if issue.state_reason is not None:
            # GitHub sends null; the description's enum (nullable, without null) rejects
            # it, so an open issue leaves the optional key out.
            data["state_reason"] = issue.state_reason
        if issue.pull_request:
            pulls = f"{self.api_url}/repos/{repo.full_name}/pulls/{issue.number}"
            data["pull_request"] = {
                "url": pulls, "html_url": html, "diff_url": f"{html}.diff",
                "patch_url": f"{html}.patch", "merged_at": None,
            }  # fmt: skip
        return data

    def comment_json(self, repo: Repo, issue: Issue, comment: Comment) -> dict[str, Any]:
        base = f"{self.api_url}/repos/{repo.full_name}/issues"
        web = f"{self.url}/{repo.full_name}/issues/{issue.number}"
        return {
            "id": comment.id, "node_id": f"IC_{comment.id}", "body": comment.body,
            "url": f"{base}/comments/{comment.id}",
            "html_url": f"{web}#issuecomment-{comment.id}",
            "issue_url": f"{base}/{issue.number}", "user": self.user_json(comment.user),
            "created_at": iso(comment.created_at), "updated_at": iso(comment.created_at),
            "author_association": "OWNER",
        }  # fmt: skip

    def repo_json(self, repo: Repo) -> dict[str, Any]:
        api = f"{self.api_url}/repos/{repo.full_name}"
        web = f"{self.url}/{repo.full_name}"
        templated = {
            "archive_url": "/{archive_format}{/ref}", "assignees_url": "/assignees{/user}",
            "blobs_url": "/git/blobs{/sha}", "branches_url": "/branches{/branch}",
            "collaborators_url": "/collaborators{/collaborator}",
            "comments_url": "/comments{/number}", "commits_url": "/commits{/sha}",
            "compare_url": "/compare/{base}...{head}", "contents_url": "/contents/{+path}",
            "contributors_url": "/contributors", "deployments_url": "/deployments",
            "downloads_url": "/downloads", "events_url": "/events", "forks_url": "/forks",
            "git_commits_url": "/git/commits{/sha}", "git_refs_url": "/git/refs{/sha}",
            "git_tags_url": "/git/tags{/sha}", "hooks_url": "/hooks",
            "issue_comment_url": "/issues/comments{/number}",
            "issue_events_url": "/issues/events{/number}", "issues_url": "/issues{/number}",
            "keys_url": "/keys{/key_id}", "labels_url": "/labels{/name}",
            "languages_url": "/languages", "merges_url": "/merges",
            "milestones_url": "/milestones{/number}",
            "notifications_url": "/notifications{?since,all,participating}",
            "pulls_url": "/pulls{/number}", "releases_url": "/releases{/id}",
            "stargazers_url": "/stargazers", "statuses_url": "/statuses/{sha}",
            "subscribers_url": "/subscribers", "subscription_url": "/subscription",
            "tags_url": "/tags", "teams_url": "/teams", "trees_url": "/git/trees{/sha}",
        }  # fmt: skip
        data: dict[str, Any] = {k: api + v for k, v in templated.items()}
        open_count = sum(1 for i in repo.issues.values() if i.state == "open")
        created = "2020-01-01T00:00:00Z"
        data.update({
            "id": repo.id, "node_id": f"R_{repo.id}", "name": repo.name,
            "full_name": repo.full_name, "owner": self.user_json(repo.owner),
            "private": True, "html_url": web, "description": None, "fork": False, "url": api,
            "clone_url": f"{web}.git", "git_url": f"git://127.0.0.1/{repo.full_name}.git",
            "ssh_url": f"git@127.0.0.1:{repo.full_name}.git", "svn_url": web,
            "mirror_url": None, "homepage": None, "language": None, "forks": 0,
            "forks_count": 0, "stargazers_count": 0, "watchers_count": 0, "watchers": 0,
            "size": 0, "default_branch": "main", "open_issues": open_count,
            "open_issues_count": open_count, "has_issues": repo.has_issues,
            "has_projects": True, "has_wiki": False, "has_pages": False,
            "has_discussions": False, "has_downloads": True, "archived": False,
            "disabled": False, "license": None, "pushed_at": created,
            "created_at": created, "updated_at": created, "network_count": 0,
            "subscribers_count": 0, "visibility": "private",
            "permissions": {"admin": False, "maintain": False, "push": self.push_access,
                            "triage": True, "pull": True},
        })  # fmt: skip
        return data

    # --- plumbing -------------------------------------------------------------------

    def not_found(self, req: FakeRequest) -> FakeResponse:
        return error(404, "Not Found", validate=False)

    def _register(self) -> None:
        routes: list[tuple[str, str, Callable[[FakeRequest], FakeResponse]]] = [
            ("GET", "/rate_limit", self._rate_limit),
            ("GET", REPO, self._get_repo),
            ("GET", REPO + "/issues", self._list_issues),
            ("POST", REPO + "/issues", self._create_issue),
            ("GET", ISSUE, self._get_issue),
            ("PATCH", ISSUE, self._edit_issue),
            ("GET", ISSUE + "/comments", self._list_comments),
            ("POST", ISSUE + "/comments", self._create_comment),
            ("POST", ISSUE + "/labels", self._add_labels),
            ("GET", REPO + "/labels", self._list_labels),
            ("POST", REPO + "/labels", self._create_label),
            ("GET", REPO + "/labels/{name}", self._get_label),
            ("GET", REPO + "/milestones", self._list_milestones),
            ("POST", REPO + "/milestones", self._create_milestone),
            ("GET", REPO + "/milestones/{milestone_number}", self._get_milestone),
            ("PATCH", REPO + "/milestones/{milestone_number}", self._edit_milestone),
            *github_sub_issues.register(self),
        ]
        for method, pattern, handler in routes:
            self.route(method, pattern, self._guarded(handler))
        from tests.fakes.github_search import enable_search  # it imports this module

        enable_search(self)  # a full listing searches for marker carriers without the label

    def _guarded(self, handler: Callable[[FakeRequest], FakeResponse]) -> Any:
        """Token check, repository lookup, rate-limit headers and ETags around a handler."""

        def run(req: FakeRequest) -> FakeResponse:
            denied = self._authenticate(req)
            if denied:
                return denied
            if "owner" in req.path_params:
                full = f"{req.path_params['owner']}/{req.path_params['repo']}".lower()
                if full not in self.repos:
                    return error(404, "Not Found")
            resp = handler(req)
            if req.method == "GET" and resp.status == 200:
                resp = self._conditional(req, resp)
            if resp.status != 304:  # conditional hits do not count against the limit
                self.rate_remaining = max(0, self.rate_remaining - 1)
            resp.headers.update(self._rate_headers())
            return resp

        return run

    def _authenticate(self, req: FakeRequest) -> FakeResponse | None:
        auth = req.header("authorization")
        scheme, _, value = auth.partition(" ")
        if not auth:
            return error(401, "Requires authentication", validate=False)
        if scheme.lower() not in ("token", "bearer") or value != self.token:
            return error(401, "Bad credentials", validate=False)
        return None

    def _rate_headers(self) -> dict[str, str]:
        reset = int(self.now().timestamp()) + 3600
        return {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(self.rate_remaining),
            "X-RateLimit-Reset": str(reset), "X-RateLimit-Used": str(
                self.rate_limit - self.rate_remaining), "X-RateLimit-Resource": "core",
        }  # fmt: skip

    def _conditional(self, req: FakeRequest, resp: FakeResponse) -> FakeResponse:
        digest = hashlib.sha256(resp.encoded()).hexdigest()[:32]
        etag = f'W/"{digest}"'
        resp.headers["ETag"] = etag
        if etag in [t.strip() for t in req.header("if-none-match").split(",")]:
            # The description declares 304 only for some GETs; GitHub answers it on all.
            declared = req.path.count("/") == 5 and "/issues/" in req.path
            return FakeResponse(304, None, {"ETag": etag}, validate=declared)
        return resp

    def _repo(self, req: FakeRequest) -> Repo:
        return self.repo(f"{req.path_params['owner']}/{req.path_params['repo']}")

    def _page(
        self, req: FakeRequest, items: list[Any], render: Callable[[Any], Any] | None = None
    ) -> FakeResponse:
        """One page of `items`; `render` (when given) is applied to that page only, so a
        listing of thousands of issues renders 100 per request, not all of them."""
        per_page = min(100, max(1, int(req.params.get("per_page", 30))))
        page = max(1, int(req.params.get("page", 1)))
        last = max(1, math.ceil(len(items) / per_page))
        body = items[(page - 1) * per_page : page * per_page]
        if render is not None:
            body = [render(item) for item in body]
        links = []
        rels = {"prev": page - 1, "next": page + 1, "first": 1, "last": last}
        for rel, number in rels.items():
            if (rel in ("prev", "first") and page > 1) or (rel in ("next", "last") and page < last):
                query = urlencode({**req.params, "page": number})
                links.append(f'<{self.api_url}{req.path}?{query}>; rel="{rel}"')
        headers = {"Link": ", ".join(links)} if links else {}
        return FakeResponse(200, body, headers)

    def _find_issue(self, req: FakeRequest) -> Issue | FakeResponse:
        repo = self._repo(req)
        number = int(req.path_params["issue_number"])
        if number in repo.moved:
            new_repo, new_number = repo.moved[number]
            location = f"{self.api_url}/repos/{new_repo}/issues/{new_number}"
            body = {"message": "Moved Permanently", "url": location, "documentation_url": DOCS}
            return FakeResponse(301, body, {"Location": location})
        if number in repo.deleted:
            return error(410, "This issue was deleted")
        if number not in repo.issues:
            return error(404, "Not Found")
        return repo.issues[number]

    def _ensure_label(self, repo: Repo, name: str) -> Label:
        label = repo.labels.get(name.lower())
        if label is None:
            label = repo.labels[name.lower()] = Label(next(_ids), name)
        return label

    # --- handlers: repository, rate limit ---------------------------------------------

    def _rate_limit(self, req: FakeRequest) -> FakeResponse:
        reset = int(self.now().timestamp()) + 3600
        core = {
            "limit": self.rate_limit,
            "remaining": self.rate_remaining,
            "reset": reset,
            "used": self.rate_limit - self.rate_remaining,
        }
        search = {"limit": 30, "remaining": 30, "reset": reset, "used": 0}
        return FakeResponse(200, {"resources": {"core": core, "search": search}, "rate": core})

    def _get_repo(self, req: FakeRequest) -> FakeResponse:
        return FakeResponse(200, self.repo_json(self._repo(req)))

    # --- handlers: issues --------------------------------------------------------------

    def _list_issues(self, req: FakeRequest) -> FakeResponse:
        repo, p = self._repo(req), req.params
        found = list(repo.issues.values())
        state = p.get("state", "open")
        if state != "all":
            found = [i for i in found if i.state == state]
        if p.get("labels"):
            wanted = {n.strip().lower() for n in p["labels"].split(",") if n.strip()}
            found = [i for i in found if wanted <= {n.lower() for n in i.labels}]
        if p.get("since"):
            since = parse_iso(p["since"])
            found = [i for i in found if i.updated_at >= since]
        if "milestone" in p:
            found = self._by_milestone(found, p["milestone"])
        if p.get("assignee") not in (None, "*"):
            who = p["assignee"]
            found = [
                i
                for i in found
                if (who == "none") == (not i.assignees) and (who == "none" or who in i.assignees)
            ]
        found.sort(key=_sort_key(p.get("sort", "created")), reverse=p.get("direction") != "asc")
        counts = self.milestone_counts(repo)
        return self._page(req, found, lambda issue: self.issue_json(repo, issue, counts))

    @staticmethod
    def _by_milestone(found: list[Issue], wanted: str) -> list[Issue]:
        if wanted == "*":
            return [i for i in found if i.milestone is not None]
        if wanted == "none":
            return [i for i in found if i.milestone is None]
        return [i for i in found if str(i.milestone) == wanted]

    def _create_issue(self, req: FakeRequest) -> FakeResponse:
        repo, data = self._repo(req), req.json()
        if not repo.has_issues:
            return error(410, "Issues are disabled for this repo")
        issue = Issue(next(_ids), repo.next_number, str(data["title"]), data.get("body"),
                      self.login, self.now(), self.now())  # fmt: skip
        problem = self._apply_restricted(repo, issue, data)
        if problem:
            return problem
        repo.issues[issue.number] = issue
        repo.next_number += 1
        location = f"{self.api_url}/repos/{repo.full_name}/issues/{issue.number}"
        return FakeResponse(201, self.issue_json(repo, issue), {"Location": location})

    def _apply_restricted(
        self, repo: Repo, issue: Issue, data: dict[str, Any]
    ) -> FakeResponse | None:
        """Labels, assignees and milestone: silently dropped without push access."""
        if not self.push_access:
            return None
        assignees = list(data.get("assignees") or [])
        if data.get("assignee"):
            assignees.append(data["assignee"])
        if "assignees" in data or "assignee" in data:
            unknown = [
                a
                for a in assignees
                if self.collaborators is not None and a not in self.collaborators
            ]
            if unknown:
                return invalid("Issue", "assignees", "invalid", unknown)
            issue.assignees = list(dict.fromkeys(assignees))
        if "labels" in data and data["labels"] is not None:
            names = [n if isinstance(n, str) else n["name"] for n in data["labels"]]
            issue.labels = [self._ensure_label(repo, n).name for n in dict.fromkeys(names)]
        if "milestone" in data:
            number = data["milestone"]
            if number in (None, ""):
                issue.milestone = None
            elif int(number) not in repo.milestones:
                return invalid("Issue", "milestone", "invalid", number)
            else:
                issue.milestone = int(number)
        return None

    def _get_issue(self, req: FakeRequest) -> FakeResponse:
        found = self._find_issue(req)
        if isinstance(found, FakeResponse):
            return found
        return FakeResponse(200, self.issue_json(self._repo(req), found))

    def _edit_issue(self, req: FakeRequest) -> FakeResponse:
        found = self._find_issue(req)
        if isinstance(found, FakeResponse):
            return found
        issue, data, repo = found, req.json() or {}, self._repo(req)
        problem = self._apply_restricted(repo, issue, data)
        if problem:
            return problem
        if data.get("title") is not None:
            issue.title = str(data["title"])
        if "body" in data:
            issue.body = data["body"]
        self._set_state(issue, data)
        issue.updated_at = self.now()
        return FakeResponse(200, self.issue_json(repo, issue))

    def _set_state(self, issue: Issue, data: dict[str, Any]) -> None:
        state = data.get("state")
        if state == "closed" and issue.state != "closed":
            issue.state, issue.closed_at = "closed", self.now()
            issue.state_reason = data.get("state_reason") or "completed"
        elif state == "closed" and data.get("state_reason"):
            issue.state_reason = data["state_reason"]
        elif state == "open" and issue.state != "open":
            issue.state, issue.closed_at, issue.state_reason = "open", None, "reopened"

    # --- handlers: comments and labels -------------------------------------------------

    def _list_comments(self, req: FakeRequest) -> FakeResponse:
        found = self._find_issue(req)
        if isinstance(found, FakeResponse):
            return found
        repo = self._repo(req)
        return self._page(req, [self.comment_json(repo, found, c) for c in found.comments])

    def _create_comment(self, req: FakeRequest) -> FakeResponse:
        found = self._find_issue(req)
        if isinstance(found, FakeResponse):
            return found
        comment = Comment(next(_ids), req.json()["body"], self.login, self.now())
        found.comments.append(comment)
        found.updated_at = self.now()
        data = self.comment_json(self._repo(req), found, comment)
        return FakeResponse(201, data, {"Location": data["url"]})

    def _add_labels(self, req: FakeRequest) -> FakeResponse:
        found = self._find_issue(req)
        if isinstance(found, FakeResponse):
            return found
        repo, data = self._repo(req), req.json()
        names = data.get("labels", []) if isinstance(data, dict) else data
        if self.push_access:
            for name in names:
                name = name if isinstance(name, str) else name["name"]
                label = self._ensure_label(repo, name)
                if label.name not in found.labels:
                    found.labels.append(label.name)
            found.updated_at = self.now()
        return FakeResponse(200, [self.label_json(repo, repo.labels[n.lower()])
                                  for n in found.labels])  # fmt: skip

    def _list_labels(self, req: FakeRequest) -> FakeResponse:
        repo = self._repo(req)
        return self._page(req, [self.label_json(repo, lab) for lab in repo.labels.values()])

    def _create_label(self, req: FakeRequest) -> FakeResponse:
        repo, data = self._repo(req), req.json()
        if data["name"].lower() in repo.labels:
            return invalid("Label", "name", "already_exists", data["name"])
        label = Label(next(_ids), data["name"], data.get("color", "ededed").lstrip("#"),
                      data.get("description"))  # fmt: skip
        repo.labels[label.name.lower()] = label
        body = self.label_json(repo, label)
        return FakeResponse(201, body, {"Location": body["url"]})

    def _get_label(self, req: FakeRequest) -> FakeResponse:
        repo = self._repo(req)
        label = repo.labels.get(req.path_params["name"].lower())
        if label is None:
            return error(404, "Not Found")
        return FakeResponse(200, self.label_json(repo, label))

    # --- handlers: milestones ----------------------------------------------------------

    def _list_milestones(self, req: FakeRequest) -> FakeResponse:
        repo, p = self._repo(req), req.params
        found = list(repo.milestones.values())
        if p.get("state", "open") != "all":
            found = [m for m in found if m.state == p.get("state", "open")]
        far = datetime.max.replace(tzinfo=timezone.utc)
        found.sort(key=lambda m: (m.due_on or far, m.number),
                   reverse=p.get("direction", "asc") == "desc")  # fmt: skip
        return self._page(req, [self.milestone_json(repo, m) for m in found])

    def _create_milestone(self, req: FakeRequest) -> FakeResponse:
        repo, data = self._repo(req), req.json()
        if any(m.title == data["title"] for m in repo.milestones.values()):
            return invalid("Milestone", "title", "already_exists", data["title"])
        now = self.now()
        ms = Milestone(
            next(_ids),
            repo.next_milestone,
            data["title"],
            now,
            now,
            description=data.get("description"),
            state=data.get("state", "open"),
        )
        if data.get("due_on"):
            ms.due_on = pacific_midnight(parse_iso(data["due_on"]))
        repo.milestones[ms.number] = ms
        repo.next_milestone += 1
        body = self.milestone_json(repo, ms)
        return FakeResponse(201, body, {"Location": body["url"]})

    def _get_milestone(self, req: FakeRequest) -> FakeResponse:
        repo = self._repo(req)
        ms = repo.milestones.get(int(req.path_params["milestone_number"]))
        if ms is None:
            return error(404, "Not Found")
        return FakeResponse(200, self.milestone_json(repo, ms))

    def _edit_milestone(self, req: FakeRequest) -> FakeResponse:
        repo, data = self._repo(req), req.json() or {}
        ms = repo.milestones.get(int(req.path_params["milestone_number"]))
        if ms is None:
            return error(404, "Not Found", validate=False)  # only 200 is declared
        for name in ("title", "description", "state"):
            if name in data:
                setattr(ms, name, data[name])
        if "due_on" in data:
            ms.due_on = pacific_midnight(parse_iso(data["due_on"])) if data["due_on"] else None
        ms.updated_at = self.now()
        return FakeResponse(200, self.milestone_json(repo, ms))


def _sort_key(sort: str) -> Callable[[Issue], tuple[Any, int]]:
    def key(issue: Issue) -> tuple[Any, int]:
        if sort == "updated":
            return issue.updated_at, issue.number
        if sort == "comments":
            return len(issue.comments), issue.number
        return issue.created_at, issue.number

    return key


def due_date_shown(ms: Milestone) -> date | None:
    """The date GitHub's web UI shows for a milestone (its US Pacific calendar date)."""
    return ms.due_on.astimezone(PACIFIC).date() if ms.due_on else None

"""A stateful fake GitLab REST API v4 (the issues subset pmsync uses) on a loopback server.

    with FakeGitLab() as gitlab:                    # project acme/platform/ops, Developer
        gl = gitlab_client(gitlab)                   # plain python-gitlab
        ...

Behaviour copied from GitLab, not from convenience:
- projects are addressed by id or URL-encoded path (`acme%2Fplatform%2Fops`); a project the
  token cannot see is `404 Project Not Found`, a missing issue `404 Not found`;
- a token is sent as `PRIVATE-TOKEN` or `Authorization: Bearer`; a wrong one is
  `401 Unauthorized`; a token without the `api` scope gets `403 insufficient_scope` on
  writes; a Guest's labels, assignees, due date and confidentiality are silently dropped
  on create (as GitLab does), and its label creation and edits are `403 Forbidden`;
- labels named in an issue that the project lacks are created (GitLab does that too);
  `POST /labels` for an existing name is `409 Label already exists`;
- model validation errors are `400 {"message": {field: [...]}}` (GitLab's
  `render_validation_error!`); a title over 255 characters is one;
- offset pagination with `X-Page`, `X-Next-Page`, `X-Total`… and a `Link` header;
  `pagination=keyset` pages by an opaque `cursor` and sends only `Link` (no totals);
  `per_page` is capped at 100; `updated_after` keeps issues updated at or after it;
- every answer carries `RateLimit-Limit/-Observed/-Remaining/-Reset/-ResetTime`; past
  `create_limit` issue creations in a window the answer is `429` with `Retry-After`;
- a moved issue stays in its old project, closed, with `moved_to_id`; a deleted one is 404.
- issue links are in gitlab_links.py; group epics (licensed per group, off by default as
  on GitLab Free) and an issue's `epic_id` in gitlab_epics.py.

Requests and responses are validated against tests/fakes/gitlab-issues.openapi.json
(built from GitLab's own Swagger description where it covers the endpoint: see
gitlab_spec.py). Error answers are not in that description and are not validated.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.fakes import gitlab_epics, gitlab_links
from tests.fakes.server import FakeRequest, FakeResponse, FakeServer

SPEC = Path(__file__).with_name("gitlab-issues.openapi.json")
TOKEN = "glpat-test-token-123"
PROJECT = "/projects/{id}"
ISSUE = PROJECT + "/issues/{issue_iid}"
GUEST, PLANNER, REPORTER, DEVELOPER, MAINTAINER = 10, 15, 20, 30, 40
MAX_TITLE = 255
_ids = itertools.count(500)


def stamp(moment: datetime | None) -> str | None:
    """GitLab's timestamps: UTC with milliseconds, `2022-08-17T12:46:35.053Z`."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def error(status: int, message: Any, **extra: Any) -> FakeResponse:
    return FakeResponse(status, {"message": message, **extra}, validate=False)


# --- state ----------------------------------------------------------------------------


@dataclass
class User:
    id: int
    username: str
    name: str
    state: str = "active"


@dataclass
class Label:
    id: int
    name: str
    color: str = "#6699cc"
    description: str | None = None


@dataclass
class Note:
    id: int
    body: str
    author: str
    created_at: datetime


@dataclass
class Issue:
    id: int
    iid: int
    title: str
    description: str | None
    author: str
    created_at: datetime
    updated_at: datetime
    state: str = "opened"
    closed_at: datetime | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    due_date: date | None = None
    confidential: bool = False
    notes: list[Note] = field(default_factory=list)
    moved_to_id: int | None = None
    epic_id: int | None = None  # the epic it is in (gitlab_epics.py)


@dataclass
class Project:
    path: str  # path_with_namespace
    id: int = field(default_factory=lambda: next(_ids))
    issues: dict[int, Issue] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)  # key: lower-case name
    next_iid: int = 1
    access: int = DEVELOPER


class FakeGitLab(FakeServer):
    def __init__(
        self,
        *,
        projects: tuple[str, ...] = ("acme/platform/ops",),
        spec_path: Path | None = SPEC,
    ) -> None:
        super().__init__(spec_path, prefix="/api/v4")
        self.token = TOKEN
        self.login = "pmsync-bot"
        self.initial_projects = projects
        self.clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
        self.reset()
        self._register()

    # --- test helpers ---------------------------------------------------------------

    def reset(self) -> None:
        """Forget all state, the log and the faults (between tests)."""
        with self.lock:
            self.groups: dict[str, gitlab_epics.Group] = {}  # key: lower-case full path
            self.projects: dict[str, Project] = {}
            for path in self.initial_projects:
                self.add_project(path)
            self.users: dict[str, User] = {}
            self.add_user(self.login, "pmsync bot")
            self.scopes = {"api"}
            self.token_kind = "personal"  # "oauth": no /personal_access_tokens/self
            self.create_limit = 300  # issue creations per window (GitLab.com: 300/min)
            self.create_window = 60.0
            self._creations: list[datetime] = []
            self.requests_limit = 2000  # the RateLimit-Limit header (per minute)
            self._window: datetime | None = None
            self._observed = 0
            self.issue_links: dict[int, tuple[Issue, Issue, str]] = {}  # gitlab_links.py
            self.validation_errors.clear()
            self.reset_log()
            self.clear_faults()
        self.clock = lambda: datetime.now(timezone.utc)

    def env(self) -> dict[str, str]:
        return {"GITLAB_TOKEN": self.token}

    def config(self, **overrides: Any) -> dict[str, Any]:
        """A `gitlab:` config section pointing at this fake."""
        return {"url": self.url, "project": self.initial_projects[0]} | overrides

    def add_project(self, path: str, access: int = DEVELOPER) -> Project:
        with self.lock:
            project = self.projects.setdefault(path.lower(), Project(path))
            gitlab_epics.add_groups(self, path)
            project.access = access
            return project

    def project(self, path: str | None = None) -> Project:
        return self.projects[(path or self.initial_projects[0]).lower()]

    def add_user(self, username: str, name: str | None = None, state: str = "active") -> User:
        with self.lock:
            user = User(next(_ids), username, name or username.title(), state)
            self.users[username.lower()] = user
            return user

    def now(self) -> datetime:
        return self.clock().astimezone(timezone.utc)

    def issues(self, path: str | None = None) -> list[Issue]:
        with self.lock:
            return list(self.project(path).issues.values())

    def issue(self, iid: int, path: str | None = None) -> Issue:
        return self.project(path).issues[iid]

    def add_issue(self, title: str, description: str | None = None, path: str | None = None,
                  **fields: Any) -> Issue:  # fmt: skip
        """An issue as a person would create it in the web UI."""
        with self.lock:
            project = self.project(path)
            for name in fields.get("labels", []):
                self._ensure_label(project, name)
            now = self.now()
            issue = Issue(next(_ids), project.next_iid, title, description, self.login, now,
                          now, **fields)  # fmt: skip
            project.issues[issue.iid] = issue
            project.next_iid += 1
            return issue

    def edit_issue(self, iid: int, path: str | None = None, **changes: Any) -> Issue:
        """Change an issue as a person would; bumps updated_at."""
        with self.lock:
            project = self.project(path)
            issue = project.issues[iid]
            for name in changes.get("labels", []):
                self._ensure_label(project, name)
            for name, value in changes.items():
                setattr(issue, name, value)
            if changes.get("state") == "closed" and issue.closed_at is None:
                issue.closed_at = self.now()
            issue.updated_at = self.now()
            return issue

    def delete_issue(self, iid: int, path: str | None = None) -> None:
        with self.lock:
            del self.project(path).issues[iid]

    def move_issue(self, iid: int, to_path: str, path: str | None = None) -> Issue:
        """GitLab's move: a copy in the target project; the original is closed and points
        at it with `moved_to_id`."""
        with self.lock:
            source, target = self.project(path), self.add_project(to_path)
            old = source.issues[iid]
            new = self.add_issue(old.title, old.description, target.path, labels=old.labels)
            old.moved_to_id, old.state = new.id, "closed"
            old.closed_at = old.updated_at = self.now()
            return new

    def label_names(self, path: str | None = None) -> list[str]:
        with self.lock:
            return [label.name for label in self.project(path).labels.values()]

    # --- rendering ------------------------------------------------------------------

    def user_json(self, username: str) -> dict[str, Any]:
        user = self.users.get(username.lower()) or User(0, username, username)
        return {
            "id": user.id, "username": user.username, "name": user.name,
            "state": user.state, "locked": False,
            "avatar_url": f"{self.url}/uploads/{user.username}.png",
            "web_url": f"{self.url}/{user.username}",
        }  # fmt: skip

    def issue_json(self, project: Project, issue: Issue) -> dict[str, Any]:
        web = f"{self.url}/{project.path}/-/issues/{issue.iid}"
        api = f"{self.api_url}/projects/{project.id}"
        assignees = [self.user_json(u) for u in issue.assignees]
        closed = issue.state == "closed"
        return {
            "id": issue.id, "iid": issue.iid, "project_id": project.id,
            "title": issue.title, "description": issue.description, "state": issue.state,
            "created_at": stamp(issue.created_at), "updated_at": stamp(issue.updated_at),
            "closed_at": stamp(issue.closed_at),
            "closed_by": self.user_json(self.login) if closed else None,
            "labels": list(issue.labels), "milestone": None, "assignees": assignees,
            "author": self.user_json(issue.author), "type": "ISSUE",
            "assignee": assignees[0] if assignees else None,
            "user_notes_count": len(issue.notes), "merge_requests_count": 0,
            "upvotes": 0, "downvotes": 0, "start_date": None,
            "due_date": issue.due_date.isoformat() if issue.due_date else None,
            "confidential": issue.confidential, "discussion_locked": None,
            "issue_type": "issue", "web_url": web,
            "time_stats": {"time_estimate": 0, "total_time_spent": 0,
                           "human_time_estimate": None, "human_total_time_spent": None},
            "task_completion_status": {"count": 0, "completed_count": 0},
            "weight": None, "blocking_issues_count": 0, "has_tasks": False,
            "_links": {"self": f"{api}/issues/{issue.iid}",
                       "notes": f"{api}/issues/{issue.iid}/notes",
                       "award_emoji": f"{api}/issues/{issue.iid}/award_emoji",
                       "project": api, "closed_as_duplicate_of": None},
            "references": {"short": f"#{issue.iid}", "relative": f"#{issue.iid}",
                           "full": f"{project.path}#{issue.iid}"},
            "severity": "UNKNOWN", "moved_to_id": issue.moved_to_id,
            "service_desk_reply_to": None, **gitlab_epics.issue_fields(self, issue),
        }  # fmt: skip

    def label_json(self, label: Label) -> dict[str, Any]:
        return {
            "id": label.id, "name": label.name, "color": label.color,
            "text_color": "#FFFFFF", "description": label.description,
            "priority": None, "is_project_label": True,
        }  # fmt: skip

    def project_json(self, project: Project) -> dict[str, Any]:
        name = project.path.rsplit("/", 1)[-1]
        return {
            "id": project.id, "name": name, "path": name,
            "path_with_namespace": project.path, "web_url": f"{self.url}/{project.path}",
            "issues_enabled": True,
            "permissions": {"project_access": {"access_level": project.access,
                                               "notification_level": 3},
                            "group_access": None},
        }  # fmt: skip

    # --- plumbing -------------------------------------------------------------------

    def not_found(self, req: FakeRequest) -> FakeResponse:
        return error(404, "404 Not Found")

    def _register(self) -> None:
        routes: list[tuple[str, str, Callable[[FakeRequest], FakeResponse]]] = [
            ("GET", "/user", self._current_user),
            ("GET", "/personal_access_tokens/self", self._current_token),
            ("GET", "/users", self._list_users),
            ("GET", PROJECT, self._get_project),
            ("GET", PROJECT + "/issues", self._list_issues),
            ("POST", PROJECT + "/issues", self._create_issue),
            ("GET", ISSUE, self._get_issue),
            ("PUT", ISSUE, self._edit_issue),
            ("GET", ISSUE + "/notes", self._list_notes),
            ("POST", ISSUE + "/notes", self._create_note),
            ("GET", PROJECT + "/labels", self._list_labels),
            ("POST", PROJECT + "/labels", self._create_label),
            *gitlab_links.routes(self),
            *gitlab_epics.routes(self),
        ]
        for method, pattern, handler in routes:
            self.route(method, pattern, self._guarded(handler))

    def _guarded(self, handler: Callable[[FakeRequest], FakeResponse]) -> Any:
        """Token and scope check, project lookup and rate-limit headers around a handler."""

        def run(req: FakeRequest) -> FakeResponse:
            resp = self._refused(req) or handler(req)
            resp.headers.update(self._rate_headers())
            return resp

        return run

    def _refused(self, req: FakeRequest) -> FakeResponse | None:
        token = req.header("private-token") or req.header("authorization").removeprefix("Bearer ")
        if token != self.token:
            return error(401, "401 Unauthorized")
        if req.method != "GET" and "api" not in self.scopes:
            body = {"error": "insufficient_scope", "scope": "api", "error_description":
                    "The request requires higher privileges than provided by the access "
                    "token."}  # fmt: skip
            challenge = {"WWW-Authenticate": 'Bearer error="insufficient_scope"'}
            return FakeResponse(403, body, challenge, validate=False)
        if "id" in req.path_params and self._project(req) is None:
            return error(404, "404 Project Not Found")
        return None

    def _rate_headers(self) -> dict[str, str]:
        """GitLab's per-user limit: requests counted in the current minute (GitLab.com
        allows 2,000 a minute to an authenticated user)."""
        window = self.now().replace(second=0, microsecond=0)
        if window != self._window:
            self._window, self._observed = window, 0
        self._observed += 1
        reset = window + timedelta(minutes=1)
        return {
            "RateLimit-Limit": str(self.requests_limit),
            "RateLimit-Observed": str(self._observed),
            "RateLimit-Remaining": str(max(0, self.requests_limit - self._observed)),
            "RateLimit-Reset": str(int(reset.timestamp())),
            "RateLimit-ResetTime": format_datetime(reset, usegmt=True),
        }

    def _project(self, req: FakeRequest) -> Project | None:
        key = req.path_params["id"]
        if key.isdigit():
            return next((p for p in self.projects.values() if p.id == int(key)), None)
        return self.projects.get(key.lower())

    def _found_issue(self, req: FakeRequest) -> tuple[Project, Issue] | FakeResponse:
        project = self._project(req)
        assert project is not None  # _refused checked it
        issue = project.issues.get(int(req.path_params["issue_iid"]))
        if issue is None:
            return error(404, "404 Not found")
        return project, issue

    def _ensure_label(self, project: Project, name: str) -> Label:
        label = project.labels.get(name.lower())
        if label is None:
            label = project.labels[name.lower()] = Label(next(_ids), name)
        return label

    def _page(self, req: FakeRequest, items: list[Any], render: Callable[[Any], Any]
              ) -> FakeResponse:  # fmt: skip
        per_page = min(100, max(1, int(req.params.get("per_page") or 20)))
        if req.params.get("pagination") == "keyset":
            return self._keyset_page(req, items, render, per_page)
        page = max(1, int(req.params.get("page") or 1))
        pages = max(1, -(-len(items) // per_page))
        body = [render(item) for item in items[(page - 1) * per_page : page * per_page]]
        following = page + 1 if page < pages else None
        headers = {
            "X-Page": str(page), "X-Per-Page": str(per_page),
            "X-Next-Page": str(following or ""), "X-Prev-Page": str(page - 1 or ""),
            "X-Total": str(len(items)), "X-Total-Pages": str(pages),
        }  # fmt: skip
        rels = {"prev": page - 1 if page > 1 else None, "next": following,
                "first": 1, "last": pages}  # fmt: skip
        links = [self._link(req, rel, {"page": n}) for rel, n in rels.items() if n]
        headers["Link"] = ", ".join(links)
        return FakeResponse(200, body, headers)

    def _keyset_page(self, req: FakeRequest, items: list[Any], render: Callable[[Any], Any],
                     per_page: int) -> FakeResponse:  # fmt: skip
        start = 0
        if req.params.get("cursor"):
            after = int(base64.urlsafe_b64decode(req.params["cursor"]).decode())
            start = next((n + 1 for n, item in enumerate(items) if item.id == after), len(items))
        chunk = items[start : start + per_page]
        headers = {"X-Per-Page": str(per_page)}
        if start + per_page < len(items):
            cursor = base64.urlsafe_b64encode(str(chunk[-1].id).encode()).decode()
            headers["Link"] = self._link(req, "next", {"cursor": cursor})
        return FakeResponse(200, [render(item) for item in chunk], headers)

    def _link(self, req: FakeRequest, rel: str, changes: dict[str, Any]) -> str:
        query = urlencode({**req.params, **changes})  # req.path is still percent-encoded
        return f'<{self.api_url}{req.path}?{query}>; rel="{rel}"'

    # --- handlers: users and projects ---------------------------------------------------

    def _current_user(self, req: FakeRequest) -> FakeResponse:
        return FakeResponse(200, self.user_json(self.login))

    def _current_token(self, req: FakeRequest) -> FakeResponse:
        """The token's own record; an OAuth token (`token_kind = "oauth"`) has none: 404."""
        if self.token_kind == "oauth":
            return error(404, "404 Not Found")
        user = self.users[self.login.lower()]
        return FakeResponse(200, {
            "id": 7, "name": "pmsync", "revoked": False, "created_at": stamp(self.now()),
            "description": "", "scopes": sorted(self.scopes), "user_id": user.id,
            "last_used_at": stamp(self.now()), "active": True, "expires_at": None,
        })  # fmt: skip

    def _list_users(self, req: FakeRequest) -> FakeResponse:
        wanted = req.params.get("username", "").lower()
        found = [u for name, u in self.users.items() if not wanted or name == wanted]
        return self._page(req, found, lambda user: self.user_json(user.username))

    def _get_project(self, req: FakeRequest) -> FakeResponse:
        project = self._project(req)
        assert project is not None
        return FakeResponse(200, self.project_json(project))

    # --- handlers: issues ----------------------------------------------------------------

    def _list_issues(self, req: FakeRequest) -> FakeResponse:
        project, p = self._project(req), req.params
        assert project is not None
        found = [i for i in project.issues.values() if _matches(i, p)]
        key = "updated_at" if p.get("order_by") == "updated_at" else "created_at"
        found.sort(key=lambda i: (getattr(i, key), i.id), reverse=p.get("sort") != "asc")
        return self._page(req, found, lambda issue: self.issue_json(project, issue))

    def _create_issue(self, req: FakeRequest) -> FakeResponse:
        project, data = self._project(req), req.json() or {}
        assert project is not None
        limited = self._creation_limited()
        if limited is not None:
            return limited
        problem = _title_problem(data.get("title"))
        if problem := problem or gitlab_epics.epic_problem(self, project, data):
            return problem
        now = self.now()
        issue = Issue(next(_ids), project.next_iid, data["title"], data.get("description"),
                      self.login, now, now)  # fmt: skip
        self._apply_fields(project, issue, data)
        project.issues[issue.iid] = issue
        project.next_iid += 1
        return FakeResponse(201, self.issue_json(project, issue))

    def _creation_limited(self) -> FakeResponse | None:
        now = self.now()
        window = timedelta(seconds=self.create_window)
        self._creations = [t for t in self._creations if now - t < window]
        if len(self._creations) >= self.create_limit:
            wait = int((self._creations[0] + window - now).total_seconds()) + 1
            body = "This endpoint has been requested too many times. Try again later."
            return FakeResponse(429, {"message": body}, {"Retry-After": str(wait)},
                                validate=False)  # fmt: skip
        self._creations.append(now)
        return None

    def _apply_fields(self, project: Project, issue: Issue, data: dict[str, Any]) -> None:
        """Labels, assignees, due date and confidentiality: a Guest's are dropped."""
        if project.access < PLANNER:
            return
        if "labels" in data:
            names = _names(data["labels"])
            issue.labels = [self._ensure_label(project, n).name for n in names]
        for op, keep in (("add_labels", True), ("remove_labels", False)):
            for name in _names(data.get(op)):
                if keep and name.lower() not in {n.lower() for n in issue.labels}:
                    issue.labels.append(self._ensure_label(project, name).name)
                elif not keep:
                    issue.labels = [n for n in issue.labels if n.lower() != name.lower()]
        if "assignee_ids" in data:
            by_id = {u.id: u.username for u in self.users.values()}
            issue.assignees = [by_id[i] for i in data["assignee_ids"] or [] if i in by_id]
        if "due_date" in data:
            issue.due_date = date.fromisoformat(data["due_date"]) if data["due_date"] else None
        if "confidential" in data:
            issue.confidential = bool(data["confidential"])
        if "epic_id" in data:  # moves it from any epic it was in; 0 or null: out of it
            issue.epic_id = int(data["epic_id"] or 0) or None

    def _get_issue(self, req: FakeRequest) -> FakeResponse:
        found = self._found_issue(req)
        if isinstance(found, FakeResponse):
            return found
        return FakeResponse(200, self.issue_json(*found))

    def _edit_issue(self, req: FakeRequest) -> FakeResponse:
        found = self._found_issue(req)
        if isinstance(found, FakeResponse):
            return found
        (project, issue), data = found, req.json() or {}
        if project.access < PLANNER and issue.author != self.login:
            return error(403, "403 Forbidden")
        if "title" in data and (problem := _title_problem(data["title"])):
            return problem
        if problem := gitlab_epics.epic_problem(self, project, data):
            return problem
        for name in ("title", "description"):
            if name in data:
                setattr(issue, name, data[name])
        self._apply_fields(project, issue, data)
        event = data.get("state_event")
        if event == "close" and issue.state != "closed":
            issue.state, issue.closed_at = "closed", self.now()
        elif event == "reopen" and issue.state != "opened":
            issue.state, issue.closed_at = "opened", None
        issue.updated_at = self.now()
        return FakeResponse(200, self.issue_json(project, issue))

    def _list_notes(self, req: FakeRequest) -> FakeResponse:
        found = self._found_issue(req)
        if isinstance(found, FakeResponse):
            return found
        issue = found[1]
        notes = list(issue.notes)
        if req.params.get("sort", "desc") == "desc":
            notes.reverse()
        return self._page(req, notes, lambda note: self.note_json(issue, note))

    def _create_note(self, req: FakeRequest) -> FakeResponse:
        found = self._found_issue(req)
        if isinstance(found, FakeResponse):
            return found
        issue = found[1]
        body = (req.json() or {}).get("body") or ""
        if not body.strip():
            return error(400, {"note": ["can't be blank"]})
        note = Note(next(_ids), body, self.login, self.now())
        issue.notes.append(note)
        issue.updated_at = note.created_at
        return FakeResponse(201, self.note_json(issue, note))

    def note_json(self, issue: Issue, note: Note) -> dict[str, Any]:
        return {
            "id": note.id, "type": None, "body": note.body,
            "author": self.user_json(note.author), "created_at": stamp(note.created_at),
            "updated_at": stamp(note.created_at), "system": False, "noteable_id": issue.id,
            "noteable_type": "Issue", "noteable_iid": issue.iid, "internal": False,
            "resolvable": False, "confidential": False,
        }  # fmt: skip

    # --- handlers: labels --------------------------------------------------------------

    def _list_labels(self, req: FakeRequest) -> FakeResponse:
        project = self._project(req)
        assert project is not None
        return self._page(req, list(project.labels.values()), self.label_json)

    def _create_label(self, req: FakeRequest) -> FakeResponse:
        project, data = self._project(req), req.json() or {}
        assert project is not None
        if project.access < PLANNER:
            return error(403, "403 Forbidden")
        if data["name"].lower() in project.labels:
            return error(409, "Label already exists")
        color = data["color"] if data["color"].startswith("#") else f"#{data['color']}"
        label = Label(next(_ids), data["name"], color, data.get("description"))
        project.labels[label.name.lower()] = label
        return FakeResponse(201, self.label_json(label))


# --- filters and validation --------------------------------------------------------------


def _names(value: Any) -> list[str]:
    """Grape takes label lists as arrays or comma-separated strings."""
    if not value:
        return []
    items = value.split(",") if isinstance(value, str) else value
    return list(dict.fromkeys(str(n).strip() for n in items if str(n).strip()))


def _matches(issue: Issue, p: dict[str, str]) -> bool:
    state = p.get("state", "all")
    if state != "all" and issue.state != state:
        return False
    wanted = {n.lower() for n in _names(p.get("labels"))}
    if wanted and not wanted <= {n.lower() for n in issue.labels}:
        return False
    if p.get("updated_after") and issue.updated_at < parse_stamp(p["updated_after"]):
        return False
    if p.get("search") and not _found_text(issue, p["search"], p.get("in", "title,description")):
        return False
    iids = p.get("iids[]") or p.get("iids")
    if iids and str(issue.iid) not in iids.split(","):
        return False
    return not ("confidential" in p and (p["confidential"] == "true") != issue.confidential)


def _found_text(issue: Issue, text: str, fields: str) -> bool:
    """GitLab's `search` (case-insensitive substring) in the fields `in` names."""
    wanted = text.casefold()
    haystacks = [getattr(issue, name, None) or "" for name in fields.split(",")]
    return any(wanted in str(hay).casefold() for hay in haystacks)


def _title_problem(title: Any) -> FakeResponse | None:
    if not isinstance(title, str) or not title.strip():
        return FakeResponse(400, {"error": "title is missing"}, validate=False)
    if len(title) > MAX_TITLE:
        return error(400, {"title": [f"is too long (maximum is {MAX_TITLE} characters)"]})
    return None

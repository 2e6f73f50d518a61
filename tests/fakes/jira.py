"""A stateful fake Jira on the loopback FakeServer: Cloud (REST v3, validated against the
vendor's OpenAPI subset) and Data Center (REST v2, not covered by the subset: served
faithfully but unvalidated).

    with FakeJira() as jira:                      # Cloud: basic auth email:token
        ...
    with FakeJira(flavor="datacenter") as jira:   # Data Center: Authorization: Bearer PAT

Cloud answers the legacy `/rest/api/{2,3}/search` with 410 Gone and pages
`/rest/api/3/search/jql` by `nextPageToken` (no `total`, only `id` unless `fields` are
named). Data Center pages `/rest/api/2/search` by `startAt` and has no `/search/jql`.
The JQL subset pmsync uses is parsed properly; anything else is a 400, as on Jira.

Test helpers act as people would in Jira: `transition`, `edit`, `delete`, plus
`reject_summary_containing` (one bulk element fails) and `search_lag` (JQL does not see
issues created in the last N requests) or `search_lag_seconds` (in the last N seconds of
`clock`); GET by key sees every issue at once.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, Literal

from . import jira_hierarchy
from .server import FakeRequest, FakeResponse, FakeServer

SPEC = Path(__file__).with_name("jira-issues.openapi.json")

Flavor = Literal["cloud", "datacenter"]

# name -> (id, statusCategory key, statusCategory id, colour)
STATUSES = {
    "To Do": ("10000", "new", 2, "blue-gray"),
    "In Progress": ("3", "indeterminate", 4, "yellow"),
    "Done": ("10001", "done", 3, "green"),
}
# transition name -> (id, target status)
TRANSITIONS = {
    "To Do": ("11", "To Do"),
    "In Progress": ("21", "In Progress"),
    "Done": ("31", "Done"),
}
PRIORITIES = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}
ISSUE_TYPES = {"Task": "10001", "Bug": "10002", "Story": "10003", "Epic": "10000"}
SYSTEM_FIELDS = {
    "summary", "description", "labels", "duedate", "priority", "assignee", "project",
    "issuetype", "components", "reporter", "environment", "fixVersions", "versions", "parent",
}  # fmt: skip
READ_ONLY_FIELDS = {"status", "resolution", "resolutiondate", "created", "updated"}
MAX_BULK = 50

CLOUD_EMAIL = "bot@example.com"
CLOUD_TOKEN = "cloud-api-token-0123456789"
DC_PAT = "dc-personal-access-token-9876543210"
GONE = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at "
    "https://developer.atlassian.com/changelog/#CHANGE-2046"
)


class JqlError(ValueError):
    """The query is outside the subset (or wrong): Jira answers 400."""


def jira_time(moment: datetime, tz: tzinfo = timezone.utc) -> str:
    """Jira's timestamp format: 2021-01-17T12:34:00.000+0000."""
    local = moment.astimezone(tz)
    return (
        local.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{local.microsecond // 1000:03d}"
        + (local.strftime("%z"))
    )


def _error(status: int, *messages: str, **errors: str) -> FakeResponse:
    return FakeResponse(status, {"errorMessages": list(messages), "errors": errors})


# --- Atlassian Document Format ----------------------------------------------------------

_BLOCKS = {
    "paragraph", "heading", "bulletList", "orderedList", "listItem", "codeBlock",
    "blockquote", "rule", "panel", "table", "tableRow", "tableHeader", "tableCell",
    "mediaSingle", "media",
}  # fmt: skip
_INLINES = {"text", "hardBreak", "mention", "emoji", "inlineCard", "date", "status"}
_MARKS = {"strong", "em", "code", "link", "strike", "underline", "subsup", "textColor"}


def adf_problems(doc: Any) -> list[str]:
    """Why `doc` is not an Atlassian Document (empty list: it is one)."""
    if not isinstance(doc, dict) or doc.get("type") != "doc" or doc.get("version") != 1:
        return ['not an ADF document: expected {"type": "doc", "version": 1, "content": [...]}']
    problems: list[str] = []
    _check_nodes(doc.get("content"), "content", problems)
    return problems


def _check_nodes(nodes: Any, where: str, problems: list[str]) -> None:
    if not isinstance(nodes, list):
        problems.append(f"{where}: content must be a list")
        return
    for i, node in enumerate(nodes):
        path = f"{where}[{i}]"
        kind = node.get("type") if isinstance(node, dict) else None
        if kind not in _BLOCKS | _INLINES:
            problems.append(f"{path}: unknown node type {kind!r}")
            continue
        if kind == "text":
            if not isinstance(node.get("text"), str) or not node["text"]:
                problems.append(f"{path}: text node needs a non-empty 'text'")
            for mark in node.get("marks", []):
                if not isinstance(mark, dict) or mark.get("type") not in _MARKS:
                    problems.append(f"{path}: unknown mark {mark!r}")
                elif mark["type"] == "link" and not mark.get("attrs", {}).get("href"):
                    problems.append(f"{path}: link mark without attrs.href")
        elif kind in ("bulletList", "orderedList"):
            items = node.get("content")
            if not items or any(c.get("type") != "listItem" for c in items):
                problems.append(f"{path}: a list holds listItem nodes only")
        if "content" in node:
            _check_nodes(node["content"], f"{path}.content", problems)
        elif kind in ("bulletList", "orderedList", "listItem", "blockquote"):
            problems.append(f"{path}: {kind} needs content")


# --- JQL subset -----------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op>>=|<=|!=|=|>|<)"""
    r"""|(?P<punct>[(),])|(?P<word>[A-Za-z0-9_.\-:/*]+))"""
)
_FIELDS = {
    "project": {"=", "!=", "in"},
    "labels": {"=", "!=", "in"},
    "key": {"=", "in"},
    "issuekey": {"=", "in"},
    "status": {"=", "!=", "in"},
    "statuscategory": {"=", "!=", "in"},
    "updated": {">=", ">", "<=", "<"},
    "created": {">=", ">", "<=", "<"},
}
_ORDER_FIELDS = {"updated", "created", "key", "issuekey"}
_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")


@dataclass(frozen=True)
class Clause:
    field: str
    op: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Query:
    clauses: tuple[Clause, ...]
    order: tuple[tuple[str, bool], ...]  # (field, descending)


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text.rstrip()):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise JqlError(f"Error in the JQL Query: unexpected character at position {pos}.")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "str":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append((kind, value))
        pos = match.end()
    return tokens


def parse_jql(text: str) -> Query:
    """`clause AND clause ... [ORDER BY field [ASC|DESC], ...]`; OR, NOT, functions and
    fields outside the subset are rejected."""
    tokens = tokenize(text)
    clauses: list[Clause] = []
    order: list[tuple[str, bool]] = []
    i = 0

    def word(at: int) -> str:
        return tokens[at][1].lower() if at < len(tokens) and tokens[at][0] == "word" else ""

    while i < len(tokens) and word(i) != "order":
        if clauses:
            if word(i) != "and":
                raise JqlError(f"Error in the JQL Query: expecting 'AND' but got '{tokens[i][1]}'.")
            i += 1
        clause, i = _parse_clause(tokens, i)
        clauses.append(clause)
    if i < len(tokens):
        if word(i + 1) != "by":
            raise JqlError("Error in the JQL Query: expecting 'BY' after 'ORDER'.")
        i += 2
        while True:
            name = word(i)
            if name not in _ORDER_FIELDS:
                raise JqlError(
                    f"Not able to sort using field '{tokens[i][1] if i < len(tokens) else ''}'."
                )
            i += 1
            desc = False
            if word(i) in ("asc", "desc"):
                desc = word(i) == "desc"
                i += 1
            order.append(("key" if name == "issuekey" else name, desc))
            if i < len(tokens) and tokens[i] == ("punct", ","):
                i += 1
                continue
            break
        if i != len(tokens):
            raise JqlError(f"Error in the JQL Query: unexpected '{tokens[i][1]}' after ORDER BY.")
    return Query(tuple(clauses), tuple(order))


def _value(tokens: list[tuple[str, str]], i: int) -> str:
    if i >= len(tokens) or tokens[i][0] not in ("str", "word"):
        raise JqlError("Error in the JQL Query: expecting a value.")
    if tokens[i][0] == "word" and tokens[i][1].lower() in ("and", "or", "not", "order", "empty"):
        raise JqlError(f"Error in the JQL Query: '{tokens[i][1]}' is a reserved word.")
    return tokens[i][1]


def _parse_clause(tokens: list[tuple[str, str]], i: int) -> tuple[Clause, int]:
    if i >= len(tokens) or tokens[i][0] not in ("word", "str"):
        raise JqlError("Error in the JQL Query: expecting a field name.")
    name = tokens[i][1].lower()
    if name not in _FIELDS:
        raise JqlError(
            f"Field '{tokens[i][1]}' does not exist or you do not have permission to view it."
        )
    i += 1
    op = tokens[i][1].lower() if i < len(tokens) and tokens[i][0] in ("op", "word") else ""
    if op not in _FIELDS[name]:
        raise JqlError(f"The operator '{op}' is not supported by the '{name}' field.")
    i += 1
    if op != "in":
        return Clause(name, op, (_value(tokens, i),)), i + 1
    if i >= len(tokens) or tokens[i] != ("punct", "("):
        raise JqlError("Error in the JQL Query: expecting '(' after 'in'.")
    values: list[str] = []
    i += 1
    while True:
        values.append(_value(tokens, i))
        i += 1
        if i < len(tokens) and tokens[i] == ("punct", ","):
            i += 1
        elif i < len(tokens) and tokens[i] == ("punct", ")"):
            return Clause(name, op, tuple(values)), i + 1
        else:
            raise JqlError("Error in the JQL Query: expecting ',' or ')'.")


def parse_jql_date(value: str, field: str, tz: tzinfo) -> datetime:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    raise JqlError(
        f"Date value '{value}' for field '{field}' is invalid. Valid formats include: "
        "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', "
        "or a period format e.g. '-5d', '4w 2d'."
    )


# --- state ----------------------------------------------------------------------------


@dataclass
class FakeIssue:
    id: str
    key: str
    project: str
    fields: dict[str, Any]  # settable fields as sent (summary, description, labels, ...)
    created: datetime
    updated: datetime
    seq: int  # request number that created it (search lag)
    status: str = "To Do"
    resolution: str | None = None
    resolutiondate: datetime | None = None
    comments: list[dict[str, Any]] = field(default_factory=list)

    @property
    def number(self) -> int:
        return int(self.key.rsplit("-", 1)[1])


class FakeJira(FakeServer):
    def __init__(
        self,
        flavor: Flavor = "cloud",
        *,
        projects: Iterable[str] = ("OPS",),
        prefix: str = "",
        spec_path: Path | None = SPEC,
    ) -> None:
        cloud = flavor == "cloud"
        super().__init__(spec_path if cloud else None, prefix=prefix, relax_formats=("date-time",))
        self.flavor: Flavor = flavor
        self.v = "3" if cloud else "2"
        self.api = f"/rest/api/{self.v}"
        self.email, self.token = (CLOUD_EMAIL, CLOUD_TOKEN) if cloud else ("", DC_PAT)
        self.project_keys = list(projects)
        self.clock: Callable[[], datetime]
        self.user_tz: tzinfo  # JQL dates are read in the user's time zone
        self.reset()
        self._register()

    # --- test controls ----------------------------------------------------------------
    def reset(self) -> None:
        """Forget every issue, fault, setting and logged request."""
        with self.lock:
            self.store: dict[str, FakeIssue] = {}
            self.projects = {k: str(10000 + n) for n, k in enumerate(self.project_keys)}
            self.counters = dict.fromkeys(self.projects, 0)
            self.next_id = 10000
            self.seq = 0
            self.search_lag: int | bool = 0
            self.search_lag_seconds = 0.0  # by the fake's clock, as Jira Cloud's index
            self.max_page = 100
            self.users: dict[str, str] | None = None  # None: any assignee is accepted
            self.disabled_transitions: set[str] = set()
            self.rejected_summaries: list[str] = []
            self.denied_permissions: set[str] = set()  # keys mypermissions answers false
            self.epic_fields = True  # Data Center: Epic Link / Epic Name exist (Jira Software)
            self.clock = lambda: datetime.now(timezone.utc)
            self.user_tz = timezone.utc
            self.requests.clear()
            self.validation_errors.clear()
        self.clear_faults()

    def env(self) -> dict[str, str]:
        """Environment variables holding this fake's credentials, as pmsync reads them."""
        if self.flavor == "cloud":
            return {"JIRA_EMAIL": self.email, "JIRA_API_TOKEN": self.token}
        return {"JIRA_API_TOKEN": self.token}

    def config(self, **overrides: Any) -> dict[str, Any]:
        """A `jira:` config section pointing at this fake."""
        auth = "basic" if self.flavor == "cloud" else "bearer"
        return {"url": self.api_url, "project": self.project_keys[0], "auth": auth} | overrides

    def reject_summary_containing(self, text: str) -> None:
        """Creates and edits whose summary contains `text` fail (one bulk element)."""
        self.rejected_summaries.append(text)

    def issues(self) -> list[dict[str, Any]]:
        """Every issue as GET /issue/{key} would serve it, in key order."""
        with self.lock:
            ordered = sorted(self.store.values(), key=lambda i: (i.project, i.number))
            return [self.render(i, None) for i in ordered]

    def issue(self, key: str) -> dict[str, Any]:
        with self.lock:
            return self.render(self.store[key], None)

    def comments(self, key: str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.store[key].comments)

    def transition(self, key: str, name: str) -> None:
        """A person moves the issue through the workflow (e.g. "Done")."""
        with self.lock:
            self._apply_transition(self.store[key], TRANSITIONS[name][1])

    def edit(self, key: str, **fields: Any) -> None:
        """A person edits fields in Jira: edit(key, duedate="2024-07-01", assignee="acc-1")."""
        with self.lock:
            issue = self.store[key]
            for name, value in fields.items():
                if name == "assignee" and isinstance(value, str):
                    value = self._user_ref(value)
                elif name == "priority" and isinstance(value, str):
                    value = {"name": value}
                issue.fields[name] = value
            issue.updated = self.clock()

    def delete(self, key: str) -> None:
        with self.lock:
            del self.store[key]

    def add_project(self, key: str) -> None:
        with self.lock:
            self.projects[key] = str(10000 + len(self.projects))
            self.counters[key] = 0

    # --- routes -------------------------------------------------------------------------
    def _register(self) -> None:
        api, cloud = self.api, self.flavor == "cloud"
        routes: list[tuple[str, str, Callable[[FakeRequest], FakeResponse], bool]] = [
            ("POST", f"{api}/issue", self.create_one, cloud),
            ("POST", f"{api}/issue/bulk", self.create_bulk, cloud),
            ("GET", f"{api}/issue/{{issueIdOrKey}}", self.get_issue, cloud),
            ("PUT", f"{api}/issue/{{issueIdOrKey}}", self.edit_issue, cloud),
            ("GET", f"{api}/issue/{{issueIdOrKey}}/transitions", self.get_transitions, cloud),
            ("POST", f"{api}/issue/{{issueIdOrKey}}/transitions", self.do_transition, cloud),
            ("GET", f"{api}/issue/{{issueIdOrKey}}/comment", self.list_comments, cloud),
            ("POST", f"{api}/issue/{{issueIdOrKey}}/comment", self.add_comment, cloud),
            ("GET", f"{api}/myself", self.myself, cloud),
            ("GET", f"{api}/serverInfo", self.server_info, cloud),
            ("GET", f"{api}/project/{{projectIdOrKey}}", self.get_project, cloud),
            # not in the subset; the jira library's searches look field names up here
            ("GET", f"{api}/field", self.list_fields, False),
            # not in the subset either; `pmsync doctor` reads the permissions here
            ("GET", f"{api}/mypermissions", self.my_permissions, False),
        ]
        if cloud:
            routes += [
                ("GET", "/rest/api/3/search/jql", self.search_jql, True),
                ("POST", "/rest/api/3/search/jql", self.search_jql, True),
                ("GET", "/rest/api/3/search", self.gone, True),
                ("POST", "/rest/api/3/search", self.gone, True),
                ("GET", "/rest/api/2/search", self.gone, False),
                ("POST", "/rest/api/2/search", self.gone, False),
                # v2 exists on Cloud too; clients may ask it which flavour they talk to
                ("GET", "/rest/api/2/serverInfo", self.server_info, False),
                ("GET", "/rest/api/2/myself", self.myself, False),
            ]
        else:
            routes += [
                ("GET", "/rest/api/2/search", self.search_classic, False),
                ("POST", "/rest/api/2/search", self.search_classic, False),
            ]
        for method, pattern, handler, validate in routes:
            self.route(method, pattern, self._guard(handler), validate=validate)

    def _guard(self, handler: Callable[[FakeRequest], FakeResponse]) -> Callable[..., Any]:
        def serve(req: FakeRequest) -> FakeResponse:
            self.seq += 1
            auth = self._authenticated(req.header("authorization"))
            if auth is False or (auth is None and handler != self.server_info):
                resp = _error(401, "You are not authenticated. Authentication required.")
                resp.headers["WWW-Authenticate"] = (
                    'Basic realm="protected-area"' if self.flavor == "cloud" else "Bearer"
                )
                return resp
            return handler(req)

        return serve

    def _authenticated(self, header: str) -> bool | None:
        """None: anonymous; False: credentials given and refused."""
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        if self.flavor == "cloud" and scheme.lower() == "basic":
            try:
                return base64.b64decode(value).decode() == f"{self.email}:{self.token}"
            except ValueError:
                return False
        if self.flavor == "datacenter" and scheme.lower() == "bearer":
            return value == self.token
        return False  # Cloud takes no PAT; recent Data Center releases refuse basic auth

    def not_found(self, req: FakeRequest) -> FakeResponse:
        resp = _error(404, "null for uri: " + req.path)
        resp.validate = False
        return resp

    def gone(self, req: FakeRequest) -> FakeResponse:
        resp = _error(410, GONE)
        resp.validate = False  # the description declares no 410: Atlassian's changelog does
        return resp

    # --- server, user, project ------------------------------------------------------------
    def server_info(self, req: FakeRequest) -> FakeResponse:
        now = jira_time(self.clock())
        if self.flavor == "cloud":
            version, numbers, kind, build = "1001.0.0-SNAPSHOT", [1001, 0, 0], "Cloud", 100285
        else:
            version, numbers, kind, build = "9.12.2", [9, 12, 2], "Server", 9120002
        body = {
            "baseUrl": self.url, "version": version, "versionNumbers": numbers,
            "deploymentType": kind, "buildNumber": build,
            "buildDate": "2024-05-01T00:00:00.000+0000", "serverTime": now,
            "scmInfo": "0f3e5a1", "serverTitle": "Jira",
        }  # fmt: skip
        if self.flavor == "datacenter":
            body["serverTimeZone"] = "UTC"
        return FakeResponse(200, body)

    def myself(self, req: FakeRequest) -> FakeResponse:
        body: dict[str, Any] = {
            "self": f"{self.url}{self.api}/myself", "displayName": "pmsync bot",
            "emailAddress": CLOUD_EMAIL, "active": True, "timeZone": "UTC",
        }  # fmt: skip
        if self.flavor == "cloud":
            body.update(accountId="557058:pmsync-bot", accountType="atlassian")
        else:
            body.update(name="pmsync-bot", key="JIRAUSER10100")
        return FakeResponse(200, body)

    def my_permissions(self, req: FakeRequest) -> FakeResponse:
        """Jira's answer shape: {permissions: {KEY: {id, key, name, type, description,
        havePermission}}}; `permissions` is required, and a project must exist."""
        keys = [k for k in req.params.get("permissions", "").split(",") if k]
        if not keys:
            return _error(400, "The 'permissions' query parameter is required.")
        project = req.params.get("projectKey")
        if project and project not in self.projects:
            return _error(404, f"No project could be found with key '{project}'.")
        granted = {
            key: {"id": str(n), "key": key, "name": key.replace("_", " ").title(),
                  "type": "PROJECT", "description": "",
                  "havePermission": key not in self.denied_permissions}
            for n, key in enumerate(keys, start=10)
        }  # fmt: skip
        return FakeResponse(200, {"permissions": granted})

    def list_fields(self, req: FakeRequest) -> FakeResponse:
        names = sorted(SYSTEM_FIELDS | READ_ONLY_FIELDS)
        return FakeResponse(200, [
            {"id": n, "key": n, "name": n.title(), "custom": False, "navigable": True,
             "searchable": True, "clauseNames": [n]} for n in names
        ] + jira_hierarchy.fields_json(self))  # fmt: skip

    def get_project(self, req: FakeRequest) -> FakeResponse:
        key = req.path_params["projectIdOrKey"]
        match = [k for k, pid in self.projects.items() if key in (k, pid)]
        if not match:
            return _error(404, f"No project could be found with key '{key}'.")
        pkey = match[0]
        return FakeResponse(200, self._project_json(pkey) | {"projectTypeKey": "software"})

    def _project_json(self, key: str) -> dict[str, Any]:
        pid = self.projects[key]
        return {"self": f"{self.url}{self.api}/project/{pid}", "id": pid, "key": key,
                "name": f"{key} project"}  # fmt: skip

    # --- issues -----------------------------------------------------------------------
    def _find(self, key_or_id: str) -> FakeIssue | None:
        if key_or_id in self.store:
            return self.store[key_or_id]
        return next((i for i in self.store.values() if i.id == key_or_id), None)

    def create_one(self, req: FakeRequest) -> FakeResponse:
        body = req.json() or {}
        errors = self._validate_fields(body.get("fields") or {}, creating=True)
        if errors:
            return FakeResponse(400, {"errorMessages": [], "errors": errors})
        return FakeResponse(201, self._created(self._commit(body["fields"])))

    def create_bulk(self, req: FakeRequest) -> FakeResponse:
        updates = (req.json() or {}).get("issueUpdates") or []
        if len(updates) > MAX_BULK:
            element = {"errorMessages": [f"Too many issues: at most {MAX_BULK} per request."],
                       "errors": {}, "status": 400}  # fmt: skip
            return FakeResponse(
                400,
                {
                    "issues": [],
                    "errors": [
                        {"status": 400, "failedElementNumber": MAX_BULK, "elementErrors": element}
                    ],
                },
            )
        created, failed = [], []
        for n, update in enumerate(updates):
            errors = self._validate_fields((update or {}).get("fields") or {}, creating=True)
            if errors:
                failed.append(
                    {
                        "status": 400,
                        "failedElementNumber": n,
                        "elementErrors": {"errorMessages": [], "errors": errors, "status": 400},
                    }
                )
            else:
                created.append(self._created(self._commit(update["fields"])))
        status = 201 if created or not updates else 400
        return FakeResponse(status, {"issues": created, "errors": failed})

    def _created(self, issue: FakeIssue) -> dict[str, Any]:
        return {"id": issue.id, "key": issue.key, "self": f"{self.url}{self.api}/issue/{issue.id}"}

    def _commit(self, fields: dict[str, Any]) -> FakeIssue:
        project = self._project_key(fields["project"]) or ""
        self.counters[project] += 1
        self.next_id += 1
        now = self.clock()
        kept = {k: v for k, v in fields.items() if k != "project"}
        kept["issuetype"] = self._issuetype_name(fields["issuetype"])
        kept.setdefault("labels", [])
        issue = FakeIssue(str(self.next_id), f"{project}-{self.counters[project]}", project,
                          kept, now, now, self.seq)  # fmt: skip
        self.store[issue.key] = issue
        return issue

    def _project_key(self, ref: Any) -> str | None:
        if not isinstance(ref, dict):
            return None
        for key, pid in self.projects.items():
            if ref.get("key") == key or str(ref.get("id")) == pid:
                return key
        return None

    def _issuetype_name(self, ref: Any) -> str | None:
        if not isinstance(ref, dict):
            return None
        for name, tid in ISSUE_TYPES.items():
            if ref.get("name") == name or str(ref.get("id")) == tid:
                return name
        return None

    def _validate_fields(self, fields: dict[str, Any], *, creating: bool) -> dict[str, str]:
        errors: dict[str, str] = {}
        if creating:
            if self._project_key(fields.get("project")) is None:
                errors["project"] = "Specify a valid project ID or key"
            if self._issuetype_name(fields.get("issuetype")) is None:
                errors["issuetype"] = "Specify a valid issue type"
            if not fields.get("summary"):
                errors["summary"] = "You must specify a summary of the issue."
            errors.update(jira_hierarchy.create_problems(self, fields))
        for name, value in fields.items():
            problem = self._field_problem(name, value, creating)
            if problem:
                errors[name] = problem
        return errors

    def _field_problem(self, name: str, value: Any, creating: bool) -> str | None:
        if jira_hierarchy.known(self, name):
            return jira_hierarchy.problem(self, name, value)
        if name in ("project", "issuetype"):
            return None if creating else f"Field '{name}' cannot be changed by an edit."
        if name == "summary":
            return self._summary_problem(value)
        if name == "description":
            return self._description_problem(value)
        if name == "labels":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                return "The labels field must be a list of strings."
            bad = next((v for v in value if not v or " " in v or len(v) > 255), None)
            return (
                f"The label '{bad}' contains spaces which is invalid." if bad is not None else None
            )
        if name == "duedate":
            return (
                None if value is None or _is_date(value) else f"Error parsing date string: {value}"
            )
        if name == "priority":
            ok = value is None or (
                isinstance(value, dict)
                and (value.get("name") in PRIORITIES or value.get("id") in PRIORITIES.values())
            )
            return None if ok else "The priority selected is invalid."
        if name == "assignee":
            return self._assignee_problem(value)
        if name in SYSTEM_FIELDS or re.fullmatch(r"customfield_\d+", name):
            return None
        return f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."

    def _summary_problem(self, value: Any) -> str | None:
        if not isinstance(value, str) or not value.strip():
            return "You must specify a summary of the issue."
        if "\n" in value or "\r" in value:
            return "The summary is invalid because it contains newline characters."
        if len(value) > 255:
            return "Summary must be less than 255 characters."
        hit = next((t for t in self.rejected_summaries if t in value), None)
        return f"Summary rejected by a workflow validator: contains '{hit}'." if hit else None

    def _description_problem(self, value: Any) -> str | None:
        if value is None:
            return None
        if self.flavor == "datacenter":
            return None if isinstance(value, str) else "Operation value must be a string"
        problems = adf_problems(value)
        if problems:
            return ("Operation value must be an Atlassian Document (see the Atlassian "
                    f"Document Format): {problems[0]}")  # fmt: skip
        return None

    def _assignee_problem(self, value: Any) -> str | None:
        if value is None:
            return None
        attr = "accountId" if self.flavor == "cloud" else "name"
        if not isinstance(value, dict) or not isinstance(value.get(attr), str):
            return f"Specify a valid value for assignee ({attr})."
        if self.users is not None and value[attr] not in self.users:
            return f"User '{value[attr]}' does not exist."
        return None

    def _user_ref(self, who: str) -> dict[str, str]:
        return {"accountId": who} if self.flavor == "cloud" else {"name": who}

    # --- rendering ----------------------------------------------------------------------
    def render(self, issue: FakeIssue, wanted: set[str] | None) -> dict[str, Any]:
        """IssueBean; `wanted` None: all fields."""
        all_fields = self._fields_json(issue)
        if wanted is not None:
            all_fields = {k: v for k, v in all_fields.items() if k in wanted}
        return {"expand": "renderedFields,names,schema,operations,editmeta,changelog",
                "id": issue.id, "key": issue.key,
                "self": f"{self.url}{self.api}/issue/{issue.id}", "fields": all_fields}  # fmt: skip

    def _fields_json(self, issue: FakeIssue) -> dict[str, Any]:
        f = issue.fields
        sid, cat, cat_id, colour = STATUSES[issue.status]
        out: dict[str, Any] = {k: v for k, v in f.items() if k not in ("assignee", "priority")}
        out.update(
            summary=f.get("summary"), description=f.get("description"),
            labels=list(f.get("labels") or []), duedate=f.get("duedate"),
            issuetype={"self": f"{self.url}{self.api}/issuetype/{ISSUE_TYPES[f['issuetype']]}",
                       "id": ISSUE_TYPES[f["issuetype"]], "name": f["issuetype"],
                       "subtask": False},
            project=self._project_json(issue.project),
            status={"self": f"{self.url}{self.api}/status/{sid}", "id": sid,
                    "name": issue.status, "statusCategory": {
                        "self": f"{self.url}{self.api}/statuscategory/{cat_id}", "id": cat_id,
                        "key": cat, "colorName": colour, "name": _category_name(cat)}},
            resolution=None if issue.resolution is None else {"id": "10000",
                "name": issue.resolution, "self": f"{self.url}{self.api}/resolution/10000"},
            resolutiondate=issue.resolutiondate and jira_time(issue.resolutiondate),
            created=jira_time(issue.created), updated=jira_time(issue.updated),
            priority=self._priority_json(f.get("priority")),
            assignee=self._user_json(f.get("assignee")),
        )  # fmt: skip
        if f.get("parent"):
            out["parent"] = self._parent_json(f["parent"])
        return out

    def _parent_json(self, ref: dict[str, Any]) -> dict[str, Any]:
        """The parent as Jira shows it, however it was named (by key or id)."""
        parent = self._find(str(ref.get("key") or ref.get("id") or ""))
        if parent is None:
            return ref
        return {"id": parent.id, "key": parent.key,
                "self": f"{self.url}{self.api}/issue/{parent.id}",
                "fields": {"summary": parent.fields.get("summary")}}  # fmt: skip

    def _priority_json(self, ref: dict[str, Any] | None) -> dict[str, Any] | None:
        if not ref:
            return None
        name = ref.get("name") or next(n for n, i in PRIORITIES.items() if i == ref.get("id"))
        pid = PRIORITIES[name]
        return {"self": f"{self.url}{self.api}/priority/{pid}", "id": pid, "name": name}

    def _user_json(self, ref: dict[str, Any] | None) -> dict[str, Any] | None:
        if not ref:
            return None
        who = ref.get("accountId") or ref.get("name") or ""
        name = (self.users or {}).get(who, who)
        user = {"displayName": name, "active": True, "self": f"{self.url}{self.api}/user?x={who}"}
        if self.flavor == "cloud":
            return user | {"accountId": who, "accountType": "atlassian"}
        return user | {"name": who, "key": who}

    @staticmethod
    def _wanted(raw: Any, default: set[str] | None) -> set[str] | None:
        names: list[str] = []
        for part in raw if isinstance(raw, list) else [raw] if raw else []:
            names += [n.strip() for n in str(part).split(",") if n.strip()]
        if not names:
            return default
        if "*all" in names or "*navigable" in names:
            return None
        return {n for n in names if n != "id" and not n.startswith("-")}

    def get_issue(self, req: FakeRequest) -> FakeResponse:
        issue = self._find(req.path_params["issueIdOrKey"])
        if issue is None:
            return _error(404, "Issue does not exist or you do not have permission to see it.")
        body = self.render(issue, self._wanted(req.params.get("fields"), None))
        if "transitions" in req.params.get("expand", ""):
            body["transitions"] = self._transitions_json(issue)
        return FakeResponse(200, body)

    def edit_issue(self, req: FakeRequest) -> FakeResponse:
        issue = self._find(req.path_params["issueIdOrKey"])
        if issue is None:
            return _error(404, "Issue does not exist or you do not have permission to see it.")
        body = req.json() or {}
        fields = dict(body.get("fields") or {})
        try:
            labels = _apply_label_ops(issue.fields.get("labels") or [], body.get("update") or {})
        except ValueError as exc:
            return _error(400, str(exc))
        if labels is not None:
            fields["labels"] = labels
        errors = self._validate_fields(fields, creating=False)
        if errors:
            return FakeResponse(400, {"errorMessages": [], "errors": errors}, validate=False)
        changed = {k: v for k, v in fields.items() if issue.fields.get(k) != v}
        if changed:
            issue.fields.update(changed)
            issue.updated = self.clock()
        if self.flavor == "cloud" and req.params.get("returnIssue") == "true":
            return FakeResponse(200, self.render(issue, None))
        return _no_content()

    # --- workflow -----------------------------------------------------------------------
    def _available(self, issue: FakeIssue) -> list[str]:
        return [n for n, (_, to) in TRANSITIONS.items()
                if to != issue.status and n not in self.disabled_transitions]  # fmt: skip

    def _transitions_json(self, issue: FakeIssue) -> list[dict[str, Any]]:
        out = []
        for name in self._available(issue):
            tid, to = TRANSITIONS[name]
            sid, cat, cat_id, colour = STATUSES[to]
            out.append({
                "id": tid, "name": name, "hasScreen": False, "isGlobal": True,
                "isInitial": False, "isAvailable": True, "isConditional": False,
                "to": {"self": f"{self.url}{self.api}/status/{sid}", "id": sid, "name": to,
                       "statusCategory": {"id": cat_id, "key": cat, "colorName": colour,
                                          "name": _category_name(cat)}},
            })  # fmt: skip
        return out

    def get_transitions(self, req: FakeRequest) -> FakeResponse:
        issue = self._find(req.path_params["issueIdOrKey"])
        if issue is None:
            return _error(404, "Issue does not exist or you do not have permission to see it.")
        return FakeResponse(200, {"transitions": self._transitions_json(issue)})

    def do_transition(self, req: FakeRequest) -> FakeResponse:
        issue = self._find(req.path_params["issueIdOrKey"])
        if issue is None:
            return _error(404, "Issue does not exist or you do not have permission to see it.")
        body = req.json() or {}
        tid = str((body.get("transition") or {}).get("id", ""))
        name = next((n for n in self._available(issue) if TRANSITIONS[n][0] == tid), None)
        if name is None:
            return _error(400, f"Transition id '{tid}' is not valid for this issue.")
        for entry in (body.get("update") or {}).get("comment", []):
            self._store_comment(issue, (entry.get("add") or {}).get("body"))
        self._apply_transition(issue, TRANSITIONS[name][1])
        return _no_content()

    def _apply_transition(self, issue: FakeIssue, status: str) -> None:
        issue.status = status
        done = STATUSES[status][1] == "done"
        issue.resolution = "Done" if done else None
        issue.resolutiondate = self.clock() if done else None
        issue.updated = self.clock()

    # --- comments -----------------------------------------------------------------------
    def add_comment(self, req: FakeRequest) -> FakeResponse:
        issue = self._find(req.path_params["issueIdOrKey"])
        if issue is None:
            return _error(404, "Issue does not exist or you do not have permission to see it.")
        body = (req.json() or {}).get("body")
        if self.flavor == "cloud" and adf_problems(body):
            return _error(400, "Comment body must be an Atlassian Document: "
                          + adf_problems(body)[0])  # fmt: skip
        if self.flavor == "datacenter" and not isinstance(body, str):
            return _error(400, "Comment body must be a string.")
        return FakeResponse(201, self._store_comment(issue, body))

    def _store_comment(self, issue: FakeIssue, body: Any) -> dict[str, Any]:
        now = jira_time(self.clock())
        cid = str(10000 + sum(len(i.comments) for i in self.store.values()) + 1)
        author = {"displayName": "pmsync bot", "active": True}
        comment = {"self": f"{self.url}{self.api}/issue/{issue.id}/comment/{cid}", "id": cid,
                   "author": author, "body": body, "created": now, "updated": now}  # fmt: skip
        issue.comments.append(comment)
        issue.updated = self.clock()
        return comment

    def list_comments(self, req: FakeRequest) -> FakeResponse:
        issue = self._find(req.path_params["issueIdOrKey"])
        if issue is None:
            return _error(404, "Issue does not exist or you do not have permission to see it.")
        start = int(req.params.get("startAt", 0))
        size = min(int(req.params.get("maxResults", 100)), 100)
        page = issue.comments[start : start + size]
        return FakeResponse(200, {"startAt": start, "maxResults": size,
                                  "total": len(issue.comments), "comments": page})  # fmt: skip

    # --- search -------------------------------------------------------------------------
    def _search_args(self, req: FakeRequest) -> dict[str, Any]:
        if req.method == "POST":
            return dict(req.json() or {})
        return dict(req.params)

    def search_jql(self, req: FakeRequest) -> FakeResponse:
        args = self._search_args(req)
        jql = str(args.get("jql") or "")
        try:
            found = self.run_jql(jql)
            start = _decode_token(args.get("nextPageToken"), jql)
        except JqlError as exc:
            return _error(400, str(exc))
        size = max(1, min(int(args.get("maxResults") or 50), self.max_page))
        wanted = self._wanted(args.get("fields"), set())
        page = found[start : start + size]
        body: dict[str, Any] = {"issues": [self._search_hit(i, wanted) for i in page]}
        if start + size < len(found):
            body.update(nextPageToken=_encode_token(start + size, jql), isLast=False)
        else:
            body["isLast"] = True
        return FakeResponse(200, body)

    def _search_hit(self, issue: FakeIssue, wanted: set[str] | None) -> dict[str, Any]:
        if wanted == set():  # enhanced search: only ids unless fields are named
            return {"id": issue.id}
        return self.render(issue, wanted)

    def search_classic(self, req: FakeRequest) -> FakeResponse:
        args = self._search_args(req)
        try:
            found = self.run_jql(str(args.get("jql") or ""))
        except JqlError as exc:
            return _error(400, str(exc))
        start = int(args.get("startAt") or 0)
        size = max(0, min(int(args.get("maxResults") or 50), self.max_page))
        wanted = self._wanted(args.get("fields"), None)
        page = found[start : start + size]
        return FakeResponse(200, {
            "expand": "schema,names", "startAt": start, "maxResults": size,
            "total": len(found), "issues": [self.render(i, wanted) for i in page]})  # fmt: skip

    def run_jql(self, jql: str) -> list[FakeIssue]:
        """Issues matching `jql` in its order; issues still hidden by `search_lag` left out."""
        query = parse_jql(jql)
        lag = 10 if self.search_lag is True else int(self.search_lag)
        indexed = self.clock() - timedelta(seconds=self.search_lag_seconds)
        pool = [i for i in self.store.values() if self.seq - i.seq >= lag and i.created <= indexed]
        for clause in query.clauses:
            test = self._predicate(clause)
            pool = [i for i in pool if test(i)]
        for name, desc in reversed(query.order or (("key", True),)):
            pool.sort(key=_sort_key(name), reverse=desc)
        return pool

    def _predicate(self, clause: Clause) -> Callable[[FakeIssue], bool]:
        name, op, values = clause.field, clause.op, clause.values
        if name == "project":
            unknown = [v for v in values if v.upper() not in self.projects]
            if unknown:
                raise JqlError(f"The value '{unknown[0]}' does not exist for the field 'project'.")
            keys = {v.upper() for v in values}
            return lambda i: (i.project in keys) == (op != "!=")
        if name in ("key", "issuekey"):
            missing = [v for v in values if self._find(v.upper()) is None]
            if missing:
                raise JqlError(f"An issue with key '{missing[0]}' does not exist for field 'key'.")
            keys = {v.upper() for v in values}
            return lambda i: i.key in keys
        if name == "labels":
            wanted = set(values)
            return lambda i: bool(wanted & set(i.fields.get("labels") or [])) == (op != "!=")
        if name in ("status", "statuscategory"):
            wanted = {v.lower() for v in values}

            def status_of(i: FakeIssue) -> set[str]:
                if name == "status":
                    return {i.status.lower()}
                cat = STATUSES[i.status][1]
                return {cat, _category_name(cat).lower()}

            return lambda i: bool(wanted & status_of(i)) == (op != "!=")
        moment = parse_jql_date(values[0], name, self.user_tz)
        compare = {">=": lambda a: a >= moment, ">": lambda a: a > moment,
                   "<=": lambda a: a <= moment, "<": lambda a: a < moment}[op]  # fmt: skip
        return lambda i: compare(i.updated if name == "updated" else i.created)


def _no_content() -> FakeResponse:
    """204 without a body, as HTTP says. The description declares `application/json: {}`
    for these 204s, which openapi-core then requires; only the request is validated."""
    return FakeResponse(204, validate=False)


def _category_name(key: str) -> str:
    return {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}[key]


def _sort_key(name: str) -> Callable[[FakeIssue], Any]:
    if name == "key":
        return lambda i: (i.project, i.number)
    return lambda i: (i.updated if name == "updated" else i.created, int(i.id))


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _apply_label_ops(current: list[str], update: dict[str, Any]) -> list[str] | None:
    ops = update.get("labels")
    if ops is None:
        return None
    labels = list(current)
    for op in ops:
        if "set" in op:
            labels = list(op["set"])
        elif "add" in op and op["add"] not in labels:
            labels.append(op["add"])
        elif "remove" in op and op["remove"] in labels:
            labels.remove(op["remove"])
        elif not {"add", "remove", "set"} & set(op):
            raise ValueError(f"Unsupported label operation: {sorted(op)}")
    return labels


def _encode_token(offset: int, jql: str) -> str:
    raw = json.dumps({"o": offset, "q": hashlib.sha1(jql.encode()).hexdigest()[:12]})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_token(token: Any, jql: str) -> int:
    if not token:
        return 0
    try:
        raw = json.loads(base64.urlsafe_b64decode(str(token) + "=" * (-len(str(token)) % 4)))
        offset, digest = int(raw["o"]), raw["q"]
    except (ValueError, KeyError, TypeError):
        raise JqlError("The provided next page token is invalid or expired.") from None
    if digest != hashlib.sha1(jql.encode()).hexdigest()[:12]:
        raise JqlError("The provided next page token does not belong to this query.")
    return offset

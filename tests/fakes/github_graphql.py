"""A stateful fake of the few GitHub GraphQL operations pmsync uses for Projects v2
due dates, served by a FakeGitHub (so issue node ids are the fake's real ones).

    projects = attach(fake_github)           # idempotent; resets the GraphQL state
    projects.add_project("acme", 7, fields={"Due": "DATE", "Status": "SINGLE_SELECT"})
    ...
    projects.dates("acme", 7)                # issue node id → "YYYY-MM-DD" of field Due
    projects.count("updateProjectV2ItemFieldValue")   # from the server's request log

Behaviour copied from GitHub:
- one endpoint, POST with {"query", "variables"}; failures other than transport and
  auth come back as HTTP 200 with an `errors` array (`type`, `message`, `path`);
- `organization(login:)` for a user login (and `user(login:)` for an organization)
  answers null with a NOT_FOUND error at that path; an unknown project number likewise;
- `addProjectV2ItemById` on an issue already in the project returns the existing item;
- a wrong token is HTTP 401 {"message": "Bad credentials"}; GitHub Enterprise Server
  serves GraphQL at /api/graphql, beside the REST prefix /api/v3.

The query is read honestly but minimally: the operation is identified by its root
field names (aliases allowed: several mutations in one request, each answered under its
alias, run in order); the values come from `variables` only, and every variable the operation
needs must be declared in the query text (`$projectId: ID!`), so a client that splices
values into the query is rejected. Anything else is a GraphQL error, as GitHub would
answer an operation this fake does not know.
"""

from __future__ import annotations

import itertools
import json
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.github import FakeGitHub
from tests.fakes.server import FakeRequest, FakeResponse

ENDPOINT = "/graphql"  # github.com: https://api.github.com/graphql
ENTERPRISE_ENDPOINT = "/api/graphql"  # GHES: https://HOST/api/graphql
DOCS = "https://docs.github.com/graphql"
_ids = itertools.count(1)

# root field → the variables it must receive
OPERATIONS: dict[str, tuple[str, ...]] = {
    "organization": ("owner", "number"),
    "user": ("owner", "number"),
    "addProjectV2ItemById": ("projectId", "contentId"),
    "updateProjectV2ItemFieldValue": ("projectId", "itemId", "fieldId", "date"),
    "clearProjectV2ItemFieldValue": ("projectId", "itemId", "fieldId"),
}
MUTATIONS = {
    "addProjectV2ItemById",
    "updateProjectV2ItemFieldValue",
    "clearProjectV2ItemFieldValue",
}


# --- state ------------------------------------------------------------------------


@dataclass
class ProjectField:
    id: str
    name: str
    data_type: str  # DATE, TEXT, NUMBER, SINGLE_SELECT, ITERATION, TITLE …


@dataclass
class ProjectItem:
    id: str
    content_id: str  # the issue's node id
    values: dict[str, str] = field(default_factory=dict)  # field id → value


@dataclass
class Project:
    id: str
    owner: str
    owner_type: str  # "Organization" | "User"
    number: int
    title: str
    fields: list[ProjectField]
    items: dict[str, ProjectItem] = field(default_factory=dict)  # item id → item

    def field_named(self, name: str) -> ProjectField:
        return next(f for f in self.fields if f.name == name)

    def item_for(self, content_id: str) -> ProjectItem | None:
        return next((i for i in self.items.values() if i.content_id == content_id), None)


class GraphQLError(Exception):
    def __init__(self, type_: str, message: str, path: list[str] | None = None) -> None:
        super().__init__(message)
        self.entry: dict[str, Any] = {"type": type_, "message": message}
        if path:
            self.entry["path"] = path


# --- query reading ----------------------------------------------------------------

_TOKEN_RE = re.compile(r'"(?:\\.|[^"\\])*"|\.\.\.|[A-Za-z_]\w*|\$\w+|[{}():!@\[\]=,]|\S')


@dataclass(frozen=True)
class Selection:
    """One root field of an operation: `alias: name(arg: $var, input: {key: $var})`."""

    alias: str
    name: str
    args: dict[str, str]  # argument or input key → the variable that carries it


def root_fields(query: str) -> tuple[str, list[str]]:
    """(operation type, root field names) of the first operation in `query`. Aliases
    are resolved to the field name; a root-level fragment spread is not supported."""
    kind, selections = root_selections(query)
    return kind, [s.name for s in selections]


def root_selections(query: str) -> tuple[str, list[Selection]]:
    """(operation type, root selections) of the first operation in `query`."""
    text = re.sub(r"#[^\n]*", "", query)
    tokens = _TOKEN_RE.findall(text)
    if not tokens:
        raise GraphQLError("PARSE_ERROR", "empty query")
    kind = tokens[0] if tokens[0] in ("query", "mutation", "subscription") else "query"
    start = tokens.index("{")
    found: list[Selection] = []
    depth, parens, i = 0, 0, start
    while i < len(tokens):
        tok = tokens[i]
        if tok == "(":
            parens += 1
        elif tok == ")":
            parens -= 1
        elif tok == "{" and parens == 0:
            depth += 1
        elif tok == "}" and parens == 0:
            depth -= 1
            if depth == 0:
                break
        elif depth == 1 and parens > 0 and found and tok.startswith("$"):
            if i >= 2 and tokens[i - 1] == ":":  # `key: $var` in the root's arguments
                found[-1].args[tokens[i - 2]] = tok[1:]
        elif depth == 1 and parens == 0:
            if tok == "@":  # a directive: its name is not a field
                i += 2
                continue
            if tok == "...":
                raise GraphQLError("PARSE_ERROR", "fragment spreads at the root are not supported")
            if re.fullmatch(r"[A-Za-z_]\w*", tok):
                aliased = i + 2 < len(tokens) and tokens[i + 1] == ":"
                name = tokens[i + 2] if aliased else tok
                found.append(Selection(tok, name, {}))
                i += 2 if aliased else 0
        i += 1
    return kind, found


def declared_variables(query: str) -> set[str]:
    """Names of the variables declared by the operation (`$name: Type`)."""
    return set(re.findall(r"\$(\w+)\s*:", query))


# --- the fake ---------------------------------------------------------------------

_attached: weakref.WeakKeyDictionary[FakeGitHub, FakeProjects] = weakref.WeakKeyDictionary()


def attach(github: FakeGitHub) -> FakeProjects:
    """The GraphQL fake of `github`, registered once per server (routes cannot be
    removed, and the servers live for a whole test module) and reset on every call."""
    fake = _attached.get(github)
    if fake is None:
        fake = _attached[github] = FakeProjects(github)
        fake.register()
    fake.reset()
    return fake


class FakeProjects:
    def __init__(self, github: FakeGitHub) -> None:
        self.github = github
        self.reset()

    # --- test helpers ---------------------------------------------------------------

    def reset(self) -> None:
        with self.github.lock:
            self.projects: dict[tuple[str, int], Project] = {}
            self.owners: dict[str, str] = {"acme": "Organization", self.github.login: "User"}
            self._failures: list[tuple[str | None, dict[str, Any]]] = []

    def add_project(
        self,
        owner: str = "acme",
        number: int = 7,
        *,
        fields: dict[str, str] | None = None,
        owner_type: str | None = None,
        title: str = "Postmortem follow-ups",
    ) -> Project:
        """A project with a Title field and `fields` (name → dataType)."""
        wanted = {"Title": "TITLE", **(fields if fields is not None else {"Due": "DATE"})}
        kind = owner_type or self.owners.get(owner.lower(), "Organization")
        with self.github.lock:
            self.owners[owner.lower()] = kind
            made = [ProjectField(f"PVTF_{next(_ids)}", n, t) for n, t in wanted.items()]
            project = Project(f"PVT_{next(_ids)}", owner, kind, number, title, made)
            self.projects[(owner.lower(), number)] = project
        return project

    def project(self, owner: str = "acme", number: int = 7) -> Project:
        return self.projects[(owner.lower(), number)]

    def project_items(self, owner: str = "acme", number: int = 7) -> list[ProjectItem]:
        with self.github.lock:
            return list(self.project(owner, number).items.values())

    def dates(self, owner: str = "acme", number: int = 7, name: str = "Due") -> dict[str, str]:
        """Issue node id → the value of the date field `name`, for items that have one."""
        with self.github.lock:
            project = self.project(owner, number)
            fid = project.field_named(name).id
            return {i.content_id: i.values[fid] for i in project.items.values() if fid in i.values}

    def fail_next(
        self, type_: str, message: str, *, operation: str | None = None, times: int = 1
    ) -> None:
        """Answer the next `times` requests (whose root fields include `operation`, when
        given) with HTTP 200 and this GraphQL error, as GitHub reports FORBIDDEN,
        INSUFFICIENT_SCOPES or RATE_LIMITED."""
        with self.github.lock:
            for _ in range(times):
                self._failures.append((operation, {"type": type_, "message": message}))

    def operations(self) -> list[str]:
        """Root field names of every GraphQL request in the server's log, in order."""
        with self.github.lock:
            logged = [r for r in self.github.requests if r.path in (ENDPOINT, ENTERPRISE_ENDPOINT)]
        ops: list[str] = []
        for req in logged:
            try:
                ops.extend(root_fields(str((req.json() or {}).get("query", "")))[1])
            except (ValueError, GraphQLError):
                ops.append("<unreadable>")
        return ops

    def count(self, operation: str) -> int:
        """Requests whose root fields include `operation` (the project lookup asks for
        both `organization` and `user` in one request: count "organization")."""
        return self.operations().count(operation)

    # --- wiring ---------------------------------------------------------------------

    def register(self) -> None:
        gh = self.github
        if gh.prefix:
            # FakeServer routes only paths under its prefix (/api/v3); GHES serves
            # GraphQL beside it, at /api/graphql, which reaches `not_found`.
            fallback: Callable[[FakeRequest], FakeResponse] = gh.not_found

            def not_found(req: FakeRequest) -> FakeResponse:
                if req.method != "POST" or req.path != ENTERPRISE_ENDPOINT:
                    return fallback(req)
                try:
                    with gh.lock:
                        return self.handle(req)
                except Exception as exc:  # as FakeServer does for routes: fail loudly
                    gh.record_error(f"handler POST {req.path} crashed: {exc!r}")
                    return FakeResponse(500, {"message": repr(exc)}, validate=False)

            setattr(gh, "not_found", not_found)  # noqa: B010 (an instance override)
        else:
            gh.route("POST", ENDPOINT, self.handle, validate=False)

    def handle(self, req: FakeRequest) -> FakeResponse:
        denied = self.github._authenticate(req)
        if denied:
            denied.validate = False
            return denied
        try:
            body = json.loads(req.body or b"null")
            query, variables = str(body["query"]), dict(body.get("variables") or {})
            kind, selections = root_selections(query)
        except (ValueError, KeyError, TypeError, GraphQLError) as exc:
            return self._errors([{"type": "PARSE_ERROR", "message": f"bad request: {exc}"}])
        failure = self._take_failure([sel.name for sel in selections])
        if failure is not None:
            return self._errors([failure])
        try:
            self._check(kind, selections, query, variables)
        except GraphQLError as exc:
            return self._errors([exc.entry])
        return self._run(selections, variables)

    def _take_failure(self, roots: list[str]) -> dict[str, Any] | None:
        for n, (operation, entry) in enumerate(self._failures):
            if operation is None or operation in roots:
                del self._failures[n]
                return entry
        return None

    def _check(
        self, kind: str, selections: list[Selection], query: str, variables: dict[str, Any]
    ) -> None:
        declared = declared_variables(query)
        used = {var for sel in selections for var in sel.args.values()}
        if declared - used - {n for sel in selections for n in OPERATIONS.get(sel.name, ())}:
            unused = sorted(declared - used)[0]
            raise GraphQLError("VARIABLE_NOT_USED", f"Variable ${unused} is declared but not used")
        if len({sel.alias for sel in selections}) != len(selections):
            raise GraphQLError("FIELDS_CONFLICT", "two root fields answer under one name")
        for sel in selections:
            if sel.name not in OPERATIONS:
                raise GraphQLError(
                    "UNKNOWN_FIELD", f"Field '{sel.name}' is not supported by the fake"
                )
            if (sel.name in MUTATIONS) != (kind == "mutation"):
                raise GraphQLError("PARSE_ERROR", f"'{sel.name}' does not belong in a {kind}")
            for name in OPERATIONS[sel.name]:
                var = sel.args.get(name, name)
                if var not in declared or var not in variables:
                    raise GraphQLError(
                        "MISSING_VARIABLE", f"'{sel.name}' needs the variable ${var}, declared"
                    )

    def _run(self, selections: list[Selection], variables: dict[str, Any]) -> FakeResponse:
        """Each root field in order (mutations run one after the other), answered under
        its alias; one failing field is null with its error, the others still run."""
        data: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        for sel in selections:
            values = {**variables, **{k: variables[v] for k, v in sel.args.items()}}
            try:
                data[sel.alias] = self._resolve(sel.name, values)
            except GraphQLError as exc:
                data[sel.alias] = None
                path = [sel.alias, *exc.entry.get("path", [])[1:]]
                errors.append({**exc.entry, "path": path})
        return self._answer({"data": data, **({"errors": errors} if errors else {})})

    def _resolve(self, root: str, v: dict[str, Any]) -> Any:
        if root in ("organization", "user"):
            return self._owner(root, str(v["owner"]), int(v["number"]))
        project = self._project_by_id(str(v["projectId"]), root)
        if root == "addProjectV2ItemById":
            return {"item": {"id": self._add_item(project, str(v["contentId"]))}}
        item = project.items.get(str(v["itemId"]))
        if item is None:
            raise GraphQLError("NOT_FOUND", f"Could not resolve to a node with the global id "
                               f"of '{v['itemId']}'", [root])  # fmt: skip
        fld = next((f for f in project.fields if f.id == v["fieldId"]), None)
        if fld is None:
            raise GraphQLError("NOT_FOUND", f"Could not resolve to a node with the global id "
                               f"of '{v['fieldId']}'", [root])  # fmt: skip
        if root == "clearProjectV2ItemFieldValue":
            item.values.pop(fld.id, None)
        else:
            self._set_date(item, fld, str(v["date"]), root)
        return {"projectV2Item": {"id": item.id}}

    def _owner(self, root: str, login: str, number: int) -> dict[str, Any]:
        wanted = "Organization" if root == "organization" else "User"
        if self.owners.get(login.lower()) != wanted:
            raise GraphQLError("NOT_FOUND", f"Could not resolve to an {wanted} with the login "
                               f"of '{login}'.", [root])  # fmt: skip
        project = self.projects.get((login.lower(), number))
        if project is None:
            raise GraphQLError("NOT_FOUND", f"Could not resolve to a ProjectV2 with the "
                               f"number {number}.", [root, "projectV2"])  # fmt: skip
        fields = [{"id": f.id, "name": f.name, "dataType": f.data_type} for f in project.fields]
        found = {"id": project.id, "title": project.title, "fields": {"nodes": fields}}
        return {"projectV2": found}

    def _project_by_id(self, project_id: str, root: str) -> Project:
        for project in self.projects.values():
            if project.id == project_id:
                return project
        raise GraphQLError("NOT_FOUND", f"Could not resolve to a node with the global id of "
                           f"'{project_id}'", [root])  # fmt: skip

    def _add_item(self, project: Project, content_id: str) -> str:
        if not self._issue_exists(content_id):
            raise GraphQLError("NOT_FOUND", f"Could not resolve to a node with the global id "
                               f"of '{content_id}'", ["addProjectV2ItemById"])  # fmt: skip
        item = project.item_for(content_id)
        if item is None:  # GitHub returns the existing item for content already added
            item = ProjectItem(f"PVTI_{next(_ids)}", content_id)
            project.items[item.id] = item
        return item.id

    def _issue_exists(self, node_id: str) -> bool:
        return any(
            f"I_{issue.id}" == node_id
            for repo in self.github.repos.values()
            for issue in repo.issues.values()
        )

    @staticmethod
    def _set_date(item: ProjectItem, fld: ProjectField, value: str, root: str) -> None:
        if fld.data_type != "DATE":
            raise GraphQLError("UNPROCESSABLE", f"The field '{fld.name}' is not a date field",
                               [root])  # fmt: skip
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise GraphQLError("INVALID_ARGUMENT", f"'{value}' is not a valid Date", [root])
        item.values[fld.id] = value

    # --- answers ------------------------------------------------------------------------

    def _errors(self, errors: list[dict[str, Any]]) -> FakeResponse:
        return self._answer({"data": None, "errors": errors})

    def _answer(self, body: dict[str, Any]) -> FakeResponse:
        headers = {"X-RateLimit-Resource": "graphql", "X-RateLimit-Limit": "5000",
                   "X-RateLimit-Remaining": "4999"}  # fmt: skip
        return FakeResponse(200, body, headers, validate=False)

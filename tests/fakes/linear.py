"""A stateful fake Linear GraphQL API on the loopback server base (tests/fakes/server.py).

    with FakeLinear() as fake:                   # team OPS, two users, no issues
        fake.env(), fake.config()                # what points pmsync at it
        fake.inject("POST", r"#issueBatchCreate\\b", DropAfterCommit())
        fake.count_op("issueBatchCreate")        # requests whose operation has that field
        fake.refused_moves.add("OPS-3")          # its state changes are refused
        fake.set_clock(timedelta(seconds=-30))   # Linear's clock behind this machine's
        assert fake.validation_errors == []

Every request is parsed and validated against Linear's published schema
(`linear-schema.graphql`, copied unmodified from ../shared/api) with graphql-core, then
executed by graphql-core with resolvers over the fake's state, so answers have the
schema's types. A query that does not validate, a null where the schema says non-null,
or a filter the fake does not model is recorded in `validation_errors` (tests fail).

Behaviour copied from Linear (https://linear.app/developers):
- one endpoint, POST /graphql {"query", "variables", "operationName"}; a personal API key
  is sent as the bare Authorization header, an OAuth token as `Bearer …`; a missing or
  wrong one is HTTP 400 with `extensions.code` AUTHENTICATION_ERROR;
- GraphQL errors carry `extensions.code` (INVALID_INPUT, RATELIMITED, …) and a
  `userPresentableMessage`; an error with no data is HTTP 400;
- requests and query complexity are limited per hour; every answer carries
  X-RateLimit-Requests-Limit/-Remaining/-Reset, X-RateLimit-Complexity-Limit/-Remaining/
  -Reset (reset in epoch milliseconds) and X-Complexity; past a budget the answer is
  HTTP 400 with code RATELIMITED; one query may cost at most 10,000 points (each object
  1, each scalar 0.1, a connection multiplies its children by `first`, default 50);
- Relay pagination: `first` ≤ 250 (default 50), `after` the previous `endCursor`;
- `issueBatchCreate` takes at most 50 issues and is one transaction: one bad input
  fails the whole batch and nothing is created;
- `issue(id:)` takes the UUID or the identifier (OPS-12); an unknown one is an error.
Faults aim at operations: the fault target is `/graphql#<root fields>`.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from datetime import datetime, timedelta, timezone
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from tests.fakes.linear_model import (
    InputError,
    Label,
    Membership,
    Project,
    State,
    Store,
    Team,
    User,
    now_iso,
)
from tests.fakes.linear_ops import Root, complexity, root_fields
from tests.fakes.linear_views import Views
from tests.fakes.server import FakeRequest, FakeResponse, FakeServer, Status

SCHEMA_PATH = Path(__file__).with_name("linear-schema.graphql")
API_KEY = "lin_api_fake0123456789abcdefghijklmnopqrstuv"
MAX_COMPLEXITY = 10_000
ENDPOINT = "/graphql"


@cache
def schema() -> Any:
    """Linear's schema, built once per process (a few seconds: 1.2 MB of SDL)."""
    from graphql import build_schema

    return build_schema(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=256)
def _checked(query: str) -> tuple[Any, tuple[str, ...]]:
    """The parsed document and its validation errors against the schema."""
    from graphql import GraphQLError, parse, validate

    try:
        document = parse(query)
    except GraphQLError as exc:
        return None, (exc.message,)
    return document, tuple(e.message for e in validate(schema(), document))


def error_body(message: str, code: str, **extra: Any) -> dict[str, Any]:
    extensions = {"code": code, "type": code.lower().replace("_", " "),
                  "userPresentableMessage": message, **extra}  # fmt: skip
    return {"errors": [{"message": message, "extensions": extensions}]}


class FakeLinear(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.route("POST", ENDPOINT, self._graphql)
        self.reset()

    # --- setup ----------------------------------------------------------------------
    def reset(self) -> None:
        """One team OPS with Linear's default workflow, two users, nothing else."""
        with self.lock:
            self.store = Store()
            self.views = Views(self.store)
            self._ids = itertools.count(1)
            self.set_clock(timedelta(0))
            self.max_batch = 50
            self.requests_limit, self.complexity_limit = 5000, 250_000
            self.requests_used, self.complexity_used = 0, 0.0
            self.window_reset = time.time() + 3600
            self.ratelimit_status = 400
            self.rejected_titles: set[str] = set()
            # issues (OPS-3) whose state change Linear refuses, as it does when a workflow
            # state was deleted meanwhile: the mutations before it in a document still land
            self.refused_moves: set[str] = set()
            self.viewer_id = self.add_user("Pat Doe", "pat@example.com").id
            self.add_user("Sam Roe", "sam@example.com")
            self.team = self.add_team("OPS", "Operations")
            self.requests.clear()
            self.validation_errors.clear()
        self.clear_faults()

    def new_id(self) -> str:
        return str(uuid.UUID(int=next(self._ids) + (0xFA4E << 64)))

    def set_clock(self, offset: timedelta) -> None:
        """Linear's clock runs `offset` from this machine's (negative: behind it)."""
        with self.lock:
            self.clock = lambda: datetime.now(timezone.utc) + offset
            self._last_stamp = self.clock() - timedelta(milliseconds=1)

    def stamp(self) -> str:
        """Now in Linear's clock, strictly after the previous stamp: orderings by time
        are total."""
        moment = max(self.clock(), self._last_stamp + timedelta(milliseconds=1))
        self._last_stamp = moment
        return now_iso(moment)

    def add_team(self, key: str, name: str, *, member: bool = True) -> Team:
        """A team with Linear's default workflow; the key's user (the viewer) a member."""
        with self.lock:
            team = Team(self.new_id(), key, name, self.stamp())
            self.store.teams[team.id] = team
            if member:
                self.join(team, self.viewer_id)
            workflow = [("Triage", "triage"), ("Backlog", "backlog"), ("Todo", "unstarted"),
                        ("In Progress", "started"), ("Done", "completed"),
                        ("Canceled", "canceled"), ("Duplicate", "canceled")]  # fmt: skip
            for n, (name_, type_) in enumerate(workflow):
                state = State(self.new_id(), team.id, name_, type_, float(n), self.stamp())
                self.store.states[state.id] = state
            return team

    def add_user(self, name: str, email: str, *, active: bool = True) -> User:
        with self.lock:
            user = User(self.new_id(), name, email, self.stamp(), active)
            self.store.users[user.id] = user
            return user

    def join(self, team: Team, user_id: str, *, owner: bool = False) -> None:
        """`user_id` becomes a member (or an owner) of `team`."""
        with self.lock:
            self.leave(team, user_id)
            found = Membership(self.new_id(), team.id, user_id, self.stamp(), owner)
            self.store.memberships[found.id] = found

    def leave(self, team: Team, user_id: str) -> None:
        with self.lock:
            found = self.store.membership(team.id, user_id)
            if found:
                del self.store.memberships[found.id]

    def viewer(self) -> User:
        """The key's user (set `role` to admin, owner or guest)."""
        return self.store.users[self.viewer_id]

    def add_label(self, name: str, team: Team | None = None) -> str:
        with self.lock:
            label = Label(self.new_id(), name, team.id if team else None, "#bec2c8", self.stamp())
            self.store.labels[label.id] = label
            return label.id

    def add_project(self, name: str, team: Team | None = None) -> str:
        with self.lock:
            project = Project(self.new_id(), name, [(team or self.team).id], self.stamp())
            self.store.projects[project.id] = project
            return project.id

    def env(self) -> dict[str, str]:
        return {"LINEAR_API_KEY": API_KEY}

    def config(self, **overrides: Any) -> dict[str, Any]:
        return {"team": "OPS", "url": self.url + ENDPOINT, **overrides}

    # --- reading the state (tests) --------------------------------------------------
    def issues(self, team_key: str = "OPS") -> list[dict[str, Any]]:
        """Every issue of a team as a plain dict (labels and state by name)."""
        with self.lock:
            team = next(t for t in self.store.teams.values() if t.key == team_key)
            found = [i for i in self.store.issues.values() if i.team_id == team.id]
            return [self._plain(i) for i in sorted(found, key=lambda i: i.number)]

    def _plain(self, i: Any) -> dict[str, Any]:
        s = self.store
        return {
            "id": i.id, "identifier": f"{s.teams[i.team_id].key}-{i.number}", "title": i.title,
            "description": i.description, "priority": i.priority, "dueDate": i.due_date,
            "assignee": s.users[i.assignee_id].email if i.assignee_id else None,
            "labels": sorted(s.labels[x].name for x in i.label_ids),
            "state": s.states[i.state_id].name, "stateType": s.states[i.state_id].type,
            "project": s.projects[i.project_id].name if i.project_id else None,
            "comments": [c.body for c in s.comments.values() if c.issue_id == i.id],
            "updatedAt": i.updated_at,
        }  # fmt: skip

    def children(self, identifier: str) -> list[str]:
        """The identifiers of an issue's sub-issues (parentId), by number."""
        with self.lock:
            parent = self.store.issue_by_ref(identifier)
            found = [i for i in self.store.issues.values() if parent and i.parent_id == parent.id]
            teams = self.store.teams
            return [
                f"{teams[i.team_id].key}-{i.number}" for i in sorted(found, key=lambda i: i.number)
            ]

    def edit(self, identifier: str, **changes: Any) -> None:
        """A person's edit in Linear's app: bumps updatedAt."""
        with self.lock:
            issue = self.store.issue_by_ref(identifier)
            assert issue is not None, identifier
            if "state" in changes:
                name = changes.pop("state")
                changes["state_id"] = next(
                    x.id for x in self.store.states.values()
                    if x.team_id == issue.team_id and x.name == name
                )  # fmt: skip
            for key, value in changes.items():
                setattr(issue, key, value)
            issue.updated_at = self.stamp()

    def count_op(self, field: str) -> int:
        """Requests (answered or not) whose operation selects root field `field`."""
        with self.lock:
            bodies = [r.body for r in self.requests if r.path == ENDPOINT]
        return sum(1 for b in bodies if field in _fields_of(b))

    # --- rate limits ------------------------------------------------------------------
    @staticmethod
    def rate_limit_fault(reset_in: float) -> Status:
        """A RATELIMITED answer whose headers say the budget is back in `reset_in` s
        (from when the fault is made)."""
        reset = str(int((time.time() + reset_in) * 1000))
        headers = {
            "X-RateLimit-Requests-Limit": "5000",
            "X-RateLimit-Requests-Remaining": "0",
            "X-RateLimit-Requests-Reset": reset,
        }
        body = error_body("Rate limit exceeded", "RATELIMITED")
        return Status(400, headers, body)

    def _limit_headers(self, cost: float) -> dict[str, str]:
        reset = str(int(self.window_reset * 1000))
        return {
            "X-RateLimit-Requests-Limit": str(self.requests_limit),
            "X-RateLimit-Requests-Remaining": str(max(0, self.requests_limit - self.requests_used)),
            "X-RateLimit-Requests-Reset": reset,
            "X-RateLimit-Complexity-Limit": str(self.complexity_limit),
            "X-RateLimit-Complexity-Remaining": str(
                max(0, int(self.complexity_limit - self.complexity_used))
            ),
            "X-RateLimit-Complexity-Reset": reset,
            "X-Complexity": str(int(cost + 0.999)),
        }

    def _spend(self, cost: float) -> bool:
        """Take a request and `cost` points from the hour's budget; False when spent."""
        if time.time() >= self.window_reset:
            self.requests_used, self.complexity_used = 0, 0.0
            self.window_reset = time.time() + 3600
        if self.requests_used >= self.requests_limit:
            return False
        if self.complexity_used + cost > self.complexity_limit:
            return False
        self.requests_used += 1
        self.complexity_used += cost
        return True

    # --- the endpoint -----------------------------------------------------------------
    def fault_target(self, req: FakeRequest, target: str) -> str:
        return operation_target(req.body, target)

    def _graphql(self, req: FakeRequest) -> FakeResponse:
        if req.header("authorization") not in (API_KEY, f"Bearer {API_KEY}"):
            message = "Authentication required, not authenticated"
            return FakeResponse(400, error_body(message, "AUTHENTICATION_ERROR"))
        try:
            payload = json.loads(req.body)
            query, variables = payload["query"], payload.get("variables") or {}
            operation = payload.get("operationName")
        except (ValueError, KeyError, TypeError):
            self.record_error("request body is not a GraphQL request")
            return FakeResponse(400, error_body("Invalid request body", "BAD_REQUEST"))
        document, errors = _checked(query)
        if errors:
            self.record_error(f"query does not validate against Linear's schema: {errors}")
            return FakeResponse(400, error_body("; ".join(errors), "GRAPHQL_VALIDATION_FAILED"))
        return self._execute(document, variables, operation)

    def _execute(self, document: Any, variables: dict[str, Any], operation: str | None) -> Any:
        cost = complexity(document, variables, operation)
        if cost > MAX_COMPLEXITY:
            message = f"Query too complex: {cost:.0f} points, at most {MAX_COMPLEXITY}"
            return FakeResponse(400, error_body(message, "INVALID_INPUT"), self._limit_headers(0))
        if not self._spend(cost):
            body = error_body("Rate limit exceeded", "RATELIMITED")
            return FakeResponse(self.ratelimit_status, body, self._limit_headers(0))
        from graphql import execute

        result = execute(
            schema(), document, Root(self), variable_values=variables, operation_name=operation
        )
        errors = [self._error_of(e) for e in result.errors or []]
        body: dict[str, Any] = {"data": result.data}
        if errors:
            body["errors"] = errors
        status = 400 if errors and result.data is None else 200
        return FakeResponse(status, body, self._limit_headers(cost))

    def _error_of(self, error: Any) -> dict[str, Any]:
        """A resolver's InputError is Linear refusing input; anything else is the fake
        failing to answer with the schema's types, or a client variable that does not
        coerce: both recorded so the test fails."""
        original = error.original_error
        if isinstance(original, InputError):
            entry = error_body(str(original), "INVALID_INPUT")["errors"][0]
            return {**entry, "path": error.path}
        self.record_error(f"GraphQL execution error at {error.path}: {error.message}")
        return error_body(error.message, "INTERNAL_ERROR")["errors"][0]


def operation_target(body: bytes, path: str = ENDPOINT) -> str:
    """`/graphql#f1,f2`: the path and the sorted root fields of the operation sent."""
    return f"{path}#{','.join(sorted(_fields_of(body)))}"


def _fields_of(body: bytes) -> set[str]:
    try:
        payload = json.loads(body)
        document, _ = _checked(str(payload["query"]))
    except (ValueError, KeyError, TypeError):
        return set()
    return set(root_fields(document, payload.get("operationName"))) if document else set()

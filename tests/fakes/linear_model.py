"""The fake Linear's state: records (teams, workflow states, users, labels, projects,
issues, comments), the filter language of `IssueFilter` and friends, and Relay
pagination. (How records are shown to graphql-core: linear_views.py.)

A filter key the fake does not model raises `Unsupported`: the test fails loudly instead
of a filter being silently ignored.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

WEB = "https://linear.app/acme"  # issue URLs are the web app's, not the API host's
PRIORITY_LABELS = {0: "No priority", 1: "Urgent", 2: "High", 3: "Medium", 4: "Low"}
DEFAULT_PAGE = 50
MAX_PAGE = 250


class Unsupported(Exception):
    """A query feature the fake does not model (not a client error)."""


class InputError(Exception):
    """Linear refuses the input (unknown id, bad value): a GraphQL error."""


def now_iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: str) -> datetime:
    if value.startswith(("P", "-P")):
        raise Unsupported("relative durations in date comparators")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- records ------------------------------------------------------------------------


@dataclass
class State:
    id: str
    team_id: str
    name: str
    type: str  # triage, backlog, unstarted, started, completed, canceled
    position: float
    created_at: str


@dataclass
class Team:
    id: str
    key: str
    name: str
    created_at: str
    issue_count: int = 0
    private: bool = False  # visible to its members only
    triage: bool = False  # issues made by non-members land in Triage
    security: dict[str, str] = field(default_factory=dict)  # e.g. labelManagement: owner


@dataclass
class User:
    id: str
    name: str
    email: str
    created_at: str
    active: bool = True
    role: str = "user"  # the workspace role: user, admin, owner, guest


@dataclass
class Membership:
    id: str
    team_id: str
    user_id: str
    created_at: str
    owner: bool = False  # a team owner


@dataclass
class Label:
    id: str
    name: str
    team_id: str | None  # None: a workspace label, usable in every team
    color: str
    created_at: str


@dataclass
class Project:
    id: str
    name: str
    team_ids: list[str]
    created_at: str


@dataclass
class Comment:
    id: str
    issue_id: str
    body: str
    user_id: str
    created_at: str


@dataclass
class Issue:
    id: str
    team_id: str
    number: int
    title: str
    state_id: str
    created_at: str
    updated_at: str
    description: str | None = None
    priority: int = 0
    due_date: str | None = None
    assignee_id: str | None = None
    label_ids: list[str] = field(default_factory=list)
    project_id: str | None = None
    parent_id: str | None = None  # a sub-issue's parent (parentId)
    completed_at: str | None = None
    canceled_at: str | None = None
    archived_at: str | None = None


@dataclass
class Store:
    teams: dict[str, Team] = field(default_factory=dict)
    states: dict[str, State] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)
    issues: dict[str, Issue] = field(default_factory=dict)
    comments: dict[str, Comment] = field(default_factory=dict)
    memberships: dict[str, Membership] = field(default_factory=dict)

    def membership(self, team_id: str, user_id: str) -> Membership | None:
        return next((m for m in self.memberships.values()
                     if m.team_id == team_id and m.user_id == user_id), None)  # fmt: skip

    def visible(self, team: Team, user: User) -> bool:
        """Guests see their teams; members all public teams and their private ones."""
        if self.membership(team.id, user.id):
            return True
        return not team.private and user.role != "guest"

    def issue_by_ref(self, ref: str) -> Issue | None:
        """`issue(id:)` takes the UUID or the identifier (OPS-12)."""
        if ref in self.issues:
            return self.issues[ref]
        match = re.fullmatch(r"([A-Z][A-Z0-9]*)-(\d+)", ref)
        if not match:
            return None
        team = next((t for t in self.teams.values() if t.key == match.group(1)), None)
        return next(
            (
                i
                for i in self.issues.values()
                if team and i.team_id == team.id and i.number == int(match.group(2))
            ),
            None,
        )


# --- filters ------------------------------------------------------------------------
# entity → field → (kind, getter): "value" is compared with a comparator, an entity name
# is a nested filter on one object, "*Label" etc. a collection filter.

Getter = Callable[[Store, Any], Any]


def _issue_fields() -> dict[str, tuple[str, Getter]]:
    return {
        "id": ("value", lambda s, i: i.id),
        "number": ("value", lambda s, i: i.number),
        "title": ("value", lambda s, i: i.title),
        "description": ("value", lambda s, i: i.description),
        "priority": ("value", lambda s, i: i.priority),
        "dueDate": ("value", lambda s, i: i.due_date),
        "createdAt": ("value", lambda s, i: i.created_at),
        "updatedAt": ("value", lambda s, i: i.updated_at),
        "completedAt": ("value", lambda s, i: i.completed_at),
        "canceledAt": ("value", lambda s, i: i.canceled_at),
        "team": ("Team", lambda s, i: s.teams[i.team_id]),
        "state": ("State", lambda s, i: s.states[i.state_id]),
        "assignee": ("User", lambda s, i: s.users.get(i.assignee_id or "")),
        "project": ("Project", lambda s, i: s.projects.get(i.project_id or "")),
        "labels": ("*Label", lambda s, i: [s.labels[x] for x in i.label_ids]),
    }


FIELDS: dict[str, dict[str, tuple[str, Getter]]] = {
    "Issue": _issue_fields(),
    "Team": {
        "id": ("value", lambda s, t: t.id),
        "key": ("value", lambda s, t: t.key),
        "name": ("value", lambda s, t: t.name),
    },
    "State": {
        "id": ("value", lambda s, x: x.id),
        "name": ("value", lambda s, x: x.name),
        "type": ("value", lambda s, x: x.type),
        "team": ("Team", lambda s, x: s.teams[x.team_id]),
    },
    "User": {
        "id": ("value", lambda s, u: u.id),
        "name": ("value", lambda s, u: u.name),
        "displayName": ("value", lambda s, u: u.name.split()[0].lower()),
        "email": ("value", lambda s, u: u.email),
        "active": ("value", lambda s, u: u.active),
    },
    "Label": {
        "id": ("value", lambda s, x: x.id),
        "name": ("value", lambda s, x: x.name),
        "team": ("Team", lambda s, x: s.teams.get(x.team_id or "")),
    },
    "Project": {
        "id": ("value", lambda s, p: p.id),
        "name": ("value", lambda s, p: p.name),
    },
    "Comment": {
        "id": ("value", lambda s, c: c.id),
        "body": ("value", lambda s, c: c.body),
        "user": ("User", lambda s, c: s.users.get(c.user_id)),
    },
}


def matches(store: Store, kind: str, obj: Any, flt: dict[str, Any] | None) -> bool:
    """Whether `obj` (a record of `kind`, or None) passes a Linear filter object."""
    for key, cond in (flt or {}).items():
        if key == "and":
            ok = all(matches(store, kind, obj, f) for f in cond)
        elif key == "or":
            ok = any(matches(store, kind, obj, f) for f in cond)
        elif key == "null":
            ok = (obj is None) == cond
        elif obj is None:
            ok = False
        else:
            ok = _field_matches(store, kind, obj, key, cond)
        if not ok:
            return False
    return True


def _field_matches(store: Store, kind: str, obj: Any, key: str, cond: Any) -> bool:
    spec = FIELDS[kind].get(key)
    if spec is None:
        raise Unsupported(f"filter {kind}.{key}")
    how, get = spec
    value = get(store, obj)
    if how == "value":
        return compare(value, cond)
    if how.startswith("*"):
        return _collection_matches(store, how[1:], value, cond)
    return matches(store, how, value, cond)


def _collection_matches(store: Store, kind: str, items: list[Any], cond: dict[str, Any]) -> bool:
    """`some`/`every`/`length`, and field filters that mean "some item matches"."""
    direct = {k: v for k, v in cond.items() if k not in ("some", "every", "length")}
    ok = True
    if "some" in cond:
        ok = ok and any(matches(store, kind, x, cond["some"]) for x in items)
    if "every" in cond:
        ok = ok and all(matches(store, kind, x, cond["every"]) for x in items)
    if "length" in cond:
        ok = ok and compare(len(items), cond["length"])
    if direct:
        ok = ok and any(matches(store, kind, x, direct) for x in items)
    return ok


def compare(value: Any, comparator: dict[str, Any]) -> bool:
    return all(_compare_one(value, op, arg) for op, arg in comparator.items())


def _compare_one(value: Any, op: str, arg: Any) -> bool:
    if op == "null":
        return (value is None) == arg
    if value is None:
        return op in ("neq", "nin", "notContains", "notContainsIgnoreCase")
    text = str(value)
    simple: dict[str, Callable[[], bool]] = {
        "eq": lambda: _norm(value) == _norm(arg),
        "neq": lambda: _norm(value) != _norm(arg),
        "in": lambda: _norm(value) in [_norm(a) for a in arg],
        "nin": lambda: _norm(value) not in [_norm(a) for a in arg],
        "eqIgnoreCase": lambda: text.casefold() == str(arg).casefold(),
        "contains": lambda: str(arg) in text,
        "notContains": lambda: str(arg) not in text,
        "containsIgnoreCase": lambda: str(arg).casefold() in text.casefold(),
        "startsWith": lambda: text.startswith(str(arg)),
        "gt": lambda: _norm(value) > _norm(arg),
        "gte": lambda: _norm(value) >= _norm(arg),
        "lt": lambda: _norm(value) < _norm(arg),
        "lte": lambda: _norm(value) <= _norm(arg),
    }
    if op not in simple:
        raise Unsupported(f"comparator {op}")
    return simple[op]()


def _norm(value: Any) -> Any:
    """Timestamps compare as instants, numbers as floats."""
    if isinstance(value, str) and re.match(r"^\d{4}-\d\d-\d\dT", value):
        return parse_time(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    return value


# --- pagination ---------------------------------------------------------------------


def cursor_of(sort_value: str, ident: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([sort_value, ident]).encode()).decode()


def connection(
    items: Sequence[Any],
    view: Callable[[Any], dict[str, Any]],
    args: dict[str, Any],
    sort_key: Callable[[Any], str] = lambda x: x.created_at,
) -> dict[str, Any]:
    """A Relay page: sorted by (orderBy field, id), `after` an opaque (value, id) cursor, so
    an item that moves while pages are read is seen again rather than skipped."""
    if args.get("last") is not None or args.get("before") is not None:
        raise Unsupported("backward pagination")
    first = DEFAULT_PAGE if args.get("first") is None else int(args["first"])
    if not 0 < first <= MAX_PAGE:
        raise InputError(f"first must be between 1 and {MAX_PAGE}")
    ordered = sorted(items, key=lambda x: (sort_key(x), x.id))
    if args.get("after"):
        try:
            after = tuple(json.loads(base64.urlsafe_b64decode(args["after"])))
        except ValueError:
            raise InputError("invalid cursor") from None
        ordered = [x for x in ordered if (sort_key(x), x.id) > after]
    page = ordered[:first]
    cursors = [cursor_of(sort_key(x), x.id) for x in page]
    edges = list(zip(page, cursors, strict=True))
    return {
        "nodes": [view(x) for x in page],
        "edges": lambda info: [{"node": view(x), "cursor": c} for x, c in edges],
        "pageInfo": {
            "hasNextPage": len(ordered) > first,
            "hasPreviousPage": bool(args.get("after")),
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }


def order_key(args: dict[str, Any]) -> Callable[[Any], str]:
    if args.get("orderBy") == "updatedAt":
        return lambda x: getattr(x, "updated_at", x.created_at)
    return lambda x: x.created_at


def valid_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))

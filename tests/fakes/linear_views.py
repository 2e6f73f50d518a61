"""How the fake Linear's records are shown to graphql-core: dicts shaped like the
schema's types, whose function values graphql-core's default resolver calls with the
field's arguments (so connections such as `labels(first:)` page lazily)."""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.linear_model import (
    PRIORITY_LABELS,
    Comment,
    Issue,
    Label,
    Project,
    State,
    Store,
    Team,
    User,
    connection,
    matches,
    order_key,
)


class Views:
    """Records → dicts shaped like the schema's types."""

    def __init__(self, store: Store, org_url_key: str = "acme") -> None:
        self.s = store
        self.web = f"https://linear.app/{org_url_key}"

    def _stamp(self, created: str, updated: str | None = None) -> dict[str, Any]:
        return {"createdAt": created, "updatedAt": updated or created, "archivedAt": None}

    def team(self, t: Team) -> dict[str, Any]:
        own = lambda kind: [x for x in kind.values() if x.team_id == t.id]  # noqa: E731
        return {
            "__typename": "Team", "id": t.id, "key": t.key, "name": t.name,
            "displayName": t.name, "private": t.private, "timezone": "Etc/UTC",
            "triageEnabled": t.triage, "securitySettings": dict(t.security),
            **self._stamp(t.created_at),
            "membership": lambda info, userId: self._membership(t.id, userId),
            "states": lambda info, **a: connection(own(self.s.states), self.state, a),
            "labels": lambda info, **a: self._labels(a, t.id),
            "issues": lambda info, **a: self.issues(a, {"team": {"id": {"eq": t.id}}}),
            "members": lambda info, **a: self.users(a),
            "projects": lambda info, **a: connection(
                [p for p in self.s.projects.values() if t.id in p.team_ids], self.project, a
            ),
        }  # fmt: skip

    def _membership(self, team_id: str, user_id: str) -> dict[str, Any] | None:
        found = self.s.membership(team_id, user_id)
        if found is None:
            return None
        return {
            "__typename": "TeamMembership", "id": found.id, "owner": found.owner,
            "sortOrder": 0.0, **self._stamp(found.created_at),
            "team": lambda info: self.team(self.s.teams[found.team_id]),
            "user": lambda info: self.user(self.s.users[found.user_id]),
        }  # fmt: skip

    def _labels(self, args: dict[str, Any], team_id: str) -> dict[str, Any]:
        usable = [x for x in self.s.labels.values() if x.team_id in (team_id, None)]
        chosen = [x for x in usable if matches(self.s, "Label", x, args.get("filter"))]
        return connection(chosen, self.label, args)

    def state(self, x: State) -> dict[str, Any]:
        return {
            "__typename": "WorkflowState", "id": x.id, "name": x.name, "type": x.type,
            "position": x.position, "color": "#95a2b3", "description": None,
            **self._stamp(x.created_at), "team": lambda info: self.team(self.s.teams[x.team_id]),
        }  # fmt: skip

    def user(self, u: User) -> dict[str, Any]:
        return {
            "__typename": "User", "id": u.id, "name": u.name, "email": u.email,
            "displayName": u.name.split()[0].lower(), "active": u.active,
            "admin": u.role in ("admin", "owner"), "owner": u.role == "owner",
            "app": False, "guest": u.role == "guest", "isMe": False,
            "url": f"{self.web}/profiles/{u.id}",
            **self._stamp(u.created_at),
        }  # fmt: skip

    def users(self, args: dict[str, Any]) -> dict[str, Any]:
        chosen = [
            u for u in self.s.users.values() if matches(self.s, "User", u, args.get("filter"))
        ]
        if not args.get("includeDisabled"):
            chosen = [u for u in chosen if u.active]
        return connection(chosen, self.user, args)

    def label(self, x: Label) -> dict[str, Any]:
        team = self.s.teams.get(x.team_id or "")
        return {
            "__typename": "IssueLabel", "id": x.id, "name": x.name, "color": x.color,
            "description": None, "isGroup": False, **self._stamp(x.created_at),
            "team": (lambda info: self.team(team)) if team else None,
        }  # fmt: skip

    def project(self, p: Project) -> dict[str, Any]:
        return {
            "__typename": "Project", "id": p.id, "name": p.name,
            "url": f"{self.web}/project/{p.id}", **self._stamp(p.created_at),
        }  # fmt: skip

    def comment(self, c: Comment) -> dict[str, Any]:
        return {
            "__typename": "Comment", "id": c.id, "body": c.body, "issueId": c.issue_id,
            "url": f"{self.web}/comment/{c.id}", **self._stamp(c.created_at),
            "issue": lambda info: self.issue(self.s.issues[c.issue_id]),
            "user": lambda info: self.user(self.s.users[c.user_id]),
        }  # fmt: skip

    def issue(self, i: Issue) -> dict[str, Any]:
        team = self.s.teams[i.team_id]
        ident = f"{team.key}-{i.number}"
        slug = re.sub(r"[^a-z0-9]+", "-", i.title.lower()).strip("-")[:60]
        assignee = self.s.users.get(i.assignee_id or "")
        project = self.s.projects.get(i.project_id or "")
        parent = i.parent_id if i.parent_id in self.s.issues else None
        labels = [self.s.labels[x] for x in i.label_ids]
        comments = [c for c in self.s.comments.values() if c.issue_id == i.id]
        return {
            "__typename": "Issue", "id": i.id, "identifier": ident, "number": float(i.number),
            "title": i.title, "description": i.description, "priority": float(i.priority),
            "priorityLabel": PRIORITY_LABELS[i.priority], "dueDate": i.due_date,
            "url": f"{self.web}/issue/{ident}/{slug}", "branchName": f"{ident.lower()}-{slug}",
            **self._stamp(i.created_at, i.updated_at), "archivedAt": i.archived_at,
            "completedAt": i.completed_at, "canceledAt": i.canceled_at,
            "labelIds": list(i.label_ids), "trashed": None,
            "team": lambda info: self.team(team),
            "state": lambda info: self.state(self.s.states[i.state_id]),
            "assignee": (lambda info: self.user(assignee)) if assignee else None,
            "project": (lambda info: self.project(project)) if project else None,
            "parent": (lambda info: self.issue(self.s.issues[parent])) if parent else None,
            "labels": lambda info, **a: connection(labels, self.label, a),
            "comments": lambda info, **a: connection(
                [c for c in comments if matches(self.s, "Comment", c, a.get("filter"))],
                self.comment, a,
            ),
        }  # fmt: skip

    def issues(self, args: dict[str, Any], scope: dict[str, Any] | None = None) -> dict[str, Any]:
        wanted = [f for f in (scope, args.get("filter")) if f]
        chosen = [
            i
            for i in self.s.issues.values()
            if (args.get("includeArchived") or i.archived_at is None)
            and all(matches(self.s, "Issue", i, f) for f in wanted)
        ]
        return connection(chosen, self.issue, args, order_key(args))

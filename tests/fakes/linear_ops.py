"""The fake Linear's root resolvers (the queries and mutations it models), the query
complexity Linear bills, and the root fields of an operation (for faults and counts).

Resolvers run under the server's lock (handlers do) and raise `InputError` where Linear
refuses input: graphql-core turns it into an error at the field's path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakes.linear_model import (
    InputError,
    Issue,
    Label,
    connection,
    matches,
    unique,
    valid_date,
)

if TYPE_CHECKING:
    from tests.fakes.linear import FakeLinear

CLOSED_TYPES = ("completed", "canceled")


class Root:
    """root_value for graphql-core: one method per root field the fake serves."""

    def __init__(self, fake: FakeLinear) -> None:
        self.fake = fake
        self.s = fake.store
        self.v = fake.views

    def _filtered(self, kind: str, records: Any, args: dict[str, Any]) -> list[Any]:
        return [x for x in records if matches(self.s, kind, x, args.get("filter"))]

    # --- queries --------------------------------------------------------------------
    def viewer(self, info: Any) -> dict[str, Any]:
        return {**self.v.user(self.s.users[self.fake.viewer_id]), "isMe": True}

    def teams(self, info: Any, **args: Any) -> dict[str, Any]:
        chosen = [
            t for t in self._visible_teams() if matches(self.s, "Team", t, args.get("filter"))
        ]
        return connection(chosen, self.v.team, args)

    def team(self, info: Any, id: str) -> dict[str, Any]:
        found = next((t for t in self._visible_teams() if t.id == id), None)
        if found is None:
            raise InputError("Entity not found: Team")
        return self.v.team(found)

    def _visible_teams(self) -> list[Any]:
        viewer = self.s.users[self.fake.viewer_id]
        return [t for t in self.s.teams.values() if self.s.visible(t, viewer)]

    def issues(self, info: Any, **args: Any) -> dict[str, Any]:
        return self.v.issues(args)

    def issue(self, info: Any, id: str) -> dict[str, Any]:
        found = self.s.issue_by_ref(id)
        if found is None:
            raise InputError("Entity not found: Issue")
        return self.v.issue(found)

    def users(self, info: Any, **args: Any) -> dict[str, Any]:
        return self.v.users(args)

    def issueLabels(self, info: Any, **args: Any) -> dict[str, Any]:
        chosen = [
            x for x in self.s.labels.values() if matches(self.s, "Label", x, args.get("filter"))
        ]
        return connection(chosen, self.v.label, args)

    def workflowStates(self, info: Any, **args: Any) -> dict[str, Any]:
        chosen = [
            x for x in self.s.states.values() if matches(self.s, "State", x, args.get("filter"))
        ]
        return connection(chosen, self.v.state, args)

    def projects(self, info: Any, **args: Any) -> dict[str, Any]:
        chosen = [
            p for p in self.s.projects.values() if matches(self.s, "Project", p, args.get("filter"))
        ]
        return connection(chosen, self.v.project, args)

    # --- mutations ------------------------------------------------------------------
    def issueBatchCreate(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        inputs = input["issues"]
        if not 0 < len(inputs) <= self.fake.max_batch:
            raise InputError(f"issues: between 1 and {self.fake.max_batch} issues at a time")
        for n, item in enumerate(inputs):
            self._check_create(item, n)
        # one transaction: everything was checked before anything is written
        created = [self._create(item) for item in inputs]
        return {"issues": [self.v.issue(i) for i in created], "success": True,
                "lastSyncId": float(len(self.s.issues))}  # fmt: skip

    def issueCreate(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        self._check_create(input, 0)
        issue = self._create(input)
        return {"issue": self.v.issue(issue), "success": True, "lastSyncId": 1.0}

    def _check_create(self, item: dict[str, Any], n: int) -> None:
        team = self.s.teams.get(item["teamId"])
        if team is None:
            raise InputError(f"issues[{n}].teamId: Entity not found: Team")
        title = str(item.get("title") or "").strip()
        if not title or title in self.fake.rejected_titles:
            raise InputError(f"issues[{n}].title: title is not valid")
        self._check_fields(item, team.id, f"issues[{n}]")
        if item.get("id") and item["id"] in self.s.issues:
            raise InputError(f"issues[{n}].id: an issue with this id already exists")

    def _check_fields(self, item: dict[str, Any], team_id: str, where: str) -> None:
        labels = [*(item.get("labelIds") or []), *(item.get("addedLabelIds") or [])]
        for label_id in labels:
            label = self.s.labels.get(label_id)
            if label is None or label.team_id not in (team_id, None):
                raise InputError(f"{where}.labelIds: Entity not found: IssueLabel")
        assignee = item.get("assigneeId")
        if assignee and (assignee not in self.s.users or not self.s.users[assignee].active):
            raise InputError(f"{where}.assigneeId: Entity not found: User")
        state = item.get("stateId")
        if state and (state not in self.s.states or self.s.states[state].team_id != team_id):
            raise InputError(f"{where}.stateId: Entity not found: WorkflowState")
        project = item.get("projectId")
        if project and project not in self.s.projects:
            raise InputError(f"{where}.projectId: Entity not found: Project")
        if item.get("priority") is not None and not 0 <= item["priority"] <= 4:
            raise InputError(f"{where}.priority: must be between 0 and 4")
        if item.get("dueDate") and not valid_date(item["dueDate"]):
            raise InputError(f"{where}.dueDate: not a date")
        parent = item.get("parentId")
        if parent and self.s.issue_by_ref(parent) is None:
            raise InputError(f"{where}.parentId: Entity not found: Issue")

    def _create(self, item: dict[str, Any]) -> Issue:
        team = self.s.teams[item["teamId"]]
        team.issue_count += 1
        now = self.fake.stamp()
        default_state = next(
            x.id for x in sorted(self.s.states.values(), key=lambda x: x.position)
            if x.team_id == team.id and x.type == "backlog"
        )  # fmt: skip
        issue = Issue(
            id=item.get("id") or self.fake.new_id(), team_id=team.id, number=team.issue_count,
            title=item["title"].strip(), state_id=item.get("stateId") or default_state,
            created_at=now, updated_at=now, description=item.get("description"),
            priority=int(item.get("priority") or 0), due_date=item.get("dueDate"),
            assignee_id=item.get("assigneeId"), label_ids=unique(item.get("labelIds") or []),
            project_id=item.get("projectId"), parent_id=self._parent(item.get("parentId")),
        )  # fmt: skip
        self.s.issues[issue.id] = issue
        return issue

    def issueUpdate(self, info: Any, id: str, input: dict[str, Any]) -> dict[str, Any]:
        issue = self.s.issue_by_ref(id)
        if issue is None:
            raise InputError("Entity not found: Issue")
        self._check_fields(input, issue.team_id, "input")
        ident = f"{self.s.teams[issue.team_id].key}-{issue.number}"
        if input.get("stateId") and ident in self.fake.refused_moves:
            raise InputError("input.stateId: the issue cannot be moved to this state")
        simple = {"title": "title", "description": "description", "priority": "priority",
                  "dueDate": "due_date", "assigneeId": "assignee_id", "projectId": "project_id",
                  "labelIds": "label_ids"}  # fmt: skip
        for key, attr in simple.items():
            if key in input:
                setattr(issue, attr, input[key] if key != "priority" else int(input[key] or 0))
        if "parentId" in input:
            if input["parentId"] and self._parent(input["parentId"]) == issue.id:
                raise InputError("input.parentId: an issue cannot be its own parent")
            issue.parent_id = self._parent(input["parentId"])
        added, removed = input.get("addedLabelIds") or [], set(input.get("removedLabelIds") or [])
        issue.label_ids = [x for x in unique([*issue.label_ids, *added]) if x not in removed]
        if input.get("stateId"):
            self._move(issue, input["stateId"])
        issue.updated_at = self.fake.stamp()
        return {"issue": self.v.issue(issue), "success": True, "lastSyncId": 1.0}

    def _parent(self, ref: str | None) -> str | None:
        """A parent named by id or identifier (as Linear takes either), kept by id."""
        found = self.s.issue_by_ref(ref) if ref else None
        return found.id if found is not None else None

    def _move(self, issue: Issue, state_id: str) -> None:
        issue.state_id = state_id
        kind = self.s.states[state_id].type
        stamp = self.fake.stamp()
        issue.completed_at = stamp if kind == "completed" else None
        issue.canceled_at = stamp if kind == "canceled" else None

    def commentCreate(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        from tests.fakes.linear_model import Comment

        issue = self.s.issue_by_ref(str(input.get("issueId") or ""))
        if issue is None or not str(input.get("body") or "").strip():
            raise InputError("input: a comment needs an existing issueId and a body")
        comment = Comment(self.fake.new_id(), issue.id, input["body"], self.fake.viewer_id,
                          self.fake.stamp())  # fmt: skip
        self.s.comments[comment.id] = comment
        issue.updated_at = self.fake.stamp()
        return {"comment": self.v.comment(comment), "success": True, "lastSyncId": 1.0}

    def issueLabelCreate(self, info: Any, input: dict[str, Any], **_: Any) -> dict[str, Any]:
        team_id = input.get("teamId")
        if team_id and team_id not in self.s.teams:
            raise InputError("input.teamId: Entity not found: Team")
        name = str(input["name"]).strip()
        clash = [
            x for x in self.s.labels.values()
            if x.name.casefold() == name.casefold() and x.team_id in (team_id, None)
        ]  # fmt: skip
        if clash or not name:
            raise InputError(f"input.name: a label named {name!r} already exists")
        label = Label(self.fake.new_id(), name, team_id, input.get("color") or "#bec2c8",
                      self.fake.stamp())  # fmt: skip
        self.s.labels[label.id] = label
        return {"issueLabel": self.v.label(label), "success": True, "lastSyncId": 1.0}


# --- operation analysis -------------------------------------------------------------


def _operation(document: Any, name: str | None) -> Any:
    ops = [d for d in document.definitions if d.kind == "operation_definition"]
    if name:
        return next((o for o in ops if o.name and o.name.value == name), None)
    return ops[0] if len(ops) == 1 else None


def root_fields(document: Any, name: str | None) -> list[str]:
    op = _operation(document, name)
    if op is None:
        return []
    return [s.name.value for s in op.selection_set.selections if s.kind == "field"]


def complexity(document: Any, variables: dict[str, Any], name: str | None) -> float:
    """Linear's bill for a query: 1 point per object, 0.1 per scalar, children of a
    connection multiplied by its `first` (50 when not given)."""
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
    op = _operation(document, name)
    return _cost(op.selection_set.selections, fragments, variables) if op else 0.0


def _cost(selections: Any, fragments: dict[str, Any], variables: dict[str, Any]) -> float:
    total = 0.0
    for sel in selections:
        if sel.kind == "fragment_spread":
            total += _cost(fragments[sel.name.value].selection_set.selections, fragments, variables)
        elif sel.kind == "inline_fragment":
            total += _cost(sel.selection_set.selections, fragments, variables)
        elif sel.selection_set is None:
            total += 0.1
        else:
            size = _page_size(sel, variables)
            total += 1
            for child in sel.selection_set.selections:
                paged = child.kind == "field" and child.name.value in ("nodes", "edges")
                total += (size if paged else 1.0) * _cost([child], fragments, variables)
    return total


def _page_size(field: Any, variables: dict[str, Any]) -> float:
    names = {s.name.value for s in field.selection_set.selections if s.kind == "field"}
    if not names & {"nodes", "edges"}:
        return 1.0
    for arg in field.arguments or ():
        if arg.name.value == "first":
            value = arg.value
            raw = variables.get(value.name.value) if value.kind == "variable" else value.value
            return float(raw or 50)
    return 50.0

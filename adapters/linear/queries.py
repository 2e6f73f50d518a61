"""Every GraphQL document the Linear adapter sends, and typed views of the answers.

Kept in one place so the cost of each is visible: Linear bills query complexity (an
object 1 point, a scalar 0.1, a connection's children times its `first`) and refuses a
query over 10,000 points. A listing page of 250 issues with the fields below costs about
1,100 points. Labels are not read back: a connection per issue would triple that, and
pmsync never compares them (it only adds its labels). Listings keep Linear's default
order, by creation: an edit does not move an issue between pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PAGE = 250  # Linear's largest page
ISSUE_FIELDS = """
  id identifier url title description priority dueDate updatedAt completedAt canceledAt
  state { name type }
  assignee { id email }
  parent { identifier }
"""

VIEWER = "query Viewer { viewer { id name email active admin owner guest } }"

# pmsync doctor: what the key's user may do in a team (`securitySettings` is a JSON
# object; its `labelManagement` is the least team role that may create labels), and
# whether the tracking label exists there already.
ACCESS = """
query Access($team: String!, $teamId: ID!, $me: String!, $label: String!) {
  team(id: $team) { private triageEnabled securitySettings membership(userId: $me) { owner } }
  issueLabels(first: 1, filter: {name: {eqIgnoreCase: $label},
              or: [{team: {id: {eq: $teamId}}}, {team: {null: true}}]}) { nodes { id } }
}"""

TEAM = """
query Team($key: String!) {
  teams(first: 1, filter: {key: {eq: $key}}) {
    nodes { id key name states(first: 50) { nodes { id name type position } } }
  }
}"""

LABELS = """
query Labels($team: ID!, $after: String) {
  issueLabels(first: 250, after: $after,
              filter: {or: [{team: {id: {eq: $team}}}, {team: {null: true}}]}) {
    nodes { id name }
    pageInfo { hasNextPage endCursor }
  }
}"""

LABEL_CREATE = """
mutation LabelCreate($input: IssueLabelCreateInput!) {
  issueLabelCreate(input: $input) { success issueLabel { id name } }
}"""

USERS = """
query Users($emails: [String!], $ids: [ID!]) {
  users(first: 250, filter: {or: [{email: {in: $emails}}, {id: {in: $ids}}]}) {
    nodes { id email active }
  }
}"""

PROJECT = """
query Project($name: String!) {
  projects(first: 2, filter: {name: {eq: $name}}) { nodes { id name } }
}"""

ISSUES = f"""
query Issues($filter: IssueFilter!, $after: String) {{
  issues(first: {PAGE}, after: $after, filter: $filter, includeArchived: true) {{
    nodes {{ {ISSUE_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}"""

ISSUE = f"query Issue($id: String!) {{ issue(id: $id) {{ {ISSUE_FIELDS} }} }}"

BATCH_CREATE = f"""
mutation Create($input: IssueBatchCreateInput!) {{
  issueBatchCreate(input: $input) {{ success issues {{ {ISSUE_FIELDS} }} }}
}}"""

UPDATE = f"""
mutation Update($id: String!, $input: IssueUpdateInput!) {{
  issueUpdate(id: $id, input: $input) {{ success issue {{ {ISSUE_FIELDS} }} }}
}}"""

# Comment and move in one request: mutations in one document run in order.
CLOSE = f"""
mutation Close($id: String!, $comment: CommentCreateInput!, $input: IssueUpdateInput!) {{
  commentCreate(input: $comment) {{ success }}
  issueUpdate(id: $id, input: $input) {{ success issue {{ {ISSUE_FIELDS} }} }}
}}"""

# Before a close: the issue as it is now, and the comment carrying the closing marker
# that an earlier close may have left (its move refused after the comment landed).
CLOSING = f"""
query Closing($id: String!, $marker: String!) {{
  issue(id: $id) {{
    {ISSUE_FIELDS}
    comments(first: 1, filter: {{body: {{contains: $marker}}}}) {{ nodes {{ id }} }}
  }}
}}"""

COMMENT = """
mutation Comment($input: CommentCreateInput!) { commentCreate(input: $input) { success } }"""

# A user's profile URL: in a comment's Markdown it is how Linear mentions (notifies) them.
PROFILE = """
query Profile($filter: UserFilter!) { users(first: 1, filter: $filter) { nodes { url active } } }"""


# --- typed answers ------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    id: str
    name: str
    type: str
    position: float


@dataclass(frozen=True)
class Team:
    id: str
    key: str
    name: str
    states: tuple[State, ...]

    def first_state(self, kind: str) -> State | None:
        """The first workflow state of a type (completed, canceled…) in board order."""
        found = sorted((s for s in self.states if s.type == kind), key=lambda s: s.position)
        return found[0] if found else None


@dataclass(frozen=True)
class Page:
    nodes: list[dict[str, Any]]
    next_cursor: str | None  # None: the last page


def team_of(data: dict[str, Any]) -> Team | None:
    nodes = data["teams"]["nodes"]
    if not nodes:
        return None
    raw = nodes[0]
    states = tuple(
        State(str(s["id"]), str(s["name"]), str(s["type"]), float(s["position"]))
        for s in raw["states"]["nodes"]
    )
    return Team(str(raw["id"]), str(raw["key"]), str(raw["name"]), states)


def page_of(connection: dict[str, Any]) -> Page:
    info = connection["pageInfo"]
    cursor = info.get("endCursor") if info.get("hasNextPage") else None
    return Page(list(connection["nodes"]), cursor)

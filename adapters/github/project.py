"""Due dates as the date field of a GitHub Projects v2 item, through GraphQL with httpx.

Used by the GitHub adapter when `github.due_dates: project`. Per run: one query finds
the project and its date field (`github.project: {owner, number, field}`); per issue:
`addProjectV2ItemById` (which answers the existing item when the issue is already in
the project, so it doubles as "find my item") and `updateProjectV2ItemFieldValue`
(or `clearProjectV2ItemFieldValue` when the due date went away).

Shapes from GitHub's GraphQL reference (docs.github.com/graphql/reference/projects) and
"Using the API to manage Projects" (docs.github.com/issues/planning-and-tracking-with-
projects/automating-your-project/using-the-api-to-manage-projects).

GraphQL reports most failures inside a 200 answer (`{"errors": [{"type": ...}]}`);
they are converted here to `pmsync.errors` types. Values always travel as `variables`,
never spliced into the query text. httpx is imported in the constructor only, so
importing this module (and the GitHub adapter) stays cheap.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pmsync.adapters.base import RetryPolicy
from pmsync.adapters.github.client import rate_limit_wait
from pmsync.errors import AuthError, NotFound, TrackerError, TrackerUnavailable

# One request finds the project whether `owner` is an organization or a user: the root
# that does not match answers null with a NOT_FOUND error, which the lookup tolerates.
# ProjectV2FieldCommon covers every field kind, so a "Due" field of the wrong type is
# reported as such instead of as missing.
FIND_PROJECT = """
query FindProject($owner: String!, $number: Int!) {
  organization(login: $owner) { projectV2(number: $number) { ...Project } }
  user(login: $owner) { projectV2(number: $number) { ...Project } }
}
fragment Project on ProjectV2 {
  id
  title
  fields(first: 100) { nodes { ... on ProjectV2FieldCommon { id name dataType } } }
}
"""

ADD_ITEM = """
mutation AddItem($projectId: ID!, $contentId: ID!) {
  addProjectV2ItemById(input: {projectId: $projectId, contentId: $contentId}) {
    item { id }
  }
}
"""

SET_DATE = """
mutation SetDate($projectId: ID!, $itemId: ID!, $fieldId: ID!, $date: Date!) {
  updateProjectV2ItemFieldValue(
    input: {projectId: $projectId, itemId: $itemId, fieldId: $fieldId, value: {date: $date}}
  ) { projectV2Item { id } }
}
"""

CLEAR_DATE = """
mutation ClearDate($projectId: ID!, $itemId: ID!, $fieldId: ID!) {
  clearProjectV2ItemFieldValue(
    input: {projectId: $projectId, itemId: $itemId, fieldId: $fieldId}
  ) { projectV2Item { id } }
}
"""

_RATE_LIMIT_TYPES = {"RATE_LIMITED", "RATE_LIMIT"}  # both seen: githubkit#271, renovate#21861
_AUTH_TYPES = {"FORBIDDEN", "INSUFFICIENT_SCOPES"}


def graphql_url(api_url: str) -> str:
    """The GraphQL endpoint beside a REST base URL: https://api.github.com/graphql, and
    on GitHub Enterprise Server https://HOST/api/graphql (REST lives at /api/v3)."""
    base = api_url.rstrip("/")
    if base.endswith("/api/v3"):
        return base[: -len("/v3")] + "/graphql"
    return base + "/graphql"


@dataclass(frozen=True)
class ProjectTarget:
    """The node ids found once per run."""

    project_id: str
    field_id: str


class GitHubProject:
    """Sets one date field of one Projects v2 project, for issues given by node id."""

    def __init__(
        self,
        *,
        owner: str,
        number: int,
        field: str,
        api_url: str,
        token: str,
        token_env: str,
        policy: RetryPolicy,
        timeout: float = 30.0,
        now: Callable[[], float] = time.time,
    ) -> None:
        import httpx

        self.owner, self.number, self.field = owner, number, field
        self.url = graphql_url(api_url)
        self.token_env = token_env
        self.policy = policy
        self._now = now
        self._http = httpx.Client(
            headers={"Authorization": f"bearer {token}", "User-Agent": "pmsync"},
            timeout=timeout,
        )
        # The tracker has no close(): release the pooled connection when it is collected.
        weakref.finalize(self, self._http.close)
        self._target: ProjectTarget | None = None
        self._lookup_error: TrackerError | None = None

    @property
    def where(self) -> str:
        return f"project {self.owner}/{self.number}"

    # --- the one per-issue operation ---------------------------------------------------

    def set_due(self, content_id: str, due: date | None) -> None:
        """Put the issue in the project (no-op when it is there) and set or clear its
        date field."""
        target = self.target()
        item_id = self._add_item(target, content_id)
        variables = {"projectId": target.project_id, "itemId": item_id,
                     "fieldId": target.field_id}  # fmt: skip
        if due is None:
            self._execute(f"clear the due date in {self.where}", CLEAR_DATE, variables,
                          write=True)  # fmt: skip
        else:
            variables["date"] = due.isoformat()
            self._execute(f"set the due date in {self.where}", SET_DATE, variables, write=True)

    def _add_item(self, target: ProjectTarget, content_id: str) -> str:
        variables = {"projectId": target.project_id, "contentId": content_id}
        data = self._execute(f"add the issue to {self.where}", ADD_ITEM, variables, write=True)
        item = (data.get("addProjectV2ItemById") or {}).get("item") or {}
        if not item.get("id"):
            raise TrackerError(f"GitHub did not return the item when adding the issue to "
                               f"{self.where}")  # fmt: skip
        return str(item["id"])

    # --- once per run: project and field ids ----------------------------------------

    def target(self) -> ProjectTarget:
        """Project and field ids, looked up on first use only (a run that sets no due
        date makes no GraphQL request). A failed lookup is remembered, so a wrong
        config costs one request per run, not one per issue."""
        if self._target is not None:
            return self._target
        if self._lookup_error is not None:
            raise type(self._lookup_error)(str(self._lookup_error))
        try:
            self._target = self._find_target()
        except TrackerError as exc:
            if not exc.transient:
                self._lookup_error = exc
            raise
        return self._target

    def _find_target(self) -> ProjectTarget:
        variables = {"owner": self.owner, "number": self.number}
        data = self._execute(f"find {self.where}", FIND_PROJECT, variables,
                             tolerate_not_found=True)  # fmt: skip
        project = _project_of(data)
        if project is None:
            raise NotFound(
                f"GitHub: no Projects v2 project number {self.number} owned by "
                f"{self.owner!r}, or the token in ${self.token_env} cannot see it "
                f"(github.project.owner / github.project.number)"
            )
        return ProjectTarget(str(project["id"]), self._date_field_id(project))

    def _date_field_id(self, project: Mapping[str, Any]) -> str:
        nodes = [n for n in (project.get("fields") or {}).get("nodes") or [] if n]
        exact = [n for n in nodes if n.get("name") == self.field]
        named = exact or [n for n in nodes if str(n.get("name", "")).lower() == self.field.lower()]
        dates = [n for n in named if n.get("dataType") == "DATE"]
        if dates:
            return str(dates[0]["id"])
        if named:
            kind = named[0].get("dataType")
            raise TrackerError(
                f"GitHub {self.where}: the field {self.field!r} is a {kind} field, not a "
                f"date (github.project.field)"
            )
        others = sorted(str(n["name"]) for n in nodes if n.get("dataType") == "DATE")
        hint = f"; its date fields: {', '.join(others)}" if others else "; it has no date field"
        raise NotFound(
            f"GitHub {self.where} has no field named {self.field!r} (github.project.field){hint}"
        )

    # --- transport and error conversion ---------------------------------------------

    def _execute(
        self,
        what: str,
        query: str,
        variables: Mapping[str, Any],
        *,
        write: bool = False,
        tolerate_not_found: bool = False,
    ) -> dict[str, Any]:
        """Run one GraphQL document through the retry policy; return its `data`.

        Both mutations are safe to repeat, so a write with an unknown outcome (5xx,
        dropped connection) is retried like a read instead of being `maybe_applied`:
        adding an issue that is already in the project returns the existing item, and
        setting a field value sets the same value again."""

        def send() -> dict[str, Any]:
            return self._post(what, query, variables, tolerate_not_found)

        return self.policy.call(what, send, write=write)

    def _post(
        self, what: str, query: str, variables: Mapping[str, Any], tolerate_not_found: bool
    ) -> dict[str, Any]:
        import httpx

        try:
            resp = self._http.post(self.url, json={"query": query, "variables": dict(variables)})
        except httpx.HTTPError as exc:  # no answer: timeouts, refused or reset connections
            raise TrackerUnavailable(
                f"GitHub did not answer {what} ({type(exc).__name__})", transient=True
            ) from None
        body = _json(resp)
        if resp.status_code >= 400:
            raise self._http_error(what, resp.status_code, resp.headers, body)
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        if tolerate_not_found:
            errors = [e for e in errors if e.get("type") != "NOT_FOUND"]
        if errors:
            raise self._graphql_error(what, errors, resp.headers)
        data = body.get("data")
        if not isinstance(data, dict):
            raise TrackerError(f"GitHub answered {what} without data")
        return data

    def _http_error(
        self, what: str, status: int, headers: Mapping[str, str], body: Mapping[str, Any]
    ) -> TrackerError:
        message = str(body.get("message", ""))
        wait = rate_limit_wait(status, headers, message, self._now())
        if wait is not None:
            return TrackerError(
                f"GitHub rate limit on {what} (HTTP {status}): retry in {wait:.0f}s",
                transient=True,
                retry_after=wait,
            )
        if status in (401, 403):
            reason = " (Bad credentials)" if message.lower() == "bad credentials" else ""
            return AuthError(f"GitHub rejected the token in ${self.token_env} on {what} "
                             f"(HTTP {status}){reason}")  # fmt: skip
        if status >= 500:
            return TrackerUnavailable(f"GitHub failed {what} (HTTP {status})", transient=True)
        detail = f": {message}" if message else ""
        return TrackerError(f"GitHub refused {what} (HTTP {status}){detail}")

    def _graphql_error(
        self, what: str, errors: list[dict[str, Any]], headers: Mapping[str, str]
    ) -> TrackerError:
        types = {str(e.get("type", "")) for e in errors}
        message = "; ".join(str(e.get("message", "")) for e in errors[:3])
        if types & _RATE_LIMIT_TYPES:
            wait = rate_limit_wait(429, headers, "rate limit", self._now())
            return TrackerError(f"GitHub GraphQL rate limit on {what}: {message}",
                                transient=True, retry_after=wait)  # fmt: skip
        if types & _AUTH_TYPES:
            return AuthError(
                f"GitHub refused {what}: the token in ${self.token_env} needs the `project` "
                f"scope (classic token) or Projects: read and write (fine-grained token) "
                f"on {self.owner}: {message}"
            )
        if "NOT_FOUND" in types:
            return NotFound(f"GitHub: {what}: {message}")
        return TrackerError(f"GitHub refused {what}: {message}")


def _project_of(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for root in ("organization", "user"):
        project = (data.get(root) or {}).get("projectV2")
        if project:
            return dict(project)
    return None


def _json(resp: Any) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        return {"message": resp.text[:200]}
    return body if isinstance(body, dict) else {}


def project_due(project: GitHubProject, issue: Mapping[str, Any], due: date) -> list[str]:
    """Set a just-created issue's due date in the project (GraphQL needs the issue's
    `node_id`). The issue exists whatever happens here: a failure becomes a warning on
    its Created result, never a Failed, which would lose the issue from the run."""
    try:
        project.set_due(str(issue["node_id"]), due)
    except TrackerError as exc:
        return [f"due date not set in {project.where}: {exc}"]
    return []

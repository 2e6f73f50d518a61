"""GitHub sub-issues: an action item's issue under its postmortem's parent issue
(REST `issues/{n}/sub_issues`, through the adapter's requester like every other call).

PyGithub 2.x has `Issue.add_sub_issue`, but only on lazily loaded `Issue` objects (a
GET first) and with its exceptions instead of the status codes this needs; the adapter
sends the documented requests itself. The API takes the child's `id`, not its number:
ids seen in this run's answers are kept, others cost one GET.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pmsync.adapters.github.client import Response
from pmsync.adapters.github.values import parse_key
from pmsync.errors import NotFound, TrackerError
from pmsync.model import IssueRef

Call = Callable[..., Response]


class SubIssues:
    def __init__(self, call: Call) -> None:
        self._call = call
        self.ids: dict[str, int] = {}  # issue key → its REST id, from answers seen

    def note(self, key: str, data: Any) -> None:
        if isinstance(data, dict) and isinstance(data.get("id"), int):
            self.ids[key] = data["id"]

    def note_page(self, repo: str, page: Response) -> None:
        for data in page.data if isinstance(page.data, list) else []:
            if isinstance(data, dict) and "number" in data:
                self.note(f"{repo}#{data['number']}", data)

    def link(self, parent: IssueRef, child: IssueRef) -> bool:
        """`child` under `parent` (True); False when the server has no sub-issues (a
        GitHub Enterprise Server before them answers 404 while the parent exists)."""
        repo, number = parse_key(parent.key)
        body = {"sub_issue_id": self._id(child)}
        url = f"/repos/{repo}/issues/{number}/sub_issues"
        try:
            self._call(f"link {child.key} under {parent.key}", "POST", url, body=body,
                       write=True)  # fmt: skip
        except NotFound:
            if self._exists(parent):
                return False
            raise
        except TrackerError as exc:
            # A refusal (422: it has a parent already): fine when that parent is ours,
            # e.g. after a lost answer; someone else's parent is left as it is.
            if exc.transient or exc.maybe_applied or self._parent_of(child) != parent.key.lower():
                raise
        return True

    def _id(self, ref: IssueRef) -> int:
        if ref.key not in self.ids:
            repo, number = parse_key(ref.key)
            self.note(ref.key, self._call(f"read {ref.key}", "GET",
                                          f"/repos/{repo}/issues/{number}").data)  # fmt: skip
        return self.ids[ref.key]

    def _exists(self, ref: IssueRef) -> bool:
        repo, number = parse_key(ref.key)
        try:
            self._call(f"read {ref.key}", "GET", f"/repos/{repo}/issues/{number}")
        except NotFound:
            return False
        return True

    def _parent_of(self, child: IssueRef) -> str | None:
        repo, number = parse_key(child.key)
        try:
            data = self._call(f"read the parent of {child.key}", "GET",
                              f"/repos/{repo}/issues/{number}/parent").data  # fmt: skip
        except NotFound:
            return None
        full = str(data.get("repository_url", "")).split("/repos/", 1)[-1]
        return f"{full}#{data.get('number')}".lower()

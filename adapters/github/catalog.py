"""Labels and "Due YYYY-MM-DD" milestones of each repository: listed once per run,
created when missing. A fresh repository gets what pmsync's issues need (the `pmsync`
label, one milestone per due date) with one listing each, however many issues."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from pmsync.adapters.github.client import Response
from pmsync.adapters.github.values import DUE_TITLE_RE, milestone_title
from pmsync.errors import TrackerError

# GitHub keeps only a calendar date of `due_on`: it floors the instant to midnight US
# Pacific time (a due_on of 2024-06-15T00:00:00Z becomes June 14). Noon UTC is the same
# calendar day from UTC-11 to UTC+11, Pacific included, so the milestone shows the item's
# date. Same workaround: wordpress-mobile/release-toolkit#419 (T12:00:00Z);
# microsoft/PowerShellForGitHub#133 (midnight UTC + 9 h).
DUE_ON_TIME = "T12:00:00Z"


class Catalog:
    """One per tracker instance (one run): what was listed is cached per repository."""

    def __init__(self, call: Callable[..., Response]) -> None:
        self._call = call  # GitHubTracker._call: paced, retried, converted
        self._labels: dict[str, set[str]] = {}  # repo → lower-case label names
        self._milestones: dict[str, dict[date, int]] = {}  # repo → due date → number

    def ensure_labels(self, repo: str, names: Sequence[str]) -> None:
        """Create the labels the repository lacks (one listing per run)."""
        known = self.known_labels(repo)
        for name in dict.fromkeys(names):
            if name.lower() in known:
                continue
            try:
                self._call(f"create label {name!r} in {repo}", "POST", f"/repos/{repo}/labels",
                           body={"name": name, "color": "ededed"}, write=True)  # fmt: skip
            except TrackerError as exc:
                if "already_exists" not in str(exc):
                    raise
            known.add(name.lower())

    def known_labels(self, repo: str) -> set[str]:
        """The repository's label names, lower-case, listed once per run."""
        known = self._labels.get(repo)
        if known is None:
            listed = self.get_all(f"list labels of {repo}", f"/repos/{repo}/labels")
            known = self._labels[repo] = {str(lab["name"]).lower() for lab in listed}
        return known

    def milestone(self, repo: str, due: date) -> int:
        """The number of the "Due YYYY-MM-DD" milestone, created once when missing."""
        by_date = self._milestones.get(repo)
        if by_date is None:
            by_date = self._milestones[repo] = self._list_milestones(repo)
        if due not in by_date:
            body = {"title": milestone_title(due), "due_on": due.isoformat() + DUE_ON_TIME,
                    "description": "Due date of postmortem action items (pmsync)."}  # fmt: skip
            try:
                resp = self._call(f"create milestone {body['title']!r} in {repo}", "POST",
                                  f"/repos/{repo}/milestones", body=body, write=True)  # fmt: skip
                by_date[due] = int(resp.data["number"])
            except TrackerError as exc:
                if "already_exists" not in str(exc):
                    raise
                by_date.update(self._list_milestones(repo))  # created meanwhile: reuse it
        return by_date[due]

    def _list_milestones(self, repo: str) -> dict[date, int]:
        listed = self.get_all(
            f"list milestones of {repo}", f"/repos/{repo}/milestones", {"state": "all"}
        )
        found: dict[date, int] = {}
        for ms in listed:
            match = DUE_TITLE_RE.match(str(ms.get("title", "")))
            if match:
                found.setdefault(date.fromisoformat(match.group(1)), int(ms["number"]))
        return found

    def get_all(self, what: str, url: str, params: dict[str, Any] | None = None) -> list[Any]:
        resp = self._call(what, "GET", url, params={**(params or {}), "per_page": 100})
        items = list(resp.data)
        while (next_url := resp.link("next")) is not None:
            resp = self._call(what, "GET", next_url)
            items.extend(resp.data)
        return items

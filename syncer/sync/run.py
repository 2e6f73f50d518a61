"""One group's run (one tracker + one container): what the steps share, and the one
place their results go. Every outcome is recorded and reported through `emit`; every
record is saved to the state and journaled through `save`, right after the write that
produced it (a crash loses nothing). An error that would fail everything after it
stops the run: the rest of the group is reported "not attempted" (`NotAttempted`), and
nothing is concluded from it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pmsync.adapters.base import Tracker
from pmsync.errors import (
    AuthError,
    ContainerError,
    NotAttempted,
    NotFound,
    RateLimited,
    TrackerError,
    TrackerUnavailable,
)
from pmsync.model import IssueRef, RemoteIssue
from pmsync.plan.changes import Change, issue_of
from pmsync.state.store import ItemRecord, Journal, SyncState

OutcomeAction = Literal[
    "create", "update", "unchanged", "remove", "fail", "adopt", "orphan", "pending"
]
# After these, the rest of a group is not attempted: nothing would succeed.
_STOPPING = (AuthError, RateLimited, TrackerUnavailable)


@dataclass(frozen=True)
class Outcome:
    change: Change
    action: OutcomeAction
    issue: IssueRef | None = None
    failure: TrackerError | None = None  # why the action is "fail"
    warnings: tuple[str, ...] = ()

    @property
    def error(self) -> str | None:
        return str(self.failure) if self.failure is not None else None


def as_planned(change: Change) -> Outcome:
    """The outcome of a change that needs no tracker call (unchanged, orphan, a remove
    without --prune): what the plan said."""
    return Outcome(change, change.action, issue_of(change), warnings=change.warnings)


@dataclass
class GroupRun:
    tracker: Tracker
    container: str
    state: SyncState
    journal: Journal | None
    report: Callable[[Outcome], None]
    prune: bool = False
    intent_grace: float = 60.0  # seconds an unanswered create is given to land
    outcomes: list[Outcome] = field(default_factory=list)
    aborted: str | None = None  # why the run stopped (a stopping error), if it did
    writes: int = 0  # issues created or updated in this run
    # The container's managed issues by item id, when listed in full in this run: read
    # once, by whichever of reconcile and the parent step needs them first.
    listed: dict[str, RemoteIssue] | None = None

    def emit(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        self.report(outcome)

    def save(self, item_id: str, record: ItemRecord) -> None:
        self.state.items[item_id] = record
        if self.journal is not None:
            self.journal.append(item_id, record)

    def drop(self, item_id: str) -> None:
        self.state.items.pop(item_id, None)
        if self.journal is not None:
            self.journal.forget(item_id)

    def fail(self, change: Change, exc: TrackerError, issue: IssueRef | None) -> None:
        """A change the tracker refused (or that failed): reported; a stopping error
        stops the run."""
        self.emit(Outcome(change, "fail", issue, exc))
        self.stop_on(exc)

    def stop_on(self, exc: TrackerError, why: str = "") -> None:
        if is_stopping(exc):
            self.aborted = f"{why}{exc}"

    def abort(self, changes: Sequence[Change], error: str) -> None:
        self.aborted = self.aborted or error
        for change in changes:
            failure = NotAttempted(f"not attempted: {error}")
            self.emit(Outcome(change, "fail", issue_of(change), failure))

    def refuse_container(self, exc: TrackerError) -> None:
        """A bad token or a container that is not there (wrong repo, project or URL):
        one error for the run, never the same failure once per item."""
        container_level = isinstance(exc, AuthError) or (
            isinstance(exc, NotFound) and self.writes == 0
        )
        if container_level:
            raise ContainerError(f"{self.tracker.name} {self.container}: {exc}") from None


def is_stopping(exc: TrackerError) -> bool:
    return isinstance(exc, _STOPPING)

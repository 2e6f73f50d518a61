"""Pushing one group of changes (one tracker + one container) — the steps in order:
reconcile with the tracker's markers, create, update, prune. Every result is saved to the
state (and journaled) right after the write that produced it. A prune first reads the
container's issues in full, and closes no issue whose item marker another open issue
also carries (an ambiguous match: a warning instead)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from pmsync.adapters.base import Tracker, chunks, prefetch_bodies
from pmsync.errors import (
    AuthError,
    ContainerError,
    NotFound,
    RateLimited,
    TrackerError,
    TrackerUnavailable,
)
from pmsync.model import Created, Failed, IssueRef, RemoteIssue
from pmsync.plan.planner import REMARK_FIELDS, Change, pushed_of
from pmsync.state.store import (
    IssueRecord,
    ItemRecord,
    Journal,
    Status,
    SyncState,
    utcnow,
)
from pmsync.sync.recovery import hash_of, pair_by_title, spare_by_hash, spare_issues

OutcomeAction = Literal[
    "create", "update", "unchanged", "remove", "fail", "adopt", "orphan", "pending"
]
# After these, the rest of a group is not attempted: nothing would succeed.
_FATAL = (AuthError, RateLimited, TrackerUnavailable)
REMARK_ALL = ("title", *REMARK_FIELDS)
PENDING = (
    "an earlier create of this item got no answer and may still be landing: it is looked "
    "for again, not re-created, once limits.intent_grace ({grace:g}s) has passed"
)
TICKED_COMMENT = "pmsync: this action item is ticked done in its postmortem, so it is closed."
UNTICKED_COMMENT = "pmsync: this action item was unticked in its postmortem, so it is reopened."
PRUNE_COMMENT = (
    "pmsync: this action item was removed from its postmortem (`{path}`), so this issue is "
    "closed. Reopen it if the work is still wanted."
)


@dataclass(frozen=True)
class Outcome:
    change: Change
    action: OutcomeAction
    issue: IssueRef | None = None
    error: str | None = None
    warnings: tuple[str, ...] = ()


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
    aborted: str | None = None
    writes: int = 0  # issues created or updated in this run

    # --- the steps -----------------------------------------------------------------

    def run(self, changes: Sequence[Change]) -> None:
        creates = [c for c in changes if c.action == "create"]
        creates = self._reconcile(creates)
        self._create(creates)
        self._update([c for c in changes if c.action == "update"])
        self._remove([c for c in changes if c.action == "remove"])
        for change in changes:
            if change.action == "adopt":
                self._adopt(change)
            elif change.action in ("unchanged", "orphan"):
                self.emit(Outcome(change, change.action, change.issue, warnings=change.warnings))

    def _adopt(self, change: Change) -> None:
        """Verify a referenced issue once (it exists, this token can read it) and track
        it; a missing one is reported and recorded as missing, never re-read each run."""
        assert change.issue is not None
        if self.aborted:
            self.abort([change], self.aborted)
            return
        try:
            remote = self.tracker.get(change.issue)
        except TrackerError as exc:
            self.emit(Outcome(change, "fail", change.issue, error=f"could not verify: {exc}"))
            if is_fatal(exc):
                self.aborted = str(exc)
            return
        record = record_adoption(change, self.state, self.journal, remote)
        warnings = change.warnings
        if record.status is not None and record.status.missing:
            warnings = (
                *warnings,
                f"{change.issue.key} does not exist or this token cannot read it: fix the "
                "reference in the postmortem, or remove it to get a new issue",
            )
        self.emit(Outcome(change, "adopt", change.issue, warnings=warnings))

    def _reconcile(self, creates: list[Change]) -> list[Change]:
        """Match planned creates to issues that already carry their marker: after a lost
        state file, a crash, or a create whose response never came."""
        if not creates or not self._needs_listing(creates):
            return creates
        try:
            remote = list_by_item(self.tracker, self.container)
        except TrackerError as exc:
            self.refuse_container(exc)
            self.abort(creates, f"could not list existing issues: {exc}")
            return []
        by_hash = spare_by_hash(remote, self.state, creates)
        spare = spare_issues(remote, self.state, creates)
        left = []
        for change in creates:
            found = remote.get(change.item_id) or by_hash.pop(hash_of(change), None)
            if found is None and (found := pair_by_title(change, spare)) is not None:
                by_hash.pop(found.content_hash or "", None)
            if found is not None:
                spare.pop(found.item_id or "", None)
                self._reclaim(change, found)
            elif self._in_flight(change):
                self.emit(Outcome(change, "pending", warnings=(PENDING.format(
                    grace=self.intent_grace),)))  # fmt: skip
            else:
                left.append(change)
        return left

    def _in_flight(self, change: Change) -> bool:
        """A create sent with no answer recorded, younger than the grace period: the
        tracker may still be processing it, so not finding it proves nothing yet."""
        record = self.state.items.get(change.item_id)
        if record is None or record.intent is None or record.issue is not None:
            return False
        return (utcnow() - record.intent).total_seconds() < self.intent_grace

    def _needs_listing(self, creates: list[Change]) -> bool:
        record = self.state.trackers.get(f"{self.tracker.name}:{self.container}")
        if record is None or record.last_push is None:
            return True
        return any(
            (r := self.state.items.get(c.item_id)) is not None and r.intent is not None
            for c in creates
        )

    def _reclaim(self, change: Change, remote: RemoteIssue) -> None:
        """An issue pmsync created earlier: record it; update it if the text moved on."""
        record, same = found_record(change, remote)
        self.save(change.item_id, record)
        if same:
            self.emit(Outcome(change, "unchanged", remote.ref, warnings=change.warnings))
            return
        fields = ("title", "body") if remote.item_id == change.item_id else REMARK_ALL
        update = replace(change, action="update", fields=fields, issue=remote.ref)
        self._update_one(update)

    def _create(self, creates: list[Change]) -> None:
        for batch in chunks(creates, self.tracker.max_batch):
            if self.aborted:
                self.abort(list(batch), self.aborted)
                continue
            self._create_batch(list(batch))

    def _create_batch(self, batch: list[Change]) -> None:
        # Record the intent before the POST: a lost response must not lead to a second create.
        for change in batch:
            self.save(change.item_id, new_record(change, None, pushed=False, intent=True))
        try:
            results = self.tracker.create([c.draft for c in batch if c.draft is not None])
        except TrackerError as exc:
            if not isinstance(exc, AuthError) or self.writes == 0:
                self.refuse_container(exc)
            results = [Failed(c.item_id, str(exc), exc.maybe_applied) for c in batch]
            if is_fatal(exc):
                self.aborted = str(exc)
        for change, result in zip(batch, results, strict=True):
            if isinstance(result, Created):
                self.emit(self._created(change, result))
            else:
                self.emit(self._failed(change, result))

    def _created(self, change: Change, created: Created) -> Outcome:
        self.writes += 1
        record = new_record(change, created.issue.ref, pushed=True)
        record.done = False
        self.save(change.item_id, record)
        warnings = (*change.warnings, *created.warnings)
        if change.done:
            # Written done: the issue is closed at once (the person's tick wins).
            problem = self._set_state(change.item_id, created.issue.ref, True)
            warnings = (*warnings, problem) if problem else warnings
        return Outcome(change, "create", created.issue.ref, warnings=warnings)

    def _set_state(self, item_id: str, ref: IssueRef, done: bool) -> str | None:
        """Close (or reopen) an issue to match the item's tick; the record learns the tick
        only once the tracker took it, so a failure is retried by the next push."""
        try:
            if done:
                self.tracker.close(ref, TICKED_COMMENT)
            else:
                reopen = getattr(self.tracker, "reopen", None)
                if reopen is None:
                    return f"{self.tracker.name} issues cannot be reopened by pmsync"
                reopen(ref, UNTICKED_COMMENT)
        except TrackerError as exc:
            if is_fatal(exc):
                self.aborted = str(exc)
            return f"could not {'close' if done else 'reopen'} {ref.key}: {exc}"
        record = self.state.items[item_id]
        status = (record.status or Status()).model_copy(
            update={"state": "closed" if done else "open"}
        )
        self.save(item_id, record.model_copy(update={"done": done, "status": status}))
        return None

    def _failed(self, change: Change, failed: Failed) -> Outcome:
        if not failed.maybe_applied:
            # The tracker refused it: nothing landed, so the intent is settled.
            record = self.state.items.get(change.item_id)
            if record is not None and record.issue is None:
                self.save(change.item_id, record.model_copy(update={"intent": None}))
        note = (
            " (it may have been created: the next push reconciles)" if failed.maybe_applied else ""
        )
        return Outcome(change, "fail", None, error=failed.error + note)

    def _update(self, updates: list[Change]) -> None:
        if not updates:
            return
        if not self.aborted:
            bodies = [c.issue for c in updates if c.issue is not None and "body" in c.fields]
            self._prefetch(bodies)
        for change in updates:
            if self.aborted:
                self.abort([change], self.aborted)
                continue
            self._update_one(change)

    def _prefetch(self, refs: list[IssueRef]) -> None:
        try:
            prefetch_bodies(self.tracker, refs)
        except TrackerError as exc:
            if is_fatal(exc):
                self.aborted = f"could not read the issues before updating them: {exc}"

    def _update_one(self, change: Change) -> None:
        assert change.issue is not None and change.draft is not None
        fields = tuple(f for f in change.fields if f != "state")
        try:
            if fields:
                remote = self.tracker.update(change.issue, change.draft, fields)
            else:
                remote = RemoteIssue(change.issue, change.title, "open")
        except TrackerError as exc:
            self.emit(Outcome(change, "fail", change.issue, error=str(exc)))
            if is_fatal(exc):
                self.aborted = str(exc)
            return
        record = self.state.items.get(change.previous or change.item_id)
        record = record or new_record(change, remote.ref, pushed=True)
        aliases = sorted({*record.aliases, *([change.previous] if change.previous else [])})
        record = record.model_copy(
            update={
                "title": change.title,
                "content_hash": change.draft.content_hash,
                "aliases": aliases,
                "pushed": pushed_of(change.draft, change.body_hash),
                "intent": None,
                "done": record.done if record.done is not None else change.done,
            }
        )
        self.save(change.item_id, record)
        if change.previous is not None:
            self.drop(change.previous)  # the record moved to the item's new id
        self.writes += 1
        warnings = change.warnings
        if "state" in change.fields:
            problem = self._set_state(change.item_id, change.issue, change.done)
            warnings = (*warnings, problem) if problem else warnings
        self.emit(Outcome(change, "update", remote.ref, warnings=warnings))

    def _remove(self, removes: list[Change]) -> None:
        closing = self.prune and any(c.issue is not None for c in removes)
        carriers = self._carriers() if closing and not self.aborted else {}
        for change in removes:
            if not self.prune or change.issue is None:
                self.emit(Outcome(change, "remove", change.issue))
            elif self.aborted:
                # The tracker was not read or written completely: close nothing.
                self.abort([change], self.aborted)
            else:
                self._prune_one(change, carriers)

    def _carriers(self) -> dict[str, list[RemoteIssue]]:
        """The open issues carrying each item's marker, read in full before any close."""
        found: dict[str, list[RemoteIssue]] = {}
        try:
            for issue in self.tracker.list_managed(self.container):
                if issue.item_id and issue.state == "open":
                    found.setdefault(issue.item_id, []).append(issue)
        except TrackerError as exc:
            self.aborted = f"could not list the issues before closing any: {exc}"
        return found

    def _prune_one(self, change: Change, carriers: dict[str, list[RemoteIssue]]) -> None:
        assert change.issue is not None
        record = self.state.items.get(change.item_id)
        if record is not None and record.adopted:
            # Never close an issue pmsync did not create.
            self._forget(change)
            return
        others = [
            i.ref.key for i in carriers.get(change.item_id, []) if i.ref.key != change.issue.key
        ]
        if others:
            # Another open issue carries this item's marker (a copy, or a lost state
            # rebuilt): which one is the item's is ambiguous, so close neither.
            warning = (
                f"not closed: {', '.join(others)} also carries this item's marker; "
                f"close the right one of them and {change.issue.key} by hand"
            )
            self.emit(Outcome(change, "remove", change.issue, warnings=(warning,)))
            return
        try:
            self.tracker.close(change.issue, PRUNE_COMMENT.format(path=change.doc_path))
        except TrackerError as exc:
            self.emit(Outcome(change, "fail", change.issue, error=str(exc)))
            if is_fatal(exc):
                self.aborted = str(exc)
            return
        self._forget(change)

    def _forget(self, change: Change) -> None:
        self.drop(change.item_id)
        self.emit(Outcome(change, "remove", change.issue))

    def drop(self, item_id: str) -> None:
        self.state.items.pop(item_id, None)
        if self.journal is not None:
            self.journal.forget(item_id)

    def emit(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        self.report(outcome)

    def save(self, item_id: str, record: ItemRecord) -> None:
        self.state.items[item_id] = record
        if self.journal is not None:
            self.journal.append(item_id, record)

    def refuse_container(self, exc: TrackerError) -> None:
        """A bad token or a container that is not there (wrong repo, project or URL):
        one error for the run, never the same failure once per item."""
        container_level = isinstance(exc, AuthError) or (
            isinstance(exc, NotFound) and self.writes == 0
        )
        if container_level:
            raise ContainerError(f"{self.tracker.name} {self.container}: {exc}") from None

    def abort(self, changes: list[Change], error: str) -> None:
        self.aborted = self.aborted or error
        for change in changes:
            self.emit(Outcome(change, "fail", change.issue, error=f"not attempted: {error}"))


def list_by_item(tracker: Tracker, container: str) -> dict[str, RemoteIssue]:
    """Every managed issue in a container, by the item id its marker carries. The first
    one wins: a duplicate made by someone copying an issue is never adopted twice."""
    found: dict[str, RemoteIssue] = {}
    for issue in tracker.list_managed(container):
        if issue.item_id and issue.item_id not in found:
            found[issue.item_id] = issue
    return found


def new_record(
    change: Change, ref: IssueRef | None, *, pushed: bool, intent: bool = False
) -> ItemRecord:
    assert change.draft is not None
    return ItemRecord(
        doc=change.doc_key,
        title=change.title,
        container=change.container,
        content_hash=change.draft.content_hash,
        aliases=[change.previous] if change.previous else [],
        issue=IssueRecord.of(ref) if ref else None,
        pushed=pushed_of(change.draft, change.body_hash) if pushed else None,
        intent=utcnow() if intent else None,
    )


def found_record(change: Change, remote: RemoteIssue) -> tuple[ItemRecord, bool]:
    """The record of an issue found by its marker (a lost state, a crash, a lost response)
    and whether it already says what the item says. Its baseline is what the tracker
    holds, so a later push still brings a stale issue up to date, also when the update
    attempted right now fails."""
    assert change.draft is not None
    record = new_record(change, remote.ref, pushed=True)
    assert record.pushed is not None
    same_text = remote.content_hash == change.draft.content_hash
    record.pushed.title = remote.title
    remark = remote.item_id != change.item_id
    if not same_text or remark:
        record.pushed.body_hash = ""  # unknown: differs from any draft's
    if remark:
        record.pushed.labels = []  # Jira's identity label names the old id: rewrite it
    return record, same_text and not remark and remote.title == change.title


def record_adoption(
    change: Change, state: SyncState, journal: Journal | None, remote: RemoteIssue | None
) -> ItemRecord:
    """Track a referenced issue, with what its verification found (None: missing)."""
    assert change.issue is not None and change.draft is not None
    now = utcnow()
    if remote is None:
        status = Status(missing=True, last_seen=now)
    else:
        status = Status(state=remote.state, state_reason=remote.state_reason,
                        assignee=remote.assignee, due=remote.due, closed_at=remote.closed_at,
                        updated_at=remote.updated_at, last_seen=now)  # fmt: skip
    record = ItemRecord(
        doc=change.doc_key,
        title=change.title,
        container=change.container,
        content_hash=change.draft.content_hash,
        issue=IssueRecord.of(remote.ref if remote else change.issue),
        adopted=True,
        status=status,
    )
    state.items[change.item_id] = record
    if journal is not None:
        journal.append(change.item_id, record)
    return record


def is_fatal(exc: TrackerError) -> bool:
    return isinstance(exc, _FATAL)

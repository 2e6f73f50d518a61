"""Status sync: read every tracked issue's state from its tracker in bulk, record it in
the state file, and compute the report rows.

Cost follows change, not size: each group (tracker + container) is read with one paged
listing of pmsync's issues updated since the last status (GitHub answers an unchanged
first page with 304, which does not count against the rate limit). Issues pmsync did
not create (adopted) are read one by one: they carry no label to list them by.
A group whose read fails keeps its recorded status: nothing is concluded from it.

Only news is written: a read that changes no item's status moves no cursor and adds no
history point, so a quiet night leaves the state file byte for byte as it was. An
incremental listing cannot show an issue that was deleted or transferred, so every
FULL_EVERY (and with `status --full`) the listing is complete, and its cost is announced.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from pmsync.adapters.base import Tracker
from pmsync.errors import TrackerError
from pmsync.model import RemoteIssue
from pmsync.state.store import HistoryPoint, ItemRecord, Status, SyncState, precise_now

TrackerFactory = Callable[[str], Tracker]
FULL_EVERY = timedelta(days=7)


@dataclass(frozen=True)
class StatusRow:
    item_id: str
    doc: str
    title: str
    record: ItemRecord
    due: date | None
    state: str
    assignee: str | None
    overdue: bool
    missing: bool
    orphan: bool = False  # its postmortem is gone


def refresh_status(
    state: SyncState,
    connect: TrackerFactory,
    progress: Callable[[int], None] = lambda n: None,
    *,
    full: bool = False,
    announce: Callable[[str], None] = lambda message: None,
) -> list[TrackerError]:
    """Update every tracked item's recorded status; returns one error per group that
    could not be read. `full`: list every issue, not only those updated since the
    last status (also done when the last full listing is older than FULL_EVERY)."""
    errors: list[TrackerError] = []
    for (name, container), records in _groups(state).items():
        try:
            group = Group(state, connect(name), container, records)
            group.refresh(full or group.full_due(announce))
        except TrackerError as exc:
            errors.append(exc.about(f"{name} {container}: status not refreshed: "))
        progress(len(records))
    return errors


def _groups(state: SyncState) -> dict[tuple[str, str], dict[str, ItemRecord]]:
    groups: dict[tuple[str, str], dict[str, ItemRecord]] = {}
    for item_id, record in state.items.items():
        if record.issue is not None:
            key = (record.issue.tracker, record.container)
            groups.setdefault(key, {})[item_id] = record
    return groups


@dataclass
class Group:
    """One tracker + container's status read. Only news is recorded: a read that finds
    nothing changed leaves the state as it was (the next read asks from the same point),
    so a quiet night writes no byte."""

    state: SyncState
    tracker: Tracker
    container: str
    records: dict[str, ItemRecord]

    def full_due(self, announce: Callable[[str], None]) -> bool:
        """Whether the listing must be complete: deleted and transferred issues drop out
        of an incremental listing silently, so they are looked for every FULL_EVERY."""
        marker = self.state.tracker(self.tracker.name, self.container)
        if marker.last_status is None:
            return True  # the first status reads everything anyway
        last = marker.last_full
        if last is not None and precise_now() - last < FULL_EVERY:
            return False
        when = f"last one {last.date().isoformat()}" if last else "none recorded yet"
        announce(
            f"{self.tracker.name} {self.container}: listing every issue to find deleted or "
            f"transferred ones ({when}; every {FULL_EVERY.days} days): about "
            f"{full_listing_cost(len(self.records))} requests"
        )
        return True

    def refresh(self, full: bool) -> None:
        marker = self.state.tracker(self.tracker.name, self.container)
        started = precise_now()
        self.tracker.recall(self.container, marker.memo)
        since = None if full else marker.last_status
        listed = list(self.tracker.list_managed(self.container, since))
        # The issue the state records, never whichever carries the item's marker: a
        # closed copy (pasted marker, a duplicate) must not mark a live item closed.
        by_key = {i.ref.key.casefold(): i for i in listed}
        changed = False
        for record in self.records.values():
            assert record.issue is not None
            remote = by_key.get(record.issue.key.casefold())
            status = self._status(record, remote, full or record.status is None, started)
            if status is not None and _news(record.status, status):
                record.status, changed = status, True
        if changed or full or marker.last_status is None:
            marker.memo = self.tracker.memo(self.container)
            marker.last_status = next_since(marker.last_status, listed)
        if full:
            marker.last_full = started

    def _status(
        self, record: ItemRecord, remote: RemoteIssue | None, unlisted_is_news: bool, at: datetime
    ) -> Status | None:
        """The item's status now; None when this read says nothing about it."""
        assert record.issue is not None
        if record.adopted and record.status is not None and record.status.missing:
            return None  # verified missing when adopted: reported once, not re-read every run
        if remote is None and (record.adopted or unlisted_is_news):
            # Not in the listing: adopted (no label), or gone from the tracker.
            remote = self.tracker.get(record.issue.ref())
            if remote is None:
                return _missing(record.status, at)
        return status_of(remote, at) if remote is not None else None


def full_listing_cost(issues: int) -> int:
    return max(1, -(-issues // 100))


def _news(before: Status | None, after: Status) -> bool:
    """Whether a status read tells anything new (when it was seen is not news)."""
    if before is None:
        return True
    ignore = {"last_seen", "updated_at"}  # a comment is not news about the item
    return before.model_dump(exclude=ignore) != after.model_dump(exclude=ignore)


def next_since(previous: datetime | None, listed: Iterable[RemoteIssue]) -> datetime | None:
    """The next listing's `since`, in the tracker's clock: the newest change this listing
    saw (whatever changes after it is newer still). The runner's clock may run ahead of
    the tracker's, so it is never what the tracker compares its stamps with."""
    return max((i.updated_at for i in listed if i.updated_at is not None), default=previous)


def status_of(remote: RemoteIssue, seen_at: datetime) -> Status:
    return Status(
        state=remote.state,
        state_reason=remote.state_reason,
        assignee=remote.assignee,
        due=remote.due,
        closed_at=remote.closed_at,
        updated_at=remote.updated_at,
        last_seen=seen_at,
    )


def _missing(previous: Status | None, at: datetime) -> Status:
    base = previous or Status()
    return base.model_copy(update={"missing": True, "last_seen": at})


def status_rows(state: SyncState, today: date, orphaned: Collection[str] = ()) -> list[StatusRow]:
    """One row per tracked item; `orphaned`: documents whose file is gone."""
    rows = []
    for item_id, record in sorted(state.items.items(), key=lambda kv: (kv[1].doc, kv[0])):
        if record.issue is None:
            continue
        row = _row(state, item_id, record, today)
        rows.append(replace(row, orphan=True) if record.doc in orphaned else row)
    return rows


def _row(state: SyncState, item_id: str, record: ItemRecord, today: date) -> StatusRow:
    status = record.status or Status()
    # Once the issue exists the tracker wins for due date and assignee; where it cannot
    # report a due date (a Projects v2 field), the pushed one stands.
    pushed_due = record.pushed.due if record.pushed else None
    due = (status.due if record.status else None) or pushed_due
    assignee = status.assignee if record.status else None
    doc = state.documents.get(record.doc)
    open_ = status.state != "closed"
    return StatusRow(
        item_id=item_id,
        doc=doc.path if doc else record.doc,
        title=record.title,
        record=record,
        due=due,
        state=status.state,
        assignee=assignee,
        overdue=bool(open_ and due and due < today and not status.missing),
        missing=status.missing,
    )


def record_history(state: SyncState, rows: Iterable[StatusRow], today: date) -> None:
    """The open/closed/overdue counts for the trend in reports: a point on the days they
    change (at most one a day), none on a day they stay the same, which writes nothing."""
    rows = list(rows)
    point = HistoryPoint(
        at=today,
        open=sum(1 for r in rows if r.state == "open"),
        closed=sum(1 for r in rows if r.state == "closed"),
        overdue=sum(1 for r in rows if r.overdue),
    )
    earlier = sorted((p for p in state.history if p.at != today), key=lambda p: p.at)
    same = earlier and earlier[-1].model_dump(exclude={"at"}) == point.model_dump(exclude={"at"})
    state.history = earlier if same else [*earlier, point]

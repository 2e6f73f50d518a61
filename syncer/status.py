"""Status sync: read every tracked issue's state from its tracker in bulk, record it in
the state file, and compute the report rows.

Cost follows change, not size: each group (tracker + container) is read with one paged
listing of pmsync's issues updated since the last status (GitHub answers an unchanged
first page with 304, which does not count against the rate limit). Issues pmsync did
not create (adopted) are read one by one: they carry no label to list them by.
A group whose read fails keeps its recorded status: nothing is concluded from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from pmsync.adapters.base import Tracker
from pmsync.errors import TrackerError
from pmsync.model import RemoteIssue
from pmsync.state import HistoryPoint, ItemRecord, Status, SyncState, precise_now

TrackerFactory = Callable[[str], Tracker]


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


def refresh_status(
    state: SyncState, connect: TrackerFactory, progress: Callable[[int], None] = lambda n: None
) -> list[str]:
    """Update every tracked item's recorded status; returns one error line per group
    that could not be read."""
    errors = []
    for (name, container), records in _groups(state).items():
        try:
            _refresh_group(state, connect(name), container, records)
        except TrackerError as exc:
            errors.append(f"{name} {container}: status not refreshed: {exc}")
        progress(len(records))
    return errors


def _groups(state: SyncState) -> dict[tuple[str, str], dict[str, ItemRecord]]:
    groups: dict[tuple[str, str], dict[str, ItemRecord]] = {}
    for item_id, record in state.items.items():
        if record.issue is not None:
            key = (record.issue.tracker, record.container)
            groups.setdefault(key, {})[item_id] = record
    return groups


def _refresh_group(
    state: SyncState, tracker: Tracker, container: str, records: dict[str, ItemRecord]
) -> None:
    marker = state.tracker(tracker.name, container)
    started = precise_now()
    full = marker.last_status is None
    tracker.recall(container, marker.memo)
    listed = list(tracker.list_managed(container, marker.last_status))
    seen = {i.item_id: i for i in listed if i.item_id}
    by_key = {i.ref.key: i for i in seen.values()}
    for item_id, record in records.items():
        assert record.issue is not None
        remote = seen.get(item_id) or by_key.get(record.issue.key)
        if remote is None and (record.adopted or full or record.status is None):
            # Not in the listing: adopted (no label), or gone from the tracker.
            remote = tracker.get(record.issue.ref())
            if remote is None:
                record.status = _missing(record.status, started)
                continue
        if remote is not None:
            record.status = status_of(remote, started)
    marker.memo = tracker.memo(container)
    marker.last_status = next_since(marker.last_status, listed)


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


def status_rows(state: SyncState, today: date) -> list[StatusRow]:
    rows = []
    for item_id, record in sorted(state.items.items(), key=lambda kv: (kv[1].doc, kv[0])):
        if record.issue is None:
            continue
        rows.append(_row(state, item_id, record, today))
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
    """One point a day of open/closed/overdue counts, for the trend in reports."""
    rows = list(rows)
    point = HistoryPoint(
        at=today,
        open=sum(1 for r in rows if r.state == "open"),
        closed=sum(1 for r in rows if r.state == "closed"),
        overdue=sum(1 for r in rows if r.overdue),
    )
    state.history = [p for p in state.history if p.at != today] + [point]
    state.history.sort(key=lambda p: p.at)

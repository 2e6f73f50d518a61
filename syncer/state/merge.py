"""Three-way merge of two runs' state files: the git merge driver behind
`pmsync state merge BASE OURS THEIRS`.

Two CI runs (the push on merge, the nightly status) each start from the same state file
and each commit what they learned. Git's line merge conflicts on such a JSON file; this
merge works record by record and loses none: a record only one side changed takes that
side; a record both changed takes, field by field, the side that changed it, the newer
status and whichever issue is known; a record one side dropped stays dropped only when
the other side did not change it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from pmsync.state.store import (
    HistoryPoint,
    ItemRecord,
    Status,
    SyncState,
    TrackerRecord,
    load_state,
    state_bytes,
)

M = TypeVar("M", bound=BaseModel)


def merge_state_files(base: Path, ours: Path, theirs: Path) -> SyncState:
    """Merge THEIRS into OURS (git's %A: the result is written there)."""
    merged = merge_states(_load(base), load_state(ours), load_state(theirs))
    ours.write_bytes(state_bytes(merged))
    return merged


def _load(path: Path) -> SyncState:
    # A state file added on both sides has an empty base (git passes an empty file).
    if not path.exists() or not path.read_bytes().strip():
        return SyncState()
    return load_state(path)


def merge_states(base: SyncState, ours: SyncState, theirs: SyncState) -> SyncState:
    return SyncState(
        documents=_merge_maps(base.documents, ours.documents, theirs.documents, _ours),
        items=_merge_maps(base.items, ours.items, theirs.items, _merge_item),
        trackers=_merge_maps(base.trackers, ours.trackers, theirs.trackers, _merge_tracker),
        history=_history(base.history, ours.history, theirs.history),
    )


def _merge_maps(
    base: dict[str, M], ours: dict[str, M], theirs: dict[str, M], both: Callable[[M, M, M], M]
) -> dict[str, M]:
    merged: dict[str, M] = {}
    for key in sorted(ours.keys() | theirs.keys()):
        was, mine, other = base.get(key), ours.get(key), theirs.get(key)
        if mine is None or other is None:
            kept = mine or other
            assert kept is not None
            # Dropped on one side: stays dropped unless the other side changed it since.
            if was is None or _dump(kept) != _dump(was):
                merged[key] = kept
        elif _dump(other) == _dump(was) or _dump(mine) == _dump(other):
            merged[key] = mine
        elif was is None or _dump(mine) == _dump(was):
            merged[key] = other
        else:
            merged[key] = both(was, mine, other)
    return merged


def _dump(model: BaseModel | None) -> Any:
    return None if model is None else model.model_dump(mode="json")


def _ours(base: M, ours: M, theirs: M) -> M:
    return ours


def _merge_item(base: ItemRecord, ours: ItemRecord, theirs: ItemRecord) -> ItemRecord:
    """Both runs touched one item: each field from the side that changed it."""
    fields = {}
    for name in ItemRecord.model_fields:
        mine, other = getattr(ours, name), getattr(theirs, name)
        fields[name] = other if mine == getattr(base, name) else mine
    fields["issue"] = ours.issue or theirs.issue
    fields["status"] = _newer_status(ours.status, theirs.status)
    return ItemRecord.model_validate(fields)


def _newer_status(ours: Status | None, theirs: Status | None) -> Status | None:
    if ours is None or theirs is None:
        return ours or theirs
    return theirs if _seen(theirs) > _seen(ours) else ours


def _seen(status: Status) -> datetime:
    return status.last_seen or datetime.min.replace(tzinfo=timezone.utc)


def _merge_tracker(
    base: TrackerRecord, ours: TrackerRecord, theirs: TrackerRecord
) -> TrackerRecord:
    newer = theirs if _later(theirs.last_status, ours.last_status) else ours
    pushed = theirs if _later(theirs.last_push, ours.last_push) else ours
    # The adapter's memo goes with the push that wrote it: what it noted is consistent
    # with itself (the other side's listing cache lost costs one full answer, no more).
    return TrackerRecord(
        last_push=pushed.last_push, last_status=newer.last_status, memo=dict(pushed.memo)
    )


def _later(a: datetime | None, b: datetime | None) -> bool:
    return a is not None and (b is None or a > b)


def _history(
    base: list[HistoryPoint], ours: list[HistoryPoint], theirs: list[HistoryPoint]
) -> list[HistoryPoint]:
    days = {p.at: p for p in base}
    mine = {p.at: p for p in ours}
    other = {p.at: p for p in theirs}
    merged = {}
    for day in mine.keys() | other.keys():
        pick = mine.get(day)
        if pick is None or (day in other and pick == days.get(day)):
            pick = other[day]
        merged[day] = pick
    return [merged[day] for day in sorted(merged)]

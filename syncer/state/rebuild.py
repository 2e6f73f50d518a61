"""`pmsync state rebuild`: reconstruct the state from the issue markers in the trackers.

Every postmortem is planned against an empty state; each group's managed issues are
listed in full and matched to the items by the id their marker (or label) carries.
Items whose issue still holds their current text are recorded as pushed; the others are
recorded with a stale baseline, so the next push updates their text. Nothing is written
to any tracker.
"""

from __future__ import annotations

from collections.abc import Callable

from pmsync.adapters.base import Tracker
from pmsync.errors import TrackerError
from pmsync.plan.changes import Adopt, Change, Create, Plan, planned
from pmsync.state.store import SyncState
from pmsync.sync.parents import group_parents, parents_apart, rebuild_parents
from pmsync.sync.reconcile import list_by_item
from pmsync.sync.records import found_record
from pmsync.sync.recovery import hash_of, spare_by_hash

TrackerFactory = Callable[[str], Tracker]


def rebuild_state(plan: Plan, connect: TrackerFactory) -> tuple[SyncState, list[str]]:
    """A new state from `plan` (made against an empty state) and the trackers."""
    state = SyncState()
    errors = []
    for (name, container), changes in plan.by_group().items():
        specs = group_parents(plan, name, container)
        try:
            tracker = connect(name)
            remote = list_by_item(tracker, container)
            apart = parents_apart(tracker, container) if specs else {}
        except TrackerError as exc:
            errors.append(f"{name} {container}: not rebuilt: {exc}")
            continue
        creates = [c for change in changes if (c := _as_create(change)) is not None]
        by_hash = spare_by_hash(remote, state, changes)
        for create in creates:
            found = remote.get(create.item_id) or by_hash.pop(hash_of(create), None)
            if found is not None:
                state.items[create.item_id] = found_record(create, found)[0]
        rebuild_parents(state, specs, {**remote, **apart})
    return state, errors


def _as_create(change: Change) -> Create | None:
    """What the plan would create; an adoption too: a link pmsync wrote back into the
    postmortem names pmsync's own issue, found again by its marker."""
    match change:
        case Create():
            return change
        case Adopt():
            return Create(**planned(change), draft=change.draft, body_hash=change.body_hash)
    return None

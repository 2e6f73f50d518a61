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
from pmsync.plan.planner import Plan
from pmsync.state.store import SyncState
from pmsync.sync.group import found_record, list_by_item
from pmsync.sync.recovery import hash_of, spare_by_hash

TrackerFactory = Callable[[str], Tracker]


def rebuild_state(plan: Plan, connect: TrackerFactory) -> tuple[SyncState, list[str]]:
    """A new state from `plan` (made against an empty state) and the trackers."""
    state = SyncState()
    errors = []
    for (name, container), changes in plan.by_group().items():
        try:
            remote = list_by_item(connect(name), container)
        except TrackerError as exc:
            errors.append(f"{name} {container}: not rebuilt: {exc}")
            continue
        by_hash = spare_by_hash(remote, state, changes)
        for change in changes:
            found = remote.get(change.item_id) or by_hash.pop(hash_of(change), None)
            if found is not None and change.draft is not None:
                state.items[change.item_id] = found_record(change, found)[0]
    return state, errors

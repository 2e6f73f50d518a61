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
from pmsync.group import list_by_item, new_record, outside_of
from pmsync.model import RemoteIssue
from pmsync.plan import Change, Plan
from pmsync.state import ItemRecord, SyncState

TrackerFactory = Callable[[str], Tracker]


def rebuild_state(plan: Plan, connect: TrackerFactory) -> tuple[SyncState, list[str]]:
    """A new state from `plan` (made against an empty state) and the trackers."""
    state = SyncState()
    errors = []
    groups: dict[tuple[str, str], list[Change]] = {}
    for change in plan.changes:
        groups.setdefault((change.tracker, change.container), []).append(change)
    for (name, container), changes in groups.items():
        try:
            remote = list_by_item(connect(name), container)
        except TrackerError as exc:
            errors.append(f"{name} {container}: not rebuilt: {exc}")
            continue
        for change in changes:
            found = remote.get(change.item_id)
            if found is not None and change.draft is not None:
                state.items[change.item_id] = _record(change, found)
    return state, errors


def _record(change: Change, remote: RemoteIssue) -> ItemRecord:
    assert change.draft is not None
    record = new_record(change, remote.ref, pushed=True)
    same = remote.content_hash == change.draft.content_hash and remote.title == change.title
    if not same and record.pushed is not None:
        record.pushed.body_hash = ""  # stale: the next push rewrites the text
    record.outside = outside_of(remote.body)
    return record

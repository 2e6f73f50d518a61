"""Finding an item's issue again when its id is not in any marker: after a lost state,
an item whose id changed (its postmortem renamed or moved, the item reworded) while
its issue still carries the old id.

Only issues whose marker names no item pmsync knows ("spare" issues) are candidates,
first by the exact content hash in their marker, then by a clearly similar title. A
match two candidates share equally pairs with neither: a create is better than a
guess into someone else's issue.
"""

from __future__ import annotations

from collections.abc import Sequence

from pmsync.model import RemoteIssue
from pmsync.plan.changes import Create, Planned
from pmsync.plan.matching import title_similarity
from pmsync.state.store import SyncState

# Pairing an item with an issue by title alone, with no state to say which document it
# came from, asks for more likeness than pairing within one document's records.
LOST_STATE_SIMILARITY = 0.8


def spare_issues(
    remote: dict[str, RemoteIssue], state: SyncState, creates: Sequence[Planned]
) -> dict[str, RemoteIssue]:
    """Issues whose marker names no item pmsync knows (by id): after a lost state, the
    issues of items whose id changed since their marker was written."""
    known = {c.item_id for c in creates} | set(state.items)
    known |= {alias for record in state.items.values() for alias in record.aliases}
    return {item_id: issue for item_id, issue in remote.items() if item_id not in known}


def pair_by_title(change: Create, spare: dict[str, RemoteIssue]) -> RemoteIssue | None:
    """The spare issue whose title is clearly this item's reworded (an update that never
    reached the tracker, then a lost state); None when none is, or two are equally."""
    scored = sorted(
        ((title_similarity(change.title, issue.title), key) for key, issue in spare.items()),
        reverse=True,
    )
    if not scored or scored[0][0] < LOST_STATE_SIMILARITY:
        return None
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None
    return spare[scored[0][1]]


def spare_by_hash(
    remote: dict[str, RemoteIssue], state: SyncState, creates: Sequence[Planned]
) -> dict[str, RemoteIssue]:
    """Spare issues (see `spare_issues`) by the content hash in their marker: an item
    whose id changed (its postmortem renamed, moved, or keyed anew) is still the item of
    the issue holding its exact text. A hash two such issues share pairs with neither."""
    found: dict[str, RemoteIssue] = {}
    shared: set[str] = set()
    for issue in spare_issues(remote, state, creates).values():
        digest = issue.content_hash
        if not digest:
            continue
        if digest in found:
            shared.add(digest)
        found[digest] = issue
    return {digest: issue for digest, issue in found.items() if digest not in shared}


def hash_of(change: Create) -> str:
    return change.draft.content_hash

"""Step 1 of a push: before creating, look in the tracker for issues that already carry
the items' markers, so nothing is created twice. What is found is reclaimed (recorded,
and updated if its text moved on); the rest is left to create.

Which issues are looked at:
- the whole container, when the state has no baseline for it (a first push, a deleted
  state) or an intent is open (a create whose answer never came);
- otherwise the issues updated since the last push began (one request, a little earlier
  for clocks that disagree): a state file one save behind (a restored `state.json.bak`,
  a CI commit-back that failed) must not create again what the lost save recorded.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pmsync.adapters.base import Tracker
from pmsync.errors import TrackerError
from pmsync.model import RemoteIssue
from pmsync.plan.changes import Create, as_update
from pmsync.plan.planner import REMARK_FIELDS
from pmsync.state.store import utcnow
from pmsync.sync.records import found_record
from pmsync.sync.recovery import hash_of, pair_by_title, spare_by_hash, spare_issues
from pmsync.sync.run import GroupRun, Outcome
from pmsync.sync.update import update_one

REMARK_ALL = ("title", *REMARK_FIELDS)
# How far before the last push's start the check for a lost save looks: the runner's
# clock and the tracker's may disagree.
CLOCK_MARGIN = timedelta(minutes=10)
PENDING = (
    "an earlier create of this item got no answer and may still be landing: it is looked "
    "for again, not re-created, once limits.intent_grace ({grace:g}s) has passed"
)


def reconcile(run: GroupRun, creates: list[Create]) -> list[Create]:
    """The creates still to make: those whose issue was not found."""
    if not creates:
        return creates
    since = _since(run, creates)
    if since is None and run.listed is not None:
        return _match(run, creates, run.listed)
    try:
        remote = list_by_item(run.tracker, run.container, since)
    except TrackerError as exc:
        run.refuse_container(exc)
        run.abort(creates, f"could not list existing issues: {exc}")
        return []
    if since is None:
        run.listed = remote
    return _match(run, creates, remote)


def _since(run: GroupRun, creates: list[Create]) -> datetime | None:
    """Where the listing starts: None, the whole container (see the module docstring)."""
    record = run.state.trackers.get(f"{run.tracker.name}:{run.container}")
    if record is None or record.last_push is None or _intents(run, creates):
        return None
    return record.last_push - CLOCK_MARGIN


def _intents(run: GroupRun, creates: list[Create]) -> bool:
    return any(
        (r := run.state.items.get(c.item_id)) is not None and r.intent is not None for c in creates
    )


def _match(run: GroupRun, creates: list[Create], remote: dict[str, RemoteIssue]) -> list[Create]:
    """Reclaim each create's issue found by item id, content hash or a clearly similar
    title; the creates with none (but those still pending)."""
    by_hash = spare_by_hash(remote, run.state, creates)
    spare = spare_issues(remote, run.state, creates)
    left = []
    for change in creates:
        found = remote.get(change.item_id) or by_hash.pop(hash_of(change), None)
        if found is None and (found := pair_by_title(change, spare)) is not None:
            by_hash.pop(found.content_hash or "", None)
        if found is not None:
            spare.pop(found.item_id or "", None)
            _reclaim(run, change, found)
        elif not _pending(run, change):
            left.append(change)
    return left


def _pending(run: GroupRun, change: Create) -> bool:
    """A create sent with no answer recorded, younger than the grace period: the tracker
    may still be processing it, so not finding it proves nothing yet."""
    record = run.state.items.get(change.item_id)
    if record is None or record.intent is None or record.issue is not None:
        return False
    if (utcnow() - record.intent).total_seconds() >= run.intent_grace:
        return False
    run.emit(Outcome(change, "pending", warnings=(PENDING.format(grace=run.intent_grace),)))
    return True


def _reclaim(run: GroupRun, change: Create, remote: RemoteIssue) -> None:
    """An issue pmsync created earlier: record it; update it if the text moved on."""
    record, same = found_record(change, remote)
    run.save(change.item_id, record)
    if same:
        run.emit(Outcome(change, "unchanged", remote.ref, warnings=change.warnings))
        return
    fields = ("title", "body") if remote.item_id == change.item_id else REMARK_ALL
    update_one(run, as_update(change, remote.ref, fields))


def list_by_item(
    tracker: Tracker, container: str, since: datetime | None = None
) -> dict[str, RemoteIssue]:
    """The managed issues in a container (updated since `since`, when given), by the item
    id their marker carries. The first one wins: a duplicate made by someone copying an
    issue is never adopted twice."""
    found: dict[str, RemoteIssue] = {}
    for issue in tracker.list_managed(container, since):
        if issue.item_id and issue.item_id not in found:
            found[issue.item_id] = issue
    return found

"""Step 2 of a push: create an issue for each item none was found for, in batches of
the tracker's `max_batch`. The intent is recorded before each request: a lost response
must not lead to a second create (the next push reconciles it instead)."""

from __future__ import annotations

from pmsync.adapters.base import chunks
from pmsync.errors import AuthError, TrackerError
from pmsync.model import Created, Failed
from pmsync.plan.changes import Create
from pmsync.sync.records import new_record
from pmsync.sync.run import GroupRun, Outcome
from pmsync.sync.update import set_state


def create(run: GroupRun, creates: list[Create]) -> None:
    for batch in chunks(creates, run.tracker.max_batch):
        if run.aborted:
            run.abort(batch, run.aborted)
        else:
            _create_batch(run, list(batch))


def _create_batch(run: GroupRun, batch: list[Create]) -> None:
    for change in batch:
        run.save(change.item_id, new_record(change, None, pushed=False, intent=True))
    try:
        results = run.tracker.create([c.draft for c in batch])
    except TrackerError as exc:
        if not isinstance(exc, AuthError) or run.writes == 0:
            run.refuse_container(exc)
        results = [Failed(c.item_id, str(exc), exc.maybe_applied) for c in batch]
        run.stop_on(exc)
    for change, result in zip(batch, results, strict=True):
        if isinstance(result, Created):
            run.emit(_created(run, change, result))
        else:
            run.emit(_failed(run, change, result))


def _created(run: GroupRun, change: Create, created: Created) -> Outcome:
    run.writes += 1
    record = new_record(change, created.issue.ref, pushed=True)
    record.done = False
    run.save(change.item_id, record)
    warnings = (*change.warnings, *created.warnings)
    if change.done:
        # Written done: the issue is closed at once (the person's tick wins).
        problem = set_state(run, change.item_id, created.issue.ref, True)
        warnings = (*warnings, problem) if problem else warnings
    return Outcome(change, "create", created.issue.ref, warnings=warnings)


def _failed(run: GroupRun, change: Create, failed: Failed) -> Outcome:
    if not failed.maybe_applied:
        # The tracker refused it: nothing landed, so the intent is settled.
        record = run.state.items.get(change.item_id)
        if record is not None and record.issue is None:
            run.save(change.item_id, record.model_copy(update={"intent": None}))
    note = " (it may have been created: the next push reconciles)" if failed.maybe_applied else ""
    failure = TrackerError(failed.error + note, maybe_applied=failed.maybe_applied)
    return Outcome(change, "fail", None, failure)

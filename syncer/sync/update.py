"""Step 3 of a push: update the issues whose item changed, field by field, and close or
reopen an issue whose item was ticked or unticked. The record learns each write only
once the tracker took it, so a failure is retried by the next push."""

from __future__ import annotations

from pmsync.adapters.base import prefetch_bodies
from pmsync.errors import TrackerError
from pmsync.model import IssueRef, RemoteIssue
from pmsync.plan.changes import Update
from pmsync.plan.planner import pushed_of
from pmsync.state.store import ItemRecord, Status
from pmsync.sync.records import new_record
from pmsync.sync.run import GroupRun, Outcome

TICKED_COMMENT = "pmsync: this action item is ticked done in its postmortem, so it is closed."
UNTICKED_COMMENT = "pmsync: this action item was unticked in its postmortem, so it is reopened."


def update(run: GroupRun, updates: list[Update]) -> None:
    if not updates:
        return
    if not run.aborted:
        _prefetch(run, [c.issue for c in updates if "body" in c.fields])
    for change in updates:
        if run.aborted:
            run.abort([change], run.aborted)
        else:
            update_one(run, change)


def _prefetch(run: GroupRun, refs: list[IssueRef]) -> None:
    """Lets an adapter read the current texts in bulk before the updates (Jira)."""
    try:
        prefetch_bodies(run.tracker, refs)
    except TrackerError as exc:
        run.stop_on(exc, "could not read the issues before updating them: ")


def update_one(run: GroupRun, change: Update) -> None:
    fields = tuple(f for f in change.fields if f != "state")
    try:
        if fields:
            remote = run.tracker.update(change.issue, change.draft, fields)
        else:
            remote = RemoteIssue(change.issue, change.title, "open")
    except TrackerError as exc:
        run.fail(change, exc, change.issue)
        return
    run.save(change.item_id, _updated(run, change, remote))
    if change.previous is not None:
        run.drop(change.previous)  # the record moved to the item's new id
    run.writes += 1
    warnings = change.warnings
    if "state" in change.fields:
        problem = set_state(run, change.item_id, change.issue, change.done)
        warnings = (*warnings, problem) if problem else warnings
    run.emit(Outcome(change, "update", remote.ref, warnings=warnings))


def _updated(run: GroupRun, change: Update, remote: RemoteIssue) -> ItemRecord:
    """The item's record after the update: the draft is the new baseline."""
    record = run.state.items.get(change.previous or change.item_id)
    record = record or new_record(change, remote.ref, pushed=True)
    aliases = sorted({*record.aliases, *([change.previous] if change.previous else [])})
    return record.model_copy(
        update={
            "title": change.title,
            "content_hash": change.draft.content_hash,
            "aliases": aliases,
            "pushed": pushed_of(change.draft, change.body_hash),
            "intent": None,
            "done": record.done if record.done is not None else change.done,
        }
    )


def set_state(run: GroupRun, item_id: str, ref: IssueRef, done: bool) -> str | None:
    """Close (or reopen) an issue to match the item's tick; a warning when it could not."""
    try:
        if done:
            run.tracker.close(ref, TICKED_COMMENT)
        else:
            reopen = getattr(run.tracker, "reopen", None)
            if reopen is None:
                return f"{run.tracker.name} issues cannot be reopened by pmsync"
            reopen(ref, UNTICKED_COMMENT)
    except TrackerError as exc:
        run.stop_on(exc)
        return f"could not {'close' if done else 'reopen'} {ref.key}: {exc}"
    record = run.state.items[item_id]
    status = (record.status or Status()).model_copy(update={"state": "closed" if done else "open"})
    run.save(item_id, record.model_copy(update={"done": done, "status": status}))
    return None

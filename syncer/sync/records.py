"""The records a push saves, built from a planned change and what the tracker answered:
a new issue, an issue found by its marker, an adopted issue. Pure: no I/O."""

from __future__ import annotations

from pmsync.model import IssueRef, RemoteIssue
from pmsync.plan.changes import Adopt, Create, Update
from pmsync.plan.planner import pushed_of
from pmsync.state.store import IssueRecord, ItemRecord, Status, utcnow


def new_record(
    change: Create | Update, ref: IssueRef | None, *, pushed: bool, intent: bool = False
) -> ItemRecord:
    """An item's record before its create (`intent`: a create is about to be sent) or
    after a write (`pushed`: the draft is now the issue's baseline)."""
    return ItemRecord(
        doc=change.doc_key,
        title=change.title,
        container=change.container,
        content_hash=change.draft.content_hash,
        aliases=[change.previous] if change.previous else [],
        issue=IssueRecord.of(ref) if ref else None,
        pushed=pushed_of(change.draft, change.body_hash) if pushed else None,
        intent=utcnow() if intent else None,
    )


def found_record(change: Create, remote: RemoteIssue) -> tuple[ItemRecord, bool]:
    """The record of an issue found by its marker (a lost state, a crash, a lost response)
    and whether it already says what the item says. Its baseline is what the tracker
    holds, so a later push still brings a stale issue up to date, also when the update
    attempted right now fails."""
    same_text = remote.content_hash == change.draft.content_hash
    remark = remote.item_id != change.item_id
    baseline = pushed_of(change.draft, change.body_hash)
    baseline.title = remote.title
    if not same_text or remark:
        baseline.body_hash = ""  # unknown: differs from any draft's
    if remark:
        baseline.labels = []  # Jira's identity label names the old id: rewrite it
    record = new_record(change, remote.ref, pushed=False).model_copy(update={"pushed": baseline})
    return record, same_text and not remark and remote.title == change.title


def adoption_record(change: Adopt, remote: RemoteIssue | None) -> ItemRecord:
    """A referenced issue, tracked with what its verification found (None: missing)."""
    now = utcnow()
    if remote is None:
        status = Status(missing=True, last_seen=now)
    else:
        status = Status(state=remote.state, state_reason=remote.state_reason,
                        assignee=remote.assignee, due=remote.due, closed_at=remote.closed_at,
                        updated_at=remote.updated_at, last_seen=now)  # fmt: skip
    return ItemRecord(
        doc=change.doc_key,
        title=change.title,
        container=change.container,
        content_hash=change.draft.content_hash,
        issue=IssueRecord.of(remote.ref if remote else change.issue),
        adopted=True,
        status=status,
    )

"""Step 4 of a push: items gone from their postmortem. Without --prune they are only
reported; with it, their issues are commented on and closed, after the container's
open issues were read in full: an issue whose item marker another open issue also
carries is ambiguous and is not closed (a warning instead). An adopted issue is never
closed: pmsync only forgets it."""

from __future__ import annotations

from pmsync.errors import TrackerError
from pmsync.model import IssueRef, RemoteIssue
from pmsync.plan.changes import Remove
from pmsync.sync.run import GroupRun, Outcome, as_planned

PRUNE_COMMENT = (
    "pmsync: this action item was removed from its postmortem (`{path}`), so this issue is "
    "closed. Reopen it if the work is still wanted."
)
Carriers = dict[str, list[RemoteIssue]]  # item id → the open issues carrying its marker


def prune(run: GroupRun, removes: list[Remove]) -> None:
    closing = run.prune and any(c.issue is not None for c in removes)
    carriers = _carriers(run) if closing and not run.aborted else {}
    for change in removes:
        if not run.prune or change.issue is None:
            run.emit(as_planned(change))
        elif run.aborted:
            # The tracker was not read or written completely: close nothing.
            run.abort([change], run.aborted)
        else:
            _close(run, change, change.issue, carriers)


def _carriers(run: GroupRun) -> Carriers:
    """The open issues carrying each item's marker, read in full before any close."""
    found: Carriers = {}
    try:
        for issue in run.tracker.list_managed(run.container):
            if issue.item_id and issue.state == "open":
                found.setdefault(issue.item_id, []).append(issue)
    except TrackerError as exc:
        run.aborted = f"could not list the issues before closing any: {exc}"
    return found


def _close(run: GroupRun, change: Remove, issue: IssueRef, carriers: Carriers) -> None:
    record = run.state.items.get(change.item_id)
    if record is not None and record.adopted:
        _forget(run, change)  # never close an issue pmsync did not create
        return
    others = [i.ref.key for i in carriers.get(change.item_id, []) if i.ref.key != issue.key]
    if others:
        # A copy, or a lost state rebuilt: which one is the item's is ambiguous.
        warning = (
            f"not closed: {', '.join(others)} also carries this item's marker; "
            f"close the right one of them and {issue.key} by hand"
        )
        run.emit(Outcome(change, "remove", issue, warnings=(warning,)))
        return
    try:
        run.tracker.close(issue, PRUNE_COMMENT.format(path=change.doc_path))
    except TrackerError as exc:
        run.fail(change, exc, issue)
        return
    _forget(run, change)


def _forget(run: GroupRun, change: Remove) -> None:
    run.drop(change.item_id)
    run.emit(Outcome(change, "remove", change.issue))

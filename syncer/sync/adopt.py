"""Step 5 of a push: adopt the issues postmortems name (a Ticket column, "tracked in
OPS-7"). Each is read once to verify it (it exists, this token can read it) and then
tracked; pmsync never edits or closes it. A missing one is reported and recorded as
missing, never re-read each run."""

from __future__ import annotations

from pmsync.errors import TrackerError
from pmsync.plan.changes import Adopt
from pmsync.sync.records import adoption_record
from pmsync.sync.run import GroupRun, Outcome


def adopt(run: GroupRun, change: Adopt) -> None:
    if run.aborted:
        run.abort([change], run.aborted)
        return
    try:
        remote = run.tracker.get(change.issue)
    except TrackerError as exc:
        run.fail(change, exc.about("could not verify: "), change.issue)
        return
    record = adoption_record(change, remote)
    run.save(change.item_id, record)
    warnings = change.warnings
    if record.status is not None and record.status.missing:
        warnings = (
            *warnings,
            f"{change.issue.key} does not exist or this token cannot read it: fix the "
            "reference in the postmortem, or remove it to get a new issue",
        )
    run.emit(Outcome(change, "adopt", change.issue, warnings=warnings))

"""Apply a Plan through the trackers, one group (tracker + container) at a time.

Exactly-once rests on three rules (the steps are in `group`):
- An intent is journaled before each create; a create whose outcome is unknown is never
  re-sent. The next listing of the tracker's managed issues (by marker) settles it.
- Before creating into a container the state has no baseline for (first push, deleted
  state) or that has open intents, the managed issues are listed in full and matched by
  the item id in their marker: what exists is recorded, not created again.
- Nothing is concluded from a partial read: a group whose listing failed is not pruned,
  and its items keep their state.
A group with nothing to write never connects to its tracker: a re-run with no change
makes no request.
"""

from __future__ import annotations

from collections.abc import Callable

from pmsync.adapters.base import Tracker, finish_writes
from pmsync.errors import AuthError, ContainerError, NotFound, TrackerError
from pmsync.plan.changes import Adopt, Change, Create, Plan, Remove, Update, issue_of
from pmsync.state.store import Journal, SyncState, precise_now
from pmsync.sync.group import push_group
from pmsync.sync.run import GroupRun, Outcome, as_planned

TrackerFactory = Callable[[str], Tracker]


def apply_plan(
    plan: Plan,
    state: SyncState,
    connect: TrackerFactory,
    journal: Journal | None,
    *,
    prune: bool = False,
    report: Callable[[Outcome], None] = lambda outcome: None,
    stopped: Callable[[str], None] = lambda message: None,
    intent_grace: float = 60.0,
) -> list[Outcome]:
    """Every group in turn; `stopped` hears once why a group's run was cut short, and
    what writes the adapter batched could not make."""
    outcomes: list[Outcome] = []
    for (tracker_name, container), changes in plan.by_group().items():
        if not _needs_tracker(changes, prune):
            outcomes.extend(_local_outcomes(changes, state, journal, report))
            continue
        started = precise_now()
        try:
            tracker = connect(tracker_name)
        except (AuthError, NotFound) as exc:
            raise ContainerError(f"{tracker_name} {container}: {exc}") from None
        except TrackerError as exc:
            outcomes.extend(_fail_all(changes, exc, report))
            continue
        record = state.tracker(tracker_name, container)
        tracker.recall(container, record.memo)
        run = GroupRun(
            tracker, container, state, journal, report, prune=prune, intent_grace=intent_grace
        )
        push_group(run, changes)
        for warning in finish_writes(tracker):
            stopped(f"{tracker_name} {container}: {warning}")
        if run.aborted is None:
            tracker.settle(container, started)
            record.last_push = started
        else:
            stopped(f"{tracker_name} {container}: stopped: {run.aborted}")
        record.memo = tracker.memo(container)
        outcomes.extend(run.outcomes)
    return outcomes


def _needs_tracker(changes: list[Change], prune: bool) -> bool:
    # An adoption verifies its issue once (one read), so it needs the tracker too.
    return any(
        isinstance(c, Create | Update | Adopt) or (prune and isinstance(c, Remove) and c.issue)
        for c in changes
    )


def _local_outcomes(
    changes: list[Change],
    state: SyncState,
    journal: Journal | None,
    report: Callable[[Outcome], None],
) -> list[Outcome]:
    """Changes that need no tracker call: unchanged, orphan, removed without prune."""
    outcomes = []
    for change in changes:
        outcome = as_planned(change)
        outcomes.append(outcome)
        report(outcome)
    return outcomes


def _fail_all(
    changes: list[Change], error: TrackerError, report: Callable[[Outcome], None]
) -> list[Outcome]:
    outcomes = [Outcome(c, "fail", issue_of(c), error) for c in changes]
    for outcome in outcomes:
        report(outcome)
    return outcomes

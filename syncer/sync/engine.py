"""Apply a Plan through the trackers, one group (tracker + container) at a time.

Exactly-once rests on three rules (the steps are in `group`):
- An intent is journaled before each create; a create whose outcome is unknown is never
  re-sent. The next listing of the tracker's managed issues (by marker) settles it.
- Before creating into a container the state has no baseline for (first push, deleted
  state) or that has open intents, the managed issues are listed in full and matched by
  the item id in their marker: what exists is recorded, not created again. Otherwise the
  issues updated since the last push began are (one request): a state file one save
  behind must not create again what the lost save recorded.
- Nothing is concluded from a partial read: a group whose listing failed is not pruned,
  and its items keep their state.
A group with nothing to write never connects to its tracker: a re-run with no change
makes no request.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pmsync.adapters.base import Tracker, finish_writes
from pmsync.errors import AuthError, ContainerError, NotFound, TrackerError
from pmsync.plan.changes import Adopt, Change, Create, Plan, Remove, Update, issue_of
from pmsync.state.store import Journal, SyncState, precise_now
from pmsync.sync.group import push_group
from pmsync.sync.parents import ParentStep, any_pending, group_parents
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
    for (name, container), changes in plan.by_group().items():
        specs = group_parents(plan, name, container)
        if not _needs_tracker(changes, prune) and not any_pending(specs, state):
            outcomes.extend(_local_outcomes(changes, report))
            continue
        started = precise_now()
        try:
            tracker = _connect(connect, name, container)
        except TrackerError as exc:
            outcomes.extend(_fail_all(changes, exc, report))
            continue
        run = GroupRun(
            tracker, container, state, journal, report, prune=prune, intent_grace=intent_grace
        )
        parents = ParentStep(tracker, container, state, journal, specs, intent_grace)
        _push(run, changes, started, stopped, parents)
        outcomes.extend(run.outcomes)
    return outcomes


def _connect(connect: TrackerFactory, name: str, container: str) -> Tracker:
    """The group's tracker; a bad token or a missing container stops the whole push."""
    try:
        return connect(name)
    except (AuthError, NotFound) as exc:
        raise ContainerError(f"{name} {container}: {exc}") from None


def _push(
    run: GroupRun,
    changes: list[Change],
    started: datetime,
    stopped: Callable[[str], None],
    parents: ParentStep,
) -> None:
    """The group's steps between the adapter's memo recalled and kept; its batched
    writes sent; and, when nothing stopped it, the read-back (`settle`) and the moment
    the next push's reconcile starts from."""
    where = f"{run.tracker.name} {run.container}"
    record = run.state.tracker(run.tracker.name, run.container)
    run.tracker.recall(run.container, record.memo)
    if parents.specs:  # after the recall: the adapter knows which container it works in
        changes = parents.before(changes)
    run.listed = parents.listed  # the parent step's full listing, if it made one
    push_group(run, changes)
    if parents.specs and run.aborted is None:
        parents.listed = parents.listed or run.listed
        parents.after(run.outcomes)  # a step of its own, after the items (sync/parents.py)
    for line in (*parents.done, *parents.warnings):
        stopped(f"{where}: {line}")
    for warning in finish_writes(run.tracker):
        stopped(f"{where}: {warning}")
    if run.aborted is None:
        run.tracker.settle(run.container, started)
        record.last_push = started
    else:
        stopped(f"{where}: stopped: {run.aborted}")
    record.memo = run.tracker.memo(run.container)


def _needs_tracker(changes: list[Change], prune: bool) -> bool:
    # An adoption verifies its issue once (one read), so it needs the tracker too.
    return any(
        isinstance(c, Create | Update | Adopt) or (prune and isinstance(c, Remove) and c.issue)
        for c in changes
    )


def _local_outcomes(changes: list[Change], report: Callable[[Outcome], None]) -> list[Outcome]:
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

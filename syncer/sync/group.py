"""Pushing one group of changes (one tracker + one container): the steps in order.

    reconcile   find the issues that already carry the items' markers (reconcile.py)
    create      create the rest, an intent journaled before each request (create.py)
    update      update what changed; close or reopen what was (un)ticked (update.py)
    prune       report removed items; with --prune, close their issues (prune.py)
    adopt       verify and track the issues postmortems name (adopt.py)

Each step records its outcomes and saves its records through the group's `GroupRun`
(run.py), the one place that does; the read-back after the writes is the adapter's
`settle`, called by the engine."""

from __future__ import annotations

from collections.abc import Sequence

from pmsync.plan.changes import Adopt, Change, Create, Orphan, Remove, Unchanged, Update
from pmsync.sync.adopt import adopt
from pmsync.sync.create import create
from pmsync.sync.prune import prune
from pmsync.sync.reconcile import reconcile
from pmsync.sync.run import GroupRun, Outcome, as_planned
from pmsync.sync.update import update

__all__ = ["GroupRun", "Outcome", "push_group"]


def push_group(run: GroupRun, changes: Sequence[Change]) -> None:
    create(run, reconcile(run, [c for c in changes if isinstance(c, Create)]))
    update(run, [c for c in changes if isinstance(c, Update)])
    prune(run, [c for c in changes if isinstance(c, Remove)])
    for change in changes:  # in plan order
        match change:
            case Adopt():
                adopt(run, change)
            case Unchanged() | Orphan():
                run.emit(as_planned(change))

"""Parent issues (`defaults.parent`): one per postmortem, its items as children, a
checklist of them in its body. A step of its own around a group's item push:

- `before` (trackers that name the parent as they create an item, `links_on_create`):
  a postmortem with items to create gets its parent first, so its items are created
  under it at no extra request.
- `after`: find or create each parent, link the children not linked yet (one request
  each where the tracker needs one), rewrite the checklist when it changed, close the
  parent when all its items are closed and reopen it when one reopens.

Exactly once like items: an intent is journaled before the create; the parent's marker
carries `pm-<postmortem key>`, so a lost answer, a crash or a lost state finds it again
by listing the container. Every decision compares with the parent's record, so a re-run
with nothing new makes no request (`parent_pending` says so before connecting).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from pmsync.adapters.base import Parenting, Tracker, chunks, listed_parents, prefetch_bodies
from pmsync.errors import TrackerError
from pmsync.model import Created, Failed, IssueDraft, IssueRef, RemoteIssue
from pmsync.plan.changes import Change, Create, Plan
from pmsync.plan.parents import (
    ParentSpec,
    body_hash,
    checklist_pending,
    linkable,
    parent_draft,
    parent_pending,
    spec_of_record,
    stale,
    state_change,
)
from pmsync.state.store import IssueRecord, Journal, ParentRecord, SyncState, utcnow
from pmsync.sync.reconcile import list_by_item
from pmsync.sync.run import Outcome, is_stopping

DONE_COMMENT = "pmsync: every action item of this postmortem is closed, so it is closed."
REOPEN_COMMENT = "pmsync: an action item of this postmortem is open again, so it is reopened."
NO_CHILDREN = (
    "{tracker} {container} has no native sub-issues: parent issues carry their checklist alone"
)


@dataclass
class ParentStep:
    tracker: Tracker
    container: str
    state: SyncState
    journal: Journal | None
    specs: list[ParentSpec]
    intent_grace: float = 60.0
    warnings: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)  # what was written, one line each
    listed: dict[str, RemoteIssue] | None = None  # shared with the item push (engine.py)
    apart: dict[str, RemoteIssue] | None = None  # parents listed apart (`listed_parents`)
    no_children: bool = False  # the tracker said it has no native children
    unanswered: set[str] = field(default_factory=set)  # creates of this run with no answer
    stopped: bool = False  # a fatal error: the parents' other writes wait for the next run

    # --- the steps -----------------------------------------------------------------

    def before(self, changes: list[Change]) -> list[Change]:
        """Creates named under their postmortem's parent, created first if need be."""
        creating = {c.doc_key for c in changes if c.action == "create"}
        if not any(s.doc_key in creating for s in self.specs) or not self._links_on_create():
            return changes
        refs = self._ensure_all([s for s in self.specs if s.doc_key in creating])
        return [_under(c, refs.get(c.doc_key)) for c in changes]

    def _links_on_create(self) -> bool:
        try:  # a property that may read the server's flavour first
            return bool(getattr(self.tracker, "links_on_create", False))
        except TrackerError as exc:
            self.warnings.append(f"parents are created after the items: {exc}")
            return False

    def after(self, outcomes: Iterable[Outcome] = ()) -> None:
        created_under = {
            o.change.item_id
            for o in outcomes
            if o.action == "create" and isinstance(o.change, Create) and o.change.draft.parent
        }
        refs = self._ensure_all(self.specs)
        ready = [(s, ref) for s in self.specs if (ref := refs.get(s.doc_key)) is not None]
        for spec, ref in ready:
            self._mark_linked(spec, ref, created_under)
            self._link(spec, ref)
        self._prefetch([ref for spec, ref in ready if self._stale(spec)])
        for spec, ref in ready:
            self._rewrite(spec, ref)
            self._close_or_reopen(spec, ref)

    def refresh(self) -> None:
        """After `status`: the checklist and the open/closed state of parents already
        made (nothing is created or linked: that is the push's)."""
        ready = [(s, r.issue.ref()) for s in self.specs
                 if (r := self.state.parents[s.doc_key]).issue is not None]  # fmt: skip
        self._prefetch([ref for spec, ref in ready if self._stale(spec)])
        for spec, ref in ready:
            self._rewrite(spec, ref)
            self._close_or_reopen(spec, ref)

    # --- find or create ------------------------------------------------------------

    def _ensure_all(self, specs: Sequence[ParentSpec]) -> dict[str, IssueRef | None]:
        """Each parent's issue: recorded, found by its marker, or created (in batches of
        the tracker's size: one request for up to 50 where creates are batched)."""
        refs: dict[str, IssueRef | None] = {}
        creating = []
        for spec in specs:
            refs[spec.doc_key], create = self._existing(spec)
            if create:
                creating.append(spec)
        for batch in chunks(creating, self.tracker.max_batch):
            refs.update(self._create(list(batch)))
        return refs

    def _existing(self, spec: ParentSpec) -> tuple[IssueRef | None, bool]:
        """(the parent's issue if known, whether to create it)."""
        record = self.state.parents.get(spec.doc_key)
        if record is not None and record.issue is not None:
            if not record.active:  # its postmortem asks for it again
                record.active = True
                self._save(spec.doc_key, record)
            return record.issue.ref(), False
        if spec.doc_key in self.unanswered:
            return None, False  # never re-sent in the run: the next one looks for it
        if self._may_exist(record):
            if not self._list():
                return None, False
            found = (self.listed or {}).get(spec.parent_id) or (self.apart or {}).get(
                spec.parent_id
            )
            if found is not None:
                return self._reclaim(spec, found), False
        if record is not None and record.intent is not None and self._young(record.intent):
            self.warnings.append(f"{spec.title}: an earlier create may still be landing")
            return None, False
        return None, True

    def _young(self, intent: datetime) -> bool:
        return (utcnow() - intent).total_seconds() < self.intent_grace

    def _may_exist(self, record: ParentRecord | None) -> bool:
        """An unanswered create, or a container without a baseline (a lost state)."""
        if record is not None and record.intent is not None:
            return True
        baseline = self.state.trackers.get(f"{self.tracker.name}:{self.container}")
        return baseline is None or baseline.last_push is None

    def _list(self) -> bool:
        """The container's issues by marker, read once per group (shared with the item
        push), and the parents the tracker keeps apart: False when they could not be
        read, so nothing is created."""
        try:
            if self.listed is None:
                self.listed = list_by_item(self.tracker, self.container)
            if self.apart is None:
                self.apart = parents_apart(self.tracker, self.container)
        except TrackerError as exc:
            self.warnings.append(f"no parent created: could not list the issues: {exc}")
            return False
        return True

    def _reclaim(self, spec: ParentSpec, found: RemoteIssue) -> IssueRef:
        record = self._record(spec)
        record.issue, record.intent = IssueRecord.of(found.ref), None
        record.closed = found.state == "closed"
        record.title, record.intro, record.items = found.title, spec.intro, list(spec.items)
        # Its marker carries the hash of the text last written: compared once the items
        # are known (found before them, their checklist could not be told apart here).
        record.body_hash = found.content_hash or ""
        self._save(spec.doc_key, record)
        return found.ref

    def _create(self, specs: list[ParentSpec]) -> dict[str, IssueRef | None]:
        drafts = [parent_draft(spec, self.state) for spec in specs]
        for spec in specs:
            record = self._record(spec)
            record.intent = utcnow()  # before the POST: a lost answer must not make a second
            self._save(spec.doc_key, record)
        try:
            results = self.tracker.create(drafts)
        except TrackerError as exc:
            results = [Failed(d.item_id, str(exc), exc.maybe_applied) for d in drafts]
        return {
            spec.doc_key: self._created(spec, draft, result)
            for spec, draft, result in zip(specs, drafts, results, strict=True)
        }

    def _created(
        self, spec: ParentSpec, draft: IssueDraft, result: Created | Failed
    ) -> IssueRef | None:
        record = self.state.parents[spec.doc_key]
        if isinstance(result, Failed):
            self._failed(spec, record, result.error, result.maybe_applied)
            return None
        record.issue, record.intent = IssueRecord.of(result.issue.ref), None
        record.body_hash, record.title = draft.content_hash, spec.title
        record.items, record.intro = list(spec.items), spec.intro
        self._save(spec.doc_key, record)
        self.warnings.extend(result.warnings)
        self.done.append(f"created parent {result.issue.ref.key}: {spec.title}")
        return result.issue.ref

    def _failed(self, spec: ParentSpec, record: ParentRecord, error: str, maybe: bool) -> None:
        if maybe:
            self.unanswered.add(spec.doc_key)
        else:
            record.intent = None  # refused: nothing landed
            self._save(spec.doc_key, record)
        note = " (it may have been created: the next push looks for it)" if maybe else ""
        self.warnings.append(f"could not create the parent of {spec.doc_key}: {error}{note}")

    # --- children, checklist, state -----------------------------------------------

    def _mark_linked(self, spec: ParentSpec, parent: IssueRef, created_under: set[str]) -> None:
        """Children created under the parent in this run, and those a listing of this run
        (a lost state) shows under it already: none is linked again."""
        record = self.state.parents[spec.doc_key]
        new = [i for i in sorted(created_under) if self._item_doc(i) == spec.doc_key]
        if self.listed is not None:
            new += children_found(spec, parent, self.state, self.listed.values())
        if new and not set(new) <= set(record.linked):
            record.linked = sorted({*record.linked, *new})
            self._save(spec.doc_key, record)

    def _link(self, spec: ParentSpec, parent: IssueRef) -> None:
        record = self.state.parents[spec.doc_key]
        todo = [i for i in linkable(spec, self.state) if i not in record.linked]
        if not todo or not record.native:
            return
        if not isinstance(self.tracker, Parenting) or self.no_children:
            record.native = False  # said once a run (see `_link_one`)
            self._save(spec.doc_key, record)
            return
        for item_id in todo:
            child = self.state.items[item_id].issue
            assert child is not None
            what = f"link {child.key} under {parent.key}"
            if not self._write(what, functools.partial(self._link_one, parent, child)):
                return
            record.linked = sorted({*record.linked, item_id})
            self._save(spec.doc_key, record)

    def _link_one(self, parent: IssueRef, child: IssueRecord) -> bool:
        assert isinstance(self.tracker, Parenting)
        if self.tracker.link_child(parent, child.ref()):
            return True
        record_native_off(self.state, parent)
        self.no_children = True
        self.warnings.append(NO_CHILDREN.format(tracker=self.tracker.name,
                                                container=self.container))  # fmt: skip
        return False

    def _stale(self, spec: ParentSpec) -> bool:
        return stale(spec, self.state.parents[spec.doc_key], self.state)

    def _prefetch(self, refs: list[IssueRef]) -> None:
        """Read the parents' texts in bulk before rewriting them (where the tracker can)."""
        try:
            prefetch_bodies(self.tracker, refs)
        except TrackerError as exc:
            self.warnings.append(f"could not read the parents before updating them: {exc}")

    def _rewrite(self, spec: ParentSpec, ref: IssueRef) -> None:
        record = self.state.parents[spec.doc_key]
        digest = body_hash(spec, self.state)
        if not self._stale(spec):
            return
        draft = parent_draft(spec, self.state)
        if self._write(f"update {ref.key}",
                       lambda: self.tracker.update(ref, draft, ("title", "body"))):  # fmt: skip
            record.body_hash, record.title, record.items = digest, spec.title, list(spec.items)
            record.intro = spec.intro
            self._save(spec.doc_key, record)
            self.done.append(f"updated parent {ref.key}")

    def _close_or_reopen(self, spec: ParentSpec, ref: IssueRef) -> None:
        record = self.state.parents[spec.doc_key]
        change = state_change(spec, record, self.state)
        if change == "close":
            # `complete` (optional): closed as done where the tracker tells it from dropped
            close = getattr(self.tracker, "complete", self.tracker.close)
            if self._write(f"close {ref.key}", lambda: close(ref, DONE_COMMENT)):
                record.closed = True
                self._save(spec.doc_key, record)
                self.done.append(f"closed parent {ref.key}: every item is closed")
        elif change == "reopen":
            reopen = getattr(self.tracker, "reopen", None)
            if reopen is not None and self._write(f"reopen {ref.key}",
                                                  lambda: reopen(ref, REOPEN_COMMENT)):  # fmt: skip
                record.closed = False
                self._save(spec.doc_key, record)
                self.done.append(f"reopened parent {ref.key}: an item is open again")

    # --- plumbing --------------------------------------------------------------------

    def _write(self, what: str, fn: Callable[[], object]) -> bool:
        if self.stopped:
            return False  # a bad token or a long limit: no later write would succeed
        try:
            return fn() is not False
        except TrackerError as exc:
            self.warnings.append(f"could not {what}: {exc}")
            self.stopped = is_stopping(exc)
            return False

    def _record(self, spec: ParentSpec) -> ParentRecord:
        record = self.state.parents.get(spec.doc_key)
        return record or ParentRecord(tracker=spec.tracker, container=spec.container)

    def _item_doc(self, item_id: str) -> str | None:
        record = self.state.items.get(item_id)
        return record.doc if record is not None else None

    def _save(self, doc_key: str, record: ParentRecord) -> None:
        self.state.parents[doc_key] = record
        if self.journal is not None:
            self.journal.append_parent(doc_key, record)


def _under(change: Change, parent: IssueRef | None) -> Change:
    if parent is None or not isinstance(change, Create):
        return change
    return replace(change, draft=replace(change.draft, parent=parent))


def record_native_off(state: SyncState, parent: IssueRef) -> None:
    """The tracker has no native children: every parent in its container stops asking."""
    for record in state.parents.values():
        if record.issue is not None and record.issue.tracker == parent.tracker:
            record.native = False


def parents_apart(tracker: Tracker, container: str) -> dict[str, RemoteIssue]:
    """The parents a tracker lists apart from its issues (GitLab's epics), by marker."""
    return {p.item_id: p for p in listed_parents(tracker, container) if p.item_id}


def group_parents(plan: Plan, tracker: str, container: str) -> list[ParentSpec]:
    return [s for s in plan.parents if (s.tracker, s.container) == (tracker, container)]


def any_pending(specs: Iterable[ParentSpec], state: SyncState) -> bool:
    return any(parent_pending(s, state) for s in specs)


def plan_pending(plan: Plan, state: SyncState) -> bool:
    return any_pending(plan.parents, state)


def refresh_parents(
    state: SyncState, connect: Callable[[str], Tracker], close_when_done: bool
) -> list[str]:
    """After `status` read the items' states: at most one update per parent whose items
    changed (and a close or reopen); what was done and what failed, one line each."""
    groups: dict[tuple[str, str], list[ParentSpec]] = {}
    for key, record in state.parents.items():
        spec = spec_of_record(key, record, close_when_done)
        if record.active and record.issue is not None and checklist_pending(spec, record, state):
            groups.setdefault((record.tracker, record.container), []).append(spec)
    lines = []
    for (name, container), specs in groups.items():
        try:
            step = ParentStep(connect(name), container, state, None, specs)
        except TrackerError as exc:
            lines.append(f"{name} {container}: parents not refreshed: {exc}")
            continue
        step.refresh()
        lines.extend(f"{name} {container}: {line}" for line in (*step.done, *step.warnings))
    return lines


def retire_parents(state: SyncState, parsed: Iterable[str], plan: Plan) -> None:
    """Postmortems read in this push that no longer ask for a parent: their parents are
    left as they are, and `status` stops keeping their checklists."""
    wanted = {spec.doc_key for spec in plan.parents}
    for key in parsed:
        record = state.parents.get(key)
        if record is not None and record.active and key not in wanted:
            record.active = False


def rebuild_parents(
    state: SyncState, specs: Sequence[ParentSpec], remote: dict[str, RemoteIssue]
) -> None:
    """`state rebuild`: the parents found by their marker, and the children the listing
    shows under them (where the tracker's answer names an issue's parent; the others are
    linked again by the next push, which succeeds)."""
    for spec in specs:
        found = remote.get(spec.parent_id)
        if found is None:
            continue
        same = found.content_hash == body_hash(spec, state) and found.title == spec.title
        state.parents[spec.doc_key] = ParentRecord(
            tracker=spec.tracker, container=spec.container, issue=IssueRecord.of(found.ref),
            title=found.title, intro=spec.intro, items=list(spec.items),
            body_hash=body_hash(spec, state) if same else "", closed=found.state == "closed",
            linked=children_found(spec, found.ref, state, remote.values()),
        )  # fmt: skip


def children_found(
    spec: ParentSpec, parent: IssueRef, state: SyncState, listed: Iterable[RemoteIssue]
) -> list[str]:
    """The items whose issue a listing shows as `parent`'s child already."""
    key = parent.key.casefold()
    under = {i.ref.key.casefold() for i in listed if i.parent and i.parent.casefold() == key}
    issues = {i: state.items[i].issue for i in linkable(spec, state)}
    return [i for i, issue in issues.items() if issue and issue.key.casefold() in under]

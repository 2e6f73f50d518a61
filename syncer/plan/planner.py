"""(postmortems, state, config) → Plan. Pure: no I/O, no network.

The decision table, per item:

| state record            | item in document        | action                          |
|-------------------------|-------------------------|---------------------------------|
| none                    | links an issue          | adopt (track it, never write)   |
| none                    | present                 | create                          |
| intent, no issue        | present                 | create (sync reconciles first)  |
| issue, pushed == draft  | present                 | unchanged                       |
| issue, pushed != draft  | present                 | update (the fields that differ) |
| issue                   | gone from its document  | remove (close only with prune)  |
| issue                   | its document is gone    | orphan (reported, never closed) |

"Gone" is only concluded for documents parsed in this run that still have items: a
document that suddenly has no items changes nothing (a guard against a bad edit or a
parser regression closing everything). A document with more items than
`parser.max_items` (a generated file, a pasted log) has only its first items planned,
with a warning, and nothing concluded "gone": it was not taken in whole.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from pmsync.config import Config
from pmsync.model import ActionItem, IssueDraft, IssueRef, Postmortem
from pmsync.parse.links import adoptable_ref
from pmsync.plan.drafts import DraftResult, build_draft, container_of, tracker_of
from pmsync.plan.identity import normalize_text
from pmsync.plan.matching import match_items
from pmsync.plan.parents import LISTED, ParentSpec, plan_parents
from pmsync.state.store import ItemRecord, Pushed, SyncState

Action = Literal["create", "update", "unchanged", "remove", "adopt", "orphan"]
# The fields that carry an issue's marker: the body's block (GitHub), the identity label
# and the description's marker (Jira). Rewritten when an item's id changes.
REMARK_FIELDS = ("body", "labels")


@dataclass(frozen=True)
class Change:
    action: Action
    item_id: str  # the item's id: the one its issue's marker carries after this change
    doc_key: str
    doc_path: str
    title: str
    tracker: str
    container: str
    draft: IssueDraft | None = None
    body_hash: str = ""
    fields: tuple[str, ...] = ()
    issue: IssueRef | None = None
    previous: str | None = None  # the record's id when the item was reworded
    done: bool = False  # the item is ticked in its postmortem
    warnings: tuple[str, ...] = ()


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    parents: list[ParentSpec] = field(default_factory=list)  # see pmsync.plan.parents

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action == action)

    def by_group(self) -> dict[tuple[str, str], list[Change]]:
        """Changes by (tracker, container): each group is read and written as a unit."""
        groups: dict[tuple[str, str], list[Change]] = {}
        for change in self.changes:
            groups.setdefault((change.tracker, change.container), []).append(change)
        return groups

    @property
    def writes_needed(self) -> bool:
        return any(c.action in ("create", "update", "remove") for c in self.changes)


def plan_changes(
    docs: Sequence[Postmortem],
    state: SyncState,
    config: Config,
    orphaned: Collection[str] = (),
) -> Plan:
    """The changes for `docs`; `orphaned`: keys of recorded documents whose file is gone."""
    plan = Plan(_orphans(state, orphaned, {doc.key for doc in docs}))
    for doc in docs:
        items = [i for i in doc.items if i.section in config.defaults.sections]
        records = {k: r for k, r in state.items.items() if r.doc == doc.key}
        if not items and records:
            plan.warnings.append(
                f"{doc.path}: no action items found; its {len(records)} tracked items are "
                "left as they are"
            )
            continue
        limit = config.parser.max_items
        if len(items) > limit:
            plan.warnings.append(
                f"{doc.path}: more action items than parser.max_items ({limit}): only the "
                f"first {limit} are pushed and none of its issues is closed; raise "
                "parser.max_items if they are all real"
            )
        elif not doc.whole:
            plan.warnings.append(
                f"{doc.path}: too long to read whole for parser.max_items ({limit}): only "
                "the items read are pushed and none of its issues is closed"
            )
        plan.changes.extend(_plan_document(doc, items, records, config))
    plan.parents = plan_parents(docs, _listed(plan.changes), config)
    return plan


def _listed(changes: Sequence[Change]) -> dict[str, list[str]]:
    """Each document's item ids that stay in it, in order (a parent's checklist)."""
    listed: dict[str, list[str]] = {}
    for change in changes:
        if change.action in LISTED:
            listed.setdefault(change.doc_key, []).append(change.item_id)
    return listed


def _orphans(state: SyncState, orphaned: Collection[str], read: set[str]) -> list[Change]:
    """Open issues of items whose postmortem is gone: reported, never closed (their
    document cannot be read, so nothing about them is concluded)."""
    changes = []
    for key, record in state.items.items():
        if record.doc not in orphaned or record.doc in read or record.issue is None:
            continue
        if record.status is not None and record.status.state == "closed":
            continue
        doc = state.documents.get(record.doc)
        ref = record.issue.ref()
        path = doc.path if doc else record.doc
        changes.append(
            Change("orphan", key, record.doc, path, record.title, ref.tracker, record.container,
                   issue=ref)
        )  # fmt: skip
    return changes


def _plan_document(
    doc: Postmortem, items: list[ActionItem], records: dict[str, ItemRecord], config: Config
) -> list[Change]:
    # Matched in whole (a record must not pair with a new item for want of its own item
    # beyond the limit), planned up to the limit.
    matches, gone = match_items(items, records)
    limit = config.parser.max_items
    kept = {id(item) for item in items[:limit]}
    changes = [
        _noted(_plan_item(doc, m.item, m.record_id, records.get(m.record_id or ""), config),
               m.note)
        for m in matches
        if id(m.item) in kept and not _skipped(m.item, m.record_id, config)
    ]  # fmt: skip
    if len(items) > limit or not doc.whole:
        return changes
    tracker = tracker_of(doc, config)
    for key in gone:
        record = records[key]
        changes.append(
            Change(
                "remove",
                key,
                doc.key,
                doc.path,
                record.title,
                record.issue.tracker if record.issue else tracker,  # closed where it lives
                record.container,
                issue=record.issue.ref() if record.issue else None,
            )
        )
    return changes


def _noted(change: Change, note: str | None) -> Change:
    """The change with the matcher's reason for not pairing its item (if any)."""
    return _replace(change, warnings=(*change.warnings, note)) if note else change


def _skipped(item: ActionItem, record_id: str | None, config: Config) -> bool:
    """An item written done and never tracked, with `defaults.create_done: skip`."""
    return item.done and record_id is None and config.defaults.create_done == "skip"


def _plan_item(
    doc: Postmortem,
    item: ActionItem,
    record_id: str | None,
    record: ItemRecord | None,
    config: Config,
) -> Change:
    # A reworded item takes its new id, and its issue's marker follows (see `_compare`):
    # a later push without the state still finds the issue by the id the item has.
    item_id = item.id
    result = build_draft(item, doc, config, item_id)
    tracker = tracker_of(doc, config)
    base = Change(
        "create",
        item_id,
        doc.key,
        doc.path,
        item.title,
        tracker,
        container_of(doc, config, tracker),
        result.draft,
        result.body_hash,
        previous=record_id if record_id and record_id != item.id else None,
        done=item.done,
        warnings=result.warnings,
    )
    if record is not None and record.issue is not None:
        return _compare(base, record, result)
    adopted = adoptable_ref(item.links, tracker, config)
    if adopted is not None:
        return _replace(base, action="adopt", issue=adopted)
    return _mentioning(base, item, config)


def _mentioning(change: Change, item: ActionItem, config: Config) -> Change:
    """A create whose item mentions an issue of its tracker in its prose ("the crash
    fixed in #1"): said, since only an issue position adopts (see `parse.links`)."""
    mentioned = adoptable_ref(item.references, change.tracker, config)
    if mentioned is None:
        return change
    note = (
        f"{change.doc_path}:{item.line}: '{item.title}' mentions {mentioned.key} in its "
        "text: a reference, not its issue, so a new issue is created; to track it in "
        f"{mentioned.key} instead, write 'Tracked in {mentioned.key}' or put it in a "
        "Ticket column"
    )
    return _replace(change, warnings=(*change.warnings, note))


def _compare(base: Change, record: ItemRecord, result: DraftResult) -> Change:
    assert record.issue is not None
    issue = record.issue.ref()
    if _moved(base, record):
        return _stay(base, record)
    if record.adopted or record.pushed is None:
        return _replace(base, action="unchanged", issue=issue)
    fields = changed_fields(record.pushed, result)
    if base.previous is not None:
        fields = tuple(dict.fromkeys((*fields, *REMARK_FIELDS)))
    if record.done is not None and record.done != base.done:
        fields = (*fields, "state")  # the person ticked or unticked it: the tick wins
    action: Action = "update" if fields else "unchanged"
    return _replace(base, action=action, fields=fields, issue=issue)


def _moved(base: Change, record: ItemRecord) -> bool:
    """The config (or the front matter) now sends the item elsewhere than its issue is."""
    assert record.issue is not None
    elsewhere = bool(record.container) and record.container != base.container
    return record.issue.tracker != base.tracker or elsewhere


def _stay(base: Change, record: ItemRecord) -> Change:
    """Refuse to write to an issue in a place the config no longer names: updates would go
    on silently to the old repository, or fail forever on the new tracker."""
    assert record.issue is not None
    old = f"{record.issue.tracker} {record.container}".strip()
    warning = (
        f"{base.doc_path}: '{base.title}' is tracked in {old} ({record.issue.key}) but the "
        f"config now says {base.tracker} {base.container}: its issue is left as it is; move "
        "it there and run `pmsync state rebuild`, or restore the setting"
    )
    return _replace(
        base, action="unchanged", issue=record.issue.ref(), tracker=record.issue.tracker,
        container=record.container, warnings=(*base.warnings, warning),
    )  # fmt: skip


def changed_fields(pushed: Pushed, result: DraftResult) -> tuple[str, ...]:
    """Fields whose document value differs from what pmsync last pushed. Comparing with
    the last push, not with the tracker, lets people's edits in the tracker stand."""
    draft = result.draft
    candidates = {
        "title": normalize_text(pushed.title) != normalize_text(draft.title),
        "body": pushed.body_hash != result.body_hash,
        "labels": sorted(pushed.labels) != sorted(draft.labels),
        "assignee": pushed.assignee != draft.assignee,
        "due": pushed.due != draft.due,
        "priority": pushed.priority != draft.priority,
    }
    return tuple(name for name, changed in candidates.items() if changed)


def pushed_of(draft: IssueDraft, body_hash: str) -> Pushed:
    return Pushed(
        title=draft.title,
        body_hash=body_hash,
        labels=sorted(draft.labels),
        assignee=draft.assignee,
        due=draft.due,
        priority=draft.priority,
    )


def _replace(change: Change, **updates: object) -> Change:
    return replace(change, **updates)  # type: ignore[arg-type]

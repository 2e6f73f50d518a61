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

from pmsync.config import Config
from pmsync.model import ActionItem, IssueDraft, IssueRef, Postmortem
from pmsync.parse.links import adoptable_ref
from pmsync.plan.changes import (
    Action,
    Adopt,
    Change,
    Create,
    Orphan,
    Plan,
    Remove,
    Unchanged,
    Update,
    planned,
    warned,
)
from pmsync.plan.drafts import DraftResult, build_draft, container_of, tracker_of
from pmsync.plan.identity import normalize_text
from pmsync.plan.matching import match_items
from pmsync.plan.parents import LISTED, parent_changes, plan_parents
from pmsync.state.store import IssueRecord, ItemRecord, Pushed, SyncState

__all__ = ["Action", "Change", "Plan", "changed_fields", "plan_changes", "pushed_of"]

# The fields that carry an issue's marker: the body's block (GitHub), the identity label
# and the description's marker (Jira). Rewritten when an item's id changes.
REMARK_FIELDS = ("body", "labels")


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
    plan.parent_changes = parent_changes(plan.parents, plan.changes, state)
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
    changes: list[Change] = []
    for key, record in state.items.items():
        if record.doc not in orphaned or record.doc in read or record.issue is None:
            continue
        if record.status is not None and record.status.state == "closed":
            continue
        doc = state.documents.get(record.doc)
        ref = record.issue.ref()
        changes.append(
            Orphan(item_id=key, doc_key=record.doc, doc_path=doc.path if doc else record.doc,
                   title=record.title, tracker=ref.tracker, container=record.container,
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
    return changes + [_removed(doc, key, records[key], tracker) for key in gone]


def _removed(doc: Postmortem, key: str, record: ItemRecord, tracker: str) -> Remove:
    issue = record.issue.ref() if record.issue else None
    return Remove(
        item_id=key, doc_key=doc.key, doc_path=doc.path, title=record.title,
        tracker=issue.tracker if issue else tracker,  # closed where it lives
        container=record.container, issue=issue,
    )  # fmt: skip


def _noted(change: Change, note: str | None) -> Change:
    """The change with the matcher's reason for not pairing its item (if any)."""
    return warned(change, note) if note else change


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
    result = build_draft(item, doc, config, item.id)
    tracker = tracker_of(doc, config)
    create = Create(
        item_id=item.id, doc_key=doc.key, doc_path=doc.path, title=item.title,
        tracker=tracker, container=container_of(doc, config, tracker),
        draft=result.draft, body_hash=result.body_hash,
        previous=record_id if record_id and record_id != item.id else None,
        done=item.done, warnings=result.warnings,
    )  # fmt: skip
    if record is not None and record.issue is not None:
        return _compare(create, record, record.issue, result)
    adopted = adoptable_ref(item.links, tracker, config)
    if adopted is not None:
        return Adopt(
            **planned(create), issue=adopted, draft=create.draft, body_hash=create.body_hash
        )
    return _mentioning(create, item, config)


def _mentioning(create: Create, item: ActionItem, config: Config) -> Create:
    """A create whose item mentions an issue of its tracker in its prose ("the crash
    fixed in #1"): said, since only an issue position adopts (see `parse.links`)."""
    mentioned = adoptable_ref(item.references, create.tracker, config)
    if mentioned is None:
        return create
    note = (
        f"{create.doc_path}:{item.line}: '{item.title}' mentions {mentioned.key} in its "
        "text: a reference, not its issue, so a new issue is created; to track it in "
        f"{mentioned.key} instead, write 'Tracked in {mentioned.key}' or put it in a "
        "Ticket column"
    )
    return warned(create, note)


def _compare(
    create: Create, record: ItemRecord, recorded: IssueRecord, result: DraftResult
) -> Change:
    issue = recorded.ref()
    if _moved(create, record, recorded):
        return _stay(create, record, recorded)
    if record.adopted or record.pushed is None:
        return _unchanged(create, issue)
    fields = changed_fields(record.pushed, result)
    if create.previous is not None:
        fields = tuple(dict.fromkeys((*fields, *REMARK_FIELDS)))
    if record.done is not None and record.done != create.done:
        fields = (*fields, "state")  # the person ticked or unticked it: the tick wins
    if not fields:
        return _unchanged(create, issue)
    return Update(
        **planned(create), issue=issue, draft=create.draft, body_hash=create.body_hash,
        fields=fields, previous=create.previous, done=create.done,
    )  # fmt: skip


def _unchanged(create: Create, issue: IssueRef, **updates: object) -> Unchanged:
    return Unchanged(**planned(create, **updates), issue=issue, draft=create.draft)


def _moved(create: Create, record: ItemRecord, recorded: IssueRecord) -> bool:
    """The config (or the front matter) now sends the item elsewhere than its issue is."""
    elsewhere = bool(record.container) and record.container != create.container
    return recorded.tracker != create.tracker or elsewhere


def _stay(create: Create, record: ItemRecord, recorded: IssueRecord) -> Unchanged:
    """Refuse to write to an issue in a place the config no longer names: updates would go
    on silently to the old repository, or fail forever on the new tracker."""
    old = f"{recorded.tracker} {record.container}".strip()
    warning = (
        f"{create.doc_path}: '{create.title}' is tracked in {old} ({recorded.key}) but the "
        f"config now says {create.tracker} {create.container}: its issue is left as it is; "
        "move it there and run `pmsync state rebuild`, or restore the setting"
    )
    return _unchanged(
        create, recorded.ref(), tracker=recorded.tracker, container=record.container,
        warnings=(*create.warnings, warning),
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

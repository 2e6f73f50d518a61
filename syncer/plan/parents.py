"""Which postmortems get a parent issue (`defaults.parent`, front matter `parent:`), what
it says (id, title, intro, items; its checklist from the items' records in the state),
and whether anything about it is to be written. Pure.

A parent is found again like an item: its marker carries `pm-<postmortem key>` where
an item's carries the item id, so listing a container's managed issues finds it after a
lost state or a lost answer (see `pmsync.sync.parents`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pmsync.config import Config
from pmsync.model import IssueDraft, Postmortem
from pmsync.plan.changes import Change, Create, ParentChange, Update
from pmsync.plan.drafts import container_of, labels_of, neutralize_mentions, source_link, tracker_of
from pmsync.state.store import ParentRecord, SyncState

PARENT_PREFIX = "pm-"  # never starts an item id (hex digests)
# Label-safe too: a tracker may find issues by a label carrying the id ([a-z0-9-], 64
# characters at most).
_MARKER_SAFE = re.compile(r"^[a-z0-9-]{1,64}$")
# Actions whose item is (or stays) in its postmortem: the parent lists them.
LISTED = ("create", "update", "unchanged", "adopt")


@dataclass(frozen=True)
class ParentSpec:
    """A postmortem's parent issue as the documents say it: everything but the state of
    its items, which the sync step reads from the state when it writes."""

    doc_key: str
    parent_id: str  # what the parent's marker carries
    title: str
    intro: str  # Markdown: the summary and the link to the postmortem
    tracker: str
    container: str
    items: tuple[str, ...]  # item ids in the postmortem's order
    labels: tuple[str, ...] = ()
    close_when_done: bool = True


def parent_id(doc_key: str) -> str:
    """The id a postmortem's parent marker carries: readable when the key allows it."""
    candidate = PARENT_PREFIX + doc_key
    if _MARKER_SAFE.match(candidate):
        return candidate
    return PARENT_PREFIX + hashlib.sha256(doc_key.encode("utf-8")).hexdigest()[:16]


def is_parent_id(marker_id: str | None) -> bool:
    return bool(marker_id) and str(marker_id).startswith(PARENT_PREFIX)


def wants_parent(doc: Postmortem, config: Config) -> bool:
    """Front matter `parent: true/false` wins over `defaults.parent`."""
    chosen = doc.front_matter.get("parent")
    return chosen if isinstance(chosen, bool) else config.defaults.parent


def plan_parents(
    docs: Sequence[Postmortem], item_ids: dict[str, list[str]], config: Config
) -> list[ParentSpec]:
    """The parents of `docs` that want one; `item_ids`: each document's listed items."""
    return [
        parent_spec(doc, item_ids.get(doc.key, []), config)
        for doc in docs
        if wants_parent(doc, config) and item_ids.get(doc.key)
    ]


def parent_spec(doc: Postmortem, items: Sequence[str], config: Config) -> ParentSpec:
    tracker = tracker_of(doc, config)
    return ParentSpec(
        doc_key=doc.key,
        parent_id=parent_id(doc.key),
        title=parent_title(doc),
        intro=parent_intro(doc, config),
        tracker=tracker,
        container=container_of(doc, config, tracker),
        items=tuple(items),
        labels=labels_of(doc, config),
        close_when_done=config.defaults.close_parent_when_done,
    )


def parent_title(doc: Postmortem) -> str:
    when = f" ({doc.incident_date.isoformat()})" if doc.incident_date else ""
    return f"Postmortem: {doc.title or doc.path}{when}"


def parent_intro(doc: Postmortem, config: Config) -> str:
    link = f"**Postmortem:** {source_link(doc, config)}"
    if not doc.summary:
        return link
    summary = doc.summary if config.defaults.allow_mentions else neutralize_mentions(doc.summary)
    return f"{summary}\n\n{link}"


# --- the checklist, from the state ----------------------------------------------------


def linkable(spec: ParentSpec, state: SyncState) -> list[str]:
    """Items whose issue pmsync made in the parent's tracker and container: adopted
    issues are listed in the checklist, never edited (linking would edit them)."""
    found = []
    for item_id in spec.items:
        record = state.items.get(item_id)
        if record is None or record.issue is None or record.adopted:
            continue
        if record.issue.tracker == spec.tracker and record.container == spec.container:
            found.append(item_id)
    return found


def all_closed(items: Sequence[str], state: SyncState) -> bool:
    """Every listed item has an issue and it is closed (as last read or set)."""
    records = [state.items.get(i) for i in items]
    return bool(records) and all(
        r is not None and r.issue is not None and r.status is not None
        and r.status.state == "closed"
        for r in records
    )  # fmt: skip


def checklist(items: Sequence[str], state: SyncState) -> str:
    lines = []
    for item_id in items:
        record = state.items.get(item_id)
        if record is None:
            continue
        closed = record.status is not None and record.status.state == "closed"
        title = neutralize_mentions(record.title).replace("[", "\\[").replace("]", "\\]")
        entry = f"[{title}]({record.issue.url})" if record.issue and record.issue.url else title
        lines.append(f"- [{'x' if closed else ' '}] {entry}")
    return "\n".join(lines)


def parent_body(spec: ParentSpec, state: SyncState) -> str:
    listed = [i for i in spec.items if i in state.items]
    done = sum(1 for i in listed if (s := state.items[i].status) and s.state == "closed")
    return f"{spec.intro}\n\n**Action items** ({done} of {len(listed)} closed):\n\n" + checklist(
        spec.items, state
    )


def body_hash(spec: ParentSpec, state: SyncState) -> str:
    text = f"{spec.title}\n{parent_body(spec, state)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def parent_draft(spec: ParentSpec, state: SyncState) -> IssueDraft:
    return IssueDraft(
        item_id=spec.parent_id,
        content_hash=body_hash(spec, state),
        title=spec.title,
        body=parent_body(spec, state),
        labels=spec.labels,
        container=spec.container,
        kind="parent",
    )


def parent_pending(spec: ParentSpec, state: SyncState) -> bool:
    """Whether `after` would write anything for `spec` (pure: decides whether a group
    with no item to write connects to its tracker at all)."""
    record = state.parents.get(spec.doc_key)
    if record is None or record.issue is None or not record.active:
        return True
    if record.native and any(i not in record.linked for i in linkable(spec, state)):
        return True
    return checklist_pending(spec, record, state)


def checklist_pending(spec: ParentSpec, record: ParentRecord, state: SyncState) -> bool:
    return stale(spec, record, state) or state_change(spec, record, state) is not None


def stale(spec: ParentSpec, record: ParentRecord, state: SyncState) -> bool:
    """Whether the parent's title or text differs from what pmsync last wrote to it."""
    return record.body_hash != body_hash(spec, state) or record.title != spec.title


def state_change(
    spec: ParentSpec, record: ParentRecord, state: SyncState, done: bool | None = None
) -> Literal["close", "reopen"] | None:
    """ "close" when every item is closed (and `close_when_done`), "reopen" when a parent
    pmsync closed has an open item again; `done`: whether every item is closed, when not
    as the state says."""
    done = all_closed(spec.items, state) if done is None else done
    if done and spec.close_when_done and not record.closed:
        return "close"
    return "reopen" if record.closed and not done else None


def spec_of_record(doc_key: str, record: ParentRecord, close_when_done: bool) -> ParentSpec:
    """A parent as last pushed, for `status`: the checklist follows the items' states
    without reading the postmortems."""
    return ParentSpec(
        doc_key=doc_key, parent_id=parent_id(doc_key), title=record.title, intro=record.intro,
        tracker=record.tracker, container=record.container, items=tuple(record.items),
        close_when_done=close_when_done,
    )  # fmt: skip


# --- what a push would do, for `pmsync plan` -------------------------------------------


def parent_changes(
    specs: Sequence[ParentSpec], changes: Sequence[Change], state: SyncState
) -> list[ParentChange]:
    by_doc: dict[str, list[Change]] = {}
    for change in changes:
        by_doc.setdefault(change.doc_key, []).append(change)
    return [forecast(spec, by_doc.get(spec.doc_key, []), state) for spec in specs]


def forecast(spec: ParentSpec, changes: Sequence[Change], state: SyncState) -> ParentChange:
    """The steps the push takes for `spec` once its items' `changes` are applied, from
    the state alone: a parent lost with the state shows as to be created, and the push
    finds it again by its marker instead."""
    record = state.parents.get(spec.doc_key)
    issue = record.issue.ref() if record is not None and record.issue is not None else None
    path = changes[0].doc_path if changes else spec.doc_key
    steps: list[str] = []
    if record is None or issue is None:
        pending = record is not None and record.intent is not None
        steps.append("find it by its marker or create it" if pending else "create")
    else:
        steps.extend(_steps(spec, record, changes, state))
    return ParentChange(doc_key=spec.doc_key, doc_path=path, title=spec.title,
                        tracker=spec.tracker, container=spec.container, issue=issue,
                        steps=tuple(steps))  # fmt: skip


def _steps(
    spec: ParentSpec, record: ParentRecord, changes: Sequence[Change], state: SyncState
) -> list[str]:
    steps = []
    if record.native:
        created = sum(1 for c in changes if isinstance(c, Create))
        unlinked = created + sum(1 for i in linkable(spec, state) if i not in record.linked)
        if unlinked:
            steps.append(f"link {unlinked} item{'s' if unlinked > 1 else ''} under it")
    if stale(spec, record, state) or any(
        isinstance(c, Create) or (isinstance(c, Update) and {"title", "state"} & set(c.fields))
        for c in changes
    ):
        steps.append("rewrite its checklist")
    change = state_change(spec, record, state, _all_closed_after(spec.items, changes, state))
    if change == "close":
        steps.append("close it: every item is closed")
    elif change == "reopen":
        steps.append("reopen it: an item is open again")
    return steps


def _all_closed_after(items: Sequence[str], changes: Sequence[Change], state: SyncState) -> bool:
    """`all_closed` once the push has closed or reopened the items whose tick moved."""
    ticked = {
        c.item_id: c.done
        for c in changes
        if isinstance(c, Create) or (isinstance(c, Update) and "state" in c.fields)
    }
    if not items:
        return False
    return all(ticked[i] if i in ticked else all_closed([i], state) for i in items)

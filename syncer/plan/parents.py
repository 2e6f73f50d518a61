"""Which postmortems get a parent issue (`defaults.parent`, front matter `parent:`), and
what it says apart from its checklist: its id, title, intro and items. Pure.

A parent is found again like an item: its marker carries `pm.<postmortem key>` where
an item's carries the item id, so listing a container's managed issues finds it after a
lost state or a lost answer (see `pmsync.sync.parents`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pmsync.config import Config
from pmsync.model import Postmortem
from pmsync.plan.drafts import container_of, labels_of, neutralize_mentions, source_link, tracker_of

PARENT_PREFIX = "pm."
_MARKER_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,120}$")
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

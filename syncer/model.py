"""Values passed between parser, planner, sync engine and adapters.

Plain frozen dataclasses: the core computes with them, the CLI serialises them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

Section = Literal["tasks", "corrective"]
IssueState = Literal["open", "closed"]

# Labels of this form name an issue's item (a tracker that keeps identity in labels, as
# Jira: `pmsync-id-<item id>`): refused in front matter and config, so none is forged.
RESERVED_LABEL = "pmsync-id-"


def reserved_label(label: str) -> bool:
    return label.strip().casefold().startswith(RESERVED_LABEL)


@dataclass(frozen=True)
class ActionItem:
    """One follow-up written in a postmortem."""

    id: str
    title: str
    body: str
    section: Section
    line: int
    due: date | None = None
    owner: str | None = None
    priority: str | None = None
    done: bool = False
    links: tuple[str, ...] = ()  # issue references in an issue position: adoptable
    references: tuple[str, ...] = ()  # issue references in its prose: reported only
    content_hash: str = ""
    # The parser rule that took it ("list item", "plain line"…): for `parse --explain` and
    # `check`, never part of its identity or content.
    rule: str = field(default="", compare=False)
    name: str = ""  # the normalised text its id is derived from (not cut for display)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "body": self.body,
            "section": self.section,
            "due": self.due.isoformat() if self.due else None,
            "owner": self.owner,
            "priority": self.priority,
            "done": self.done,
            "links": list(self.links),
            "references": list(self.references),
            "line": self.line,
        }


@dataclass(frozen=True)
class ParseWarning:
    line: int
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "message": self.message}


@dataclass(frozen=True)
class Postmortem:
    """A parsed postmortem. `key` is its identity, independent of the file's path."""

    path: str
    key: str
    title: str | None
    incident_date: date | None
    items: tuple[ActionItem, ...]
    warnings: tuple[ParseWarning, ...] = ()
    front_matter: dict[str, Any] = field(default_factory=dict)
    # False when the parser stopped reading early (parser.max_items): nothing about the
    # items past that point may be concluded (none is "gone").
    whole: bool = True
    # The first paragraph under its summary (or impact) heading: a parent issue's intro.
    summary: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "key": self.key,
            "title": self.title,
            "incident_date": self.incident_date.isoformat() if self.incident_date else None,
            "items": [item.to_json() for item in self.items],
            "warnings": [w.to_json() for w in self.warnings],
        }


@dataclass(frozen=True)
class IssueRef:
    """Where an issue lives. `id` is the tracker's immutable id; `key` the human one."""

    tracker: str
    key: str
    url: str
    id: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"tracker": self.tracker, "key": self.key, "url": self.url}


@dataclass(frozen=True)
class IssueDraft:
    """What pmsync wants an issue to say. Adapters render `body` in their own markup."""

    item_id: str
    content_hash: str
    title: str
    body: str
    labels: tuple[str, ...] = ()
    assignee: str | None = None
    due: date | None = None
    priority: str | None = None
    container: str = ""  # repository (owner/name) or Jira project key
    confidential: bool = False  # front matter `confidential: true` (security postmortems)
    # "parent": the postmortem's parent issue (a Jira epic); "item": an action item's.
    kind: Literal["item", "parent"] = "item"
    # The parent issue to create it under, for a tracker that links children as it
    # creates them (Jira's `parent` field, Linear's `parentId`); others ignore it.
    parent: IssueRef | None = None


@dataclass(frozen=True)
class RemoteIssue:
    """An issue as the tracker reports it. `item_id` comes from pmsync's marker, if any."""

    ref: IssueRef
    title: str
    state: IssueState
    body: str | None = None  # raw body as stored by the tracker (GitHub: Markdown)
    item_id: str | None = None
    content_hash: str | None = None
    state_reason: str | None = None
    assignee: str | None = None
    due: date | None = None
    labels: tuple[str, ...] = ()
    updated_at: datetime | None = None
    closed_at: datetime | None = None
    # The key of its native parent, where the tracker's answer names it (`state rebuild`
    # then knows which children are linked); None: it has none, or the answer does not say.
    parent: str | None = None


@dataclass(frozen=True)
class Created:
    item_id: str
    issue: RemoteIssue
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Failed:
    """A create that failed. `maybe_applied`: it may have landed; reconcile, never re-post."""

    item_id: str
    error: str
    maybe_applied: bool = False

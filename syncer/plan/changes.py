"""The typed changes of a plan: one frozen dataclass per kind of change, each with only
its own fields, and `Change`, their union; `Plan`, a push's changes and warnings.

    Planned       the item, its postmortem, and where its issue lives (every change)
    ├─ Create     no issue is recorded: create one from `draft`
    ├─ Update     the issue is recorded and `fields` differ from what was last pushed
    ├─ Unchanged  the issue is recorded and already says what the item says
    ├─ Adopt      the postmortem names an issue pmsync did not create: track, never write
    ├─ Remove     the item is gone from its postmortem (closed only with --prune)
    └─ Orphan     the item's postmortem is gone (reported, never closed)

Code that handles several kinds narrows with `match` or `isinstance`; the helpers at the
end read what some kinds have and others do not (for reports).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeAlias, TypeVar

from pmsync.model import IssueDraft, IssueRef

Action = Literal["create", "update", "unchanged", "remove", "adopt", "orphan"]


@dataclass(frozen=True, kw_only=True)
class Planned:
    """What every change names: the item, its postmortem, where its issue lives."""

    item_id: str  # the item's id: the one its issue's marker carries after this change
    doc_key: str
    doc_path: str
    title: str
    tracker: str
    container: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Create(Planned):
    action: ClassVar[Action] = "create"
    draft: IssueDraft
    body_hash: str  # over the body without the source line anchor (see `drafts`)
    previous: str | None = None  # the record's id when the item was reworded
    done: bool = False  # ticked in its postmortem: closed right after the create


@dataclass(frozen=True, kw_only=True)
class Update(Planned):
    action: ClassVar[Action] = "update"
    issue: IssueRef
    draft: IssueDraft
    body_hash: str
    fields: tuple[str, ...]  # what differs from the last push ("state": the tick moved)
    previous: str | None = None  # the record's id when the item was reworded
    done: bool = False


@dataclass(frozen=True, kw_only=True)
class Unchanged(Planned):
    action: ClassVar[Action] = "unchanged"
    issue: IssueRef
    draft: IssueDraft


@dataclass(frozen=True, kw_only=True)
class Adopt(Planned):
    action: ClassVar[Action] = "adopt"
    issue: IssueRef  # the issue the postmortem names
    draft: IssueDraft
    # `state rebuild` plans against no state: a link pmsync wrote back makes its own
    # issue look adopted, and the rebuild records it as pmsync's, with this baseline.
    body_hash: str


@dataclass(frozen=True, kw_only=True)
class Remove(Planned):
    action: ClassVar[Action] = "remove"
    issue: IssueRef | None  # None: only an intent was recorded, no issue is known


@dataclass(frozen=True, kw_only=True)
class Orphan(Planned):
    action: ClassVar[Action] = "orphan"
    issue: IssueRef


Change: TypeAlias = Create | Update | Unchanged | Adopt | Remove | Orphan


@dataclass(frozen=True, kw_only=True)
class ParentChange:
    """What a push would do to a postmortem's parent issue (`defaults.parent`): `steps`
    in the order the push takes them; none when it is left as it is."""

    doc_key: str
    doc_path: str
    title: str
    tracker: str
    container: str
    issue: IssueRef | None  # None: it is to be created (or found again by its marker)
    steps: tuple[str, ...]

    @property
    def action(self) -> str:
        return "create" if self.issue is None else "update" if self.steps else "unchanged"


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Parent issues (`defaults.parent`); a `ParentSpec` each (pmsync.plan.parents).
    parents: list[Any] = field(default_factory=list)
    parent_changes: list[ParentChange] = field(default_factory=list)  # for `pmsync plan`

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
        return any(isinstance(c, Create | Update | Remove) for c in self.changes)


def planned(change: Planned, **updates: Any) -> dict[str, Any]:
    """The common fields of `change` (with `updates`), to build another kind from it."""
    common = {f.name: getattr(change, f.name) for f in dataclasses.fields(Planned)}
    return common | updates


P = TypeVar("P", bound=Planned)


def warned(change: P, warning: str) -> P:
    """`change` with one more warning."""
    return dataclasses.replace(change, warnings=(*change.warnings, warning))


def as_update(create: Create, issue: IssueRef, fields: tuple[str, ...]) -> Update:
    """A planned create whose issue turned out to exist: update that issue instead."""
    return Update(
        **planned(create), issue=issue, draft=create.draft, body_hash=create.body_hash,
        fields=fields, previous=create.previous, done=create.done,
    )  # fmt: skip


def issue_of(change: Change) -> IssueRef | None:
    return None if isinstance(change, Create) else change.issue


def draft_of(change: Change) -> IssueDraft | None:
    return None if isinstance(change, Remove | Orphan) else change.draft


def fields_of(change: Change) -> tuple[str, ...]:
    return change.fields if isinstance(change, Update) else ()

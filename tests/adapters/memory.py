"""An in-memory tracker: the `Tracker` protocol over a dict, for fast engine tests (plan
and sync decision rows) without HTTP. It passes the same contract suite as the real
adapters (tests/adapters/test_memory.py), faults included, so what the engine is tested
against behaves like a tracker."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import ClassVar, TypeVar

from pmsync.adapters.base import Memo, RetryPolicy, render_block, replace_block
from pmsync.errors import NotFound, TrackerError
from pmsync.model import Created, Failed, IssueDraft, IssueRef, RemoteIssue

T = TypeVar("T")


@dataclass
class MemoryStore:
    """The tracker's side: issues by key, the request count, and pending faults."""

    issues: dict[str, RemoteIssue] = field(default_factory=dict)
    comments: dict[str, list[str]] = field(default_factory=dict)
    requests: int = 0
    rate_limited: list[int] = field(default_factory=list)  # Retry-After of the next lists
    lose_creates: int = 0  # creates that land but whose answer is lost
    memos: dict[str, Memo] = field(default_factory=dict)  # as recalled, by container
    settled: list[tuple[str, datetime]] = field(default_factory=list)
    children: dict[str, list[str]] = field(default_factory=dict)  # parent key → child keys
    native_children: bool = True  # False: a tracker without sub-issues

    def next_key(self, container: str) -> str:
        return f"{container}-{len(self.issues) + 1}"


class MemoryTracker:
    name: ClassVar[str] = "memory"
    max_batch: ClassVar[int] = 10
    links_on_create: ClassVar[bool] = False

    def __init__(self, store: MemoryStore, policy: RetryPolicy, name: str = "memory") -> None:
        # Engine tests stand it in for a configured tracker: its refs must carry that name.
        self.store, self.policy, self.name = store, policy, name  # type: ignore[misc]

    def recall(self, container: str, memo: Memo) -> None:
        self.store.memos[container] = memo

    def memo(self, container: str) -> Memo:
        return {"runs": int(self.store.memos.get(container, {}).get("runs", 0)) + 1}

    def settle(self, container: str, started: datetime) -> None:
        self.store.settled.append((container, started))

    def _call(self, what: str, fn: Callable[[], T], *, write: bool = False) -> T:
        def attempt() -> T:
            self.store.requests += 1
            return fn()

        return self.policy.call(what, attempt, write=write)

    def list_managed(self, container: str, since: datetime | None = None) -> Iterator[RemoteIssue]:
        def listing() -> list[RemoteIssue]:
            if self.store.rate_limited:
                wait = self.store.rate_limited.pop(0)
                raise TrackerError("rate limited", transient=True, retry_after=wait)
            return [
                i
                for key, i in self.store.issues.items()
                if key.startswith(f"{container}-")
                and (since is None or (i.updated_at is not None and i.updated_at >= since))
            ]

        yield from self._call(f"list {container}", listing)

    def get(self, ref: IssueRef) -> RemoteIssue | None:
        return self._call(f"read {ref.key}", lambda: self.store.issues.get(ref.key))

    def create(self, drafts: Sequence[IssueDraft]) -> list[Created | Failed]:
        results: list[Created | Failed] = []
        for draft in drafts:
            try:
                issue = self._call(
                    f"create {draft.item_id}", lambda d=draft: self._add(d), write=True
                )
            except TrackerError as exc:
                results.append(Failed(draft.item_id, str(exc), exc.maybe_applied))
                continue
            results.append(Created(draft.item_id, issue))
        return results

    def _add(self, draft: IssueDraft) -> RemoteIssue:
        key = self.store.next_key(draft.container)
        issue = RemoteIssue(
            ref=IssueRef(self.name, key, f"memory://{key}", key),
            title=draft.title,
            state="open",
            body=render_block(draft.item_id, draft.content_hash, draft.body),
            item_id=draft.item_id,
            content_hash=draft.content_hash,
            assignee=draft.assignee,
            due=draft.due,
            labels=draft.labels,
            updated_at=_now(),
        )
        self.store.issues[key] = issue
        if self.store.lose_creates:
            self.store.lose_creates -= 1
            raise TrackerError("connection dropped", transient=True, maybe_applied=True)
        return issue

    def update(self, ref: IssueRef, draft: IssueDraft, fields: Collection[str]) -> RemoteIssue:
        return self._call(f"update {ref.key}", lambda: self._set(ref, draft, fields), write=True)

    def _set(self, ref: IssueRef, draft: IssueDraft, fields: Collection[str]) -> RemoteIssue:
        current = self.store.issues.get(ref.key)
        if current is None:
            raise NotFound(f"{ref.key} is gone")
        changes: dict[str, object] = {"updated_at": _now()}
        if "title" in fields:
            changes["title"] = draft.title
        if "body" in fields:
            # pmsync owns only its block: text people wrote around it stays
            block = render_block(draft.item_id, draft.content_hash, draft.body)
            changes.update(body=replace_block(current.body, block), content_hash=draft.content_hash)
        for name in ("labels", "assignee", "due"):
            if name in fields:
                changes[name] = getattr(draft, name)
        issue = dataclasses.replace(current, **changes)  # type: ignore[arg-type]
        self.store.issues[ref.key] = issue
        return issue

    def close(self, ref: IssueRef, comment: str) -> RemoteIssue:
        def closing() -> RemoteIssue:
            current = self.store.issues.get(ref.key)
            if current is None:
                raise NotFound(f"{ref.key} is gone")
            self.store.comments.setdefault(ref.key, []).append(comment)
            closed = dataclasses.replace(current, state="closed", updated_at=_now())
            self.store.issues[ref.key] = closed
            return closed

        return self._call(f"close {ref.key}", closing, write=True)

    def reopen(self, ref: IssueRef, comment: str) -> RemoteIssue:
        def reopening() -> RemoteIssue:
            current = self.store.issues.get(ref.key)
            if current is None:
                raise NotFound(f"{ref.key} is gone")
            self.store.comments.setdefault(ref.key, []).append(comment)
            opened = dataclasses.replace(current, state="open", updated_at=_now())
            self.store.issues[ref.key] = opened
            return opened

        return self._call(f"reopen {ref.key}", reopening, write=True)

    def link_child(self, parent: IssueRef, child: IssueRef) -> bool:
        def linking() -> bool:
            if not self.store.native_children:
                return False
            if parent.key not in self.store.issues or child.key not in self.store.issues:
                raise NotFound(f"{parent.key} or {child.key} is gone")
            if child.key in self.store.children.get(parent.key, []):
                return True
            for children in self.store.children.values():
                if child.key in children:
                    children.remove(child.key)  # one parent at a time, as on GitHub
            self.store.children.setdefault(parent.key, []).append(child.key)
            issue = self.store.issues[child.key]
            self.store.issues[child.key] = dataclasses.replace(issue, parent=parent.key)
            return True

        return self._call(f"link {child.key} under {parent.key}", linking, write=True)


def _now() -> datetime:
    return datetime.now(timezone.utc)

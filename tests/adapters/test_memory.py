"""The in-memory tracker keeps the adapter contract (so engine tests on it mean something)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from pmsync.adapters.base import RetryPolicy
from pmsync.model import IssueRef
from tests.adapters.contract import TrackerContract
from tests.adapters.memory import MemoryStore, MemoryTracker


@dataclass
class MemoryBackend:
    store: MemoryStore = field(default_factory=MemoryStore)
    container: str = "OPS"

    def connect(self, policy: RetryPolicy) -> MemoryTracker:
        return MemoryTracker(self.store, policy)

    def rate_limit_next_list(self, retry_after: int) -> None:
        self.store.rate_limited.append(retry_after)

    def lose_next_create(self) -> None:
        self.store.lose_creates += 1

    def requests(self) -> int:
        return self.store.requests

    def missing_ref(self) -> IssueRef:
        return IssueRef("memory", "OPS-9999", "memory://OPS-9999", "OPS-9999")

    def write_around(self, ref: IssueRef, text: str) -> None:
        issue = self.store.issues[ref.key]
        body = f"{text}\n\n{issue.body}\n\n{text}"
        self.store.issues[ref.key] = dataclasses.replace(issue, body=body)

    def text(self, ref: IssueRef) -> str:
        return self.store.issues[ref.key].body or ""

    def children(self, parent: IssueRef) -> list[str]:
        return self.store.children.get(parent.key, [])


class TestMemoryTracker(TrackerContract):
    @pytest.fixture
    def backend(self) -> MemoryBackend:
        return MemoryBackend()

"""The Linear adapter keeps the adapter contract, through httpx against the fake Linear
(every query validated against Linear's schema)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pmsync.adapters.base import RetryPolicy
from pmsync.adapters.linear import LinearConfig, connect
from pmsync.adapters.linear.tracker import LinearTracker
from pmsync.model import IssueRef
from tests.adapters.contract import TrackerContract
from tests.fakes.linear import FakeLinear
from tests.fakes.server import DropAfterCommit


@dataclass
class LinearBackend:
    fake: FakeLinear
    container: str = "OPS"

    def connect(self, policy: RetryPolicy) -> LinearTracker:
        return connect(LinearConfig(**self.fake.config()), self.fake.env(), policy)

    def rate_limit_next_list(self, retry_after: int) -> None:
        # Linear answers RATELIMITED with the reset in its headers (no Retry-After)
        self.fake.inject("POST", r"#issues$", FakeLinear.rate_limit_fault(retry_after))

    def lose_next_create(self) -> None:
        self.fake.inject("POST", r"#issueBatchCreate$", DropAfterCommit())

    def requests(self) -> int:
        return len(self.fake.requests)

    def missing_ref(self) -> IssueRef:
        return IssueRef("linear", "OPS-9999", "https://linear.app/acme/issue/OPS-9999")

    def write_around(self, ref: IssueRef, text: str) -> None:
        [issue] = [i for i in self.fake.issues() if i["identifier"] == ref.key]
        self.fake.edit(ref.key, description=f"{text}\n\n{issue['description']}\n\n{text}")

    def text(self, ref: IssueRef) -> str:
        [issue] = [i for i in self.fake.issues() if i["identifier"] == ref.key]
        return str(issue["description"])


class TestLinearContract(TrackerContract):
    @pytest.fixture
    def backend(self, fake_linear: FakeLinear) -> LinearBackend:
        return LinearBackend(fake_linear)

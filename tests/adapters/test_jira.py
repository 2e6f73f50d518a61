"""The Jira adapter keeps the adapter contract, through the `jira` library against the
fake, on Cloud (REST v3, ADF, /search/jql) and Data Center (REST v2, wiki, /search)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pmsync.adapters.base import RetryPolicy
from pmsync.adapters.jira import JiraConfig, JiraTracker, connect
from pmsync.adapters.jira.adf import plain_text
from pmsync.adapters.jira.lag import GAP
from pmsync.model import IssueRef
from tests.adapters.contract import TrackerContract
from tests.fakes.jira import FakeJira
from tests.fakes.server import DropAfterCommit, Status


@dataclass
class JiraBackend:
    fake: FakeJira
    container: str = "OPS"
    catch_up_requests: int = 1 + GAP  # the newest indexed key, then GAP keys read past it

    def connect(self, policy: RetryPolicy) -> JiraTracker:
        return connect(JiraConfig(**self.fake.config()), self.fake.env(), policy)

    def rate_limit_next_list(self, retry_after: int) -> None:
        headers = {"Retry-After": str(retry_after)}
        self.fake.inject("POST", r"/rest/api/\d/search", Status(429, headers))

    def lose_next_create(self) -> None:
        self.fake.inject("POST", r"/issue/bulk$", DropAfterCommit())

    def requests(self) -> int:
        return len(self.fake.requests)

    def missing_ref(self) -> IssueRef:
        return IssueRef("jira", "OPS-9999", f"{self.fake.url}/browse/OPS-9999")

    def write_around(self, ref: IssueRef, text: str) -> None:
        description = self.fake.issue(ref.key)["fields"]["description"]
        if isinstance(description, str):  # wiki markup (Data Center)
            self.fake.edit(ref.key, description=f"{text}\n\n{description}\n\n{text}")
            return
        note = {"type": "paragraph", "content": [{"type": "text", "text": text}]}
        content = [note, *description["content"], note]
        self.fake.edit(ref.key, description={**description, "content": content})

    def text(self, ref: IssueRef) -> str:
        return plain_text(self.fake.issue(ref.key)["fields"]["description"])


class TestJiraCloudContract(TrackerContract):
    @pytest.fixture
    def backend(self, fake_jira: FakeJira) -> JiraBackend:
        return JiraBackend(fake_jira)


class TestJiraDataCenterContract(TrackerContract):
    @pytest.fixture
    def backend(self, fake_jira_dc: FakeJira) -> JiraBackend:
        return JiraBackend(fake_jira_dc)

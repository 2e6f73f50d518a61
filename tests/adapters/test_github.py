"""The GitHub adapter keeps the adapter contract, through PyGithub against the fake."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pmsync.adapters.base import RetryPolicy
from pmsync.adapters.github import GitHubConfig, GitHubTracker, connect
from pmsync.model import IssueRef
from tests.adapters.contract import TrackerContract
from tests.fakes.github import FakeGitHub
from tests.fakes.github_sub_issues import children_of
from tests.fakes.server import DropAfterCommit, Status

REPO = "acme/ops"


@dataclass
class GitHubBackend:
    fake: FakeGitHub
    container: str = REPO

    def connect(self, policy: RetryPolicy) -> GitHubTracker:
        config = GitHubConfig(repo=REPO, api_url=self.fake.api_url, writes_per_minute=0)
        return connect(config, {"GITHUB_TOKEN": self.fake.token}, policy)

    def rate_limit_next_list(self, retry_after: int) -> None:
        headers = {"Retry-After": str(retry_after)}
        self.fake.inject("GET", rf"^/repos/{REPO}/issues\?", Status(429, headers))

    def lose_next_create(self) -> None:
        self.fake.inject("POST", rf"^/repos/{REPO}/issues$", DropAfterCommit())

    def requests(self) -> int:
        return len(self.fake.requests)

    def missing_ref(self) -> IssueRef:
        return IssueRef("github", f"{REPO}#9999", f"https://github.com/{REPO}/issues/9999")

    def write_around(self, ref: IssueRef, text: str) -> None:
        number = int(ref.key.rsplit("#", 1)[1])
        body = self.fake.issues(REPO)[number - 1].body
        self.fake.edit_issue(REPO, number, body=f"{text}\n\n{body}\n\n{text}")

    def text(self, ref: IssueRef) -> str:
        return str(self.fake.issues(REPO)[int(ref.key.rsplit("#", 1)[1]) - 1].body)

    def children(self, parent: IssueRef) -> list[str]:
        numbers = children_of(self.fake, REPO, int(parent.key.rsplit("#", 1)[1]))
        return [f"{REPO}#{n}" for n in numbers]


class TestGitHubContract(TrackerContract):
    @pytest.fixture
    def backend(self, fake_github: FakeGitHub) -> GitHubBackend:
        return GitHubBackend(fake_github)

"""The GitLab adapter keeps the adapter contract, through unmodified python-gitlab against
the fake GitLab (a project in a subgroup, addressed by its URL-encoded path): once where the
group has no epics (parents are issues, children related links), once where it has them
(parents are group epics, children join by `epic_id`)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pmsync.adapters.base import RetryPolicy
from pmsync.adapters.gitlab import GitLabConfig, GitLabTracker, connect
from pmsync.model import IssueRef
from tests.adapters.contract import TrackerContract
from tests.fakes.gitlab import FakeGitLab
from tests.fakes.gitlab_epics import Epic, epics, issues_in, license_epics
from tests.fakes.gitlab_links import linked_to
from tests.fakes.server import DropAfterCommit, Status


@dataclass
class GitLabBackend:
    fake: FakeGitLab
    container: str = "acme/platform/ops"

    def connect(self, policy: RetryPolicy) -> GitLabTracker:
        config = GitLabConfig(**self.fake.config(creates_per_minute=0))
        return connect(config, self.fake.env(), policy)

    def rate_limit_next_list(self, retry_after: int) -> None:
        headers = {"Retry-After": str(retry_after)}
        self.fake.inject("GET", r"/issues\?", Status(429, headers))

    def lose_next_create(self) -> None:
        self.fake.inject("POST", r"/issues$", DropAfterCommit())

    def requests(self) -> int:
        return len(self.fake.requests)

    def missing_ref(self) -> IssueRef:
        url = f"{self.fake.url}/{self.container}/-/issues/9999"
        return IssueRef("gitlab", f"{self.container}#9999", url)

    def write_around(self, ref: IssueRef, text: str) -> None:
        iid = int(ref.key.rsplit("#", 1)[1])
        body = self.fake.issues()[iid - 1].description
        self.fake.edit_issue(iid, description=f"{text}\n\n{body}\n\n{text}")

    def text(self, ref: IssueRef) -> str:
        return str(self.fake.issues()[int(ref.key.rsplit("#", 1)[1]) - 1].description)

    def children(self, parent: IssueRef) -> list[str]:
        path, number = parent.key.rsplit("#", 1)
        return [f"{path}#{iid}" for iid in linked_to(self.fake, path, int(number))]


@dataclass
class GitLabEpicBackend(GitLabBackend):
    """Epics licensed in the project's group: parents are group epics (`group&iid`), an
    item joins one through its `epic_id`."""

    def text(self, ref: IssueRef) -> str:
        if "&" not in ref.key:
            return super().text(ref)
        return str(self._epic(ref).description)

    def children(self, parent: IssueRef) -> list[str]:
        if "&" not in parent.key:
            return super().children(parent)
        kids = issues_in(self.fake, self._epic(parent), self.container)
        return [f"{self.container}#{iid}" for iid in kids]

    def _epic(self, ref: IssueRef) -> Epic:
        group, iid = ref.key.rsplit("&", 1)
        return next(e for e in epics(self.fake, group) if e.iid == int(iid))


class TestGitLabContract(TrackerContract):
    @pytest.fixture
    def backend(self, fake_gitlab: FakeGitLab) -> GitLabBackend:
        return GitLabBackend(fake_gitlab)


class TestGitLabEpicContract(TrackerContract):
    """The same contract with `parent_kind: auto` where the group offers epics."""

    @pytest.fixture
    def backend(self, fake_gitlab: FakeGitLab) -> GitLabBackend:
        license_epics(fake_gitlab)
        return GitLabEpicBackend(fake_gitlab)

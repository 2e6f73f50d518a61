"""The fake GitHub's sub-issues, driven by PyGithub's own sub-issue methods (so the fake
answers what the library expects), and the GitHub adapter's use of them."""

from __future__ import annotations

import pytest
from github import Auth, Github, GithubException

from pmsync.adapters.base import RetryPolicy
from pmsync.adapters.github import GitHubConfig, connect
from pmsync.errors import TrackerError
from pmsync.model import IssueRef
from tests.fakes.github import FakeGitHub
from tests.fakes.github_sub_issues import children_of

REPO = "acme/ops"


def client(fake: FakeGitHub) -> Github:
    return Github(base_url=fake.api_url, auth=Auth.Token(fake.token), retry=None,
                  seconds_between_requests=0, seconds_between_writes=0)  # fmt: skip


def ref(number: int) -> IssueRef:
    return IssueRef("github", f"{REPO}#{number}", f"https://github.com/{REPO}/issues/{number}")


def test_pygithub_adds_lists_and_removes_sub_issues(fake_github: FakeGitHub) -> None:
    repo = client(fake_github).get_repo(REPO)
    parent, kid = repo.create_issue("Parent"), repo.create_issue("Kid")
    parent.add_sub_issue(kid.id)
    assert [i.number for i in parent.get_sub_issues()] == [kid.number]
    with pytest.raises(GithubException) as again:
        parent.add_sub_issue(kid.id)  # one parent, once
    assert again.value.status == 422
    parent.remove_sub_issue(kid.id)
    assert children_of(fake_github, REPO, parent.number) == []


def test_a_server_without_sub_issues_answers_404(fake_github: FakeGitHub) -> None:
    fake_github.sub_issues_enabled = False
    repo = client(fake_github).get_repo(REPO)
    parent, kid = repo.create_issue("Parent"), repo.create_issue("Kid")
    with pytest.raises(GithubException) as missing:
        parent.add_sub_issue(kid.id)
    assert missing.value.status == 404


def adapter(fake: FakeGitHub):  # type: ignore[no-untyped-def]
    config = GitHubConfig(repo=REPO, api_url=fake.api_url, writes_per_minute=0)
    return connect(config, {"GITHUB_TOKEN": fake.token}, RetryPolicy(sleep=lambda s: None))


def test_the_adapter_says_false_on_a_server_without_sub_issues(fake_github: FakeGitHub) -> None:
    fake_github.sub_issues_enabled = False
    parent, kid = fake_github.add_issue(REPO, "Parent"), fake_github.add_issue(REPO, "Kid")
    assert adapter(fake_github).link_child(ref(parent.number), ref(kid.number)) is False


def test_the_adapter_links_again_and_leaves_someone_elses_parent(fake_github: FakeGitHub) -> None:
    parent, other = fake_github.add_issue(REPO, "Parent"), fake_github.add_issue(REPO, "Other")
    kid = fake_github.add_issue(REPO, "Kid")
    tracker = adapter(fake_github)
    assert tracker.link_child(ref(parent.number), ref(kid.number))
    assert tracker.link_child(ref(parent.number), ref(kid.number))  # 422, but it is ours
    with pytest.raises(TrackerError):
        tracker.link_child(ref(other.number), ref(kid.number))
    assert children_of(fake_github, REPO, parent.number) == [kid.number]
    assert children_of(fake_github, REPO, other.number) == []

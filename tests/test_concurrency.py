"""Concurrency in the GitHub adapter: listing pages fetched in parallel, creates sent in
parallel with `parallel_creates` (pacing off), and exactly-once kept through faults.
Plus the fake's /search/issues route the naive benchmark baseline uses."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from pmsync.adapters import github as gha
from pmsync.adapters.base import RetryPolicy
from pmsync.adapters.github.client import Response
from pmsync.adapters.github.parallel import ParallelGitHubTracker
from pmsync.adapters.github.values import later_page_urls, page_number
from tests.docgen import write_postmortems
from tests.fakes.github import FakeGitHub
from tests.fakes.server import DropAfterCommit, Status
from tests.workspace import Workspace, actions, make_workspace

REPO = "acme/ops"
ITEMS = 20


def tracker_for(fake: FakeGitHub, **config: object) -> gha.GitHubTracker:
    cfg = gha.GitHubConfig(repo=REPO, api_url=fake.api_url, writes_per_minute=0, **config)
    policy = RetryPolicy(base_delay=0.01, sleep=lambda s: None, announce=lambda m: None)
    return gha.connect(cfg, {"GITHUB_TOKEN": fake.token}, policy)


def parallel_workspace(tmp_path: Path, fake: FakeGitHub) -> Workspace:
    github = {"repo": REPO, "api_url": fake.api_url, "writes_per_minute": 0,
              "parallel_creates": 8}  # fmt: skip
    ws = make_workspace(tmp_path, {"GITHUB_TOKEN": fake.token}, github=github)
    for path in ws.postmortems.glob("*.md"):
        path.unlink()
    write_postmortems(ws.postmortems, ITEMS)
    return ws


def issue_posts(fake: FakeGitHub) -> int:
    return sum(r.method == "POST" and r.path == f"/repos/{REPO}/issues" for r in fake.requests)


def assert_each_item_once(fake: FakeGitHub, ws: Workspace) -> None:
    titles = [i.title for i in fake.issues(REPO)]
    assert len(titles) == len(set(titles)) == ITEMS
    by_number = {i.number: i.title for i in fake.issues(REPO)}
    for record in ws.state().items.values():
        assert record.issue is not None
        assert by_number[int(record.issue.key.split("#")[1])] == record.title


# --- listing ----------------------------------------------------------------------------


def test_later_page_urls_come_from_the_last_link() -> None:
    base = "http://h/repos/a/b/issues?state=all&labels=pmsync&per_page=100"
    link = f'<{base}&page=2>; rel="next", <{base}&page=4>; rel="last"'
    urls = later_page_urls(Response(200, {"Link": link}, []))
    assert [page_number(u) for u in urls] == [2, 3, 4]
    assert all("labels=pmsync" in u and "state=all" in u for u in urls)
    assert later_page_urls(Response(200, {}, [])) == []


def test_listing_pages_are_read_once_each_in_order(fake_github: FakeGitHub) -> None:
    for n in range(350):
        body = f"<!-- pmsync:begin item=pm-{n} hash=ab -->\nx\n<!-- pmsync:end -->"
        fake_github.add_issue(REPO, f"Item {n}", body, labels=["pmsync"])
    fake_github.add_pull_request(REPO, "A pull request", labels=("pmsync",))
    tracker = tracker_for(fake_github)
    fake_github.reset_log()
    listed = list(tracker.list_managed(REPO))
    assert [i.item_id for i in listed] == [f"pm-{n}" for n in range(350)]
    listing = [r for r in fake_github.requests if r.path == f"/repos/{REPO}/issues"]
    pages = [r.params.get("page", "1") for r in listing]
    assert sorted(pages) == ["1", "2", "3", "4"]


# --- parallel creates -------------------------------------------------------------------


def test_parallel_creates_need_pacing_off() -> None:
    with pytest.raises(pydantic.ValidationError, match="writes_per_minute: 0"):
        gha.GitHubConfig(repo=REPO, parallel_creates=4)
    assert gha.GitHubConfig(repo=REPO).parallel_creates == 1


def test_creates_are_serial_unless_asked(fake_github: FakeGitHub) -> None:
    assert type(tracker_for(fake_github)) is gha.GitHubTracker
    assert tracker_for(fake_github).max_batch == 1
    parallel = tracker_for(fake_github, parallel_creates=8)
    assert isinstance(parallel, ParallelGitHubTracker) and parallel.max_batch == 8


def test_parallel_push_creates_each_item_once(tmp_path: Path, fake_github: FakeGitHub) -> None:
    ws = parallel_workspace(tmp_path, fake_github)
    assert actions(ws.push()) == {"create": ITEMS}
    assert issue_posts(fake_github) == ITEMS
    assert_each_item_once(fake_github, ws)
    fake_github.reset_log()
    assert actions(ws.push()) == {"unchanged": ITEMS}
    assert fake_github.requests == []


def test_auth_error_in_a_batch_keeps_what_was_created_and_stops(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    ws = parallel_workspace(tmp_path, fake_github)
    body = {"message": "Bad credentials"}
    fake_github.inject("POST", rf"^/repos/{REPO}/issues$", Status(401, body=body))
    first = ws.push()
    assert actions(first) == {"create": 7, "fail": ITEMS - 7}
    assert issue_posts(fake_github) == 8  # the batch in flight, then nothing more
    assert len(fake_github.issues(REPO)) == 7
    assert actions(ws.push()) == {"create": ITEMS - 7, "unchanged": 7}
    assert_each_item_once(fake_github, ws)


def test_lost_response_in_a_batch_is_reconciled_not_reposted(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    ws = parallel_workspace(tmp_path, fake_github)
    fake_github.inject("POST", rf"^/repos/{REPO}/issues$", DropAfterCommit())
    assert actions(ws.push()) == {"create": ITEMS - 1, "fail": 1}
    assert len(fake_github.issues(REPO)) == ITEMS  # the lost one landed
    fake_github.reset_log()
    assert actions(ws.push()) == {"unchanged": ITEMS}
    assert issue_posts(fake_github) == 0
    assert_each_item_once(fake_github, ws)


# --- the fake's search route --------------------------------------------------------------


def test_fake_search_finds_issues_by_title(fake_github: FakeGitHub) -> None:
    from github import Auth, Github

    fake_github.add_issue(REPO, "Add replica lag alert (incident 1)", "text")
    fake_github.add_issue(REPO, "Rotate TLS certificates", "replica lag is in the body")
    fake_github.add_pull_request(REPO, "Add replica lag alert (incident 1)")
    gh = Github(base_url=fake_github.api_url, auth=Auth.Token(fake_github.token), retry=None)
    found = gh.search_issues(f'repo:{REPO} is:issue in:title "replica lag alert (incident 1)"')
    assert [i.number for i in found] == [1]
    assert found.totalCount == 1
    anywhere = gh.search_issues(f"repo:{REPO} is:issue replica lag")
    assert sorted(i.number for i in anywhere) == [1, 2]

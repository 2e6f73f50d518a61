"""The fake GitHub itself, driven by plain PyGithub (and raw HTTP where PyGithub hides
what GitHub sends: Link headers, ETags, 304s)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import github
import pytest
import requests
from github import Auth, Github

from tests.fakes.github import SPEC, FakeGitHub, due_date_shown, pacific_midnight
from tests.fakes.server import (
    DropAfterCommit,
    DropBefore,
    FakeResponse,
    FakeServer,
    Latency,
    Status,
)


def client(fake: FakeGitHub, token: str | None = None) -> Github:
    return Github(
        base_url=fake.api_url,
        auth=Auth.Token(token or fake.token),
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
        per_page=100,
    )


@pytest.fixture
def gh(fake_github: FakeGitHub) -> Iterator[Github]:
    g = client(fake_github)
    yield g
    g.close()


def raw(fake: FakeGitHub, path: str, **headers: str) -> requests.Response:
    auth = {"Authorization": f"token {fake.token}"}
    return requests.get(fake.api_url + path, headers={**auth, **headers}, timeout=5)


def test_create_and_get_issue(fake_github: FakeGitHub, gh: Github) -> None:
    repo = gh.get_repo("acme/ops")
    issue = repo.create_issue("Add index", body="text", labels=["pmsync"], assignees=["alice"])
    assert issue.number == 1 and issue.state == "open"
    assert [lab.name for lab in issue.labels] == ["pmsync"]
    assert [a.login for a in issue.assignees] == ["alice"]
    again = repo.get_issue(1)
    assert again.body == "text" and again.html_url.endswith("/acme/ops/issues/1")
    assert fake_github.issues("acme/ops")[0].title == "Add index"
    assert fake_github.label_names("acme/ops") == ["pmsync"]  # created on the fly


def test_listing_paginates_with_link_headers(fake_github: FakeGitHub, gh: Github) -> None:
    for n in range(250):
        fake_github.add_issue("acme/ops", f"item {n}", labels=["pmsync"])
    fake_github.reset_log()
    issues = list(gh.get_repo("acme/ops").get_issues(state="all", labels=["pmsync"]))
    assert len(issues) == 250
    assert fake_github.count("GET", "/repos/acme/ops/issues") == 3
    first = raw(fake_github, "/repos/acme/ops/issues?per_page=100&state=all")
    assert 'page=2>; rel="next"' in first.headers["Link"]
    assert 'page=3>; rel="last"' in first.headers["Link"]
    assert len(first.json()) == 100
    last = raw(fake_github, "/repos/acme/ops/issues?per_page=100&page=3&state=all")
    assert len(last.json()) == 50 and 'rel="next"' not in last.headers["Link"]


def test_per_page_is_capped_at_100(fake_github: FakeGitHub) -> None:
    for n in range(120):
        fake_github.add_issue("acme/ops", f"item {n}")
    assert len(raw(fake_github, "/repos/acme/ops/issues?per_page=500").json()) == 100
    assert len(raw(fake_github, "/repos/acme/ops/issues").json()) == 30  # default


def test_filters_state_labels_and_since(fake_github: FakeGitHub, gh: Github) -> None:
    old = datetime(2024, 1, 1, tzinfo=timezone.utc)
    fake_github.clock = lambda: old
    fake_github.add_issue("acme/ops", "a", labels=["pmsync", "x"])
    fake_github.add_issue("acme/ops", "b", labels=["pmsync"])
    fake_github.add_issue("acme/ops", "c", labels=["x"])
    fake_github.clock = lambda: old + timedelta(days=2)
    fake_github.close_issue("acme/ops", 2, "completed")
    repo = gh.get_repo("acme/ops")

    def titles(**kw: Any) -> list[str]:
        return sorted(i.title for i in repo.get_issues(**kw))

    assert titles() == ["a", "c"]  # state defaults to open
    assert titles(state="all", labels=["pmsync", "x"]) == ["a"]  # labels are ANDed
    assert titles(state="all", since=old + timedelta(days=1)) == ["b"]
    assert titles(state="closed") == ["b"]
    assert repo.get_issue(2).state_reason == "completed"


def test_pull_requests_appear_in_the_issue_listing(fake_github: FakeGitHub, gh: Github) -> None:
    fake_github.add_issue("acme/ops", "issue", labels=["pmsync"])
    fake_github.add_pull_request("acme/ops", "pr", labels=("pmsync",))
    listed = raw(fake_github, "/repos/acme/ops/issues?labels=pmsync").json()
    assert [("pull_request" in i) for i in listed] == [True, False]
    assert [i.pull_request is not None for i in gh.get_repo("acme/ops").get_issues()] == [
        True,
        False,
    ]


def test_etag_and_if_none_match(fake_github: FakeGitHub) -> None:
    fake_github.add_issue("acme/ops", "a", labels=["pmsync"])
    first = raw(fake_github, "/repos/acme/ops/issues?labels=pmsync")
    etag = first.headers["ETag"]
    remaining = int(first.headers["X-RateLimit-Remaining"])
    again = raw(fake_github, "/repos/acme/ops/issues?labels=pmsync", **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert int(again.headers["X-RateLimit-Remaining"]) == remaining  # 304s are free
    assert raw(fake_github, "/repos/acme/ops/issues/1", **{"If-None-Match": etag}).ok
    fake_github.edit_issue("acme/ops", 1, title="changed")
    changed = raw(fake_github, "/repos/acme/ops/issues?labels=pmsync", **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_without_push_access_fields_are_dropped(fake_github: FakeGitHub, gh: Github) -> None:
    fake_github.set_push_access(False)
    repo = gh.get_repo("acme/ops")
    assert repo.permissions.push is False
    ms = repo.create_milestone("Due 2024-06-15")
    issue = repo.create_issue("t", labels=["pmsync"], assignees=["alice"], milestone=ms)
    assert issue.labels == [] and issue.assignees == [] and issue.milestone is None


def test_milestone_due_on_is_floored_to_pacific_midnight(
    fake_github: FakeGitHub, gh: Github
) -> None:
    repo = gh.get_repo("acme/ops")
    midnight = repo.create_milestone("m1", due_on=date(2024, 6, 15))  # sends T00:00:00Z
    assert midnight.due_on == datetime(2024, 6, 14, 7, tzinfo=timezone.utc)  # June 14!
    noon = repo.create_milestone("m2", due_on=datetime(2024, 6, 15, 12, tzinfo=timezone.utc))
    assert noon.due_on == datetime(2024, 6, 15, 7, tzinfo=timezone.utc)
    winter = pacific_midnight(datetime(2024, 12, 1, 12, tzinfo=timezone.utc))
    assert winter == datetime(2024, 12, 1, 8, tzinfo=timezone.utc)
    shown = [due_date_shown(m) for m in fake_github.milestones("acme/ops")]
    assert shown == [date(2024, 6, 14), date(2024, 6, 15)]


def test_labels_create_and_already_exists(fake_github: FakeGitHub, gh: Github) -> None:
    repo = gh.get_repo("acme/ops")
    assert repo.create_label("pmsync", "ededed").name == "pmsync"
    with pytest.raises(github.GithubException) as err:
        repo.create_label("PMSYNC", "ededed")
    assert err.value.status == 422
    assert err.value.data["errors"][0]["code"] == "already_exists"
    assert [lab.name for lab in repo.get_labels()] == ["pmsync"]


def test_deleted_and_transferred_issues(fake_github: FakeGitHub, gh: Github) -> None:
    fake_github.add_issue("acme/ops", "gone")
    fake_github.add_issue("acme/ops", "moved")
    fake_github.delete_issue("acme/ops", 1)
    fake_github.transfer_issue("acme/ops", 2, "acme/elsewhere")
    repo = gh.get_repo("acme/ops")
    with pytest.raises(github.GithubException) as err:
        repo.get_issue(1)
    assert err.value.status == 410
    moved = repo.get_issue(2)  # PyGithub follows the 301
    assert moved.repository_url.endswith("/repos/acme/elsewhere") and moved.number == 1


def test_comments_and_close(fake_github: FakeGitHub, gh: Github) -> None:
    issue = gh.get_repo("acme/ops").create_issue("t")
    issue.create_comment("closing")
    issue.edit(state="closed", state_reason="not_planned")
    stored = fake_github.issues("acme/ops")[0]
    assert stored.state == "closed" and stored.state_reason == "not_planned"
    assert [c.body for c in issue.get_comments()] == ["closing"]


def test_wrong_token_is_401(fake_github: FakeGitHub) -> None:
    with pytest.raises(github.BadCredentialsException):
        client(fake_github, token="wrong").get_repo("acme/ops").get_issues().totalCount  # noqa: B018
    assert fake_github.requests[-1].headers["authorization"] == "token ***"


def test_status_fault_then_recovery(fake_github: FakeGitHub, gh: Github) -> None:
    fake_github.inject("GET", r"^/repos/acme/ops$", Status(502), times=2)
    for _ in range(2):
        with pytest.raises(github.GithubException) as err:
            gh.get_repo("acme/ops").full_name  # noqa: B018
        assert err.value.status == 502
    assert gh.get_repo("acme/ops").full_name == "acme/ops"
    assert [r.status for r in fake_github.requests] == [502, 502, 200]


def test_drop_after_commit_lands_the_write(fake_github: FakeGitHub, gh: Github) -> None:
    fake_github.inject("POST", r"/issues$", DropAfterCommit())
    with pytest.raises(requests.ConnectionError):
        gh.get_repo("acme/ops").create_issue("lost response")
    assert [i.title for i in fake_github.issues("acme/ops")] == ["lost response"]
    assert fake_github.count("POST") == 1  # PyGithub did not re-send it
    assert fake_github.requests[-1].status is None


def test_drop_before_does_nothing(fake_github: FakeGitHub, gh: Github) -> None:
    fake_github.inject("POST", r"/issues$", DropBefore())
    with pytest.raises(requests.ConnectionError):
        gh.get_repo("acme/ops").create_issue("never")
    assert fake_github.issues("acme/ops") == []


def test_status_with_commit_and_latency(fake_github: FakeGitHub, gh: Github) -> None:
    fake_github.inject("POST", r"/issues$", Status(502, commit=True))
    fake_github.inject(None, r".", Latency(0.01), times=None)
    with pytest.raises(github.GithubException):
        gh.get_repo("acme/ops").create_issue("landed anyway")
    assert len(fake_github.issues("acme/ops")) == 1


def test_enterprise_prefix(github_enterprise: FakeGitHub) -> None:
    g = client(github_enterprise)
    assert github_enterprise.api_url.endswith("/api/v3")
    issue = g.get_repo("acme/ops").create_issue("on GHES")
    assert issue.url.startswith(github_enterprise.api_url + "/repos/acme/ops/issues/")
    assert github_enterprise.requests[-1].raw_path == "/api/v3/repos/acme/ops/issues"
    outside = requests.get(github_enterprise.url + "/repos/acme/ops", timeout=5)
    assert outside.status_code == 404


def test_invalid_request_is_recorded_and_refused(fake_github: FakeGitHub) -> None:
    answer = requests.post(
        fake_github.api_url + "/repos/acme/ops/issues",
        json={"body": "no title"},
        headers={"Authorization": f"token {fake_github.token}"},
        timeout=5,
    )
    assert answer.status_code == 500
    assert "'title' is a required property" in fake_github.validation_errors[0]
    fake_github.validation_errors.clear()


def test_invalid_response_is_recorded() -> None:
    with FakeServer(SPEC) as server:
        server.route("GET", "/repos/{owner}/{repo}/labels/{name}", lambda r: FakeResponse(200, {}))
        assert requests.get(server.url + "/repos/a/b/labels/x", timeout=5).ok
        assert "'name' is a required property" in server.validation_errors[0]

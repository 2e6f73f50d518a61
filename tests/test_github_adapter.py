"""The GitHub adapter through unmodified PyGithub against the fake GitHub."""

from __future__ import annotations

import sys
import time
from datetime import date, datetime, timedelta, timezone

import pytest

from pmsync.adapters import github as gha
from pmsync.adapters.base import RetryPolicy, read_marker
from pmsync.adapters.github.tracker import CLOSE_MARKER
from pmsync.errors import AuthError, ConfigError, RateLimited, TrackerUnavailable
from pmsync.model import Created, Failed, IssueDraft, IssueRef
from tests.fakes.github import FakeGitHub, due_date_shown
from tests.fakes.server import DropAfterCommit, DropBefore, Status

REPO = "acme/ops"
ISSUES = r"^/repos/acme/ops/issues$"


class Waits(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def waits() -> Waits:
    return Waits()


def make_tracker(
    fake: FakeGitHub, waits: Waits, *, max_wait: float = 300.0, **config: object
) -> gha.GitHubTracker:
    cfg = gha.GitHubConfig(repo=REPO, api_url=fake.api_url, writes_per_minute=0, **config)
    policy = RetryPolicy(base_delay=0.01, max_wait=max_wait, sleep=waits, announce=lambda m: None)
    return gha.connect(cfg, {"GITHUB_TOKEN": fake.token}, policy)


@pytest.fixture
def tracker(fake_github: FakeGitHub, waits: Waits) -> gha.GitHubTracker:
    return make_tracker(fake_github, waits)


def draft(n: int = 1, **fields: object) -> IssueDraft:
    values: dict[str, object] = {
        "item_id": f"pm-{n}",
        "content_hash": f"{n:08x}",
        "title": f"Add index {n}",
        "body": f"Item {n} text",
        "labels": ("pmsync", "postmortem"),
        "container": REPO,
    }
    values.update(fields)
    return IssueDraft(**values)  # type: ignore[arg-type]


SEED = r"^/repos/acme/ops/issues/1$"  # the first issue of the repository


def read_one(tracker: gha.GitHubTracker) -> None:
    """One GET through the adapter's client: the first issue of the repository."""
    tracker.get(IssueRef("github", f"{REPO}#1", ""))


def create_one(tracker: gha.GitHubTracker, d: IssueDraft) -> Created:
    [result] = tracker.create([d])
    assert isinstance(result, Created), result
    return result


# --- connect --------------------------------------------------------------------------


def test_module_import_loads_no_client_library() -> None:
    import subprocess

    libs = "{'github', 'jira', 'httpx'}"
    code = f"import pmsync.adapters.github, sys; print(sorted({libs} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_token_names_the_variable(fake_github: FakeGitHub) -> None:
    cfg = gha.GitHubConfig(repo=REPO, api_url=fake_github.api_url, token_env="PM_GH_TOKEN")
    with pytest.raises(ConfigError, match=r"\$PM_GH_TOKEN"):
        gha.connect(cfg, {}, RetryPolicy())


def test_bad_token_is_auth_error_without_the_token(fake_github: FakeGitHub, waits: Waits) -> None:
    cfg = gha.GitHubConfig(repo=REPO, api_url=fake_github.api_url)
    secret = "ghp_THIS_IS_SECRET_abcdef"
    tracker = gha.connect(cfg, {"GITHUB_TOKEN": secret}, RetryPolicy(sleep=waits))
    with pytest.raises(AuthError) as err:
        read_one(tracker)
    message = str(err.value)
    assert "$GITHUB_TOKEN" in message and "HTTP 401" in message and "`repo` scope" in message
    assert secret not in message and secret not in repr(err.value.__context__)
    assert fake_github.count() == 1 and waits == []  # not retried


# --- create ---------------------------------------------------------------------------


def test_create_with_labels_milestone_and_assignee(
    fake_github: FakeGitHub, tracker: gha.GitHubTracker
) -> None:
    result = create_one(tracker, draft(assignee="alice-gh", due=date(2024, 6, 15)))
    issue = result.issue
    assert issue.ref.key == "acme/ops#1" and issue.ref.url.endswith("/acme/ops/issues/1")
    assert issue.ref.id.startswith("I_")
    assert (issue.item_id, issue.content_hash) == ("pm-1", "00000001")
    assert issue.assignee == "alice-gh" and issue.due == date(2024, 6, 15)
    assert set(issue.labels) == {"pmsync", "postmortem"} and result.warnings == ()
    [ms] = fake_github.milestones(REPO)
    assert ms.title == "Due 2024-06-15"
    assert due_date_shown(ms) == date(2024, 6, 15)  # not June 14: due_on sent at 12:00Z
    sent = [r.json() for r in fake_github.requests if r.path.endswith("/milestones")]
    assert sent[-1]["due_on"] == "2024-06-15T12:00:00Z"


def test_body_is_marked_and_html_escaped(
    fake_github: FakeGitHub, tracker: gha.GitHubTracker
) -> None:
    text = "Fix <script>x</script>\n<!-- pmsync:begin item=evil hash=0 -->"
    body = create_one(tracker, draft(body=text)).issue.body or ""
    assert read_marker(body) == ("pm-1", "00000001")
    assert "<script>" not in body and body.count("<!-- pmsync:begin") == 1


def test_labels_and_milestones_looked_up_once_per_run(
    fake_github: FakeGitHub, tracker: gha.GitHubTracker
) -> None:
    fake_github.add_issue(REPO, "seed", labels=["postmortem"])  # label exists already
    for n, due in enumerate([date(2024, 6, 15), date(2024, 6, 15), date(2024, 7, 1)], 1):
        create_one(tracker, draft(n, due=due))
    assert fake_github.count("GET", "/repos/acme/ops/labels") == 1
    assert fake_github.count("POST", "/repos/acme/ops/labels") == 1  # only "pmsync"
    assert fake_github.count("GET", "/repos/acme/ops/milestones") == 1
    assert fake_github.count("POST", "/repos/acme/ops/milestones") == 2
    assert fake_github.count("POST", "/repos/acme/ops/issues") == 3
    assert fake_github.count() == 1 + 1 + 1 + 2 + 3
    numbers = {i.title: i.milestone for i in fake_github.issues(REPO)}
    assert numbers["Add index 1"] == numbers["Add index 2"] != numbers["Add index 3"]


def test_existing_milestone_is_reused(fake_github: FakeGitHub, waits: Waits) -> None:
    make_tracker(fake_github, waits).create([draft(1, due=date(2024, 6, 15))])
    second_run = make_tracker(fake_github, waits)
    create_one(second_run, draft(2, due=date(2024, 6, 15)))
    assert len(fake_github.milestones(REPO)) == 1
    assert {i.milestone for i in fake_github.issues(REPO)} == {1}


def test_body_mode_makes_no_milestone(fake_github: FakeGitHub, waits: Waits) -> None:
    tracker = make_tracker(fake_github, waits, due_dates="body")
    create_one(tracker, draft(due=date(2024, 6, 15)))
    assert (
        fake_github.milestones(REPO) == []
        and fake_github.count(path_prefix="/repos/acme/ops/milestones") == 0
    )


def test_dropped_fields_without_push_access_are_warnings(
    fake_github: FakeGitHub, tracker: gha.GitHubTracker
) -> None:
    fake_github.add_issue(REPO, "seed", labels=["pmsync", "postmortem"])
    tracker.create([draft(9, due=date(2024, 6, 15))])  # milestone exists now
    fake_github.set_push_access(False)
    result = create_one(tracker, draft(1, assignee="alice-gh", due=date(2024, 6, 15)))
    text = "\n".join(result.warnings)
    assert "dropped the assignee alice-gh" in text
    assert "dropped the labels pmsync, postmortem" in text
    assert "dropped the milestone" in text
    assert "lacks push access to acme/ops" in text


def test_502_on_get_is_retried(
    fake_github: FakeGitHub, tracker: gha.GitHubTracker, waits: Waits
) -> None:
    fake_github.add_issue(REPO, "seed")
    fake_github.inject("GET", SEED, Status(502), times=2)
    read_one(tracker)
    assert [r.status for r in fake_github.requests] == [502, 502, 200] and len(waits) == 2


def test_502_on_get_outlasting_retries_is_unavailable(
    fake_github: FakeGitHub, tracker: gha.GitHubTracker
) -> None:
    fake_github.inject("GET", SEED, Status(503), times=None)
    with pytest.raises(TrackerUnavailable):
        read_one(tracker)
    assert fake_github.count() == tracker.policy.attempts


def test_502_on_create_is_maybe_applied_and_never_reposted(
    fake_github: FakeGitHub, tracker: gha.GitHubTracker
) -> None:
    fake_github.inject("POST", ISSUES, Status(502, commit=True))
    [result] = tracker.create([draft(labels=())])
    assert isinstance(result, Failed) and result.maybe_applied and result.item_id == "pm-1"
    assert len(fake_github.issues(REPO)) == 1  # it landed, once
    assert fake_github.count("POST") == 1


def test_lost_response_on_create_is_maybe_applied(
    fake_github: FakeGitHub, tracker: gha.GitHubTracker
) -> None:
    fake_github.inject("POST", ISSUES, DropAfterCommit())
    [result] = tracker.create([draft()])
    assert isinstance(result, Failed) and result.maybe_applied
    assert len(fake_github.issues(REPO)) == 1
    assert fake_github.count("POST", "/repos/acme/ops/issues") == 1
    [found] = list(tracker.list_managed(REPO))  # the engine reconciles through the marker
    assert found.item_id == "pm-1"


def test_reset_before_create_is_also_maybe_applied(
    fake_github: FakeGitHub, tracker: gha.GitHubTracker
) -> None:
    fake_github.inject("POST", ISSUES, DropBefore())
    [result] = tracker.create([draft(labels=())])
    assert isinstance(result, Failed) and result.maybe_applied  # cannot know it did not land
    assert fake_github.issues(REPO) == []


def test_secondary_rate_limit_waits_retry_after(
    fake_github: FakeGitHub, tracker: gha.GitHubTracker, waits: Waits
) -> None:
    body = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes"}
    fake_github.inject("POST", ISSUES, Status(403, {"Retry-After": "1"}, body))
    create_one(tracker, draft(labels=()))
    assert waits == [1.0] and fake_github.count("POST") == 2
    assert len(fake_github.issues(REPO)) == 1


def test_primary_rate_limit_waits_until_reset(
    fake_github: FakeGitHub, tracker: gha.GitHubTracker, waits: Waits
) -> None:
    reset = str(int(time.time()) + 30)
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
    fake_github.add_issue(REPO, "seed")
    fake_github.inject("GET", SEED, Status(429, headers))
    read_one(tracker)
    assert len(waits) == 1 and 25 <= waits[0] <= 31


def test_wait_beyond_max_wait_stops_with_rate_limited(
    fake_github: FakeGitHub, waits: Waits
) -> None:
    tracker = make_tracker(fake_github, waits, max_wait=60)
    fake_github.inject("POST", ISSUES, Status(403, {"Retry-After": "3600"}))
    with pytest.raises(RateLimited):
        tracker.create([draft(labels=())])
    assert waits == [] and fake_github.issues(REPO) == []


# --- list, get, update, close ---------------------------------------------------------


def test_list_managed_filters_prs_and_paginates(
    fake_github: FakeGitHub, tracker: gha.GitHubTracker
) -> None:
    for n in range(250):
        body = f"<!-- pmsync:begin item=pm-{n} hash=ab -->\nx\n<!-- pmsync:end -->"
        fake_github.add_issue(REPO, f"item {n}", body, labels=["pmsync"])
    fake_github.add_pull_request(REPO, "a PR", labels=("pmsync",))
    fake_github.add_issue(REPO, "not ours", labels=["bug"])
    found = list(tracker.list_managed(REPO))
    assert len(found) == 250 and {f.item_id for f in found} == {f"pm-{n}" for n in range(250)}
    assert fake_github.count("GET", "/repos/acme/ops/issues") == 3
    listing = [r for r in fake_github.requests if r.path == "/repos/acme/ops/issues"]
    params = listing[0].params
    assert params["labels"] == gha.TRACKING_LABEL and params["state"] == "all"
    assert params["per_page"] == "100"


def test_list_managed_since_and_conditional(
    fake_github: FakeGitHub, tracker: gha.GitHubTracker
) -> None:
    old = datetime(2024, 1, 1, tzinfo=timezone.utc)
    fake_github.clock = lambda: old
    create_one(tracker, draft(1))
    create_one(tracker, draft(2))
    fake_github.clock = lambda: old + timedelta(days=3)
    fake_github.close_issue(REPO, 2, "completed")
    since = old + timedelta(days=1)
    [changed] = list(tracker.list_managed(REPO, since))
    assert changed.item_id == "pm-2" and changed.state == "closed"
    assert changed.state_reason == "completed" and changed.closed_at is not None
    assert len(tracker.etags) == 1
    fake_github.reset_log()
    assert list(tracker.list_managed(REPO, since)) == []
    assert [r.status for r in fake_github.requests] == [304]
    fake_github.edit_issue(REPO, 1, title="edited by a person")
    assert [i.item_id for i in tracker.list_managed(REPO, since)] == ["pm-1", "pm-2"]
    assert fake_github.requests[-1].status == 200


def test_conditional_survives_a_moving_since(
    fake_github: FakeGitHub, tracker: gha.GitHubTracker
) -> None:
    """The engine passes the time of the last status as `since`: an answer that stays
    the same ("nothing updated") is a free 304 although the URL changed."""
    create_one(tracker, draft(1))
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    assert list(tracker.list_managed(REPO, later)) == []
    assert fake_github.requests[-1].status == 200
    saved = tracker.memo(REPO)  # what the engine keeps in the state file
    next_run = make_tracker(fake_github, Waits())
    next_run.recall(REPO, saved)
    fake_github.reset_log()
    assert list(next_run.list_managed(REPO, later + timedelta(hours=1))) == []
    assert [r.status for r in fake_github.requests] == [304]
    assert "since" not in next(iter(saved["etags"]))
    assert list(next_run.list_managed(REPO)) != []  # no since: never conditional


def test_list_managed_reads_due_and_assignee_set_by_people(
    fake_github: FakeGitHub, tracker: gha.GitHubTracker
) -> None:
    create_one(tracker, draft(1, due=date(2024, 6, 15)))
    fake_github.edit_issue(REPO, 1, assignees=["carol"])
    [found] = list(tracker.list_managed(REPO))
    assert found.assignee == "carol" and found.due == date(2024, 6, 15)


def test_update_preserves_text_outside_the_marker(
    fake_github: FakeGitHub, tracker: gha.GitHubTracker
) -> None:
    created = create_one(tracker, draft(1)).issue
    human = f"Context from on-call.\n\n{created.body}\n\nFollow-up: see runbook."
    fake_github.edit_issue(REPO, 1, body=human)
    fake_github.reset_log()
    new = draft(1, title="Add the orders index", body="New wording", content_hash="ff")
    updated = tracker.update(created.ref, new, {"title", "body"}, human)
    assert fake_github.count() == 1 and fake_github.count("PATCH") == 1  # no GET first
    assert set(fake_github.requests[0].json()) == {"title", "body"}
    body = updated.body or ""
    assert body.startswith("Context from on-call.") and body.endswith("Follow-up: see runbook.")
    assert "New wording" in body and "Item 1 text" not in body
    assert updated.title == "Add the orders index" and updated.content_hash == "ff"


def test_update_without_base_body_reads_it_first(
    fake_github: FakeGitHub, tracker: gha.GitHubTracker
) -> None:
    created = create_one(tracker, draft(1)).issue
    fake_github.edit_issue(REPO, 1, body="Note.\n\n" + (created.body or ""))
    fake_github.reset_log()
    updated = tracker.update(created.ref, draft(1, body="v2"), {"body"}, None)
    assert [r.method for r in fake_github.requests] == ["GET", "PATCH"]
    assert (updated.body or "").startswith("Note.")


def test_update_labels_keeps_labels_people_added(
    fake_github: FakeGitHub, tracker: gha.GitHubTracker
) -> None:
    created = create_one(tracker, draft(1)).issue
    fake_github.edit_issue(REPO, 1, labels=["pmsync", "postmortem", "sev1"])
    new = draft(1, labels=("pmsync", "postmortem", "database"), due=date(2024, 8, 1))
    updated = tracker.update(created.ref, new, {"labels", "due", "assignee"}, created.body)
    assert set(updated.labels) == {"pmsync", "postmortem", "database", "sev1"}
    assert updated.due == date(2024, 8, 1) and updated.assignee is None


def test_close_comments_then_closes_not_planned(
    fake_github: FakeGitHub, tracker: gha.GitHubTracker
) -> None:
    ref = create_one(tracker, draft(1)).issue.ref
    closed = tracker.close(ref, "Removed from the postmortem.")
    assert closed.state == "closed" and closed.state_reason == "not_planned"
    assert [c.body for c in fake_github.issues(REPO)[0].comments] == [
        f"Removed from the postmortem.\n\n{CLOSE_MARKER}"
    ]
    assert tracker.close(ref, "again").state == "closed"  # closing a closed issue is fine
    assert len(fake_github.issues(REPO)[0].comments) == 1  # found by its marker


def test_get_of_deleted_transferred_and_missing_issue(
    fake_github: FakeGitHub, tracker: gha.GitHubTracker
) -> None:
    first = create_one(tracker, draft(1)).issue.ref
    second = create_one(tracker, draft(2)).issue.ref
    assert tracker.get(first) is not None
    fake_github.delete_issue(REPO, 1)
    fake_github.transfer_issue(REPO, 2, "acme/other")
    assert tracker.get(first) is None
    assert tracker.get(second) is None
    assert tracker.get(IssueRef("github", "acme/ops#99", "")) is None


def test_github_enterprise_api_url(github_enterprise: FakeGitHub, waits: Waits) -> None:
    tracker = make_tracker(github_enterprise, waits)
    created = create_one(tracker, draft(1, due=date(2024, 6, 15)))
    assert [i.item_id for i in tracker.list_managed(REPO)] == ["pm-1"]
    assert created.issue.ref.url.startswith(github_enterprise.url + "/acme/ops/issues/")
    assert all(r.raw_path.startswith("/api/v3/") for r in github_enterprise.requests)

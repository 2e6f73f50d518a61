"""GitLabTracker against the fake GitLab, through the unmodified python-gitlab."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from pmsync.adapters.base import CLOSE_MARKER, RetryPolicy
from pmsync.adapters.gitlab import GitLabConfig, GitLabTracker, connect
from pmsync.adapters.gitlab.doctor import diagnose
from pmsync.adapters.gitlab.values import parse_reference, project_id
from pmsync.errors import AuthError, ConfigError, NotFound, RateLimited
from pmsync.model import Created, Failed, IssueDraft, IssueRef
from tests.fakes.gitlab import GUEST, FakeGitLab
from tests.fakes.server import DropAfterCommit, Status

PATH = "acme/platform/ops"


def policy(waits: list[float] | None = None, said: list[str] | None = None,
           max_wait: float = 300) -> RetryPolicy:  # fmt: skip
    """Real retry logic, fake sleep: tests take no real time; waits are recorded."""
    sink = waits if waits is not None else []
    return RetryPolicy(sleep=sink.append, base_delay=0.01, max_wait=max_wait,
                       announce=(said if said is not None else []).append)  # fmt: skip


def tracker(fake: FakeGitLab, waits: list[float] | None = None, said: list[str] | None = None,
            **config: Any) -> GitLabTracker:  # fmt: skip
    cfg = GitLabConfig(**fake.config(creates_per_minute=0, **config))
    return connect(cfg, fake.env(), policy(waits, said))


def draft(n: int, **overrides: Any) -> IssueDraft:
    values: dict[str, Any] = {
        "item_id": f"item-{n}", "content_hash": f"{n:04x}beef", "title": f"Action item {n}",
        "body": "Add an index on `orders`.\n\n- **Due:** 2024-07-01", "labels": ("postmortem",),
        "due": date(2024, 7, 1), "priority": "P1", "container": PATH,
    }  # fmt: skip
    return IssueDraft(**values | overrides)


def created(results: list[Created | Failed]) -> list[Created]:
    assert all(isinstance(r, Created) for r in results), results
    return [r for r in results if isinstance(r, Created)]


# --- connect and check -------------------------------------------------------------------


def test_missing_token_is_a_config_error_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"\$GITLAB_TOKEN .*`api` scope"):
        connect(GitLabConfig(project=PATH), {}, RetryPolicy())


def test_invalid_token_is_one_line_naming_the_scope(fake_gitlab: FakeGitLab) -> None:
    cfg = GitLabConfig(**fake_gitlab.config())
    conn = connect(cfg, {"GITLAB_TOKEN": "glpat-wrong-secret"}, policy())
    with pytest.raises(AuthError) as caught:
        list(conn.list_managed(PATH))
    message = str(caught.value)
    assert "$GITLAB_TOKEN" in message and "`api` scope" in message and "\n" not in message
    assert "glpat-wrong-secret" not in message


def test_unknown_project_names_the_setting(fake_gitlab: FakeGitLab) -> None:
    with pytest.raises(NotFound, match=r"acme/nope \(gitlab.project\) does not exist"):
        list(tracker(fake_gitlab, project="acme/nope").list_managed("acme/nope"))


def test_guest_role_warns_and_names_reporter(fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.add_project(PATH, access=GUEST)
    found = diagnose(GitLabConfig(**fake_gitlab.config()), fake_gitlab.env(), policy())
    [role] = [d for d in found if "the token's user is Guest" in d.what]  # pmsync doctor
    assert not role.ok and "GitLab drops labels, assignees and due dates" in role.what
    assert "Reporter" in role.fix
    conn = tracker(fake_gitlab)
    (result,) = created(conn.create([draft(1)]))
    assert "needs at least the Reporter role" in result.warnings[0]


def test_read_only_scope_stops_the_run_naming_the_scope(fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.scopes = {"read_api"}
    with pytest.raises(AuthError, match=r"lacks the `api` scope"):
        tracker(fake_gitlab).create([draft(1)])


def test_python_gitlab_is_imported_by_connect_only() -> None:
    code = "import pmsync.adapters.gitlab, sys; print('gitlab' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- create -------------------------------------------------------------------------------


def test_create_sets_every_field_in_one_request(fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.add_user("alice")
    conn = tracker(fake_gitlab, confidential=True)
    (result,) = created(conn.create([draft(1, assignee="alice")]))
    issue = fake_gitlab.issue(1)
    assert issue.labels == ["postmortem", "priority::P1", "pmsync"]
    assert issue.due_date == date(2024, 7, 1) and issue.assignees == ["alice"]
    assert issue.confidential is True
    assert "<!-- pmsync:begin item=item-1 hash=0001beef -->" in (issue.description or "")
    ref = result.issue.ref
    assert ref == IssueRef("gitlab", f"{PATH}#1", f"{fake_gitlab.url}/{PATH}/-/issues/1",
                           str(issue.id))  # fmt: skip
    assert result.issue.item_id == "item-1" and result.issue.due == date(2024, 7, 1)
    assert fake_gitlab.count("POST") == 1 and fake_gitlab.count("GET", "/users") == 1


def test_users_are_looked_up_once_a_run(fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.add_user("alice")
    conn = tracker(fake_gitlab)
    created(conn.create([draft(n, assignee="alice") for n in range(3)]))
    (unknown,) = created(conn.create([draft(9, assignee="ghost")]))
    assert fake_gitlab.count("GET", "/users") == 2
    assert unknown.warnings == ("GitLab has no user 'ghost' (from `people`): left unassigned",)


def test_priority_label_is_configurable(fake_gitlab: FakeGitLab) -> None:
    created(tracker(fake_gitlab, priority_label="P-{priority}").create([draft(1)]))
    created(tracker(fake_gitlab, priority_label="").create([draft(2)]))
    assert fake_gitlab.issue(1).labels == ["postmortem", "P-P1", "pmsync"]
    assert fake_gitlab.issue(2).labels == ["postmortem", "pmsync"]


def test_a_dropped_create_is_maybe_applied_and_never_resent(fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.inject("POST", r"/issues$", DropAfterCommit())
    (result,) = tracker(fake_gitlab).create([draft(1)])
    assert isinstance(result, Failed) and result.maybe_applied
    assert fake_gitlab.count("POST") == 1 and len(fake_gitlab.issues()) == 1


def test_a_502_after_commit_is_maybe_applied(fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.inject("POST", r"/issues$", Status(502, commit=True))
    (result,) = tracker(fake_gitlab).create([draft(1)])
    assert isinstance(result, Failed) and result.maybe_applied and "502" in result.error
    assert fake_gitlab.count("POST") == 1


def test_429_waits_retry_after_then_creates(fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.inject("POST", r"/issues$", Status(429, {"Retry-After": "7"}, {"message": "x"}))
    waits: list[float] = []
    said: list[str] = []
    created(tracker(fake_gitlab, waits, said).create([draft(1)]))
    assert waits == [7.0] and len(fake_gitlab.issues()) == 1
    assert said == ["waiting 7s: GitLab rate limit on create the issue for item-1 (HTTP 429)"]


def test_creation_limit_of_the_fake_is_honoured(fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.create_limit = 2
    waits: list[float] = []
    clock = [datetime(2024, 5, 1, tzinfo=timezone.utc)]
    fake_gitlab.clock = lambda: clock[0]

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += timedelta(seconds=seconds)

    cfg = GitLabConfig(**fake_gitlab.config(creates_per_minute=0))
    conn = connect(cfg, fake_gitlab.env(), RetryPolicy(sleep=sleep, announce=lambda m: None))
    created(conn.create([draft(n) for n in range(3)]))
    assert len(fake_gitlab.issues()) == 3 and waits == [61.0]


def test_a_wait_longer_than_max_wait_stops_cleanly(fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.inject("POST", r"/issues$", Status(429, {"Retry-After": "900"}))
    cfg = GitLabConfig(**fake_gitlab.config(creates_per_minute=0))
    conn = connect(cfg, fake_gitlab.env(), policy(max_wait=300))
    with pytest.raises(RateLimited, match="900s, more than max_wait"):
        conn.create([draft(1)])


def test_remaining_zero_waits_for_the_reset(fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.requests_limit = 1  # the first answer says 0 remain
    waits: list[float] = []
    conn = tracker(fake_gitlab, waits)
    project = f"/projects/{project_id(PATH)}"
    conn.client.get("read project", project)
    conn.client.get("read project", project)
    assert len(waits) == 1 and 0 < waits[0] <= 61


def test_creates_are_paced(fake_gitlab: FakeGitLab) -> None:
    waits: list[float] = []
    cfg = GitLabConfig(**fake_gitlab.config(creates_per_minute=120))
    moments = iter(float(n) / 10 for n in range(100))
    paced = RetryPolicy(sleep=waits.append, clock=lambda: next(moments))
    created(connect(cfg, fake_gitlab.env(), paced).create([draft(n) for n in range(3)]))
    assert waits == pytest.approx([0.4, 0.4])  # 0.5 s apart at 120 a minute


# --- read -----------------------------------------------------------------------------------


def test_list_managed_pages_by_100_and_filters(fake_gitlab: FakeGitLab) -> None:
    conn = tracker(fake_gitlab)
    created(conn.create([draft(n) for n in range(250)]))
    fake_gitlab.add_issue("by hand")
    fake_gitlab.reset_log()
    listed = list(conn.list_managed(PATH))
    assert [i.item_id for i in listed] == [f"item-{n}" for n in range(250)]
    assert fake_gitlab.count("GET") == 3  # ceil(250 / 100)
    fake_gitlab.reset_log()
    future = datetime.now(timezone.utc) + timedelta(hours=1)
    assert list(conn.list_managed(PATH, since=future)) == []
    assert fake_gitlab.count("GET") == 1
    query = fake_gitlab.requests[-1].params
    assert query["labels"] == "pmsync" and query["per_page"] == "100"
    assert query["updated_after"].endswith("Z")


def test_a_failed_page_is_asked_again(fake_gitlab: FakeGitLab) -> None:
    conn = tracker(fake_gitlab)
    created(conn.create([draft(n) for n in range(150)]))
    fake_gitlab.inject("GET", r"page=2", Status(502))
    assert len(list(conn.list_managed(PATH))) == 150


def test_get_moved_and_deleted(fake_gitlab: FakeGitLab) -> None:
    conn = tracker(fake_gitlab)
    one, two, three = (c.issue.ref for c in created(conn.create([draft(n) for n in range(3)])))
    fake_gitlab.move_issue(1, "acme/elsewhere")
    fake_gitlab.delete_issue(2)
    assert conn.get(one) is None and conn.get(two) is None
    found = conn.get(three)
    assert found is not None and found.item_id == "item-2" and found.state == "open"
    listed = {i.item_id: (i.state, i.state_reason) for i in conn.list_managed(PATH)}
    assert listed == {"item-0": ("closed", "moved"), "item-2": ("open", None)}


# --- update and close -----------------------------------------------------------------------


def test_update_sends_only_what_changed_and_keeps_outside_text(fake_gitlab: FakeGitLab) -> None:
    conn = tracker(fake_gitlab)
    (c,) = created(conn.create([draft(1)]))
    issue = fake_gitlab.issue(1)
    fake_gitlab.edit_issue(1, description="Notes first.\n\n" + (issue.description or ""),
                           labels=[*issue.labels, "team::sre"])  # fmt: skip
    fake_gitlab.reset_log()
    conn.update(c.issue.ref, draft(1, title="Renamed", due=None), ["title", "due"])
    (put,) = [r for r in fake_gitlab.requests if r.method == "PUT"]
    assert put.json() == {"title": "Renamed", "due_date": ""}
    assert len(fake_gitlab.requests) == 1
    conn.update(c.issue.ref, draft(1, body="new text", priority="P2"), ["body", "priority"])
    after = fake_gitlab.issue(1)
    assert after.description is not None and after.description.startswith("Notes first.")
    assert "new text" in after.description
    assert after.labels == ["postmortem", "priority::P2", "pmsync", "team::sre"]


def test_close_adds_a_note_then_closes(fake_gitlab: FakeGitLab) -> None:
    conn = tracker(fake_gitlab)
    (c,) = created(conn.create([draft(1)]))
    closed = conn.close(c.issue.ref, "Removed from the postmortem.")
    again = conn.close(c.issue.ref, "Removed from the postmortem.")
    assert closed.state == "closed" and again.state == "closed"
    notes = [n.body for n in fake_gitlab.issue(1).notes]  # closing again notes nothing
    assert notes == [f"Removed from the postmortem.\n\n{CLOSE_MARKER}"]


# --- references ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("acme/platform/ops#12", "acme/platform/ops#12"),
        ("https://gitlab.example.com/acme/platform/ops/-/issues/12", "acme/platform/ops#12"),
        ("https://gitlab.example.com/acme/ops/issues/3", "acme/ops#3"),
        ("https://github.com/acme/ops/issues/3", None),
        ("acme#3", None),
    ],
)
def test_references_on_the_configured_host(text: str, key: str | None) -> None:
    ref = parse_reference(text, "https://gitlab.example.com", None)
    assert (ref.key if ref else None) == key
    if ref is not None:
        assert ref.url == f"https://gitlab.example.com/{key.replace('#', '/-/issues/')}"  # type: ignore[union-attr]


def test_references_outside_the_project_are_not_adopted() -> None:
    assert parse_reference("acme/other#1", "https://gitlab.com", "acme/platform/ops") is None

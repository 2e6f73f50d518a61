"""JiraTracker against the fake Jira, through the unmodified `jira` client library."""

from __future__ import annotations

import subprocess
import sys
import traceback
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from pmsync.adapters.base import RetryPolicy
from pmsync.adapters.jira import JiraConfig, JiraTracker, connect
from pmsync.adapters.jira.adf import markdown_to_adf, marker_text
from pmsync.adapters.jira.lag import GAP
from pmsync.adapters.jira.tracker import CLOSE_MARKER as JIRA_CLOSE_MARKER
from pmsync.errors import AuthError, ConfigError, TrackerError
from pmsync.model import Created, Failed, IssueDraft, IssueRef
from tests.fakes.jira import FakeJira, adf_problems
from tests.fakes.server import DropAfterCommit, DropBefore, Status

BODY = """Add an index on **orders.created_at** and _check_ it with `EXPLAIN`.

- see the [runbook](https://wiki.example.com/runbook)
- then:
  1. deploy
  2. verify

From [the postmortem](https://git.example.com/pm/checkout.md)."""


def policy(waits: list[float] | None = None) -> RetryPolicy:
    """Real retry logic, fake sleep: tests take no real time, waits are recorded."""
    sink = waits if waits is not None else []
    return RetryPolicy(sleep=sink.append, writes_per_minute=0, base_delay=0.01)


def tracker(fake: FakeJira, waits: list[float] | None = None, **config: Any) -> JiraTracker:
    return connect(JiraConfig(**fake.config(**config)), fake.env(), policy(waits))


def draft(n: int, **overrides: Any) -> IssueDraft:
    values: dict[str, Any] = {
        "item_id": f"item-{n}", "content_hash": f"{n:04x}beef", "title": f"Action item {n}",
        "body": BODY, "labels": ("postmortem",), "due": date(2024, 7, 1), "priority": "P1",
        "container": "OPS",
    }  # fmt: skip
    return IssueDraft(**values | overrides)


def created(results: list[Created | Failed]) -> list[Created]:
    assert all(isinstance(r, Created) for r in results), results
    return [r for r in results if isinstance(r, Created)]


# --- create -----------------------------------------------------------------------------


def test_120_drafts_take_three_bulk_requests(fake_jira: FakeJira) -> None:
    results = tracker(fake_jira).create([draft(n) for n in range(120)])
    ok = created(results)
    assert [c.item_id for c in ok] == [f"item-{n}" for n in range(120)]
    assert fake_jira.count("POST", "/rest/api/3/issue/bulk") == 3  # ceil(120 / 50)
    assert len(fake_jira.requests) == 4  # + one serverInfo, and no per-issue GET
    assert len(fake_jira.issues()) == 120
    first = ok[0].issue
    assert first.ref == IssueRef("jira", "OPS-1", f"{fake_jira.url}/browse/OPS-1", "10001")
    assert first.content_hash == "0000beef" and first.state == "open"
    sizes = [len(r.json()["issueUpdates"]) for r in fake_jira.requests if r.path.endswith("bulk")]
    assert sizes == [50, 50, 20]


def test_fields_sent_on_cloud(fake_jira: FakeJira) -> None:
    conn = tracker(fake_jira, fields={"customfield_10020": 42, "components": [{"name": "SRE"}]})
    created(conn.create([draft(1, assignee="acc-7"), draft(2, priority="P9", due=None)]))
    one, two = (i["fields"] for i in fake_jira.issues())
    assert one["labels"] == ["pmsync", "postmortem", "pmsync-id-item-1"]
    assert one["duedate"] == "2024-07-01" and one["priority"]["name"] == "High"
    assert one["assignee"]["accountId"] == "acc-7" and one["customfield_10020"] == 42
    assert one["issuetype"]["name"] == "Task" and one["components"] == [{"name": "SRE"}]
    assert two["priority"] is None and two["duedate"] is None


def test_description_is_valid_adf_with_lists_bold_links_and_marker(fake_jira: FakeJira) -> None:
    created(tracker(fake_jira).create([draft(1)]))
    doc = fake_jira.issue("OPS-1")["fields"]["description"]
    assert adf_problems(doc) == []
    begin, *content = doc["content"]  # pmsync's block opens with its begin paragraph
    assert begin["content"][0]["text"].startswith("pmsync begin · ")
    kinds = [node["type"] for node in content]
    assert kinds == ["paragraph", "bulletList", "paragraph", "paragraph"]
    marks = [m for p in content[0]["content"] for m in p.get("marks", [])]
    assert {"type": "strong"} in marks and {"type": "em"} in marks and {"type": "code"} in marks
    nested = content[1]["content"][1]["content"][1]
    assert nested["type"] == "orderedList"
    link = content[1]["content"][0]["content"][0]["content"][1]["marks"][0]
    assert link == {"type": "link", "attrs": {"href": "https://wiki.example.com/runbook"}}
    assert doc["content"][-1]["content"][0]["text"] == marker_text("item-1", "0001beef")


def test_one_failing_element_fails_only_that_item(fake_jira: FakeJira) -> None:
    fake_jira.reject_summary_containing("BOOM")
    results = tracker(fake_jira).create([draft(1), draft(2, title="BOOM here"), draft(3)])
    assert [type(r).__name__ for r in results] == ["Created", "Failed", "Created"]
    failed = results[1]
    assert isinstance(failed, Failed) and not failed.maybe_applied and "BOOM" in failed.error
    assert [i["key"] for i in fake_jira.issues()] == ["OPS-1", "OPS-2"]


def test_unknown_assignee_fails_that_item(fake_jira: FakeJira) -> None:
    fake_jira.users = {"acc-1": "Alice"}
    results = tracker(fake_jira).create([draft(1, assignee="acc-1"), draft(2, assignee="bob")])
    assert isinstance(results[0], Created) and isinstance(results[1], Failed)
    assert "assignee" in results[1].error


@pytest.mark.parametrize("fault", [Status(500), Status(503), DropAfterCommit(), DropBefore()])
def test_lost_bulk_is_maybe_applied_and_never_reposted(fake_jira: FakeJira, fault: Any) -> None:
    fake_jira.inject("POST", r"/issue/bulk", fault)
    results = tracker(fake_jira).create([draft(n) for n in range(3)])
    assert all(isinstance(r, Failed) and r.maybe_applied for r in results)
    assert fake_jira.count("POST", "/rest/api/3/issue/bulk") == 1
    committed = 3 if isinstance(fault, DropAfterCommit) else 0
    assert len(fake_jira.issues()) == committed  # exactly what the server committed
    assert "pmsync-id-item-0" in fake_jira.issues()[0]["fields"]["labels"] if committed else True


def test_rate_limited_bulk_is_retried_after_retry_after(fake_jira: FakeJira) -> None:
    waits: list[float] = []
    fake_jira.inject("POST", r"/issue/bulk", Status(429, {"Retry-After": "2"}))
    created(tracker(fake_jira, waits).create([draft(1)]))
    assert waits == [2.0] and fake_jira.count("POST", "/rest/api/3/issue/bulk") == 2


def test_search_lag_does_not_break_create(fake_jira: FakeJira) -> None:
    fake_jira.search_lag = 1000
    conn = tracker(fake_jira)
    ok = created(conn.create([draft(1), draft(2)]))
    assert [c.issue.ref.key for c in ok] == ["OPS-1", "OPS-2"]
    fake_jira.reset_log()
    listed = list(conn.list_managed("OPS"))  # JQL does not see them yet: read by key
    assert [i.ref.key for i in listed] == ["OPS-1", "OPS-2"]
    assert listed[1].item_id == "item-2" and listed[1].content_hash == "0002beef"
    assert fake_jira.count("POST", "/rest/api/3/search") == 2  # the newest key, the listing
    reads = [r.path for r in fake_jira.requests if r.method == "GET"]
    assert reads == [f"/rest/api/3/issue/OPS-{n}" for n in range(1, 3 + GAP)]


# --- list_managed -------------------------------------------------------------------------


def test_list_managed_pages_with_next_page_token(fake_jira: FakeJira) -> None:
    conn = tracker(fake_jira)
    created(conn.create([draft(n) for n in range(230)]))
    tracker(fake_jira).create([])  # nothing: no request
    fake_jira.reset_log()
    found = list(conn.list_managed("OPS"))
    assert len(found) == 230 and {i.item_id for i in found} == {f"item-{n}" for n in range(230)}
    searches = [r for r in fake_jira.requests if r.path == "/rest/api/3/search/jql"]
    # the newest indexed key, three pages, GAP keys past it read (lag.py)
    assert len(searches) == 4 and len(fake_jira.requests) == 4 + GAP
    assert searches[0].json()["jql"] == "project = OPS ORDER BY key DESC"
    bodies = [r.json() for r in searches[1:]]
    assert "nextPageToken" not in bodies[0] and bodies[1]["nextPageToken"]
    assert bodies[0]["maxResults"] == 100 and "summary" in bodies[0]["fields"]
    assert bodies[0]["jql"] == "project = OPS AND labels = pmsync ORDER BY updated DESC"
    sample = next(i for i in found if i.item_id == "item-7")
    assert sample.content_hash == "0007beef" and sample.labels == ("pmsync", "postmortem")
    assert sample.due == date(2024, 7, 1) and sample.state == "open" and sample.updated_at


def test_list_managed_since_and_people_edits(fake_jira: FakeJira) -> None:
    start = datetime(2024, 6, 1, 10, 0, 30, tzinfo=timezone.utc)
    fake_jira.clock = lambda: start
    conn = tracker(fake_jira)
    created(conn.create([draft(n) for n in range(5)]))
    later = start + timedelta(hours=3)
    fake_jira.clock = lambda: later
    fake_jira.edit("OPS-2", duedate="2024-09-09", assignee="acc-3")
    fake_jira.transition("OPS-4", "Done")
    fake_jira.reset_log()
    changed = list(conn.list_managed("OPS", since=later - timedelta(seconds=20)))
    assert [i.ref.key for i in changed] == ["OPS-4", "OPS-2"]
    # 13:00:10 UTC, 12 h earlier: no later than that moment in any user time zone
    assert 'updated >= "2024-06-01 01:00"' in fake_jira.requests[0].json()["jql"]
    closed, edited = changed
    assert closed.state == "closed" and closed.state_reason == "Done" and closed.closed_at
    assert edited.due == date(2024, 9, 9) and edited.assignee == "acc-3"
    assert len(fake_jira.requests) == 1


def test_datacenter_bearer_auth_wiki_and_start_at_paging(fake_jira_dc: FakeJira) -> None:
    conn = tracker(fake_jira_dc)
    created(conn.create([draft(n, assignee="jdoe") for n in range(130)]))
    assert fake_jira_dc.count("POST", "/rest/api/2/issue/bulk") == 3
    one = fake_jira_dc.issue("OPS-1")["fields"]
    assert isinstance(one["description"], str) and "*orders.created\\_at*" in one["description"]
    assert one["description"].endswith(marker_text("item-0", "0000beef"))
    assert "[runbook|https://wiki.example.com/runbook]" in one["description"]
    assert one["assignee"]["name"] == "jdoe"
    fake_jira_dc.reset_log()
    found = list(conn.list_managed("OPS"))
    assert len(found) == 130 and found[0].content_hash
    searches = [r for r in fake_jira_dc.requests if r.method == "POST"]
    starts = [r.json().get("startAt") for r in searches]
    assert starts == [None, 0, 100]  # the newest indexed key first (lag.py)
    assert all(r.path == "/rest/api/2/search" for r in searches)
    assert all(r.headers["authorization"].startswith("Bearer ") for r in fake_jira_dc.requests)


# --- get, update, close -------------------------------------------------------------------


def test_get_deleted_issue_is_none(fake_jira: FakeJira) -> None:
    conn = tracker(fake_jira)
    ref = created(conn.create([draft(1)]))[0].issue.ref
    fake_jira.delete("OPS-1")
    assert conn.get(ref) is None


def test_update_is_one_put_with_changed_fields(fake_jira: FakeJira) -> None:
    conn = tracker(fake_jira)
    ref = created(conn.create([draft(1)]))[0].issue.ref
    fake_jira.reset_log()
    new = draft(1, title="Renamed", content_hash="ffff", labels=("postmortem", "db"))
    conn.prefetch([ref])  # the engine does, before a group's updates: 100 a search
    issue = conn.update(ref, new, ["title", "body", "labels"])
    assert [r.method for r in fake_jira.requests] == ["POST", "PUT"]
    assert fake_jira.requests[0].path.endswith("/search/jql")
    sent = fake_jira.requests[1].json()["fields"]
    assert set(sent) == {"summary", "description", "labels"}
    assert issue.title == "Renamed" and issue.content_hash == "ffff"
    assert fake_jira.issue("OPS-1")["fields"]["labels"] == [
        "pmsync", "postmortem", "db", "pmsync-id-item-1"]  # fmt: skip


def test_update_on_datacenter_reads_back(fake_jira_dc: FakeJira) -> None:
    conn = tracker(fake_jira_dc)
    ref = created(conn.create([draft(1)]))[0].issue.ref
    fake_jira_dc.reset_log()
    issue = conn.update(ref, draft(1, due=date(2025, 1, 2)), ["due"])
    assert [r.method for r in fake_jira_dc.requests] == ["PUT", "GET"]
    assert issue.due == date(2025, 1, 2)


def test_close_comments_then_transitions(fake_jira: FakeJira) -> None:
    conn = tracker(fake_jira)
    ref = created(conn.create([draft(1)]))[0].issue.ref
    fake_jira.reset_log()
    closed = conn.close(ref, "Removed from the postmortem: **closing**.")
    assert closed.state == "closed" and closed.state_reason == "Done"
    assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in fake_jira.requests] == [
        ("GET", "10001"),
        ("GET", "comment"),
        ("POST", "comment"),
        ("POST", "transitions"),
        ("GET", "10001"),
    ]
    comment = fake_jira.comments("OPS-1")[0]["body"]
    assert adf_problems(comment) == [] and comment == markdown_to_adf(
        f"Removed from the postmortem: **closing**.\n\n{JIRA_CLOSE_MARKER}")  # fmt: skip
    fake_jira.reset_log()
    assert conn.close(ref, "again").state == "closed"  # closing a closed issue succeeds
    assert fake_jira.count("POST") == 0 and len(fake_jira.comments("OPS-1")) == 1


def test_missing_transition_is_a_clear_error(fake_jira: FakeJira) -> None:
    conn = tracker(fake_jira, done_transition="Resolve")
    ref = created(conn.create([draft(1)]))[0].issue.ref
    with pytest.raises(TrackerError) as info:
        conn.close(ref, "bye")
    message = str(info.value)
    assert "'Resolve'" in message and "In Progress" in message and "Done" in message
    assert "done_transition" in message and not info.value.transient
    assert fake_jira.comments("OPS-1") == []  # nothing written before the check


# --- retries, errors, credentials -----------------------------------------------------------


def test_429_on_a_get_is_retried_once_after_retry_after(fake_jira: FakeJira) -> None:
    waits: list[float] = []
    conn = tracker(fake_jira, waits)
    ref = created(conn.create([draft(1)]))[0].issue.ref
    reset = (datetime.now(timezone.utc) + timedelta(seconds=30)).isoformat()
    fake_jira.inject("GET", r"/issue/", Status(429, {"Retry-After": "1",
                     "X-RateLimit-Reset": reset}))  # fmt: skip
    fake_jira.reset_log()
    assert conn.get(ref) is not None
    assert waits == [1.0] and fake_jira.count("GET") == 2


def test_dropped_get_is_retried(fake_jira: FakeJira) -> None:
    waits: list[float] = []
    conn = tracker(fake_jira, waits)
    ref = created(conn.create([draft(1)]))[0].issue.ref
    fake_jira.inject("GET", r"/issue/", DropBefore())
    assert conn.get(ref) is not None and len(waits) == 1


def test_rate_limit_reset_header_without_retry_after(fake_jira: FakeJira) -> None:
    waits: list[float] = []
    conn = tracker(fake_jira, waits)
    reset = (datetime.now(timezone.utc) + timedelta(seconds=20)).isoformat()
    fake_jira.inject("POST", r"/search/jql", Status(429, {"X-RateLimit-Reset": reset}))
    assert list(conn.list_managed("OPS")) == []
    assert len(waits) == 1 and 15 < waits[0] <= 20


def test_401_names_the_variables_never_the_token(fake_jira: FakeJira) -> None:
    env = fake_jira.env() | {"JIRA_API_TOKEN": "s3cr3t-t0ken-value"}
    conn = connect(JiraConfig(**fake_jira.config()), env, policy())
    with pytest.raises(AuthError) as info:
        list(conn.list_managed("OPS"))
    text = "".join(traceback.format_exception(info.value))
    assert "JIRA_EMAIL" in text and "JIRA_API_TOKEN" in text and "Create issues" in text
    assert "s3cr3t-t0ken-value" not in text and "Authorization" not in text


def test_missing_variable_is_a_config_error(fake_jira: FakeJira) -> None:
    with pytest.raises(ConfigError) as info:
        connect(JiraConfig(**fake_jira.config()), {"JIRA_API_TOKEN": "x-secret"}, policy())
    assert "JIRA_EMAIL" in str(info.value) and "x-secret" not in str(info.value)
    bearer = JiraConfig(**fake_jira.config(auth="bearer", token_env="JIRA_PAT"))
    with pytest.raises(ConfigError, match="JIRA_PAT"):
        connect(bearer, {}, policy())


def test_marker_of_another_item_is_not_this_issues_hash(fake_jira: FakeJira) -> None:
    conn = tracker(fake_jira)
    ref = created(conn.create([draft(1)]))[0].issue.ref
    fake_jira.edit("OPS-1", description=markdown_to_adf("x", marker_text("item-9", "abcd")))
    got = conn.get(ref)
    assert got is not None and got.item_id == "item-1" and got.content_hash is None


def test_module_import_loads_no_client_library() -> None:
    code = (
        "import sys, pmsync.adapters.jira\n"
        "bad = [m for m in ('jira', 'github', 'httpx', 'requests') if m in sys.modules]\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_update_clears_due_and_assignee_but_keeps_unmapped_priority(fake_jira: FakeJira) -> None:
    conn = tracker(fake_jira)
    ref = created(conn.create([draft(1, assignee="acc-1")]))[0].issue.ref
    fake_jira.reset_log()
    conn.update(ref, draft(1, due=None, assignee=None, priority="P9"), ["due", "assignee",
                "priority"])  # fmt: skip
    assert fake_jira.requests[0].json()["fields"] == {"duedate": None, "assignee": None}
    after = fake_jira.issue("OPS-1")["fields"]
    assert after["duedate"] is None and after["assignee"] is None
    assert after["priority"]["name"] == "High"


def test_datacenter_under_a_context_path() -> None:
    with FakeJira(flavor="datacenter", prefix="/jira") as fake:
        conn = tracker(fake)
        created(conn.create([draft(1)]))
        assert [i.ref.url for i in conn.list_managed("OPS")] == [f"{fake.url}/jira/browse/OPS-1"]
        assert fake.validation_errors == []


def test_datacenter_listing_changed_while_paging_raises(fake_jira_dc: FakeJira) -> None:
    conn = tracker(fake_jira_dc)
    created(conn.create([draft(n) for n in range(150)]))
    listing = conn.list_managed("OPS")
    first = [next(listing) for _ in range(100)]  # the first page
    fake_jira_dc.edit(first[-1].ref.key, summary="edited: moves to the front")
    fake_jira_dc.edit("OPS-1", summary="edited too")  # from the second page
    with pytest.raises(TrackerError, match="changed while they were listed") as info:
        list(listing)  # OPS-1 jumped to the front, onto the page already read
    assert info.value.transient

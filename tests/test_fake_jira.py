"""The fake Jira through the unmodified `jira` client: what a client sees must be what
Jira Cloud / Data Center would answer (and valid against the vendor's description)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import jira
import pytest
import requests

from tests.fakes.jira import (
    FakeJira,
    JqlError,
    adf_problems,
    parse_jql,
)
from tests.fakes.server import DropAfterCommit, Status

DOC = {"type": "doc", "version": 1, "content": [
    {"type": "paragraph", "content": [{"type": "text", "text": "details"}]}]}  # fmt: skip


def client(fake: FakeJira, **kwargs: Any) -> jira.JIRA:
    auth: dict[str, Any] = (
        {"basic_auth": (fake.email, fake.token)}
        if fake.flavor == "cloud"
        else {"token_auth": fake.token}
    )
    options = {"rest_api_version": fake.v, "check_update": False}
    return jira.JIRA(server=fake.url, options=options, max_retries=0, **auth | kwargs)


def fields(summary: str, **extra: Any) -> dict[str, Any]:
    return {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": summary,
            "labels": ["pmsync"]} | extra  # fmt: skip


def test_server_info_and_myself_on_both_flavours(
    fake_jira: FakeJira, fake_jira_dc: FakeJira
) -> None:
    cloud, dc = client(fake_jira), client(fake_jira_dc)
    assert cloud.deploymentType == "Cloud" and cloud._is_cloud
    assert dc.deploymentType == "Server"
    assert cloud.myself()["accountId"] and dc.myself()["name"] == "pmsync-bot"
    assert fake_jira_dc.requests[-1].headers["authorization"].startswith("Bearer ")
    assert fake_jira.requests[-1].headers["authorization"].startswith("Basic ")


def test_wrong_credentials_get_401(fake_jira: FakeJira, fake_jira_dc: FakeJira) -> None:
    wrong = jira.JIRA(server=fake_jira.url, basic_auth=(fake_jira.email, "nope"), max_retries=0,
                      get_server_info=False)  # fmt: skip
    with pytest.raises(jira.JIRAError) as info:
        wrong.myself()
    assert info.value.status_code == 401
    # Data Center: basic auth is refused, only the PAT as Bearer works
    with pytest.raises(jira.JIRAError) as info:
        jira.JIRA(server=fake_jira_dc.url, basic_auth=("u", fake_jira_dc.token), max_retries=0)
    assert info.value.status_code == 401


def test_create_get_and_bulk(fake_jira: FakeJira) -> None:
    c = client(fake_jira)
    one = c.create_issue(fields("single", description=DOC, duedate="2024-07-01"), prefetch=False)
    assert one.key == "OPS-1"
    got = c.issue("OPS-1")
    assert got.fields.duedate == "2024-07-01" and got.fields.status.name == "To Do"
    assert got.raw["fields"]["updated"].endswith("+0000")
    fake_jira.reject_summary_containing("BOOM")
    out = c.create_issues([fields("a"), fields("BOOM b"), fields("c")], prefetch=False)
    assert [o["status"] for o in out] == ["Success", "Error", "Success"]
    assert "BOOM" in out[1]["error"]["summary"]
    assert [i["key"] for i in fake_jira.issues()] == ["OPS-1", "OPS-2", "OPS-3"]


def test_bulk_rejects_more_than_50(fake_jira: FakeJira) -> None:
    raw = requests.post(
        f"{fake_jira.url}/rest/api/3/issue/bulk",
        json={"issueUpdates": [{"fields": fields(f"x{i}")} for i in range(51)]},
        auth=(fake_jira.email, fake_jira.token),
        timeout=5,
    )
    assert raw.status_code == 400 and fake_jira.issues() == []


def test_invalid_fields_are_element_errors(fake_jira: FakeJira) -> None:
    c = client(fake_jira)
    fake_jira.users = {"acc-1": "Alice"}
    out = c.create_issues(
        [
            fields("plain string description", description="not adf"),
            fields("bad label", labels=["has space"]),
            fields("bad due", duedate="01/07/2024"),
            fields("unknown assignee", assignee={"accountId": "acc-404"}),
            fields("known assignee", assignee={"accountId": "acc-1"}, priority={"name": "High"}),
        ],
        prefetch=False,
    )
    assert [o["status"] for o in out] == ["Error"] * 4 + ["Success"]
    assert "Atlassian Document" in out[0]["error"]["description"]
    assert "acc-404" in out[3]["error"]["assignee"]
    issue = fake_jira.issue("OPS-1")["fields"]
    assert issue["assignee"]["displayName"] == "Alice" and issue["priority"]["name"] == "High"


def test_all_elements_failing_answers_400_and_library_reads_it(fake_jira: FakeJira) -> None:
    out = client(fake_jira).create_issues([fields("")], prefetch=False)
    assert out[0]["status"] == "Error"
    assert fake_jira.requests[-1].status == 400


def test_enhanced_search_pages_with_next_page_token(fake_jira: FakeJira) -> None:
    c = client(fake_jira, get_server_info=True)
    c.create_issues([fields(f"s{i}") for i in range(7)], prefetch=False)
    fake_jira.reset_log()
    found = c.enhanced_search_issues(
        "project = OPS AND labels = pmsync ORDER BY key ASC", maxResults=0, fields=["summary"]
    )
    assert [i.key for i in found] == [f"OPS-{n}" for n in range(1, 8)]
    fake_jira.max_page = 3
    page = c.enhanced_search_issues("project = OPS", maxResults=3, json_result=True, fields=["key"])
    assert "total" not in page and page["isLast"] is False and page["nextPageToken"]
    rest = c.enhanced_search_issues(
        "project = OPS", nextPageToken=page["nextPageToken"], maxResults=3, json_result=True
    )
    assert [i["id"] for i in rest["issues"]] == ["10004", "10003", "10002"]  # ids only
    bare = c._session.get(f"{fake_jira.url}/rest/api/3/search/jql", params={"jql": "project = OPS"})
    assert set(bare.json()["issues"][0]) == {"id"}  # fields must be named explicitly


def test_legacy_search_is_gone_on_cloud(fake_jira: FakeJira) -> None:
    c = client(fake_jira)
    for version in ("2", "3"):
        url = f"{fake_jira.url}/rest/api/{version}/search"
        with pytest.raises(jira.JIRAError) as info:
            c._session.get(url, params={"jql": "project = OPS"})
        assert info.value.status_code == 410
    with pytest.raises(jira.JIRAError) as info:  # the library's search_issues is broken there
        c.search_issues("project = OPS", startAt=5)
    assert "deprecated" in str(info.value.text)


def test_datacenter_classic_search_pages_with_start_at(fake_jira_dc: FakeJira) -> None:
    c = client(fake_jira_dc)
    c.create_issues([fields(f"s{i}", description="*wiki*") for i in range(5)], prefetch=False)
    page = c.search_issues(
        "project = OPS ORDER BY key ASC", startAt=2, maxResults=2, json_result=True,
        fields=["summary"], validate_query=False,
    )  # fmt: skip
    assert page["total"] == 5 and page["startAt"] == 2
    assert [i["key"] for i in page["issues"]] == ["OPS-3", "OPS-4"]
    assert fake_jira_dc.issue("OPS-1")["fields"]["description"] == "*wiki*"
    gone = c._session.get  # /search/jql does not exist on Data Center
    with pytest.raises(jira.JIRAError) as info:
        gone(f"{fake_jira_dc.url}/rest/api/2/search/jql", params={"jql": "project = OPS"})
    assert info.value.status_code == 404


def test_jql_subset(fake_jira: FakeJira) -> None:
    c = client(fake_jira)
    c.create_issues([fields("a"), fields("b", labels=["pmsync", "pmsync-abc"]), fields("c")],
                    prefetch=False)  # fmt: skip
    base = datetime.now(timezone.utc)
    fake_jira.store["OPS-1"].updated = base - timedelta(hours=2)

    def keys(jql: str) -> list[str]:
        return [i.key for i in fake_jira.run_jql(jql)]

    assert keys('labels = "pmsync-abc"') == ["OPS-2"]
    assert keys("key in (OPS-1, OPS-3) ORDER BY key ASC") == ["OPS-1", "OPS-3"]
    since = (base - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    assert keys(f'project = OPS AND updated >= "{since}" ORDER BY key DESC') == ["OPS-3", "OPS-2"]
    assert keys("project = OPS ORDER BY updated DESC")[-1] == "OPS-1"
    for bad in ("project = OPS OR labels = x", "summary ~ x", "updated >= '2024-06-01 10:00:00'",
                "project = NOPE", "key = OPS-99", "project = OPS ORDER BY rank"):  # fmt: skip
        with pytest.raises(JqlError):
            fake_jira.run_jql(bad)


def test_unknown_jql_is_a_400(fake_jira: FakeJira) -> None:
    with pytest.raises(jira.JIRAError) as info:
        client(fake_jira)._get_json("search/jql", params={"jql": "assignee = currentUser()"},
                                    use_post=True)  # fmt: skip
    assert info.value.status_code == 400 and "does not exist" in str(info.value.text)


def test_jql_minute_precision() -> None:
    query = parse_jql('project = OPS AND updated >= "2024-06-01 10:00" ORDER BY updated DESC')
    assert [c.field for c in query.clauses] == ["project", "updated"]
    assert query.order == (("updated", True),)


def test_search_lag_hides_new_issues_from_jql_not_from_get(fake_jira: FakeJira) -> None:
    c = client(fake_jira)
    fake_jira.search_lag = 3
    c.create_issues([fields("fresh")], prefetch=False)
    assert fake_jira.run_jql("project = OPS") == []
    assert c.issue("OPS-1").fields.summary == "fresh"  # read back by key: visible
    c.myself()
    c.myself()
    assert [i.key for i in fake_jira.run_jql("project = OPS")] == ["OPS-1"]


def test_search_lag_in_seconds_of_the_fakes_clock(fake_jira: FakeJira) -> None:
    start = datetime(2024, 6, 1, 10, 0, tzinfo=timezone.utc)
    fake_jira.clock = lambda: start
    fake_jira.search_lag_seconds = 5
    client(fake_jira).create_issues([fields("fresh")], prefetch=False)
    assert fake_jira.run_jql("project = OPS") == []
    fake_jira.clock = lambda: start + timedelta(seconds=5)
    assert [i.key for i in fake_jira.run_jql("project = OPS")] == ["OPS-1"]


def test_transitions_comments_and_people_helpers(fake_jira: FakeJira) -> None:
    c = client(fake_jira)
    c.create_issues([fields("x")], prefetch=False)
    names = {t["name"] for t in c.transitions("OPS-1")}
    assert names == {"In Progress", "Done"}
    c.transition_issue("OPS-1", "Done")
    issue = c.issue("OPS-1")
    assert issue.fields.status.statusCategory.key == "done"
    assert issue.fields.resolution.name == "Done" and issue.fields.resolutiondate
    with pytest.raises(jira.JIRAError):
        c.transition_issue("OPS-1", "Done")  # not offered from Done
    c.add_comment("OPS-1", DOC)  # type: ignore[arg-type]
    assert fake_jira.comments("OPS-1")[0]["body"] == DOC
    with pytest.raises(jira.JIRAError) as info:
        c.add_comment("OPS-1", "plain text is not ADF on v3")
    assert info.value.status_code == 400
    fake_jira.transition("OPS-1", "In Progress")
    fake_jira.edit("OPS-1", duedate="2024-08-01", assignee="acc-9")
    again = c.issue("OPS-1")
    assert again.fields.resolution is None and again.fields.duedate == "2024-08-01"
    assert again.fields.assignee.accountId == "acc-9"
    fake_jira.delete("OPS-1")
    with pytest.raises(jira.JIRAError) as info:
        c.issue("OPS-1")
    assert info.value.status_code == 404


def test_edit_issue_put(fake_jira: FakeJira) -> None:
    c = client(fake_jira)
    c.create_issues([fields("x")], prefetch=False)
    issue = c.issue("OPS-1")
    issue.update(fields={"summary": "renamed", "labels": ["pmsync", "more"]})
    assert fake_jira.issue("OPS-1")["fields"]["summary"] == "renamed"
    assert fake_jira.count("PUT") == 1


def test_faults_rate_limit_and_dropped_commit(fake_jira: FakeJira) -> None:
    c = client(fake_jira)
    fake_jira.inject("GET", r"/myself", Status(429, {"Retry-After": "1",
                     "X-RateLimit-Reset": "2030-01-01T00:00Z"}))  # fmt: skip
    with pytest.raises(jira.JIRAError) as info:
        c.myself()
    assert info.value.status_code == 429
    assert info.value.response.headers["Retry-After"] == "1"
    fake_jira.inject("POST", r"/issue/bulk", DropAfterCommit())
    with pytest.raises(requests.ConnectionError):
        c.create_issues([fields("landed")], prefetch=False)
    assert [i["fields"]["summary"] for i in fake_jira.issues()] == ["landed"]
    assert fake_jira.count("POST", "/rest/api/3/issue/bulk") == 1  # max_retries=0: sent once


def test_adf_checker() -> None:
    assert adf_problems(DOC) == []
    assert adf_problems("text")
    assert adf_problems({"type": "doc", "version": 1, "content": [{"type": "bulletList",
                         "content": [{"type": "paragraph"}]}]})  # fmt: skip
    assert adf_problems({"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": ""}]}]})  # fmt: skip

"""The fake Linear itself: it must refuse what Linear refuses (a query outside the
schema, a wrong key, a batch past 50, a query past the complexity ceiling, a spent
budget) and answer in the schema's types, so adapter tests against it mean something."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fakes.linear import API_KEY, FakeLinear
from tests.fakes.server import DropAfterCommit

CREATE = """mutation Create($input: IssueBatchCreateInput!) {
  issueBatchCreate(input: $input) { success issues { id identifier title priority dueDate
    labelIds state { type } } } }"""
LIST = """query List($filter: IssueFilter, $after: String, $first: Int) {
  issues(filter: $filter, first: $first, after: $after, orderBy: updatedAt) {
    nodes { identifier updatedAt } pageInfo { hasNextPage endCursor } } }"""


def post(fake: FakeLinear, query: str, key: str = API_KEY, **variables: Any) -> httpx.Response:
    return httpx.post(
        fake.url + "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": key},
        timeout=30,
    )


def create(fake: FakeLinear, titles: list[str], **extra: Any) -> httpx.Response:
    issues = [{"teamId": fake.team.id, "title": t, **extra} for t in titles]
    return post(fake, CREATE, input={"issues": issues})


def test_a_query_outside_the_schema_is_refused_and_recorded(fake_linear: FakeLinear) -> None:
    answer = post(fake_linear, "{ issues { nodes { identifier estimateX } } }")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert fake_linear.validation_errors  # the test of a client that did this fails
    fake_linear.validation_errors.clear()


def test_a_wrong_key_is_an_authentication_error(fake_linear: FakeLinear) -> None:
    answer = post(fake_linear, "{ viewer { id } }", key="lin_api_wrong")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["extensions"]["code"] == "AUTHENTICATION_ERROR"


def test_batch_create_is_one_transaction(fake_linear: FakeLinear) -> None:
    answer = create(fake_linear, ["a", "b"], priority=2, dueDate="2026-03-01")
    issues = answer.json()["data"]["issueBatchCreate"]["issues"]
    assert [i["identifier"] for i in issues] == ["OPS-1", "OPS-2"]
    assert issues[0]["priority"] == 2 and issues[0]["dueDate"] == "2026-03-01"
    fake_linear.rejected_titles.add("bad")
    refused = create(fake_linear, ["c", "bad", "d"])
    assert refused.status_code == 400 and refused.json()["data"] is None
    assert len(fake_linear.issues()) == 2  # nothing of the refused batch landed
    too_many = create(fake_linear, [f"t{n}" for n in range(51)])
    assert too_many.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


def test_pages_are_relay_with_at_most_250(fake_linear: FakeLinear) -> None:
    for start in range(0, 300, 50):
        create(fake_linear, [f"t{n}" for n in range(start, start + 50)])
    seen, after = [], None
    while True:
        page = post(fake_linear, LIST, first=250, after=after).json()["data"]["issues"]
        seen += [n["identifier"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == 300 == len(set(seen))
    assert post(fake_linear, LIST, first=251).json()["data"] is None


def test_filters_on_labels_and_updated_at(fake_linear: FakeLinear) -> None:
    label = fake_linear.add_label("pmsync", fake_linear.team)
    create(fake_linear, ["tracked"], labelIds=[label])
    create(fake_linear, ["other"])
    by_label = {"labels": {"name": {"eq": "pmsync"}}}
    nodes = post(fake_linear, LIST, filter=by_label).json()["data"]["issues"]["nodes"]
    assert [n["identifier"] for n in nodes] == ["OPS-1"]
    since = nodes[0]["updatedAt"]
    fake_linear.edit("OPS-1", title="tracked, edited")
    later = {**by_label, "updatedAt": {"gt": since}}
    assert len(post(fake_linear, LIST, filter=later).json()["data"]["issues"]["nodes"]) == 1
    unchanged = {**by_label, "updatedAt": {"gt": fake_linear.issues()[0]["updatedAt"]}}
    assert post(fake_linear, LIST, filter=unchanged).json()["data"]["issues"]["nodes"] == []


def test_rate_limit_headers_and_ratelimited_error(fake_linear: FakeLinear) -> None:
    answer = post(fake_linear, LIST, first=250)
    assert int(answer.headers["X-Complexity"]) > 250  # 250 nodes of 1 point each, at least
    assert int(answer.headers["X-RateLimit-Requests-Remaining"]) == 4999
    fake_linear.requests_limit = 2
    post(fake_linear, "{ viewer { id } }")
    spent = post(fake_linear, "{ viewer { id } }")
    assert spent.json()["errors"][0]["extensions"]["code"] == "RATELIMITED"
    assert spent.headers["X-RateLimit-Requests-Remaining"] == "0"


def test_a_query_past_the_complexity_ceiling_is_refused(fake_linear: FakeLinear) -> None:
    wide = "{ teams { nodes { states { nodes { id } } labels(first: 250) { nodes { id } } } } }"
    answer = post(fake_linear, wide)
    assert answer.status_code == 400 and "too complex" in answer.json()["errors"][0]["message"]


def test_faults_aim_at_an_operation(fake_linear: FakeLinear) -> None:
    fake_linear.inject("POST", r"#issueBatchCreate\b", DropAfterCommit())
    post(fake_linear, "{ viewer { id } }")  # not the aimed operation: answered
    with pytest.raises(httpx.HTTPError):
        create(fake_linear, ["lost answer"])
    assert [i["title"] for i in fake_linear.issues()] == ["lost answer"]  # it landed
    assert fake_linear.count_op("issueBatchCreate") == 1

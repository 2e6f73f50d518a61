"""The Linear adapter against the fake Linear: errors in one line, budgets read from
headers, identity from the marker line, what a close and an update send."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from pmsync.adapters.base import RetryPolicy
from pmsync.adapters.linear import LinearConfig, connect
from pmsync.adapters.linear.block import read_marker, render
from pmsync.adapters.linear.refs import resolve
from pmsync.adapters.linear.tracker import CLOSE_MARKER, LinearTracker
from pmsync.errors import AuthError, ConfigError, NotFound, RateLimited, TrackerError
from pmsync.model import Created, Failed, IssueDraft
from tests.fakes.linear import API_KEY, FakeLinear
from tests.fakes.server import Status


def tracker(fake: FakeLinear, waits: list[float] | None = None, **cfg: object) -> LinearTracker:
    sleeps = waits if waits is not None else []
    policy = RetryPolicy(max_wait=60, writes_per_minute=0, sleep=sleeps.append)
    return connect(LinearConfig(**fake.config(**cfg)), fake.env(), policy)


def draft(n: int, **extra: object) -> IssueDraft:
    fields: dict[str, object] = {
        "item_id": f"pm-{n}", "content_hash": f"{n:08x}", "title": f"Item {n}",
        "body": f"Do thing {n}.", "labels": ("postmortem",), "container": "OPS",
    }  # fmt: skip
    fields.update(extra)
    return IssueDraft(**fields)  # type: ignore[arg-type]


def test_missing_key_is_one_config_line() -> None:
    with pytest.raises(ConfigError, match=r"\$LINEAR_API_KEY") as caught:
        connect(LinearConfig(team="OPS"), {}, RetryPolicy())
    assert "\n" not in str(caught.value)


def test_wrong_key_is_one_auth_line_without_the_key(fake_linear: FakeLinear) -> None:
    wrong = connect(LinearConfig(**fake_linear.config()), {"LINEAR_API_KEY": "lin_api_nope"},
                    RetryPolicy())  # fmt: skip
    with pytest.raises(AuthError) as caught:
        list(wrong.list_managed("OPS"))
    message = str(caught.value)
    assert "LINEAR_API_KEY" in message and "lin_api_nope" not in message and "\n" not in message


def test_unknown_team_names_the_setting(fake_linear: FakeLinear) -> None:
    with pytest.raises(NotFound, match=r"team ENG .*linear\.team"):
        list(tracker(fake_linear).list_managed("ENG"))


def test_unknown_label_fails_only_its_item(fake_linear: FakeLinear) -> None:
    fake_linear.add_label("postmortem", fake_linear.team)
    linear = tracker(fake_linear, create_labels=False)
    results = linear.create([draft(1), draft(2, labels=("postmortem", "nope"))])
    assert isinstance(results[0], Created) and isinstance(results[1], Failed)
    assert "label 'nope' does not exist" in results[1].error
    assert [i["labels"] for i in fake_linear.issues()] == [["pmsync", "postmortem"]]


def test_created_issue_carries_native_fields(fake_linear: FakeLinear) -> None:
    linear = tracker(fake_linear)
    [made] = linear.create([draft(1, due=date(2024, 7, 1), priority="P0")])
    assert isinstance(made, Created) and made.issue.ref.key == "OPS-1"
    issue = fake_linear.issues()[0]
    assert issue["priority"] == 1 and issue["dueDate"] == "2024-07-01"
    assert read_marker(issue["description"]) == ("pm-1", "00000001")
    assert made.issue.item_id == "pm-1" and made.issue.due == date(2024, 7, 1)


def test_text_imitating_the_marker_does_not_steal_identity() -> None:
    body = "Copy of another:\n\npmsync item pm-9 · rev deadbeef\n\nmore text"
    assert read_marker(render(body, "pm-1", "0001")) == ("pm-1", "0001")


def test_listing_since_returns_only_what_changed(fake_linear: FakeLinear) -> None:
    linear = tracker(fake_linear)
    linear.create([draft(n) for n in range(5)])
    since = datetime.fromisoformat(fake_linear.issues()[-1]["updatedAt"].replace("Z", "+00:00"))
    fake_linear.edit("OPS-3", title="edited in Linear")
    changed = list(linear.list_managed("OPS", since))
    assert [i.ref.key for i in changed] == ["OPS-3"] and changed[0].title == "edited in Linear"


def test_update_sends_only_the_changed_fields(fake_linear: FakeLinear) -> None:
    linear = tracker(fake_linear)
    [made] = linear.create([draft(1, priority="P2")])
    assert isinstance(made, Created)
    fake_linear.reset_log()
    linear.update(made.issue.ref, draft(1, priority="P1", title="Ignored"), ["priority"])
    [request] = fake_linear.requests
    assert request.json()["variables"]["input"] == {"priority": 2}
    assert fake_linear.issues()[0]["title"] == "Item 1"


def test_close_leaves_a_completed_issue_alone(fake_linear: FakeLinear) -> None:
    linear = tracker(fake_linear)
    [made] = linear.create([draft(1)])
    assert isinstance(made, Created)
    fake_linear.edit("OPS-1", state="Done")
    fake_linear.reset_log()
    assert linear.close(made.issue.ref, "removed").state == "closed"
    assert fake_linear.count_op("commentCreate") == 0
    assert fake_linear.issues()[0]["state"] == "Done"


def test_close_to_completed_when_configured(fake_linear: FakeLinear) -> None:
    linear = tracker(fake_linear, prune_state="completed")
    [made] = linear.create([draft(1)])
    assert isinstance(made, Created)
    fake_linear.reset_log()
    linear.close(made.issue.ref, "removed from its postmortem")
    issue = fake_linear.issues()[0]
    assert issue["stateType"] == "completed" and issue["comments"] == [
        f"removed from its postmortem\n\n{CLOSE_MARKER}"
    ]
    # one read (the issue, a closing comment left before), then comment and move at once
    assert len(fake_linear.requests) == 2 and fake_linear.count_op("commentCreate") == 1


def test_close_after_a_refused_move_does_not_comment_again(fake_linear: FakeLinear) -> None:
    linear = tracker(fake_linear)
    [made] = linear.create([draft(1)])
    assert isinstance(made, Created)
    fake_linear.refused_moves.add("OPS-1")
    with pytest.raises(TrackerError, match="OPS-1"):
        linear.close(made.issue.ref, "removed")
    assert fake_linear.issues()[0]["comments"] == [f"removed\n\n{CLOSE_MARKER}"]
    assert fake_linear.issues()[0]["stateType"] != "canceled"
    fake_linear.refused_moves.clear()
    fake_linear.reset_log()
    assert tracker(fake_linear).close(made.issue.ref, "removed").state == "closed"
    # a re-run: the team, the read finding the comment, the move alone
    assert fake_linear.count_op("commentCreate") == 0 and len(fake_linear.requests) == 3
    assert fake_linear.issues()[0]["comments"] == [f"removed\n\n{CLOSE_MARKER}"]


def test_spent_budget_past_max_wait_stops_cleanly(fake_linear: FakeLinear) -> None:
    fake_linear.requests_limit = fake_linear.requests_used  # the hour's requests are spent
    fake_linear.window_reset = datetime.now(timezone.utc).timestamp() + 3600
    waits: list[float] = []
    policy = RetryPolicy(max_wait=5, sleep=waits.append)
    linear = connect(LinearConfig(**fake_linear.config()), fake_linear.env(), policy)
    with pytest.raises(RateLimited, match="max_wait"):
        list(linear.list_managed("OPS"))
    assert waits == [] and fake_linear.count_op("teams") == 1  # asked once, then stopped


def test_budget_from_headers_paces_before_the_request(fake_linear: FakeLinear) -> None:
    waits: list[float] = []
    linear = tracker(fake_linear, waits)
    fake_linear.requests_limit = fake_linear.requests_used + 2
    fake_linear.window_reset = datetime.now(timezone.utc).timestamp() + 20
    list(linear.list_managed("OPS"))  # the team read and the listing spend the last two
    fake_linear.requests_limit = 5000  # the fake's budget is back; the adapter waits anyway
    before = len(fake_linear.requests)
    list(linear.list_managed("OPS"))
    assert len(waits) == 1 and 15 < waits[0] <= 20
    assert len(fake_linear.requests) == before + 1  # nothing was refused


def test_references_in_postmortems() -> None:
    ops = LinearConfig(team="OPS")
    url = resolve("https://linear.app/acme/issue/OPS-12/add-alerts", ops)
    assert url is not None and url.key == "OPS-12"
    assert url.url == "https://linear.app/acme/issue/OPS-12"
    key = resolve("OPS-12", LinearConfig(team="OPS", workspace="acme"))
    assert key is not None and key.url == "https://linear.app/acme/issue/OPS-12"
    assert resolve("ENG-3", ops) is None
    assert resolve("https://github.com/acme/ops/issues/3", ops) is None


def test_the_key_is_sent_bare(fake_linear: FakeLinear) -> None:
    list(tracker(fake_linear).list_managed("OPS"))
    assert all(r.headers["authorization"] == "***" for r in fake_linear.requests)
    assert API_KEY.startswith("lin_api_")


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("team", "ops team", "team's key"),
        ("token_env", "lin_api_abcdefghijklmnopqrstuvwxyz012345", "looks like a token"),
        ("url", "https://user:secret@api.linear.app/graphql", "user name or password"),
    ],
)
def test_bad_settings_are_refused_without_repeating_them(
    setting: str, value: str, message: str
) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as caught:
        LinearConfig(**{setting: value})
    reason = caught.value.errors()[0]["msg"]  # what the config error prints
    assert message in reason and value not in reason


def test_labels_people_add_in_linear_survive_an_update(fake_linear: FakeLinear) -> None:
    linear = tracker(fake_linear)
    [made] = linear.create([draft(1)])
    assert isinstance(made, Created)
    theirs = fake_linear.add_label("customer-facing", fake_linear.team)
    [issue] = fake_linear.issues()
    ids = [i.id for i in fake_linear.store.labels.values() if i.name in issue["labels"]]
    fake_linear.edit("OPS-1", label_ids=[*ids, theirs])
    linear.update(made.issue.ref, draft(1, labels=("postmortem", "database")), ["labels"])
    labels = fake_linear.issues()[0]["labels"]
    assert labels == ["customer-facing", "database", "pmsync", "postmortem"]


def edited_inside(fake: FakeLinear, key: str) -> None:
    """Someone adds a paragraph before pmsync's block and rewords a line inside it."""
    [issue] = [i for i in fake.issues() if i["identifier"] == key]
    text = str(issue["description"]).replace("Do thing 1.", "Do thing 1, carefully.")
    fake.edit(key, description=f"Context from support.\n\n{text}")


def test_an_update_whose_base_no_longer_matches_deletes_nothing(fake_linear: FakeLinear) -> None:
    linear = tracker(fake_linear)
    [made] = linear.create([draft(1)])
    assert isinstance(made, Created)
    edited_inside(fake_linear, "OPS-1")
    fake_linear.reset_log()
    linear.update(made.issue.ref, draft(1, body="Do thing 1 twice.", content_hash="99"), ["body"])
    text = fake_linear.issues()[0]["description"]
    assert text.startswith("Context from support.") and "Do thing 1, carefully." in text
    assert text.index("Do thing 1 twice.") < text.index("Do thing 1, carefully.")
    assert read_marker(text) == ("pm-1", "99")
    # no memo from an earlier run: the issue itself was read before it was written
    assert fake_linear.count_op("issue") == 1 and fake_linear.count_op("issueUpdate") == 1


def test_with_a_memo_one_listing_of_edits_serves_every_update(fake_linear: FakeLinear) -> None:
    first = tracker(fake_linear)
    first.recall("OPS", {})
    made = [r for r in first.create([draft(n) for n in range(1, 4)]) if isinstance(r, Created)]
    first.settle("OPS", datetime.now(timezone.utc))
    memo = first.memo("OPS")
    fake_linear.edit("OPS-2", description="Before.\n\n" + fake_linear.issues()[1]["description"])
    linear = tracker(fake_linear)
    linear.recall("OPS", memo)
    fake_linear.reset_log()
    for made_ in made:
        n = int(made_.item_id.split("-")[1])
        linear.update(made_.issue.ref, draft(n, body=f"New {n}.", content_hash="77"), ["body"])
    assert fake_linear.count_op("issues") == 1 and fake_linear.count_op("issueUpdate") == 3
    assert len(fake_linear.requests) == 5  # + the team
    texts = [i["description"] for i in fake_linear.issues()]
    assert texts[1].startswith("Before.\n\npmsync begin") and "New 2." in texts[1]
    assert [t.startswith("pmsync begin") for t in texts] == [True, False, True]


@pytest.mark.parametrize("status", [429, 400, 200])
def test_rate_limits_wait_for_the_reset_however_linear_says_them(
    fake_linear: FakeLinear, status: int
) -> None:
    """HTTP 429 with only the X-RateLimit headers, or a GraphQL RATELIMITED error in a 400
    or a 200 answer: each waits until the budget's reset, then the listing completes."""
    waits: list[float] = []
    linear = tracker(fake_linear, waits)
    linear.create([draft(1)])
    fault = FakeLinear.rate_limit_fault(7)
    body = None if status == 429 else fault.body
    fake_linear.inject("POST", r"#issues$", Status(status, fault.headers, body))
    assert [i.ref.key for i in linear.list_managed("OPS")] == ["OPS-1"]
    # (the waits are not slept here: before sending again, the budget's reset still
    # looks ahead and is waited for again, which a real sleep would have passed)
    assert 5 <= waits[0] <= 8 and all(w <= 8 for w in waits)
    assert fake_linear.count_op("issues") == 2


def test_a_rate_limited_batch_is_sent_again_once_and_creates_once(fake_linear: FakeLinear) -> None:
    """RATELIMITED means refused before running: the batch is sent again after the wait."""
    waits: list[float] = []
    linear = tracker(fake_linear, waits)
    fake_linear.inject("POST", r"#issueBatchCreate$", FakeLinear.rate_limit_fault(3))
    results = linear.create([draft(n) for n in range(3)])
    assert all(isinstance(r, Created) for r in results) and 2 <= waits[0] <= 3
    assert len(fake_linear.issues()) == 3 and fake_linear.count_op("issueBatchCreate") == 2

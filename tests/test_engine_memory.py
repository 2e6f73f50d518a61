"""The sync engine's decision rows against the in-memory tracker: no HTTP, exact request
counts. (The same rows run against the fakes in test_push_github/test_push_jira.)"""

from __future__ import annotations

from datetime import date

from pmsync.adapters.base import RetryPolicy
from pmsync.config import Config
from pmsync.model import ActionItem, Postmortem
from pmsync.plan.planner import plan_changes
from pmsync.state.store import SyncState
from pmsync.sync.engine import apply_plan
from pmsync.sync.group import Outcome
from tests.adapters.memory import MemoryStore, MemoryTracker

CONFIG = Config.model_validate({"github": {"repo": "acme/ops"}})


def item(n: int, text: str = "") -> ActionItem:
    title = f"Add index {n}"
    body = text or f"{title}."
    return ActionItem(f"item-{n}", title, body, "tasks", 10 + n, content_hash=f"h-{n}-{body}")


def doc(*items: ActionItem) -> Postmortem:
    return Postmortem("pm.md", "outage-2024-06-01", "Outage", date(2024, 6, 1), items)


def push(
    store: MemoryStore, state: SyncState, document: Postmortem, prune: bool = False
) -> list[str]:
    """One push; the actions taken, in order."""
    tracker = MemoryTracker(
        store, RetryPolicy(writes_per_minute=0, sleep=lambda s: None), name="github"
    )
    plan = plan_changes([document], state, CONFIG)
    outcomes: list[Outcome] = apply_plan(plan, state, lambda name: tracker, None, prune=prune)
    return [o.action for o in outcomes]


def test_first_push_creates_each_item_once_and_a_rerun_sends_nothing() -> None:
    store, state = MemoryStore(), SyncState()
    assert push(store, state, doc(item(1), item(2))) == ["create", "create"]
    sent = store.requests
    assert push(store, state, doc(item(1), item(2))) == ["unchanged", "unchanged"]
    assert store.requests == sent and len(store.issues) == 2


def test_an_edited_item_is_updated_and_nothing_else_is_sent() -> None:
    store, state = MemoryStore(), SyncState()
    push(store, state, doc(item(1), item(2)))
    sent = store.requests
    assert sorted(push(store, state, doc(item(1, "Add two indexes."), item(2)))) == [
        "unchanged",
        "update",
    ]
    assert store.requests == sent + 1
    [first] = [i for i in store.issues.values() if i.item_id == "item-1"]
    assert first.body is not None and "\nAdd two indexes." in first.body  # in pmsync's block


def test_a_removed_item_is_closed_only_with_prune() -> None:
    store, state = MemoryStore(), SyncState()
    push(store, state, doc(item(1), item(2)))
    assert sorted(push(store, state, doc(item(1)))) == ["remove", "unchanged"]
    assert all(i.state == "open" for i in store.issues.values())
    assert sorted(push(store, state, doc(item(1)), prune=True)) == ["remove", "unchanged"]
    assert sorted(i.state for i in store.issues.values()) == ["closed", "open"]


def test_a_create_whose_answer_was_lost_is_found_not_created_again() -> None:
    store, state = MemoryStore(lose_creates=1), SyncState()
    assert push(store, state, doc(item(1))) == ["fail"]
    assert state.items["item-1"].intent is not None
    assert push(store, state, doc(item(1))) == ["unchanged"]
    assert len(store.issues) == 1 and state.items["item-1"].intent is None


def test_an_unreadable_listing_creates_nothing() -> None:
    store, state = MemoryStore(rate_limited=[10_000]), SyncState()
    assert push(store, state, doc(item(1), item(2))) == ["fail", "fail"]
    assert store.issues == {}
    assert state.items == {}  # not even an intent: no create was attempted


def test_a_state_one_save_behind_reclaims_what_the_lost_save_recorded() -> None:
    store, state = MemoryStore(), SyncState()
    push(store, state, doc(item(1)))
    stale = state.model_copy(deep=True)  # the save of the next push is lost
    push(store, state, doc(item(1), item(2)))
    sent = store.requests
    assert push(store, stale, doc(item(1), item(2))) == ["unchanged", "unchanged"]
    assert len(store.issues) == 2
    assert store.requests == sent + 1  # one listing: the issues updated since the last push
    assert stale.items["item-2"].issue is not None  # recorded again

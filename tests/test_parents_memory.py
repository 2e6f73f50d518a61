"""Parent issues through the sync engine on the in-memory tracker: exact request counts,
no HTTP. (End to end through the fakes: test_parents_github.py, test_parents_jira.py…)"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

from pmsync.adapters.base import RetryPolicy
from pmsync.config import Config
from pmsync.model import ActionItem, Postmortem
from pmsync.plan.planner import plan_changes
from pmsync.state.store import Journal, Status, SyncState, load_state, save_state
from pmsync.sync.engine import apply_plan
from pmsync.sync.parents import refresh_parents, retire_parents
from tests.adapters.memory import MemoryStore, MemoryTracker

CONFIG = Config.model_validate({"github": {"repo": "acme/ops"}})
PARENT_ID = "pm-outage-2024-06-01"


def item(n: int, done: bool = False) -> ActionItem:
    title = f"Add index {n}"
    return ActionItem(f"item-{n}", title, f"{title}.", "tasks", 10 + n, content_hash=f"h-{n}",
                      done=done)  # fmt: skip


def doc(*items: ActionItem, parent: bool = True) -> Postmortem:
    return Postmortem(
        "pm.md", "outage-2024-06-01", "Outage", date(2024, 6, 1), items,
        front_matter={"parent": parent}, summary="The database fell over.",
    )  # fmt: skip


def push(store: MemoryStore, state: SyncState, document: Postmortem) -> list[str]:
    """One push; the actions taken, and what was said, in order."""
    tracker = MemoryTracker(store, RetryPolicy(writes_per_minute=0, sleep=lambda s: None),
                            name="github")  # fmt: skip
    said: list[str] = []
    plan = plan_changes([document], state, CONFIG)
    apply_plan(plan, state, lambda name: tracker, None, stopped=said.append, intent_grace=0)
    return said


def parents(store: MemoryStore) -> list[str]:
    return [k for k, i in store.issues.items() if i.item_id == PARENT_ID]


def test_first_push_creates_one_parent_listing_and_linking_its_items() -> None:
    store, state = MemoryStore(), SyncState()
    push(store, state, doc(item(1), item(2)))
    [parent] = parents(store)
    body = store.issues[parent].body or ""
    assert store.issues[parent].title == "Postmortem: Outage (2024-06-01)"
    assert "The database fell over." in body and "(0 of 2 closed)" in body
    assert "- [ ] [Add index 1](memory://acme/ops-1)" in body
    assert store.children[parent] == ["acme/ops-1", "acme/ops-2"]
    # one listing (no state yet), shared by the items and the parent (its marker), the
    # items, the parent, one link per item
    assert len(store.issues) == 3 and store.requests == 1 + 2 + 1 + 2


def test_a_rerun_with_nothing_new_makes_no_request() -> None:
    store, state = MemoryStore(), SyncState()
    push(store, state, doc(item(1), item(2)))
    sent = store.requests
    assert push(store, state, doc(item(1), item(2))) == []
    assert store.requests == sent


def test_turning_parent_on_later_links_the_existing_issues_and_creates_no_item() -> None:
    store, state = MemoryStore(), SyncState()
    push(store, state, doc(item(1), item(2), parent=False))
    assert parents(store) == [] and len(store.issues) == 2
    sent = store.requests
    push(store, state, doc(item(1), item(2)))
    [parent] = parents(store)
    assert len(store.issues) == 3 and store.children[parent] == ["acme/ops-1", "acme/ops-2"]
    assert store.requests == sent + 1 + 2  # the parent, one link per item, no listing


def test_a_new_item_is_linked_and_listed_with_one_update() -> None:
    store, state = MemoryStore(), SyncState()
    push(store, state, doc(item(1)))
    sent = store.requests
    push(store, state, doc(item(1), item(2)))
    [parent] = parents(store)
    assert "Add index 2" in (store.issues[parent].body or "")
    # the items' check for a lost save (one listing), the item, its link, the checklist
    assert store.requests == sent + 4


def test_a_lost_answer_to_the_parent_create_never_makes_a_second_parent() -> None:
    store, state = MemoryStore(), SyncState()
    push(store, state, doc(item(1), parent=False))
    store.lose_creates = 1
    said = push(store, state, doc(item(1)))
    assert any("may have been created" in line for line in said)
    assert state.parents["outage-2024-06-01"].intent is not None
    push(store, state, doc(item(1)))
    assert len(parents(store)) == 1
    record = state.parents["outage-2024-06-01"]
    assert record.intent is None and record.issue is not None
    assert store.children[parents(store)[0]] == ["acme/ops-1"]


def test_a_lost_state_finds_the_parent_by_its_marker() -> None:
    store, state = MemoryStore(), SyncState()
    push(store, state, doc(item(1), item(2)))
    fresh = SyncState()
    push(store, fresh, doc(item(1), item(2)))
    assert len(parents(store)) == 1 and len(store.issues) == 3
    assert fresh.parents["outage-2024-06-01"].issue is not None


def test_the_parent_closes_when_every_item_is_closed_and_reopens_with_one() -> None:
    store, state = MemoryStore(), SyncState()
    push(store, state, doc(item(1), item(2)))
    push(store, state, doc(item(1, done=True), item(2, done=True)))
    [parent] = parents(store)
    assert store.issues[parent].state == "closed"
    assert "- [x] [Add index 2]" in (store.issues[parent].body or "")
    push(store, state, doc(item(1, done=True), item(2)))
    assert store.issues[parent].state == "open"
    assert "(1 of 2 closed)" in (store.issues[parent].body or "")


def test_a_tracker_without_children_keeps_the_checklist_and_says_so_once() -> None:
    store, state = MemoryStore(native_children=False), SyncState()
    said = push(store, state, doc(item(1), item(2)))
    assert sum("no native sub-issues" in line for line in said) == 1
    assert len(parents(store)) == 1 and store.children == {}
    sent = store.requests
    assert push(store, state, doc(item(1), item(2))) == []
    assert store.requests == sent


def test_turning_parent_off_leaves_the_parent_alone() -> None:
    store, state = MemoryStore(), SyncState()
    push(store, state, doc(item(1)))
    before = dataclasses.replace(store)
    sent = store.requests
    push(store, state, doc(item(1), parent=False))
    assert store.requests == sent and store.issues == before.issues
    retire_parents(state, ["outage-2024-06-01"], plan_changes([doc(item(1), parent=False)],
                                                              state, CONFIG))  # fmt: skip
    state.items["item-1"].status = Status(state="closed")  # as status would read it
    assert refresh_parents(state, lambda name: MemoryTracker(store, RetryPolicy()), True) == []
    assert store.requests == sent  # status leaves it alone too
    push(store, state, doc(item(1)))  # on again: it is the same parent
    assert len(parents(store)) == 1 and state.parents["outage-2024-06-01"].active


def test_a_crash_after_the_parent_create_keeps_it_through_the_journal(tmp_path: Path) -> None:
    """The process dies before the state is saved: the journal replays the parent."""
    store, state, path = MemoryStore(), SyncState(), tmp_path / "state.json"
    push(store, state, doc(item(1), parent=False))
    save_state(state, path)
    tracker = MemoryTracker(store, RetryPolicy(writes_per_minute=0), name="github")
    journal = Journal(path)
    plan = plan_changes([doc(item(1))], state, CONFIG)
    apply_plan(plan, state, lambda name: tracker, journal)
    journal.close()  # ... and no save_state: killed here
    replayed = load_state(path)
    assert replayed.parents["outage-2024-06-01"].issue is not None
    push(store, replayed, doc(item(1)))
    assert len(parents(store)) == 1


def test_an_old_state_file_without_parents_loads_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"version": 1, "items": {}, "documents": {}, "trackers": {}}')
    state = load_state(path)
    assert state.parents == {}
    save_state(state, path)
    assert load_state(path).parents == {}

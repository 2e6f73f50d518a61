"""`pmsync plan` says what a push will do to each parent issue, from the state alone; and
the push then does exactly that (checked against the in-memory tracker's writes)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from pmsync.cli import app
from pmsync.plan.planner import plan_changes
from pmsync.state.store import SyncState
from tests.adapters.memory import MemoryStore
from tests.test_parents_memory import CONFIG, doc, item, parents, push


def steps(state: SyncState, *items: object, parent: bool = True) -> tuple[str, ...] | None:
    """The forecast steps for the postmortem's parent; None when it has none planned."""
    plan = plan_changes([doc(*items, parent=parent)], state, CONFIG)  # type: ignore[arg-type]
    [change] = plan.parent_changes or [None]
    return None if change is None else change.steps


def test_a_new_parent_is_planned_for_creation_and_then_left_alone() -> None:
    store, state = MemoryStore(), SyncState()
    assert steps(state, item(1), item(2)) == ("create",)
    push(store, state, doc(item(1), item(2)))
    assert steps(state, item(1), item(2)) == ()
    sent = store.requests
    push(store, state, doc(item(1), item(2)))
    assert store.requests == sent


def test_a_new_item_plans_a_link_and_a_checklist_rewrite_and_the_push_does_both() -> None:
    store, state = MemoryStore(), SyncState()
    push(store, state, doc(item(1)))
    assert steps(state, item(1), item(2)) == ("link 1 item under it", "rewrite its checklist")
    push(store, state, doc(item(1), item(2)))
    [parent] = parents(store)
    new = state.items["item-2"].issue
    assert new is not None and store.children[parent] == ["acme/ops-1", new.key]
    assert "Add index 2" in (store.issues[parent].body or "")


def test_ticking_every_box_plans_the_close_and_unticking_one_the_reopen() -> None:
    store, state = MemoryStore(), SyncState()
    push(store, state, doc(item(1), item(2)))
    closing = ("rewrite its checklist", "close it: every item is closed")
    assert steps(state, item(1, done=True), item(2, done=True)) == closing
    assert steps(state, item(1, done=True), item(2)) == ("rewrite its checklist",)
    push(store, state, doc(item(1, done=True), item(2, done=True)))
    [parent] = parents(store)
    assert store.issues[parent].state == "closed"
    reopening = ("rewrite its checklist", "reopen it: an item is open again")
    assert steps(state, item(1, done=True), item(2)) == reopening
    push(store, state, doc(item(1, done=True), item(2)))
    assert store.issues[parent].state == "open"


def test_turning_parent_on_later_plans_a_create_and_no_item_create() -> None:
    store, state = MemoryStore(), SyncState()
    push(store, state, doc(item(1), parent=False))
    assert steps(state, item(1), parent=False) is None
    plan = plan_changes([doc(item(1))], state, CONFIG)
    assert [c.action for c in plan.changes] == ["unchanged"]
    assert [p.steps for p in plan.parent_changes] == [("create",)]


def test_plan_on_the_command_line_shows_the_parent(tmp_path: Path) -> None:
    (tmp_path / "pmsync.yaml").write_text("tracker: github\ngithub: {repo: acme/ops}\n")
    (tmp_path / "pm.md").write_text(
        "---\nparent: true\n---\n# Outage\n\n## Action items\n\n- Add an index\n"
    )
    config = ["--config", str(tmp_path / "pmsync.yaml")]
    runner = CliRunner()
    shown = runner.invoke(app, ["plan", str(tmp_path / "pm.md"), *config])
    assert shown.exit_code == 0, shown.output
    assert "parent issues" in shown.output and "Postmortem: Outage" in shown.output
    as_json = runner.invoke(app, ["plan", str(tmp_path / "pm.md"), "--json", *config])
    [planned] = json.loads(as_json.output)["parents"]
    assert planned["action"] == "create" and planned["steps"] == ["create"]
    markdown = runner.invoke(app, ["plan", str(tmp_path / "pm.md"), "--format", "markdown",
                                   *config])  # fmt: skip
    assert "1 create, 1 parent issue to write" in markdown.output
    assert "| Postmortem: Outage | `pm.md` | create |" in markdown.output

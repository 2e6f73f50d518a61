"""The planner's decision table, one test a row; pure, no I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from pmsync.config import Config
from pmsync.model import ActionItem, Postmortem
from pmsync.plan.drafts import build_draft
from pmsync.plan.planner import plan_changes, pushed_of
from pmsync.state.store import IssueRecord, ItemRecord, SyncState

CONFIG = Config.model_validate({"github": {"repo": "acme/ops"}})


def item(item_id: str, title: str, **fields: object) -> ActionItem:
    base = ActionItem(
        id=item_id,
        title=title,
        body=f"{title}.",
        section="tasks",
        line=10,
        content_hash=f"h-{item_id}",
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def doc(*items: ActionItem, **fields: object) -> Postmortem:
    base = Postmortem(
        path="pm.md",
        key="outage-2024-06-01",
        title="Outage",
        incident_date=date(2024, 6, 1),
        items=items,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def pushed_state(document: Postmortem) -> SyncState:
    """The state right after a push of `document`."""
    state = SyncState()
    for number, it in enumerate(document.items, 1):
        result = build_draft(it, document, CONFIG, it.id)
        state.items[it.id] = ItemRecord(
            doc=document.key,
            title=it.title,
            content_hash=it.content_hash,
            issue=IssueRecord(tracker="github", key=f"acme/ops#{number}", url="u"),
            pushed=pushed_of(result.draft, result.body_hash),
        )
    return state


def actions(plan: object) -> list[tuple[str, str]]:
    return [(c.action, c.item_id) for c in plan.changes]  # type: ignore[attr-defined]


def test_new_item_is_created_with_effective_due_and_labels() -> None:
    plan = plan_changes([doc(item("a", "Add alerts"))], SyncState(), CONFIG)
    (change,) = plan.changes
    assert change.action == "create" and change.container == "acme/ops"
    assert change.draft is not None and change.draft.due == date(2024, 7, 1)
    assert change.draft.labels == ("postmortem", "action-item", "pmsync")


def test_unchanged_document_plans_no_write() -> None:
    document = doc(item("a", "Add alerts"), item("b", "Fix index"))
    plan = plan_changes([document], pushed_state(document), CONFIG)
    assert actions(plan) == [("unchanged", "a"), ("unchanged", "b")]
    assert not plan.writes_needed


def test_moving_an_item_in_the_document_changes_nothing() -> None:
    document = doc(item("a", "Add alerts"), item("b", "Fix index"))
    moved = doc(item("b", "Fix index", line=40), item("a", "Add alerts", line=3))
    plan = plan_changes([moved], pushed_state(document), CONFIG)
    assert not plan.writes_needed


def test_edited_body_is_an_update_of_the_body_only() -> None:
    document = doc(item("a", "Add alerts"))
    edited = doc(item("a", "Add alerts", body="Add alerts on p99 latency.", content_hash="new"))
    (change,) = plan_changes([edited], pushed_state(document), CONFIG).changes
    assert change.action == "update" and change.fields == ("body",)


def test_reworded_title_updates_the_same_issue() -> None:
    document = doc(item("a", "Add latency alerts for checkout"))
    reworded = doc(item("z", "Add latency alerts for the checkout service"))
    (change,) = plan_changes([reworded], pushed_state(document), CONFIG).changes
    # the item keeps its new id; the issue's marker follows it (body and labels)
    assert (change.action, change.item_id, change.previous) == ("update", "z", "a")
    assert {"title", "body", "labels"} <= set(change.fields)


def test_unrelated_new_item_is_a_create_and_the_old_one_removed() -> None:
    document = doc(item("a", "Add latency alerts"))
    other = doc(item("z", "Rotate the database credentials"))
    plan = plan_changes([other], pushed_state(document), CONFIG)
    assert sorted(actions(plan)) == [("create", "z"), ("remove", "a")]


def test_document_with_no_items_left_changes_nothing() -> None:
    document = doc(item("a", "Add alerts"))
    plan = plan_changes([doc()], pushed_state(document), CONFIG)
    assert plan.changes == [] and "no action items" in plan.warnings[0]


def test_item_linking_an_issue_in_the_tracker_is_adopted() -> None:
    linked = item("a", "Add alerts", links=("https://github.com/acme/ops/issues/7",))
    (change,) = plan_changes([doc(linked)], SyncState(), CONFIG).changes
    assert change.action == "adopt" and change.issue is not None
    assert change.issue.key == "acme/ops#7"


def test_link_to_another_repository_is_not_adopted() -> None:
    linked = item("a", "Add alerts", links=("other/repo#7",))
    (change,) = plan_changes([doc(linked)], SyncState(), CONFIG).changes
    assert change.action == "create"


def test_front_matter_routes_a_document_to_jira() -> None:
    config = Config.model_validate({"jira": {"url": "https://x.atlassian.net", "project": "OPS"}})
    document = doc(item("a", "Add alerts"), front_matter={"tracker": "jira", "jira_project": "SRE"})
    (change,) = plan_changes([document], SyncState(), config).changes
    assert (change.tracker, change.container) == ("jira", "SRE")


def test_owner_maps_through_people_and_unmapped_owner_warns() -> None:
    config = Config.model_validate({"people": {"alice": {"github": "alice-gh"}}})
    document = doc(item("a", "Add alerts", owner="@alice"), item("b", "Fix", owner="bob"))
    first, second = plan_changes([document], SyncState(), config).changes
    assert first.draft is not None and first.draft.assignee == "alice-gh"
    assert second.draft is not None and second.draft.assignee is None
    assert "bob" in second.warnings[0]


def test_mentions_are_neutralised_in_the_issue_body() -> None:
    document = doc(item("a", "Ping", body="Ask @alice and @acme/sre to review."))
    (change,) = plan_changes([document], SyncState(), CONFIG).changes
    assert change.draft is not None and "@alice" not in change.draft.body
    assert "@\u200dalice" in change.draft.body

"""A reworded item keeps its issue only when the pairing is clear (issue 20, point 11):
real likeness of words, no rival within reach, and never new work into a closed issue.
Plan rows on values, then the disk-alerts case end to end through the fake GitHub."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pmsync.plan.matching import title_similarity
from pmsync.plan.planner import plan_changes
from pmsync.state.store import SyncState
from tests.fakes.github import Comment, FakeGitHub
from tests.test_identity_push import REPO, by_title, small_workspace
from tests.test_plan import CONFIG, actions, doc, item, pushed_state
from tests.workspace import Workspace
from tests.workspace import actions as push_actions


def test_likeness_is_of_words_not_letters() -> None:
    assert title_similarity("Add disk alerts", "Add DNS alerts") < 0.7  # another item
    assert title_similarity("Write a runbook for failover", "Write a failover runbook") == 1
    assert (
        title_similarity("Add an alert on repliction lag", "Add an alert on replication lag") == 1
    )
    assert title_similarity("Add disk alerts", "Add disk-usage alerts on the database hosts") > 0.7


def test_a_reword_and_an_addition_in_one_edit_pair_the_reworded_item() -> None:
    before = doc(item("a", "Add disk alerts for the database hosts"), item("b", "Fix the index"))
    after = doc(
        item("c", "Add disk usage alerts on every database host"),
        item("d", "Add DNS alerts"),
        item("b", "Fix the index"),
    )
    plan = plan_changes([after], pushed_state(before), CONFIG)
    assert actions(plan) == [("update", "c"), ("create", "d"), ("unchanged", "b")]
    assert plan.changes[0].previous == "a"
    assert not any(c.warnings for c in plan.changes)


def test_a_replaced_word_is_a_new_item_not_a_retitle() -> None:
    before = doc(item("a", "Add disk alerts"))
    plan = plan_changes([doc(item("d", "Add DNS alerts"))], pushed_state(before), CONFIG)
    assert sorted(actions(plan)) == [("create", "d"), ("remove", "a")]


def test_two_equally_like_candidates_pair_with_neither_and_say_so() -> None:
    before = doc(item("a", "Add alerts on replication lag"))
    after = doc(
        item("c", "Add alerts on replication lag for orders"),
        item("d", "Add alerts on replication lag for users"),
    )
    plan = plan_changes([after], pushed_state(before), CONFIG)
    assert sorted(actions(plan)) == [("create", "c"), ("create", "d"), ("remove", "a")]
    for change in plan.changes[:2]:
        assert len(change.warnings) == 1 and "not paired" in change.warnings[0]


def test_new_work_is_never_paired_into_a_closed_issue_without_a_word() -> None:
    before = doc(item("a", "Add latency alerts for checkout", done=True))
    state = pushed_state(before)
    state.items["a"].done = True
    after = doc(item("z", "Add latency alerts for the checkout service"))
    plan = plan_changes([after], state, CONFIG)
    assert sorted(actions(plan)) == [("create", "z"), ("remove", "a")]
    create = next(c for c in plan.changes if c.action == "create")
    assert "closed" in create.warnings[0] and "acme/ops#1" in create.warnings[0]
    # a finished item reworded and still ticked is the same finished item
    done = doc(replace(after.items[0], done=True))
    assert actions(plan_changes([done], state, CONFIG)) == [("update", "z")]


def test_a_new_document_has_nothing_to_pair() -> None:
    plan = plan_changes([doc(item("a", "Add alerts"))], SyncState(), CONFIG)
    assert actions(plan) == [("create", "a")]


# --- through the fake GitHub ----------------------------------------------------------------

DISK = "- [ ] Add disk alerts for the database hosts\n"


def disk_workspace(root: Path, fake: FakeGitHub) -> Workspace:
    settings = {"repo": REPO, "api_url": fake.api_url, "writes_per_minute": 0}
    ws = small_workspace(root, {"GITHUB_TOKEN": fake.token}, github=settings)
    ws.edit(
        "db.md",
        "- [ ] Write a runbook for failover\n",
        f"- [ ] Write a runbook for failover\n{DISK}",
    )
    assert push_actions(ws.push()) == {"create": 6}
    return ws


def test_the_disk_alerts_issue_keeps_its_comment_and_dns_alerts_get_their_own(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    ws = disk_workspace(tmp_path, fake_github)
    disk = by_title(fake_github, "disk alerts")
    note = Comment(1, "Dashboards done, alerts next week", "ann", fake_github.now())
    disk.comments.append(note)  # a person's progress note on the issue
    ws.edit("db.md", DISK, "- [ ] Add disk-usage alerts on every database host\n"
            "- [ ] Add DNS alerts\n")  # fmt: skip
    assert push_actions(ws.push()) == {"update": 1, "create": 1, "unchanged": 5}
    renamed = fake_github.repo(REPO).issues[disk.number]
    assert renamed.title == "Add disk-usage alerts on every database host"
    assert [c.body for c in renamed.comments] == ["Dashboards done, alerts next week"]
    dns = by_title(fake_github, "DNS alerts")
    assert dns.number != disk.number and len(fake_github.issues(REPO)) == 7


def test_a_finished_item_replaced_by_a_like_one_gets_a_new_issue(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    ws = disk_workspace(tmp_path, fake_github)
    disk = by_title(fake_github, "disk alerts")
    fake_github.close_issue(REPO, disk.number)
    ws.edit("db.md", DISK, "- [x] Add disk alerts for the database hosts\n")
    ws.push()
    ws.edit("db.md", "- [x] Add disk alerts for the database hosts\n",
            "- [ ] Add disk alerts for the database replica hosts\n")  # fmt: skip
    result = ws.push()
    created = [o for o in result.outcomes if o.action == "create"]
    assert len(created) == 1 and "closed" in created[0].change.warnings[0]
    closed = fake_github.repo(REPO).issues[disk.number]
    assert closed.state == "closed" and closed.title == "Add disk alerts for the database hosts"

"""The contract every tracker adapter keeps, as one test suite run once per tracker.

A subclass per tracker (tests/adapters/test_<name>.py) provides the fixture `backend`: a
`Backend` that connects the adapter through its real client library to its fake server
(or, for the in-memory tracker, to its store) and injects the two faults the engine's
exactly-once rests on. The suite then drives the adapter only through the `Tracker`
protocol: create, update, close, get, list managed issues, find them by marker, wait out
a rate limit, and report a create whose answer was lost as `maybe_applied`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Protocol

import pytest

from pmsync.adapters.base import Parenting, RetryPolicy, Tracker, listed_parents
from pmsync.errors import TrackerError
from pmsync.model import Created, Failed, IssueDraft, IssueRef, RemoteIssue

RETRY_AFTER = 2  # seconds a rate-limited answer asks to wait


@dataclass
class Waits:
    """The policy's sleeps, recorded instead of slept."""

    seconds: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


class Backend(Protocol):
    container: str

    def connect(self, policy: RetryPolicy) -> Tracker:
        """The adapter under test, through its real client library."""

    def rate_limit_next_list(self, retry_after: int) -> None:
        """The next listing request is answered "rate limited, retry after N seconds"."""

    def lose_next_create(self) -> None:
        """The next create lands, but its answer never arrives (the connection drops)."""

    def requests(self) -> int:
        """Requests the tracker has received so far."""

    def missing_ref(self) -> IssueRef:
        """A ref to an issue that does not exist in the container."""

    def write_around(self, ref: IssueRef, text: str) -> None:
        """A person adds `text` as a paragraph before and one after the issue's text."""

    def text(self, ref: IssueRef) -> str:
        """The issue's whole text (body, description) as people read it."""

    def children(self, parent: IssueRef) -> list[str]:
        """The keys of the issues the tracker shows as `parent`'s children, in order."""


def policy(waits: Waits) -> RetryPolicy:
    return RetryPolicy(base_delay=0.01, writes_per_minute=0, sleep=waits, announce=print)


def draft(n: int, container: str, **fields: Any) -> IssueDraft:
    values: dict[str, Any] = {
        "item_id": f"item-{n}",
        "content_hash": f"{n:08x}",
        "title": f"Add index {n}",
        "body": f"Item {n}: add an index on **orders.created_at**.",
        "labels": ("postmortem", "pmsync"),
        "due": date(2030, 7, 1),
        "container": container,
    }
    return IssueDraft(**(values | fields))


def created(results: Sequence[Created | Failed]) -> list[Created]:
    assert all(isinstance(r, Created) for r in results), results
    return [r for r in results if isinstance(r, Created)]


def managed(tracker: Tracker, container: str) -> dict[str, RemoteIssue]:
    """Issues by marker, with the parents a tracker lists apart (GitLab's epics)."""
    found = [*tracker.list_managed(container), *listed_parents(tracker, container)]
    return {i.item_id: i for i in found if i.item_id}


def update(tracker: Tracker, ref: IssueRef, new: IssueDraft, fields: set[str]) -> RemoteIssue:
    return tracker.update(ref, new, fields)


class TrackerContract:
    """The shared suite; subclasses provide the `backend` fixture."""

    @pytest.fixture
    def waits(self) -> Waits:
        return Waits()

    @pytest.fixture
    def tracker(self, backend: Backend, waits: Waits) -> Tracker:
        return backend.connect(policy(waits))

    def test_created_issues_are_found_by_their_marker(
        self, backend: Backend, tracker: Tracker
    ) -> None:
        drafts = [draft(n, backend.container) for n in range(3)]
        made = created(tracker.create(drafts))
        assert [c.item_id for c in made] == ["item-0", "item-1", "item-2"]
        found = managed(tracker, backend.container)
        assert sorted(found) == ["item-0", "item-1", "item-2"]
        for c in made:
            issue = found[c.item_id]
            assert issue.ref.key == c.issue.ref.key and issue.state == "open"
            assert issue.content_hash == c.issue.content_hash == f"{int(c.item_id[5:]):08x}"
            assert issue.title == f"Add index {c.item_id[5:]}"

    def test_get_reads_one_issue_and_none_when_it_does_not_exist(
        self, backend: Backend, tracker: Tracker
    ) -> None:
        [made] = created(tracker.create([draft(1, backend.container)]))
        issue = tracker.get(made.issue.ref)
        assert issue is not None and issue.item_id == "item-1" and issue.state == "open"
        assert tracker.get(backend.missing_ref()) is None

    def test_update_sets_the_fields_asked_for(self, backend: Backend, tracker: Tracker) -> None:
        [made] = created(tracker.create([draft(1, backend.container)]))
        new = draft(1, backend.container, title="Add two indexes", content_hash="00000099")
        updated = update(tracker, made.issue.ref, new, {"title", "body"})
        assert updated.title == "Add two indexes"
        found = managed(tracker, backend.container)["item-1"]
        assert found.title == "Add two indexes" and found.content_hash == "00000099"
        assert found.ref.key == made.issue.ref.key

    def test_text_people_write_around_pmsyncs_part_survives_an_update(
        self, backend: Backend, tracker: Tracker
    ) -> None:
        [made] = created(tracker.create([draft(1, backend.container)]))
        backend.write_around(made.issue.ref, "Notes from on-call.")
        new = draft(1, backend.container, body="Item 1: two indexes.", content_hash="00000099")
        update(tracker, made.issue.ref, new, {"body"})
        text = backend.text(made.issue.ref)
        assert text.count("Notes from on-call.") == 2 and "two indexes" in text
        assert "orders.created_at" not in text  # pmsync's own part was replaced
        assert managed(tracker, backend.container)["item-1"].content_hash == "00000099"

    def test_close_closes_and_closing_again_succeeds(
        self, backend: Backend, tracker: Tracker
    ) -> None:
        [made] = created(tracker.create([draft(1, backend.container)]))
        assert (
            tracker.close(made.issue.ref, "pmsync: removed from its postmortem").state == "closed"
        )
        assert tracker.close(made.issue.ref, "pmsync: removed again").state == "closed"
        assert managed(tracker, backend.container)["item-1"].state == "closed"

    def test_a_rate_limited_listing_waits_then_completes(
        self, backend: Backend, tracker: Tracker, waits: Waits
    ) -> None:
        created(tracker.create([draft(n, backend.container) for n in range(2)]))
        backend.rate_limit_next_list(RETRY_AFTER)
        assert sorted(managed(tracker, backend.container)) == ["item-0", "item-1"]
        assert RETRY_AFTER in waits.seconds

    def test_a_create_whose_answer_is_lost_may_have_landed_and_is_found_by_marker(
        self, backend: Backend, tracker: Tracker
    ) -> None:
        backend.lose_next_create()
        try:
            [result] = tracker.create([draft(1, backend.container)])
        except TrackerError as exc:  # an adapter may raise it for the whole batch
            assert exc.maybe_applied
        else:
            assert isinstance(result, Failed) and result.maybe_applied
        found = managed(tracker, backend.container)
        assert list(found) == ["item-1"]  # landed once: the engine adopts, never re-posts

    def test_issues_created_after_a_moment_are_listed_since_it(
        self, backend: Backend, tracker: Tracker
    ) -> None:
        # The engine's check for a state one save behind: what was created since the
        # last push began (a margin earlier) is in one listing `since` that moment.
        moment = datetime.now(timezone.utc) - timedelta(minutes=10)
        created(tracker.create([draft(n, backend.container) for n in range(2)]))
        before = backend.requests()
        found = {i.item_id for i in tracker.list_managed(backend.container, moment)}
        assert found == {"item-0", "item-1"}
        assert backend.requests() - before == 1

    def test_an_empty_container_lists_nothing(self, backend: Backend, tracker: Tracker) -> None:
        before = backend.requests()
        assert managed(tracker, backend.container) == {}
        # one listing (plus a label lookup), plus the reads an adapter makes to catch up
        # with a lagging search index (Jira: adapters/jira/lag.py)
        extra = getattr(backend, "catch_up_requests", 0)
        assert backend.requests() - before <= 2 + extra

    def test_a_closed_issue_reopens(self, backend: Backend, tracker: Tracker) -> None:
        reopen = getattr(tracker, "reopen", None)
        if reopen is None:
            pytest.skip("this tracker cannot reopen issues")
        [made] = created(tracker.create([draft(1, backend.container)]))
        tracker.close(made.issue.ref, "pmsync: ticked done")
        assert reopen(made.issue.ref, "pmsync: unticked").state == "open"
        assert managed(tracker, backend.container)["item-1"].state == "open"

    # --- parent issues (defaults.parent; pmsync.sync.parents) --------------------------

    def parent(self, tracker: Tracker, container: str) -> IssueRef:
        title = "Postmortem: Outage (2024-06-01)"
        body = "The database fell over.\n\n- [ ] Add index 1\n- [ ] Add index 2"
        made = created(tracker.create([draft(0, container, item_id="pm-outage-2024", title=title,
                                             body=body, kind="parent")]))  # fmt: skip
        return made[0].issue.ref

    def test_a_parent_is_created_and_found_by_its_marker(
        self, backend: Backend, tracker: Tracker
    ) -> None:
        ref = self.parent(tracker, backend.container)
        found = managed(tracker, backend.container)["pm-outage-2024"]
        assert found.ref.key == ref.key and found.title == "Postmortem: Outage (2024-06-01)"
        assert "Add index 2" in backend.text(ref)

    def test_children_are_linked_once_and_linking_again_succeeds(
        self, backend: Backend, tracker: Tracker
    ) -> None:
        assert isinstance(tracker, Parenting)
        parent = self.parent(tracker, backend.container)
        kids = [c.issue.ref for c in created(tracker.create(
            [draft(n, backend.container) for n in (1, 2)]))]  # fmt: skip
        assert all(tracker.link_child(parent, kid) for kid in kids)
        assert tracker.link_child(parent, kids[0])  # a lost answer, linked again
        assert backend.children(parent) == [k.key for k in kids]

    def test_a_draft_named_under_a_parent_is_created_as_its_child(
        self, backend: Backend, tracker: Tracker
    ) -> None:
        assert isinstance(tracker, Parenting)
        if not tracker.links_on_create:
            pytest.skip("this tracker links children after creating them")
        parent = self.parent(tracker, backend.container)
        before = backend.requests()
        drafts = [draft(n, backend.container, parent=parent) for n in (1, 2)]
        kids = [c.issue.ref.key for c in created(tracker.create(drafts))]
        assert backend.children(parent) == kids
        assert backend.requests() - before <= 2  # no request more than the creates'

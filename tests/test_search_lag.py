"""Jira's search index lags behind its writes (Jira Cloud: seconds): a create is readable
by key at once, and found by JQL only later. Recovery must not trust a lagging search
alone (issue 20.3): the full listing catches up by key past the newest issue the index
knows (`adapters/jira/lag.py`)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.docgen import write_postmortems
from tests.fakes.jira import FakeJira
from tests.fakes.server import DropAfterCommit
from tests.workspace import Workspace, actions, make_workspace

ITEMS = 20
LAG = 10_000  # requests: the index sees nothing created during the test


def clone(root: Path, fake: FakeJira, items: int = ITEMS, **limits: float) -> Workspace:
    ws = make_workspace(root, fake.env(), tracker="jira", jira=fake.config(), limits=limits)
    for path in ws.postmortems.glob("*.md"):
        path.unlink()
    write_postmortems(ws.postmortems, items)
    return ws


def by_item(fake: FakeJira) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for issue in fake.issues():
        ids = [lbl[10:] for lbl in issue["fields"]["labels"] if lbl.startswith("pmsync-id-")]
        for item in ids:
            found.setdefault(item, []).append(issue["key"])
    return found


def test_lost_bulk_answer_rerun_while_the_index_lags(tmp_path: Path, fake_jira: FakeJira) -> None:
    fake_jira.search_lag = LAG
    ws = clone(tmp_path, fake_jira, items=5, intent_grace=0)  # the grace passed, the lag not
    fake_jira.inject("POST", r"/issue/bulk$", DropAfterCommit())
    assert actions(ws.push()) == {"fail": 5}
    assert len(fake_jira.issues()) == 5
    assert actions(ws.push()) == {"unchanged": 5}
    assert len(fake_jira.issues()) == 5
    assert all(record.issue is not None for record in ws.state().items.values())


def test_lost_bulk_answer_rerun_within_the_grace_waits(tmp_path: Path, fake_jira: FakeJira) -> None:
    fake_jira.search_lag = LAG
    ws = clone(tmp_path, fake_jira, items=5)  # limits.intent_grace: 60 s by default
    fake_jira.inject("POST", r"/issue/bulk$", DropAfterCommit())
    ws.push()
    assert actions(ws.push()) in ({"pending": 5}, {"unchanged": 5})
    assert len(fake_jira.issues()) == 5


@pytest.mark.parametrize("lag", ["requests", "seconds"])
def test_two_clones_one_after_the_other(tmp_path: Path, fake_jira: FakeJira, lag: str) -> None:
    if lag == "requests":
        fake_jira.search_lag = LAG
    else:  # Jira Cloud's few seconds, on a clock that stands still meanwhile
        moment = datetime(2024, 6, 1, 10, 0, tzinfo=timezone.utc)
        fake_jira.clock, fake_jira.search_lag_seconds = (lambda: moment), 10
    first, second = clone(tmp_path / "a", fake_jira), clone(tmp_path / "b", fake_jira)
    assert actions(first.push()) == {"create": ITEMS}
    assert actions(second.push()) == {"unchanged": ITEMS}
    assert len(fake_jira.issues()) == ITEMS
    assert all(len(keys) == 1 for keys in by_item(fake_jira).values())


def test_catching_up_reads_past_a_deleted_issue(tmp_path: Path, fake_jira: FakeJira) -> None:
    first = clone(tmp_path / "a", fake_jira, items=3)
    first.push()
    fake_jira.search_lag = LAG
    first.configure(limits={"intent_grace": 0})
    write_postmortems(first.postmortems, 6)
    assert actions(first.push()) == {"create": 3, "unchanged": 3}
    fake_jira.delete("OPS-4")  # a gap in the keys the catch-up reads
    second = clone(tmp_path / "b", fake_jira, items=6)
    assert actions(second.push()) == {"create": 1, "unchanged": 5}
    assert len(fake_jira.issues()) == 6


def test_two_clones_on_data_center(tmp_path: Path, fake_jira_dc: FakeJira) -> None:
    fake_jira_dc.search_lag = LAG
    first, second = clone(tmp_path / "a", fake_jira_dc), clone(tmp_path / "b", fake_jira_dc)
    assert actions(first.push()) == {"create": ITEMS}
    assert actions(second.push()) == {"unchanged": ITEMS}
    assert len(fake_jira_dc.issues()) == ITEMS

"""The state file: atomic save, .bak, journal replay, lock, corruption."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from pmsync.errors import StateCorrupt, StateLocked
from pmsync.state.store import (
    IssueRecord,
    ItemRecord,
    Journal,
    SyncState,
    backup_path,
    journal_path,
    load_state,
    locked,
    save_state,
)


def record(title: str = "Fix it") -> ItemRecord:
    return ItemRecord(
        doc="doc", title=title, issue=IssueRecord(tracker="github", key="a/b#1", url="u")
    )


def test_missing_state_is_empty(tmp_path: Path) -> None:
    assert load_state(tmp_path / "state.json").items == {}


def test_save_is_sorted_pretty_json_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / ".pmsync" / "state.json"
    state = SyncState(items={"b": record("B"), "a": record("A")})
    save_state(state, path)
    text = path.read_text()
    assert text.index('"a"') < text.index('"b"') and text.startswith("{\n  ")
    assert json.loads(text)["version"] == 1
    assert load_state(path) == state


def test_second_save_keeps_last_good_copy(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    save_state(SyncState(items={"a": record("first")}), path)
    save_state(SyncState(items={"a": record("second")}), path)
    assert load_state(backup_path(path)).items["a"].title == "first"


def test_corrupt_state_names_file_and_keeps_it(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    save_state(SyncState(items={"a": record()}), path)
    save_state(SyncState(items={"a": record()}), path)
    path.write_text('{"items": {"a": ')  # truncated
    with pytest.raises(StateCorrupt) as error:
        load_state(path)
    assert str(path) in str(error.value) and "state.json.bak" in str(error.value)
    assert path.read_text() == '{"items": {"a": '  # never overwritten by the error path


def test_corrupt_state_is_not_backed_up_over_the_good_copy(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    save_state(SyncState(items={"a": record("good")}), path)
    save_state(SyncState(items={"a": record("good")}), path)
    path.write_text("garbage")
    save_state(SyncState(items={"a": record("new")}), path)
    assert load_state(backup_path(path)).items["a"].title == "good"


def test_journal_is_replayed_and_a_torn_line_ignored(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    journal = Journal(path)
    journal.append("a", record("A"))
    journal.append("b", record("B"))
    journal.forget("b")
    journal.close()
    with journal_path(path).open("a") as handle:
        handle.write('{"item": "c", "rec')  # a crash mid-line
    state = load_state(path)
    assert set(state.items) == {"a"}
    save_state(state, path)
    assert not journal_path(path).exists()


def test_second_run_waits_on_the_lock_then_fails_clearly(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    entered = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with locked(path, timeout=1):
            entered.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    entered.wait(5)
    try:
        with pytest.raises(StateLocked, match="another pmsync run"), locked(path, timeout=0.2):
            pass
    finally:
        release.set()
        holder.join()
    with locked(path, timeout=0.2):
        pass

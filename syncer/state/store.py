"""The state file: what pmsync pushed, where each item's issue is, and what it last saw.

JSON, pretty-printed with sorted keys (diffable and committed from CI), with a schema
version. Durability in three parts:
- `state.json` is replaced atomically (temp file, fsync, rename); the previous good copy
  is kept as `state.json.bak`.
- `state.json.journal` is an append-only log of intents and results written (and
  fsynced) around each remote write, so a crash between two saves loses nothing: the
  next load replays it. An intent without a result is a create that may have landed.
- A file lock (`state.json.lock`) keeps two runs from interleaving; the second waits a
  bounded time.

The state is an accelerator and a baseline, not the only truth: with it deleted, the
issue markers in the tracker rebuild it.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import filelock
import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pmsync.errors import StateCorrupt, StateError, StateLocked
from pmsync.model import IssueRef
from pmsync.state.gitfiles import write_git_files

SCHEMA_VERSION = 1
_PRETTY = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS


class Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class IssueRecord(Model):
    tracker: str
    key: str
    url: str
    id: str = ""

    def ref(self) -> IssueRef:
        return IssueRef(self.tracker, self.key, self.url, self.id)

    @classmethod
    def of(cls, ref: IssueRef) -> IssueRecord:
        return cls(tracker=ref.tracker, key=ref.key, url=ref.url, id=ref.id)


class Pushed(Model):
    """What pmsync last wrote to the issue, field by field: the baseline that lets a
    re-run decide with no network call, and lets people's edits in the tracker stand."""

    title: str = ""
    body_hash: str = ""
    labels: list[str] = Field(default_factory=list)
    assignee: str | None = None
    due: date | None = None
    priority: str | None = None


class Status(Model):
    state: str = "open"
    state_reason: str | None = None
    assignee: str | None = None
    due: date | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None
    last_seen: datetime | None = None
    missing: bool = False  # deleted, transferred or no longer visible


class ItemRecord(Model):
    doc: str
    title: str
    container: str = ""
    content_hash: str = ""
    aliases: list[str] = Field(default_factory=list)
    issue: IssueRecord | None = None
    adopted: bool = False
    intent: datetime | None = None  # a create was sent and its outcome is not known
    # The item's tick as pmsync last synced it between the postmortem and the issue
    # (None: not known yet). The side that moved away from it since wins (see writeback).
    done: bool | None = None
    pushed: Pushed | None = None
    status: Status | None = None


class ParentRecord(Model):
    """A postmortem's parent issue (`defaults.parent`): where it is and what pmsync last
    wrote to it, so a re-run with nothing new makes no request."""

    tracker: str
    container: str = ""
    issue: IssueRecord | None = None
    intent: datetime | None = None  # a create was sent and its outcome is not known
    title: str = ""  # what pmsync last wrote: title, intro (summary, link), items
    intro: str = ""
    items: list[str] = Field(default_factory=list)  # item ids, in the postmortem's order
    body_hash: str = ""  # of the text last written ("": unknown, rewrite it)
    # Items whose issue is the parent's child natively, or all of them once the tracker
    # said it has no native children (`native` false: the checklist alone).
    linked: list[str] = Field(default_factory=list)
    native: bool = True
    closed: bool = False  # as pmsync last set it
    # False: its postmortem no longer asks for a parent; status leaves it alone
    active: bool = True


class DocumentRecord(Model):
    path: str
    title: str | None = None
    id: str | None = None  # its front matter `id`, slugged, when it has one
    retired: bool = False  # its file is gone and --force-new said a new one is not it


class TrackerRecord(Model):
    last_push: datetime | None = None
    last_status: datetime | None = None
    last_full: datetime | None = None  # the last status that listed every issue
    # What the tracker's adapter keeps about this container between runs; only the
    # adapter reads it (pmsync.adapters.base.Tracker.recall / memo).
    memo: dict[str, Any] = Field(default_factory=dict)


class HistoryPoint(Model):
    at: date
    open: int
    closed: int
    overdue: int


class Reminded(Model):
    """When `pmsync remind` last named an item in a digest, and last commented on its
    issue: each at most once every `remind.every_days`."""

    digest: date | None = None
    comment: date | None = None


class SyncState(Model):
    version: int = SCHEMA_VERSION
    documents: dict[str, DocumentRecord] = Field(default_factory=dict)
    items: dict[str, ItemRecord] = Field(default_factory=dict)
    trackers: dict[str, TrackerRecord] = Field(default_factory=dict)
    history: list[HistoryPoint] = Field(default_factory=list)
    reminded: dict[str, Reminded] = Field(default_factory=dict)  # by item id
    parents: dict[str, ParentRecord] = Field(default_factory=dict)  # by postmortem key

    def find(self, item_id: str) -> tuple[str, ItemRecord] | None:
        """The record for an item id, also under an alias (an item whose wording changed)."""
        if item_id in self.items:
            return item_id, self.items[item_id]
        for key, record in self.items.items():
            if item_id in record.aliases:
                return key, record
        return None

    def tracker(self, name: str, container: str) -> TrackerRecord:
        return self.trackers.setdefault(f"{name}:{container}", TrackerRecord())


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def precise_now() -> datetime:
    """For `since` markers: truncating could make a read miss nothing, but would make
    the next read return again what changed in the same second."""
    return datetime.now(timezone.utc)


# --- files ----------------------------------------------------------------------------


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


@contextlib.contextmanager
def locked(
    path: Path, timeout: float, waiting: Callable[[str], None] = lambda message: None
) -> Iterator[None]:
    """Hold the state lock; a second run says it waits, waits up to `timeout` seconds,
    then gives up."""
    make_folder(path)
    write_git_files(path)  # before the lock file exists: `git add -A` must not take it
    lock = filelock.FileLock(str(path.with_name(path.name + ".lock")))
    try:
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            waiting(
                f"{path} is locked by another pmsync run: waiting up to {timeout:g}s "
                "(limits.lock_timeout)"
            )
            lock.acquire(timeout=timeout)
    except filelock.Timeout:
        raise StateLocked(
            f"{path}: another pmsync run holds the lock ({timeout:g}s waited); "
            "try again when it finishes, or raise limits.lock_timeout"
        ) from None
    try:
        yield
    finally:
        lock.release()


def make_folder(path: Path) -> None:
    """The state file's folder; a path through a file is the `state` setting's fault."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StateError(
            f"{path}: cannot create the state file's folder ({exc.strerror or exc}); "
            "check the `state` setting"
        ) from None


def load_state(path: Path) -> SyncState:
    """The saved state with the journal replayed; an empty state when there is none."""
    state = _read_state_file(path) if path.exists() else SyncState()
    replay_journal(state, journal_path(path))
    return state


def _read_state_file(path: Path) -> SyncState:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        version = data.get("version", SCHEMA_VERSION)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ValueError(f"schema version {version!r} is not a positive whole number")
        if version > SCHEMA_VERSION:
            raise ValueError(f"schema version {version} is newer than this pmsync")
        return SyncState.model_validate(data)
    except (OSError, ValueError, ValidationError) as exc:
        reason = str(exc).splitlines()[0]
        hint = f"restore {backup_path(path)}" if backup_path(path).exists() else "delete it"
        raise StateCorrupt(
            f"{path}: state file is damaged ({reason}); {hint} or run `pmsync state rebuild`"
        ) from None


def save_state(state: SyncState, path: Path) -> None:
    """Write atomically, keep the previous good copy, then drop the replayed journal."""
    make_folder(path)
    write_git_files(path)
    data = state_bytes(state)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists() and _is_valid(path):
            _copy_atomic(path, backup_path(path))
        # Replaced, never moved away first: a crash at any point leaves a state file.
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(journal_path(path))


def state_bytes(state: SyncState) -> bytes:
    """The state file's content: pretty, sorted keys, so that git diffs and merges it."""
    # orjson: the standard encoder falls back to pure Python when indenting (0.8 s for
    # 5,000 items, against 20 ms).
    return orjson.dumps(state.model_dump(mode="json"), option=_PRETTY) + b"\n"


def _copy_atomic(source: Path, target: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(source.read_bytes())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _is_valid(path: Path) -> bool:
    """Whether the file on disk is worth keeping as the last good copy. Damage is a torn
    or overwritten file: a JSON check finds it without validating every record again."""
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return False
    return isinstance(data, dict) and isinstance(data.get("items", {}), dict)


# --- journal --------------------------------------------------------------------------


class Journal:
    """Append-only log of remote writes between two saves, fsynced line by line."""

    def __init__(self, state_file: Path) -> None:
        self.path = journal_path(state_file)
        make_folder(self.path)
        self._handle = self.path.open("a", encoding="utf-8")

    def append(self, item_id: str, record: ItemRecord) -> None:
        self._write({"item": item_id, "record": record.model_dump(mode="json")})

    def _write(self, line: dict[str, Any]) -> None:
        self._handle.write(json.dumps(line, sort_keys=True) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def append_parent(self, doc_key: str, record: ParentRecord) -> None:
        self._write({"parent": doc_key, "record": record.model_dump(mode="json")})

    def forget(self, item_id: str) -> None:
        self._write({"item": item_id, "forget": True})

    def close(self) -> None:
        self._handle.close()


def replay_journal(state: SyncState, path: Path) -> int:
    """Apply journal lines to `state`; a torn line (crash mid-write) is ignored."""
    if not path.exists():
        return 0
    count = 0
    # Undecodable bytes and lines that are not entries are skipped like a torn line: a
    # crash mid-write leaves one, and the next run appends after it.
    for raw in path.read_bytes().decode("utf-8", errors="replace").splitlines():
        try:
            entry: dict[str, Any] = json.loads(raw)
            if not isinstance(entry, dict):
                continue
            if "parent" in entry:
                state.parents[entry["parent"]] = ParentRecord.model_validate(entry["record"])
            elif entry.get("forget"):
                state.items.pop(entry["item"], None)
            else:
                state.items[entry["item"]] = ItemRecord.model_validate(entry["record"])
        except (ValueError, KeyError, TypeError, ValidationError):
            continue
        count += 1
    return count

"""What an adapter whose tracker lists issues "updated since" keeps about one container
(repository, project, team) between runs, in the state's opaque per-container memo. GitHub,
GitLab and Linear share it; each adds its own keys beside it, and tells how its issues'
text splits around pmsync's block (`split`: base.split_outside unless the tracker drops
HTML comments, as Linear does).

- `outside`: per issue, the text people wrote around pmsync's block, as last read or
  written. An update rebuilds the description from it without fetching the issue first.
- `since`: people's edits before this moment are in `outside`, in the tracker's clock. A
  push reads the issues edited after it (one listing) before its first update, and moves
  it on when it ends.

Within a run it also tracks which issues were read (their text is current) and how many
writes were made (past `SETTLE_AFTER`, the end of a push reads its own writes back once,
so the next push's listing of edits does not return them all again). Writes sent in batches
(Linear's creates, 50 a request) are not counted: reading them back would cost more
requests than writing them did, and the next push reads them only if it updates something.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from pmsync.adapters.base import split_outside
from pmsync.errors import TrackerError

# Below one listing page of writes, reading them back would cost the next push nothing
# to save.
SETTLE_AFTER = 100
# The adapter's listing of issues updated since a moment (all without one); it notes
# each issue's text in the memo as it goes.
Listing = Callable[[datetime | None], Iterable[object]]
# An issue's text → the text people wrote (before, after) pmsync's block.
Splitter = Callable[[str | None], tuple[str, str]]


@dataclass
class EditMemo:
    since: datetime | None = None
    outside: dict[str, tuple[str, str]] = field(default_factory=dict)  # key → before, after
    recalled: bool = False  # loaded from the state: `outside` and `since` can be trusted
    read: set[str] = field(default_factory=set)  # issues read in this run
    edits_read: bool = False  # the issues edited since `since` were listed in this run
    edits_failed: TrackerError | None = None
    writes: int = 0
    # How far this machine's clock may run ahead of the tracker's: the least of the bounds the
    # writes gave (None before any write).
    bound: timedelta | None = None
    split: Splitter = split_outside

    @classmethod
    def load(cls, memo: Mapping[str, Any], split: Splitter = split_outside) -> EditMemo:
        since = memo.get("since")
        return cls(
            since=datetime.fromisoformat(since) if since else None,
            outside={k: (v[0], v[1]) for k, v in (memo.get("outside") or {}).items()},
            recalled=True,
            split=split,
        )

    def dump(self) -> dict[str, Any]:
        memo: dict[str, Any] = {"outside": dict(self.outside)}
        if self.since is not None:
            memo["since"] = self.since.isoformat()
        return {k: v for k, v in memo.items() if v}

    def wrote(
        self, key: str, body: str | None, stamp: datetime | None, *, batched: bool = False
    ) -> None:
        """pmsync just wrote this issue: note its text, count the write (unless `batched`),
        and learn the clock skew from the stamp the tracker put on it (an upper bound: the
        answer took time, and a stamp may be cut to the second, so the least bound is the
        best).
        A runner ahead of the tracker would otherwise ask for edits `since` a moment
        the tracker has not reached, miss people's notes made meanwhile, and overwrite them."""
        self.note(key, body)
        self.writes += 0 if batched else 1
        if stamp is not None:
            stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
            sample = now() - stamp
            self.bound = sample if self.bound is None else min(self.bound, sample)

    def around(self, key: str, listing: Listing) -> tuple[str, str] | None:
        """People's text around the block of issue `key`, after reading the issues
        edited since `since` once (`listing`); None when the state had no memo: the
        caller must read the issue."""
        if not self.recalled:
            return None
        if key not in self.read and not self.edits_read:
            self._read_edits(listing)
        return self.outside.get(key, ("", ""))

    def _read_edits(self, listing: Listing) -> None:
        """A failure fails every update of the run: none may guess people's text."""
        if self.edits_failed is not None:
            raise self.edits_failed
        try:
            for _ in listing(self.since):
                pass  # each issue's text is noted on the way
        except TrackerError as exc:
            message = f"could not read the issues before updating them: {exc}"
            self.edits_failed = type(exc)(
                message, transient=exc.transient, retry_after=exc.retry_after
            )
            raise self.edits_failed from None
        self.edits_read = True

    @property
    def ahead(self) -> timedelta:
        """Never less than zero: a runner behind the tracker just reads a little more."""
        return max(timedelta(0), self.bound or timedelta(0))

    def settle(self, started: datetime, listing: Listing) -> None:
        """A push that started at `started` ended: people's edits before it are known.
        After many writes, read them back now (one request per 100) so the next push's
        listing of edits does not return pmsync's own writes."""
        started -= self.ahead  # in the tracker's time: it compares `since` with its own clock
        self.since = started
        if self.writes <= SETTLE_AFTER:
            return
        settled = now() - self.ahead
        try:
            for _ in listing(started):
                pass
        except TrackerError:
            return  # the next push reads from the start of this one: still right
        self.since = settled

    def note(self, key: str, body: str | None) -> None:
        """The current body of an issue, just read or written: keep people's text."""
        before, after = self.split(body)
        if before.strip() or after.strip():
            self.outside[key] = (before, after)
        else:
            self.outside.pop(key, None)
        self.read.add(key)


@dataclass
class EditMemos:
    """An adapter's memos, one per container (repository, project, team), with its
    listing of a container's issues updated since a moment (all without one), which
    notes each issue's text in the container's memo as it goes."""

    listing: Callable[[str, datetime | None], Iterable[object]]
    split: Splitter = split_outside
    memos: dict[str, EditMemo] = field(default_factory=dict)

    def recall(self, container: str, memo: Mapping[str, Any]) -> None:
        self.memos[container] = EditMemo.load(memo, split=self.split)

    def dump(self, container: str) -> dict[str, Any]:
        return self.of(container).dump()

    def of(self, container: str) -> EditMemo:
        return self.memos.setdefault(container, EditMemo(split=self.split))

    def settle(self, container: str, started: datetime) -> None:
        self.of(container).settle(started, lambda since: self.listing(container, since))

    def around(self, container: str, key: str) -> tuple[str, str] | None:
        """People's text around the block of issue `key` (see `EditMemo.around`)."""
        return self.of(container).around(key, lambda since: self.listing(container, since))


def now() -> datetime:
    """Full precision: a truncated `since` would make the next read return again what
    changed in the same second."""
    return datetime.now(timezone.utc)

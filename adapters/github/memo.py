"""What the GitHub adapter keeps about one repository between runs: the state's opaque
per-container memo, owned here.

- `etags`: the ETag of each single-page listing (URL without `since`), so an unchanged
  status read costs a 304, which does not count against the rate limit.
- `outside`: per issue, the text people wrote around pmsync's block, as last read or
  written. An update rebuilds the body from it without fetching the issue first.
- `since`: people's edits before this moment are in `outside`. A push reads the issues
  edited after it (one listing) before its first update, and moves it on when it ends.

Within a run it also tracks which issues were read (their text is current) and how many
writes were made (past `SETTLE_AFTER`, the end of a push reads its own writes back once,
so the next push's listing of edits does not return them all again).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from pmsync.adapters.base import split_outside
from pmsync.errors import TrackerError

# Below one listing page of writes, reading them back would cost the next push nothing
# to save.
SETTLE_AFTER = 100


@dataclass
class RepoMemo:
    since: datetime | None = None
    etags: dict[str, str] = field(default_factory=dict)
    outside: dict[str, tuple[str, str]] = field(default_factory=dict)  # key → before, after
    recalled: bool = False  # loaded from the state: `outside` and `since` can be trusted
    read: set[str] = field(default_factory=set)  # issues read in this run
    edits_read: bool = False  # the issues edited since `since` were listed in this run
    edits_failed: TrackerError | None = None
    writes: int = 0
    ahead: timedelta = timedelta(0)  # how far this machine's clock runs ahead of GitHub's

    @classmethod
    def load(cls, memo: Mapping[str, Any]) -> RepoMemo:
        since = memo.get("since")
        return cls(
            since=datetime.fromisoformat(since) if since else None,
            etags=dict(memo.get("etags") or {}),
            outside={k: (v[0], v[1]) for k, v in (memo.get("outside") or {}).items()},
            recalled=True,
        )

    def dump(self) -> dict[str, Any]:
        memo: dict[str, Any] = {"etags": dict(self.etags), "outside": dict(self.outside)}
        if self.since is not None:
            memo["since"] = self.since.isoformat()
        return {k: v for k, v in memo.items() if v}

    def wrote(self, key: str, body: str | None, stamp: datetime | None) -> None:
        """pmsync just wrote this issue: note its text, count the write, and learn the
        clock skew from the stamp GitHub put on it (an upper bound: the answer took
        time). A runner ahead of GitHub would otherwise ask for edits `since` a moment
        GitHub has not reached, miss people's notes made meanwhile, and overwrite them."""
        self.note(key, body)
        self.writes += 1
        if stamp is not None:
            stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
            self.ahead = max(self.ahead, now() - stamp)

    def note(self, key: str, body: str | None) -> None:
        """The current body of an issue, just read or written: keep people's text."""
        before, after = split_outside(body)
        if before.strip() or after.strip():
            self.outside[key] = (before, after)
        else:
            self.outside.pop(key, None)
        self.read.add(key)


def now() -> datetime:
    """Full precision: a truncated `since` would make the next read return again what
    changed in the same second."""
    return datetime.now(timezone.utc)

"""What the GitLab adapter keeps about one project between runs: the state's opaque
per-container memo, owned here.

- `outside`: per issue, the text people wrote around pmsync's block, as last read or
  written. An update rebuilds the description from it without fetching the issue first.
- `since`: people's edits before this moment are in `outside`. A push reads the issues
  edited after it (one listing, `updated_after`) before its first update, and moves it on
  when it ends.

Within a run it also tracks which issues were read (their text is current) and how many
writes were made (past `SETTLE_AFTER`, the end of a push reads its own writes back once,
so the next push's listing of edits does not return them all again).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pmsync.adapters.base import split_outside
from pmsync.errors import TrackerError

SETTLE_AFTER = 100  # below one listing page of writes, reading them back saves nothing


@dataclass
class ProjectMemo:
    since: datetime | None = None
    outside: dict[str, tuple[str, str]] = field(default_factory=dict)  # key → before, after
    recalled: bool = False  # loaded from the state: `outside` and `since` can be trusted
    read: set[str] = field(default_factory=set)  # issues read or written in this run
    edits_read: bool = False  # the issues edited since `since` were listed in this run
    edits_failed: TrackerError | None = None
    writes: int = 0

    @classmethod
    def load(cls, memo: Mapping[str, Any]) -> ProjectMemo:
        since = memo.get("since")
        return cls(
            since=datetime.fromisoformat(since) if since else None,
            outside={k: (v[0], v[1]) for k, v in (memo.get("outside") or {}).items()},
            recalled=True,
        )

    def dump(self) -> dict[str, Any]:
        memo: dict[str, Any] = {"outside": dict(self.outside)}
        if self.since is not None:
            memo["since"] = self.since.isoformat()
        return {k: v for k, v in memo.items() if v}

    def note(self, key: str, body: str | None) -> None:
        """The current description of an issue, just read or written: keep people's text."""
        before, after = split_outside(body)
        if before.strip() or after.strip():
            self.outside[key] = (before, after)
        else:
            self.outside.pop(key, None)
        self.read.add(key)

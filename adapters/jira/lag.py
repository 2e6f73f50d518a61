"""Catching up with Jira's search index, which lags behind its writes.

On Jira Cloud an issue is readable by key as soon as its create is answered, and found
by JQL only seconds later. A listing made in that window (a re-run after a lost bulk
answer, a second clone pushing right after the first) would not see the newest issues
and pmsync would create them again. So a full listing also reads, by key, the issues
past the newest one the index knows: keys are numbered in order within a project.

Cost: one search (`ORDER BY key DESC`, one result) made before the listing, then one
GET per issue the index has not caught up with, and `GAP` GETs answered 404 that end
the catch-up (a deleted issue leaves a hole in the numbers; `GAP` holes in a row end it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pmsync.errors import NotFound

GAP = 3  # missing keys in a row that end the catch-up
LIMIT = 1000  # keys read at most: a bound, far above any index lag


def newest_query(project: str) -> str:
    """The JQL whose first hit is the project's newest indexed issue."""
    return f"project = {project} ORDER BY key DESC"


def key_number(key: str) -> int:
    return int(key.rpartition("-")[2])


def unindexed(
    project: str, newest: int, read: Callable[[str], dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """The issues of `project` numbered past `newest`, read one by one by key (`read`
    raises NotFound for a key with no issue) until `GAP` keys in a row have none."""
    misses = 0
    for number in range(newest + 1, newest + 1 + LIMIT):
        try:
            raw = read(f"{project}-{number}")
        except NotFound:
            misses += 1
            if misses >= GAP:
                return
            continue
        misses = 0
        if str(raw.get("key", "")).rpartition("-")[0] == project:  # a moved issue: elsewhere
            yield raw

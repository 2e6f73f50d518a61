"""The tracker protocol every adapter implements, the issue marker, and the one
retry/pacing policy that owns all waiting.

Adding a tracker = one subpackage `adapters/<name>/` exporting a `TrackerSpec` (see
`spec.py`), plus one line in `adapters/__init__.py` (CONTRIBUTING.md lists the files).
Adapters import their client library inside `connect()` so `pmsync --help` stays fast,
and convert every library object and exception at the boundary: nothing but the
types of `pmsync.model` and `pmsync.errors` leaves an adapter.
"""

from __future__ import annotations

import html
import logging
import random
import re
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

from pmsync.errors import RateLimited, TrackerError
from pmsync.model import Created, Failed, IssueDraft, IssueRef, RemoteIssue

log = logging.getLogger(__name__)
T = TypeVar("T")

# What an adapter keeps about one container between runs: JSON values, stored in the
# state by the engine, which never reads them.
Memo = dict[str, Any]

# Ends the comment pmsync leaves when it closes an issue, in trackers whose comments are
# Markdown with HTML comments kept: a re-run whose close failed after the comment landed
# finds it and does not comment twice.
CLOSE_MARKER = "<!-- pmsync:closed -->"


class Tracker(Protocol):
    name: ClassVar[str]
    max_batch: ClassVar[int]  # creates per request: 1 on GitHub, 50 on Jira

    def recall(self, container: str, memo: Memo) -> None:
        """Before any work in `container`: what `memo(container)` returned at the end of
        the last run (an empty dict the first time)."""

    def memo(self, container: str) -> Memo:
        """After the work in `container`: what to keep for the next run."""
        ...

    def settle(self, container: str, started: datetime) -> None:
        """A push to `container` that started at `started` ended without being stopped."""

    def list_managed(self, container: str, since: datetime | None = None) -> Iterator[RemoteIssue]:
        """Every issue pmsync manages in `container` (repo or project), updated at or
        after `since` when given, in bulk pages, pull requests excluded. Must raise
        rather than end early: callers conclude "not there" only from a full listing.
        With `since`, an adapter may yield nothing when the tracker answers that nothing
        changed since the same read in an earlier run (a conditional request)."""
        ...

    def get(self, ref: IssueRef) -> RemoteIssue | None:
        """One issue by ref; None when deleted, transferred or not visible."""

    def create(self, drafts: Sequence[IssueDraft]) -> list[Created | Failed]:
        """Create up to `max_batch` issues; one result per draft, in order. A failure
        that may have reached the server is `Failed(maybe_applied=True)`."""
        ...

    def update(self, ref: IssueRef, draft: IssueDraft, fields: Collection[str]) -> RemoteIssue:
        """Set `fields` (title, body, labels, assignee, due, priority) of an existing
        issue to the draft's values. Whatever the tracker keeps beside pmsync's own text
        (people's notes around the block) is the adapter's to keep."""
        ...

    def close(self, ref: IssueRef, comment: str) -> RemoteIssue:
        """Comment, then close (Jira: apply the done transition). Closing a closed
        issue succeeds."""
        ...


@dataclass(frozen=True)
class Diagnosis:
    """One line of `pmsync doctor`: a check that passed, or failed with what to do.

    A tracker's spec may offer `diagnose(section, env, policy) -> list[Diagnosis]`: its
    token, access and permission checks, in a handful of requests."""

    ok: bool
    what: str
    fix: str = ""


@runtime_checkable
class Commenting(Protocol):
    """A tracker that can comment on an issue (`pmsync remind` with `remind.comment`)."""

    def comment(self, ref: IssueRef, text: str, mention: str | None) -> None:
        """Add `text` (Markdown) as a comment; `mention` is an account to notify in it
        (a login, an account id), rendered the tracker's way."""


@runtime_checkable
class Parenting(Protocol):
    """A tracker with native parent/child issues (`defaults.parent`): GitHub sub-issues,
    Jira's parent field, GitLab epics or issue links, Linear's parentId. Optional:
    without it a postmortem's parent issue carries its checklist alone.

    The parent itself is created and updated through `create`/`update` like an item:
    its draft has `kind="parent"` and its marker carries the parent's id."""

    @property
    def links_on_create(self) -> bool:
        """True: `create` puts a draft whose `parent` is set under that parent at once
        (no request more); a new postmortem's parent is then created before its items."""
        ...

    def link_child(self, parent: IssueRef, child: IssueRef) -> bool:
        """Make `child` a child of `parent`; linking it again succeeds. False when this
        tracker (a server without the feature) has no native children: nothing was done."""
        ...


def listed_parents(tracker: Tracker, container: str) -> Iterator[RemoteIssue]:
    """Parents a tracker keeps apart from its issues, so `list_managed` does not list
    them (GitLab's group epics): looked for, beside the container's listing, where
    parents are in use. `list_parents(container)` is optional: most trackers' parents
    are issues of the container."""
    list_parents: Callable[[str], Iterator[RemoteIssue]] | None = getattr(
        tracker, "list_parents", None
    )
    return iter(()) if list_parents is None else list_parents(container)


def finish_writes(tracker: Tracker) -> list[str]:
    """Send the writes an adapter queued to batch them (GitHub: Projects v2 due dates),
    at the end of a group's push; their warnings. `finish() -> list[str]` is optional:
    an adapter that writes at once has none."""
    finish: Callable[[], list[str]] | None = getattr(tracker, "finish", None)
    return list(finish()) if finish is not None else []


def prefetch_bodies(tracker: Tracker, refs: Sequence[IssueRef]) -> None:
    """Before updating the bodies of `refs`: lets an adapter that must read an issue's
    current text to keep people's part (Jira) read them in bulk. Optional, as `finish`."""
    prefetch: Callable[[Sequence[IssueRef]], None] | None = getattr(tracker, "prefetch", None)
    if prefetch is not None and refs:
        prefetch(refs)


# --- marker -------------------------------------------------------------------------
# The block pmsync owns inside an issue body. The begin marker carries the item id and
# the content hash, so identity is recoverable from the tracker alone.

_BEGIN = "<!-- pmsync:begin item={item} hash={hash} -->"
_END = "<!-- pmsync:end -->"
_BEGIN_RE = re.compile(r"^<!-- pmsync:begin item=([A-Za-z0-9._-]+) hash=([0-9a-f]*) -->$", re.M)
_END_RE = re.compile(r"^<!-- pmsync:end -->$", re.M)


def neutralize(markdown: str) -> str:
    """Make document text safe inside an issue body: raw HTML (and so any text imitating
    the marker) is escaped, so an item can never carry another item's identity."""
    return html.escape(markdown, quote=False)


def render_block(item_id: str, content_hash: str, markdown: str) -> str:
    begin = _BEGIN.format(item=item_id, hash=content_hash)
    return f"{begin}\n{markdown.strip()}\n{_END}"


def read_marker(body: str | None) -> tuple[str, str] | None:
    """(item id, content hash) of the first marker block in a body, or None."""
    match = _BEGIN_RE.search(body or "")
    return (match.group(1), match.group(2)) if match else None


def replace_block(body: str | None, block: str) -> str:
    """`body` with its marker block replaced by `block`; text outside is kept."""
    return wrap_block(split_outside(body), block)


def wrap_block(outside: tuple[str, str], block: str) -> str:
    """`block` with the text people wrote before and after it (see `split_outside`)."""
    before, after = outside
    parts = [p for p in (before.rstrip("\n"), block, after.lstrip("\n")) if p]
    return "\n\n".join(parts)


def split_outside(body: str | None) -> tuple[str, str]:
    """The text people wrote before and after pmsync's block (all of it, if none)."""
    text = (body or "").replace("\r\n", "\n")
    begin = _BEGIN_RE.search(text)
    if not begin:
        return text, ""
    end = _END_RE.search(text, begin.end())
    if not end:
        return text[: begin.start()], ""
    return text[: begin.start()], text[end.end() :]


# --- retry and pacing ---------------------------------------------------------------


@dataclass
class RetryPolicy:
    """All waiting goes through here: bounded, jittered, and never silent when long.

    The client libraries' own retries are switched off by the adapters, so no request
    is retried by two layers."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_wait: float = 300.0  # a single wait longer than this stops the run cleanly
    announce_after: float = 3.0
    writes_per_minute: float = 80.0  # 0: no pacing
    announce: Callable[[str], None] = field(default=lambda msg: log.warning("%s", msg))
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _last_write: float | None = field(default=None, repr=False)

    def call(self, what: str, fn: Callable[[], T], *, write: bool = False) -> T:
        """Run `fn`, retrying transient TrackerErrors. A write whose outcome is unknown
        (`maybe_applied`) is never retried here: the engine reconciles it."""
        for attempt in range(1, self.attempts + 1):
            if write:
                self.pace()
            try:
                return fn()
            except TrackerError as exc:
                if not exc.transient or exc.maybe_applied or attempt == self.attempts:
                    raise
                reason = str(exc) if what in str(exc) else f"{what}: {exc}"  # said once
                self.wait(self.delay(attempt, exc.retry_after), reason)
        raise AssertionError("unreachable")

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return max(0.0, retry_after)
        backoff: float = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return backoff / 2 + random.uniform(0, backoff / 2)

    def wait(self, seconds: float, reason: str) -> None:
        if seconds > self.max_wait:
            raise RateLimited(
                f"{reason}; the tracker asks to wait {seconds:.0f}s, more than "
                f"max_wait ({self.max_wait:.0f}s): stopping, work so far is recorded"
            )
        if seconds > self.announce_after:
            self.announce(f"waiting {seconds:.0f}s: {reason}")
        self.sleep(seconds)

    def pace(self) -> None:
        """Space writes to stay under the tracker's secondary rate limit."""
        if self.writes_per_minute <= 0:
            return
        interval = 60.0 / self.writes_per_minute
        now = self.clock()
        if self._last_write is not None and now - self._last_write < interval:
            self.sleep(interval - (now - self._last_write))
            now = self.clock()
        self._last_write = now


def chunks(seq: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]

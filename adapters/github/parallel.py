"""Concurrent creates on GitHub (`github.parallel_creates` > 1, only with pacing off)."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar

from pmsync.adapters.github.client import Response
from pmsync.adapters.github.tracker import GitHubTracker, Prepared, is_fatal
from pmsync.errors import TrackerError
from pmsync.model import Created, Failed, IssueDraft


class ParallelGitHubTracker(GitHubTracker):
    """`parallel_creates` > 1 (pacing off): the engine hands over batches of
    MAX_PARALLEL creates, whose POSTs go out concurrently.

    Exactly-once holds as in a serial run: the engine records every intent of the batch
    before calling `create`; each POST is one request, never re-sent when its outcome is
    unknown; every draft gets its own result, in order. Labels and milestones are made
    before any POST, one at a time. AuthError or RateLimited on any POST stops the run:
    raised when nothing of the batch was created, else the created issues are returned
    and every later call raises it (a raise would lose them and create them twice)."""

    max_batch: ClassVar[int] = 8

    def create(self, drafts: Sequence[IssueDraft]) -> list[Created | Failed]:
        if len(drafts) <= 1 or self.policy.writes_per_minute > 0:
            return super().create(drafts)
        prepared = [self._prepare(draft) for draft in drafts]
        ready = [p for p in prepared if not isinstance(p, Failed)]
        outcomes = dict(zip(map(id, ready), self._post_all(ready), strict=True))
        fatal = next((o for o in outcomes.values() if is_fatal(o)), None)
        if fatal is not None:
            if not any(isinstance(o, Response) for o in outcomes.values()):
                raise fatal
            self._stopped = fatal
        return [p if isinstance(p, Failed) else self._settle(p, outcomes[id(p)]) for p in prepared]

    def _post_all(self, ready: list[Prepared]) -> list[Response | TrackerError]:
        if not ready:
            return []
        workers = min(self.config.parallel_creates, len(ready))
        with ThreadPoolExecutor(workers, thread_name_prefix="pmsync") as pool:
            post = lambda p: self._on_spare(lambda client: self._post(p, client))  # noqa: E731
            return list(pool.map(post, ready))

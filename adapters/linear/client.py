"""HTTP edge of the Linear adapter: GraphQL over httpx, every failure turned into a
`pmsync.errors.TrackerError` with the right retry semantics, and Linear's hourly budgets
read from every answer.

httpx is a transport here, on purpose: Linear publishes no maintained Python SDK, and
its API is one GraphQL endpoint. Nothing here retries or sleeps on its own: requests go
through `RetryPolicy.call`, which waits on RATELIMITED answers and 5xx reads, stops
cleanly past `limits.max_wait`, and never re-sends a mutation whose answer was lost.
"""

from __future__ import annotations

import math
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pmsync.adapters.base import RetryPolicy
from pmsync.errors import AuthError, NotFound, TrackerError

# A query needs at most this many complexity points (Linear refuses more per query):
# below it, the next query may be refused for want of budget, so wait for the reset.
MAX_QUERY_POINTS = 10_000


@dataclass
class Budget:
    """What Linear's rate-limit headers said last (resets in epoch seconds)."""

    requests_remaining: int | None = None
    requests_reset: float | None = None
    points_remaining: int | None = None
    points_reset: float | None = None
    last_cost: int = 0

    def read(self, headers: Mapping[str, str]) -> None:
        self.requests_remaining = _int(headers.get("x-ratelimit-requests-remaining"))
        self.requests_reset = _epoch(headers.get("x-ratelimit-requests-reset"))
        self.points_remaining = _int(headers.get("x-ratelimit-complexity-remaining"))
        self.points_reset = _epoch(headers.get("x-ratelimit-complexity-reset"))
        self.last_cost = _int(headers.get("x-complexity")) or self.last_cost

    def wait_before_next(self, now: float) -> float:
        """Seconds to wait before the next request: 0 while both budgets last."""
        waits = [0.0]
        if self.requests_remaining == 0 and self.requests_reset:
            waits.append(self.requests_reset - now)
        low = min(MAX_QUERY_POINTS, max(self.last_cost, 1))
        if self.points_remaining is not None and self.points_remaining < low and self.points_reset:
            waits.append(self.points_reset - now)
        return max(waits)

    def retry_after(self, now: float) -> float | None:
        """Whole seconds until the first budget resets (its reset is in milliseconds)."""
        resets = [r for r in (self.requests_reset, self.points_reset) if r]
        return float(max(0, math.ceil(min(resets) - now))) if resets else None


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


def _epoch(value: str | None) -> float | None:
    number = _int(value)
    return number / 1000 if number else None  # Linear sends epoch milliseconds


class LinearClient:
    """Sends one GraphQL document; returns `data` or raises a TrackerError."""

    def __init__(
        self,
        http: Any,
        url: str,
        policy: RetryPolicy,
        token_env: str,
        connect_errors: tuple[type[Exception], ...],
        network_errors: tuple[type[Exception], ...],
        now: Callable[[], float] = time.time,
    ) -> None:
        self._http = http
        self._url = url
        self._policy = policy
        self._token_env = token_env
        self._connect_errors, self._network_errors = connect_errors, network_errors
        self._now = now
        self.budget = Budget()
        # The tracker has no close(): release the pooled connection when it is collected.
        weakref.finalize(self, http.close)

    def run(
        self, what: str, query: str, variables: dict[str, Any], *, mutation: bool = False
    ) -> dict[str, Any]:
        def attempt() -> dict[str, Any]:
            wait = self.budget.wait_before_next(self._now())
            if wait > 0:
                self._policy.wait(wait, f"{what}: Linear's hourly budget is spent")
            return self._post(what, query, variables, mutation)

        result: dict[str, Any] = self._policy.call(what, attempt, write=mutation)
        return result

    def _post(
        self, what: str, query: str, variables: dict[str, Any], mutation: bool
    ) -> dict[str, Any]:
        try:
            response = self._http.post(self._url, json={"query": query, "variables": variables})
        except self._connect_errors as exc:  # never reached the server
            raise TrackerError(
                f"{what}: cannot connect to Linear at {self._url} ({type(exc).__name__}): "
                "check linear.url, or run again later",
                transient=True,
            ) from None
        except self._network_errors as exc:
            # the request may have been executed: a mutation is never re-sent, it is
            # reconciled through the next listing
            raise TrackerError(
                f"{what}: connection to Linear lost ({type(exc).__name__})",
                transient=True, maybe_applied=mutation,
            ) from None  # fmt: skip
        headers = {k.lower(): v for k, v in response.headers.items()}
        self.budget.read(headers)
        status = response.status_code
        if status == 429 or (status >= 400 and "retry-after" in headers):
            # HTTP's own limit (a gateway's, or Linear's when it does not answer in
            # GraphQL): refused, sent again after Retry-After, else the budget's reset
            retry_after: float | None = _int(headers.get("retry-after"))
            if retry_after is None:
                retry_after = self.budget.retry_after(self._now())
            raise TrackerError(
                f"{what}: Linear answered {status}" + (" (rate limit)" if status == 429 else ""),
                transient=True, retry_after=retry_after,
                maybe_applied=mutation and status >= 500,
            )  # fmt: skip
        return self._data(what, status, response, mutation)

    def _data(self, what: str, status: int, response: Any, mutation: bool) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        errors = (body or {}).get("errors") if isinstance(body, dict) else None
        if errors:
            raise self._refusal(what, status, errors, mutation)
        if status in (401, 403):
            raise self._refusal(what, status, [{"message": f"HTTP {status}"}], mutation)
        if status >= 500 or not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            answer = f"Linear answered {status}" if status >= 400 else "unexpected answer"
            # a 4xx was refused; a 5xx or a garbled 200 may have run
            raise TrackerError(
                f"{what}: {answer}", transient=status >= 500 or status == 429,
                maybe_applied=mutation and not 400 <= status < 500,
            )  # fmt: skip
        data: dict[str, Any] = body["data"]
        return data

    def _refusal(self, what: str, status: int, errors: list[Any], mutation: bool) -> TrackerError:
        first = errors[0] if isinstance(errors[0], dict) else {}
        code = str((first.get("extensions") or {}).get("code") or "")
        message = str(first.get("message") or "error")[:300]
        if code == "RATELIMITED" or status == 429:
            # refused before it ran: safe to send again once the budget is back
            return TrackerError(
                f"{what}: Linear's rate limit is reached",
                transient=True, retry_after=self.budget.retry_after(self._now()),
            )  # fmt: skip
        if code in ("AUTHENTICATION_ERROR", "FORBIDDEN") or status in (401, 403):
            return AuthError(
                f"{what}: Linear refused the API key in ${self._token_env} ({message}); "
                "create a personal API key in Linear (Settings → Security & access) with "
                "access to the team"
            )
        if status >= 500 or code == "INTERNAL_ERROR":
            return TrackerError(
                f"{what}: Linear answered {status}: {message}",
                transient=True, maybe_applied=mutation,
            )  # fmt: skip
        if "not found" in message.lower():
            return NotFound(f"{what}: {message}")
        # Linear refused the operation (INVALID_INPUT and the like): nothing was applied
        return TrackerError(f"{what}: Linear refused it: {message}")

"""HTTP edge of the GitLab adapter: requests through python-gitlab's public low-level API
(`http_get`, `http_list`, `http_post`, `http_put`), GitLab's rate-limit headers, and
every failure turned into a `pmsync.errors.TrackerError` with the right retry semantics.

Nothing here retries on its own: python-gitlab is created with
`retry_transient_errors=False` and every call passes `obey_rate_limit=False`, so the
library never re-sends a request nor sleeps; `RetryPolicy` owns all waiting. The
library's errors carry no headers, so a response hook on its `requests.Session` keeps
the last answer's `Retry-After` and `RateLimit-*` headers.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pmsync.adapters.base import RetryPolicy
from pmsync.errors import AuthError, NotFound, TrackerError, TrackerUnavailable

T = Any
_END = object()


class Forbidden(AuthError):
    """HTTP 403 with no `Retry-After`: a missing role, scope or licence (epics)."""


class GitLabClient:
    """One python-gitlab connection, the policy for reads and paced creates, and the
    headers of the last answer."""

    def __init__(
        self,
        gl: Any,
        *,
        errors: tuple[type[Exception], type[Exception]],
        policy: RetryPolicy,
        create_policy: RetryPolicy,
        token_env: str,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.gl = gl
        self._gitlab_error, self._network_error = errors
        self.policy = policy
        self.create_policy = create_policy
        self.token_env = token_env
        self._now = now
        self._last = threading.local()
        gl.session.hooks["response"].append(self._observe)

    # --- requests -----------------------------------------------------------------------

    def get(self, what: str, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._call(what, "GET", lambda: self.gl.http_get(
            path, query_data=dict(params or {}), obey_rate_limit=False))  # fmt: skip

    def post(self, what: str, path: str, body: Mapping[str, Any], *, create: bool = False) -> Any:
        """A POST. `create`: an issue creation, paced under GitLab's per-user limit."""
        send = lambda: self.gl.http_post(path, post_data=dict(body), obey_rate_limit=False)  # noqa: E731
        return self._call(what, "POST", send, policy=self.create_policy if create else None)

    def put(self, what: str, path: str, body: Mapping[str, Any]) -> Any:
        send = lambda: self.gl.http_put(path, post_data=dict(body), obey_rate_limit=False)  # noqa: E731
        return self._call(what, "PUT", send)

    def pages(self, what: str, path: str, params: Mapping[str, Any]) -> Iterator[Any]:
        """Every item of a listing, following GitLab's `Link: rel="next"` page by page.
        A failed page is asked again (the listing goes on from it), never skipped."""
        listing = self._call(what, "GET", lambda: self.gl.http_list(
            path, query_data=dict(params), iterator=True, obey_rate_limit=False))  # fmt: skip
        while (item := self._call(what, "GET", lambda: next(listing, _END))) is not _END:
            yield item

    def _call(
        self, what: str, verb: str, fn: Callable[[], T], *, policy: RetryPolicy | None = None
    ) -> T:
        chosen = policy or self.policy

        def attempt() -> T:
            self._respect_limit(chosen, what)
            try:
                return fn()
            except self._gitlab_error as exc:
                raise self.http_error(exc, verb, what) from None
            except self._network_error as exc:
                raise self.transport_error(exc, verb, what) from None
            except (ValueError, TypeError) as exc:  # an answer that is not GitLab's JSON
                raise TrackerError(f"{what}: unexpected answer from GitLab "
                                   f"({type(exc).__name__})", maybe_applied=verb == "POST"
                                   ) from None  # fmt: skip

        return chosen.call(what, attempt, write=verb != "GET")

    # --- rate limits ----------------------------------------------------------------------

    def _observe(self, response: Any, *args: Any, **kwargs: Any) -> None:
        self._last.headers = {k.lower(): v for k, v in response.headers.items()}

    def last_headers(self) -> dict[str, str]:
        return dict(getattr(self._last, "headers", {}))

    def _respect_limit(self, policy: RetryPolicy, what: str) -> None:
        """GitLab said no requests remain in this window: wait for its reset first."""
        headers = self.last_headers()
        if headers.get("ratelimit-remaining") != "0" or "ratelimit-reset" not in headers:
            return
        wait = float(headers["ratelimit-reset"]) - self._now()
        self._last.headers = {}
        if wait > 0:
            policy.wait(wait, f"GitLab rate limit reached before {what}")

    def retry_after(self) -> float | None:
        """Seconds GitLab asked to wait: `Retry-After`, else until `RateLimit-Reset`."""
        headers = self.last_headers()
        if "retry-after" in headers:
            return max(0.0, float(headers["retry-after"]))
        if "ratelimit-reset" in headers:
            return max(0.0, float(headers["ratelimit-reset"]) - self._now())
        return None

    # --- errors ---------------------------------------------------------------------------

    def http_error(self, exc: Any, verb: str, what: str) -> TrackerError:
        status = getattr(exc, "response_code", None)
        detail = _detail(exc)
        # A 403 that says when to come back is a limit (a proxy's or an abuse rule's),
        # not a missing permission: wait, do not stop the run.
        if status == 429 or (status == 403 and "retry-after" in self.last_headers()):
            wait = self.retry_after()
            self._last.headers = {}  # this wait covers the window: not waited again
            return TrackerError(f"GitLab rate limit on {what} (HTTP {status})", transient=True,
                                retry_after=wait if wait is not None else 60.0)  # fmt: skip
        if status == 401:
            return AuthError(f"GitLab rejected the token in ${self.token_env} (HTTP 401): "
                             "use a personal, group or project access token with the `api` "
                             "scope")  # fmt: skip
        if status == 403:
            return Forbidden(self.forbidden(what, detail))
        if status == 404:
            return NotFound(f"GitLab: {what}: not found or not visible to the token (HTTP 404)")
        if status is not None and status >= 500:
            return TrackerUnavailable(f"GitLab failed {what} (HTTP {status})", transient=True,
                                      maybe_applied=verb == "POST")  # fmt: skip
        return TrackerError(f"GitLab refused {what} (HTTP {status}): {detail}")

    def forbidden(self, what: str, detail: str) -> str:
        if "insufficient_scope" in detail or "scope" in detail:
            return (f"GitLab: {what}: the token in ${self.token_env} lacks the `api` scope "
                    "(read_api is read-only): create one with the `api` scope")  # fmt: skip
        return (f"GitLab: {what}: forbidden (HTTP 403): the token's user needs at least the "
                "Reporter role in the project to label, assign, edit and close issues")  # fmt: skip

    def transport_error(self, exc: Exception, verb: str, what: str) -> TrackerError:
        """No answer: a GET is worth retrying; a POST may have landed and is never re-sent
        (PUT sets values, so repeating it is harmless)."""
        return TrackerUnavailable(
            f"GitLab at {self.gl.url} did not answer {what} ({type(exc).__name__}): check "
            "gitlab.url, or run again later if GitLab is down",
            transient=True, maybe_applied=verb == "POST",
        )  # fmt: skip


def _detail(exc: Any) -> str:
    """GitLab's own message (`message` or `error`), short; never the request."""
    body = getattr(exc, "response_body", None)
    try:
        data = json.loads(body) if body else None
    except (ValueError, TypeError):
        data = None
    if isinstance(data, dict):
        found = data.get("message") or data.get("error") or data
        text = json.dumps(found) if not isinstance(found, str) else found
        if data.get("error") == "insufficient_scope":
            text = "insufficient_scope"
        return text[:300]
    return str(getattr(exc, "error_message", "") or "")[:300]

"""HTTP edge of the GitHub adapter: requests through PyGithub's Requester, and every
failure turned into a `pmsync.errors.TrackerError` with the right retry semantics.

PyGithub is used as a transport, through its public `Github.requester` (`requestJson`,
`withAuth`): it brings the token, the Enterprise base URL, redirects and its tested HTTP
stack, while pmsync needs what PyGithub's object API hides — status codes (304), ETags,
`Link` page numbers and rate-limit headers of each answer — and one request per call
(PyGithub's objects fetch lazily, which would add requests).

Nothing here retries or sleeps: `RetryPolicy` owns all waiting. PyGithub's own retry
is switched off in `connect()` (retry=None gives urllib3 `Retry(0, read=False)`), so
a POST is never re-sent by the library after a 5xx or a dropped connection.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from pmsync.errors import AuthError, NotFound, TrackerError, TrackerUnavailable

# GitHub's documented secondary-rate-limit advice when no header says how long:
# "wait for at least one minute before retrying".
SECONDARY_LIMIT_WAIT = 60.0
_LINK_RE = re.compile(r'<([^>]+)>;\s*rel="(\w+)"')


class Response:
    """Status, lower-case headers and decoded JSON body of one answer."""

    def __init__(self, status: int, headers: Mapping[str, Any], data: Any) -> None:
        self.status = status
        self.headers = {k.lower(): str(v) for k, v in headers.items()}
        self.data = data

    def link(self, rel: str) -> str | None:
        """The URL of a `Link` relation ("next", "last"), if the answer has one."""
        for url, name in _LINK_RE.findall(self.headers.get("link", "")):
            if name == rel:
                return str(url)
        return None


class GitHubClient:
    """Sends requests; raises TrackerError for anything that is not a success or 304."""

    def __init__(
        self,
        requester: Any,
        *,
        token_env: str,
        repo: str | None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._requester = requester
        self.token_env = token_env
        self.repo = repo
        self._now = now

    def fork(self) -> GitHubClient:
        """A client with its own connection, for another thread. PyGithub's Requester keeps
        the request being sent on its one connection object (`cnx.request()` then
        `cnx.getresponse()`), so two threads sharing a Requester can swap requests."""
        requester = self._requester.withAuth(self._requester.auth)
        return GitHubClient(requester, token_env=self.token_env, repo=self.repo, now=self._now)

    def request(
        self,
        verb: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        what: str = "",
    ) -> Response:
        what = what or f"{verb} {url}"
        try:
            status, resp_headers, output = self._requester.requestJson(
                verb, url, dict(params) if params else None, dict(headers or {}), body
            )
        except Exception as exc:  # requests/urllib3 transport failures, redirect errors
            raise self.transport_error(verb, what, exc) from None
        data = _decode(output)
        if status >= 400:
            raise self.http_error(verb, status, resp_headers, data, what)
        return Response(status, resp_headers, data)

    # --- error conversion -------------------------------------------------------------

    def transport_error(self, verb: str, what: str, exc: Exception) -> TrackerError:
        """No answer: a GET is worth retrying; a POST may have landed and must not be
        re-sent blindly (PATCH sets values, so repeating it is harmless)."""
        kind = type(exc).__name__
        return TrackerUnavailable(
            f"GitHub at {self._requester.base_url} did not answer {what} ({kind}): check "
            "github.api_url, or run again later if GitHub is down",
            transient=True,
            maybe_applied=verb == "POST",
        )

    def http_error(
        self, verb: str, status: int, headers: Mapping[str, Any], data: Any, what: str
    ) -> TrackerError:
        lower = {k.lower(): str(v) for k, v in headers.items()}
        message = data.get("message", "") if isinstance(data, dict) else ""
        retry_after = rate_limit_wait(status, lower, message, self._now())
        if retry_after is not None:
            return TrackerError(
                f"GitHub rate limit on {what} (HTTP {status}): retry in {retry_after:.0f}s",
                transient=True,
                retry_after=retry_after,
            )
        if status in (401, 403):
            return AuthError(self.auth_message(status, message))
        if status in (404, 410):
            return NotFound(f"GitHub: {what}: not found or not visible (HTTP {status})")
        if status >= 500:
            return TrackerUnavailable(
                f"GitHub failed {what} (HTTP {status})",
                transient=True,
                maybe_applied=verb == "POST",
            )
        detail = f": {message}" if message else ""
        return TrackerError(f"GitHub refused {what} (HTTP {status}){detail}{_errors(data)}")

    def auth_message(self, status: int, message: str) -> str:
        repo = self.repo or "the repository"
        reason = " (Bad credentials)" if message.lower() == "bad credentials" else ""
        return (
            f"GitHub rejected the token in ${self.token_env} (HTTP {status}){reason}: check it "
            f"has the `repo` scope (classic token) or Issues: read/write and Metadata: read "
            f"(fine-grained token) on {repo}"
        )


def rate_limit_wait(
    status: int, headers: Mapping[str, str], message: str, now: float
) -> float | None:
    """Seconds to wait when an answer is a primary or secondary rate limit, else None:
    Retry-After, else the reset time when no requests remain, else GitHub's advice for
    a secondary limit without headers. `headers` are looked up by lower-case name."""
    if status not in (403, 429):
        return None
    if "retry-after" in headers:
        return max(0.0, float(headers["retry-after"]))
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        return max(0.0, float(headers["x-ratelimit-reset"]) - now)
    if status == 429 or "rate limit" in message.lower():
        return SECONDARY_LIMIT_WAIT
    return None


def _decode(output: str) -> Any:
    if not output:
        return None
    try:
        return json.loads(output)
    except ValueError:
        return {"message": output[:200]}


def _errors(data: Any) -> str:
    """GitHub's 422 details ("already_exists", "invalid" …) in a few words."""
    if not isinstance(data, dict) or not isinstance(data.get("errors"), list):
        return ""
    parts = []
    for err in data["errors"][:3]:
        if isinstance(err, dict):
            parts.append(" ".join(str(err.get(k)) for k in ("field", "code") if err.get(k)))
    return f" [{'; '.join(parts)}]" if parts else ""

"""HTTP edge of the Jira adapter: the `jira` client library set up so that it never
retries, the server's flavour (Cloud or Data Center, read once), plain REST requests
where the library's methods cost more than one, and every failure turned into a
`pmsync.errors.TrackerError` with the right retry semantics.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from pmsync.adapters.base import RetryPolicy
from pmsync.adapters.jira.config import JiraConfig
from pmsync.adapters.jira.values import retry_after
from pmsync.errors import AuthError, NotFound, TrackerError

PERMISSIONS = "Browse projects, Create issues, Edit issues, Transition issues and Add comments"
TIMEOUT = (10, 60)  # seconds to connect, to read


@dataclass(frozen=True)
class JiraLibrary:
    """What the adapter uses of the `jira` library, imported in `library()` only."""

    client: Callable[[str], Any]  # a JIRA client speaking REST version "2" or "3"
    transport: Any  # requests.Session for the plain REST calls
    raise_on_error: Callable[[Any], object]
    jira_error: type[Exception]
    network_error: type[Exception]


def library(config: JiraConfig, env: Mapping[str, str]) -> JiraLibrary:
    """The library set up for `config` with the credentials `env` holds (checked by the
    caller). Makes no request."""
    import jira  # here, not at module level: `pmsync --help` must not load it
    import requests

    secret = (env[config.email_env], env[config.token_env]) if config.auth == "basic" else None

    def client(version: str) -> Any:
        # max_retries=0: ResilientSession tries once and never sleeps (requests' own adapter
        # retries nothing either), so RetryPolicy is the only layer that retries, and never
        # a POST whose outcome is unknown.
        return jira.JIRA(
            server=config.url,
            options={"rest_api_version": version, "check_update": False},
            basic_auth=secret,
            token_auth=None if secret else env[config.token_env],
            max_retries=0,
            get_server_info=False,
            validate=False,
            timeout=TIMEOUT,
            logging=False,
        )

    # The library's own methods cost extra requests where pmsync needs one (a field-name
    # lookup before each search, a GET after each edit) and cannot send ADF comments: those
    # calls go out as plain REST on a requests session set up as the library sets up its
    # own (its default headers, the same auth), and the library's public `raise_on_error`
    # turns their answers into the library's errors, converted like every other.
    transport = requests.Session()
    transport.headers.update(cast("dict[str, str]", jira.JIRA.DEFAULT_OPTIONS["headers"]))
    transport.auth = secret or jira.client.TokenAuth(env[config.token_env])
    return JiraLibrary(
        client, transport, jira.resilientsession.raise_on_error, jira.exceptions.JIRAError,
        requests.RequestException,
    )  # fmt: skip


class JiraClient:
    """One Jira server: its flavour, read on first use, and the requests to it."""

    def __init__(self, config: JiraConfig, policy: RetryPolicy, library: JiraLibrary) -> None:
        self._config = config
        self._policy = policy
        self._library = library
        self.base = str(config.url).rstrip("/")
        self._jira: Any = None
        self.cloud = True

    def ready(self) -> Any:
        """The library's client for this server's flavour; GET serverInfo once (v2 exists
        on both)."""
        if self._jira is None:
            probe = self._library.client("2")
            info = self.call("read serverInfo", probe.server_info)
            self.cloud = info.get("deploymentType") == "Cloud"
            self._jira = self._library.client("3") if self.cloud else probe
        return self._jira

    def rest(
        self,
        method: Literal["GET", "POST", "PUT"],
        path: str,
        body: Any = None,
        *,
        params: dict[str, str] | None = None,
        what: str,
    ) -> Any:
        """One plain REST request (see `library` for why), errors as the library's."""
        self.ready()  # the flavour decides the API version
        url = f"{self.base}/rest/api/{'3' if self.cloud else '2'}/{path}"
        data = None if body is None else json.dumps(body)
        read_only = method == "GET" or path.startswith("search")
        library = self._library

        def send() -> Any:
            response = library.transport.request(
                method, url, params=params, data=data, timeout=TIMEOUT
            )
            library.raise_on_error(response)
            return response.json() if response.content else None

        return self.call(what, send, write=not read_only, post=method == "POST" and not read_only)

    def call(
        self, what: str, fn: Callable[[], Any], *, write: bool = False, post: bool = False
    ) -> Any:
        def attempt() -> Any:
            try:
                return fn()
            except self._library.jira_error as exc:
                raise self._convert(exc, what, post) from None
            except self._library.network_error as exc:
                # a lost POST may have landed: never retried, reconciled by the engine
                raise TrackerError(
                    f"{what}: connection to Jira at {self.base} failed "
                    f"({type(exc).__name__}): check jira.url, or run again later",
                    transient=True, maybe_applied=post,
                ) from None  # fmt: skip
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                # an answer that is not Jira's JSON (a proxy's page, a truncated body)
                raise TrackerError(
                    f"{what}: unexpected answer from Jira ({type(exc).__name__})",
                    maybe_applied=post,
                ) from None

        return self._policy.call(what, attempt, write=write)

    def _convert(self, exc: Any, what: str, post: bool) -> TrackerError:
        """A library error as a pmsync error. Built from the status and the server's own
        messages only: the library's str() of an error includes the request headers."""
        status = getattr(exc, "status_code", None)
        detail = str(getattr(exc, "text", "") or "")[:300]
        headers = getattr(getattr(exc, "response", None), "headers", None) or {}
        if status == 403 and retry_after(headers) is not None:
            # a rate limit (Jira Cloud's secondary limit), not a permission: wait, retry
            return TrackerError(
                f"{what}: Jira answered 403 with Retry-After" + (f": {detail}" if detail else ""),
                transient=True, retry_after=retry_after(headers),
            )  # fmt: skip
        if status in (401, 403):
            names = (
                f"{self._config.email_env} and {self._config.token_env}"
                if self._config.auth == "basic"
                else f"{self._config.token_env} (personal access token)"
            )
            return AuthError(
                f"{what}: Jira answered {status}: check {names}; the account needs the "
                f"project permissions {PERMISSIONS}" + (f" ({detail})" if detail else "")
            )
        if status == 404:
            return NotFound(f"{what}: not found in Jira (404)" + (f": {detail}" if detail else ""))
        if status == 429 or (status is not None and status >= 500):
            return TrackerError(
                f"{what}: Jira answered {status}" + (f": {detail}" if detail else ""),
                transient=True, retry_after=retry_after(headers),
                maybe_applied=post and status != 429,
            )  # fmt: skip
        answer = f"Jira answered {status}" if status else "the request failed"
        return TrackerError(f"{what}: {answer}" + (f": {detail}" if detail else ""))

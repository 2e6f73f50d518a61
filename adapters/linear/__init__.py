"""Linear: action items as issues of a Linear team, over Linear's GraphQL API.

`SPEC` is what the core knows of Linear; `connect()` builds the tracker. httpx
is imported inside `connect()` so `pmsync --help` stays fast. Modules: `queries` (every
GraphQL document, typed answers), `client` (transport, errors, rate-limit budgets),
`values` (marker, priorities, issue nodes), `tracker` (the Tracker), `config` (the
`linear:` section), `refs` (issue references written in postmortems).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pmsync.adapters.base import RetryPolicy
from pmsync.adapters.linear.config import LinearConfig
from pmsync.adapters.linear.doctor import diagnose, init_settings
from pmsync.adapters.linear.refs import GRAMMAR
from pmsync.adapters.spec import TrackerSpec
from pmsync.errors import ConfigError

if TYPE_CHECKING:
    from pmsync.adapters.linear.tracker import LinearTracker


__all__ = ["SPEC", "LinearConfig", "connect"]


def connect(config: LinearConfig, env: Mapping[str, str], policy: RetryPolicy) -> LinearTracker:
    """A tracker for `config`; the key comes from `env[config.token_env]` only. Makes no
    request: the team is read on first use."""
    key = env.get(config.token_env, "").strip()
    if not key:
        raise ConfigError(
            f"no Linear API key: set the environment variable ${config.token_env} "
            "(linear.token_env) to a personal API key (Linear → Settings → Security & access)"
        )
    import httpx

    from pmsync.adapters.linear.client import LinearClient
    from pmsync.adapters.linear.tracker import LinearTracker

    # A personal key is sent bare; an OAuth access token as "Bearer …".
    auth = key if key.startswith("lin_api_") else f"Bearer {key}"
    http = httpx.Client(
        headers={"Authorization": auth, "Content-Type": "application/json"},
        timeout=httpx.Timeout(60, connect=10),
    )
    client = LinearClient(
        http, config.url, policy, config.token_env,
        connect_errors=(httpx.ConnectError, httpx.ConnectTimeout),
        network_errors=(httpx.TransportError,),
    )  # fmt: skip
    return LinearTracker(config, client)


def container(config: LinearConfig, front_matter: Mapping[str, Any]) -> str:
    """The team: `linear_team` in the postmortem's front matter, else `linear.team`."""
    return str(front_matter.get("linear_team") or config.team or "")


SPEC = TrackerSpec(
    name="linear",
    config_model=LinearConfig,
    connect=connect,
    required=("team",),
    container=container,
    refs=GRAMMAR,
    diagnose=diagnose,
    init_settings=init_settings,
)

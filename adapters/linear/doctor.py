"""`pmsync init` and `pmsync doctor` for Linear: placeholders for a new config; the key,
the team, and the hour's rate-limit headroom.

Two requests: the key's user, and the team. No retries: a doctor reports what it sees.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pmsync.adapters.base import Diagnosis, RetryPolicy
from pmsync.errors import AuthError, ConfigError, NotFound, TrackerError

if TYPE_CHECKING:
    from pmsync.adapters.linear.config import LinearConfig


def init_settings(host: str | None, path: str | None) -> dict[str, Any] | None:
    """The `linear:` section `pmsync init` proposes: a placeholder team (a git remote
    never names a Linear team), or `path` when given."""
    if host is not None:
        return None
    return {"team": path or "KEY"}


def diagnose(config: LinearConfig, env: Mapping[str, str], policy: RetryPolicy) -> list[Diagnosis]:
    from pmsync.adapters.linear import connect

    try:
        tracker = connect(config, env, dataclasses.replace(policy, attempts=1))
    except ConfigError as exc:
        return [Diagnosis(False, f"Linear API key: {exc}", f"export ${config.token_env}")]
    found = [Diagnosis(True, f"Linear API key: ${config.token_env} is set")]
    try:
        found.append(Diagnosis(True, f"Linear API key: accepted ({tracker.whoami()})"))
        if not config.team:
            return [*found, Diagnosis(False, "linear.team is not set", "set linear.team: KEY")]
        team = tracker.team(config.team)
        found.append(Diagnosis(True, f"Linear team {team.key} ({team.name}): visible"))
        found.append(_headroom(tracker.budget_left()))
    except AuthError:
        fix = f"put a personal API key (Linear → Settings → API) in ${config.token_env}"
        found.append(Diagnosis(False, "Linear API key: rejected", fix))
    except NotFound as exc:
        found.append(Diagnosis(False, str(exc), "check linear.team (the key in OPS-123)"))
    except TrackerError as exc:
        found.append(Diagnosis(False, f"Linear API: {exc}", "check linear.url and the network"))
    return found


def _headroom(left: tuple[int | None, int | None]) -> Diagnosis:
    requests, points = left
    if requests is None:
        return Diagnosis(True, "Linear rate limit: not reported")
    low = requests < 100 or (points is not None and points < 10_000)
    text = f"Linear rate limit: {requests} requests and {points} complexity points left this hour"
    return Diagnosis(not low, text, "wait for the hourly budget to refill" if low else "")

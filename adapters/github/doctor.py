"""`pmsync init` and `pmsync doctor` for GitHub: the section proposed for a git remote;
the token, the repository, push access, the Projects v2 field for `due_dates: project`,
and the rate-limit headroom.

One REST request (the repository: its answer carries the token's permissions and the
rate-limit headers), plus one GraphQL query with `due_dates: project`. No retries: a
doctor reports what it sees.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pmsync.adapters.base import Diagnosis, RetryPolicy
from pmsync.errors import AuthError, ConfigError, NotFound, TrackerError, TrackerUnavailable

if TYPE_CHECKING:
    from pmsync.adapters.github.client import Response
    from pmsync.adapters.github.config import GitHubConfig
    from pmsync.adapters.github.tracker import GitHubTracker

LOW_HEADROOM = 100  # requests left in the hour below which a push may stall


def init_settings(host: str | None, path: str | None) -> dict[str, Any] | None:
    """The `github:` section `pmsync init` proposes for a git remote on `host` (None: no
    remote, placeholders), or None when the host is not GitHub's. github.com, else a
    host named like GitHub Enterprise Server (github.acme.com: API under /api/v3)."""
    repo = path if path and path.count("/") == 1 else "OWNER/NAME"
    if host is None:
        return {"repo": repo}
    if host.lower() == "github.com":
        return {"repo": repo} if path and path.count("/") == 1 else None
    if "github" in host.lower() and path and path.count("/") == 1:
        return {"repo": path, "api_url": f"https://{host}/api/v3"}
    return None


def diagnose(config: GitHubConfig, env: Mapping[str, str], policy: RetryPolicy) -> list[Diagnosis]:
    from pmsync.adapters.github.tracker import connect

    if not env.get(config.token_env, "").strip():
        fix = f"export {config.token_env}=… (a token with Issues: read and write on the repo)"
        return [Diagnosis(False, f"GitHub token: ${config.token_env} is not set", fix)]
    found = [Diagnosis(True, f"GitHub token: ${config.token_env} is set")]
    if not config.repo:
        return [*found, Diagnosis(False, "github.repo is not set", "set github.repo: OWNER/NAME")]
    once = dataclasses.replace(policy, attempts=1)
    try:
        tracker = connect(config, env, once)
    except ConfigError as exc:
        return [*found, Diagnosis(False, str(exc), "fix the github section of the config")]
    return found + _repository_checks(tracker, config) + _project_checks(tracker, config)


def _repository_checks(tracker: GitHubTracker, config: GitHubConfig) -> list[Diagnosis]:
    repo = config.repo
    try:
        resp = tracker.client.request("GET", f"/repos/{repo}", what=f"read repository {repo}")
    except AuthError:
        fix = f"create a new token and put it in ${config.token_env}"
        return [Diagnosis(False, f"GitHub token: rejected by {config.api_url}", fix)]
    except NotFound:
        fix = f"check github.repo, or give the token access to {repo}"
        return [Diagnosis(False, f"GitHub repository {repo}: not found with this token", fix)]
    except (TrackerUnavailable, TrackerError) as exc:
        fix = "check github.api_url and the network (a proxy? GitHub's status page?)"
        return [Diagnosis(False, f"GitHub API: {exc}", fix)]
    return [
        Diagnosis(True, f"GitHub API reachable at {config.api_url}; token accepted"),
        _push_access(resp, repo or ""),
        _headroom(resp),
    ]


def _push_access(resp: Response, repo: str) -> Diagnosis:
    permissions = resp.data.get("permissions") or {} if isinstance(resp.data, dict) else {}
    if permissions.get("push"):
        return Diagnosis(True, f"GitHub repository {repo}: push access (labels, assignees)")
    return Diagnosis(
        False,
        f"GitHub repository {repo}: no push access: GitHub drops assignees, labels and "
        "milestones set by this token",
        "give the token Issues: read and write (fine-grained) or the repo scope (classic)",
    )


def _headroom(resp: Response) -> Diagnosis:
    remaining = resp.headers.get("x-ratelimit-remaining")
    limit = resp.headers.get("x-ratelimit-limit")
    if remaining is None:
        return Diagnosis(True, "GitHub rate limit: not reported (no limit on this server)")
    text = f"GitHub rate limit: {remaining} of {limit} requests left this hour"
    if int(remaining) < LOW_HEADROOM:
        return Diagnosis(False, text, "wait for the reset, or push fewer postmortems at once")
    return Diagnosis(True, text)


def _project_checks(tracker: GitHubTracker, config: GitHubConfig) -> list[Diagnosis]:
    if tracker.project is None or config.project is None:
        return []
    where = f"GitHub project {config.project.owner}/{config.project.number}"
    try:
        tracker.project.target()
    except TrackerError as exc:
        fix = "give the token Projects: read and write (fine-grained) or the project scope"
        return [Diagnosis(False, f"{where}: {exc}", fix)]
    return [Diagnosis(True, f"{where}: date field {config.project.field!r} found")]

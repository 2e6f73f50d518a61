"""`pmsync doctor` for GitLab: the token, the project, and the token user's role in it
(below Reporter, GitLab silently drops labels, assignees and due dates).

One request: the project. No retries: a doctor reports what it sees.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pmsync.adapters.base import Diagnosis, RetryPolicy
from pmsync.adapters.gitlab.values import REPORTER, ROLES, project_id
from pmsync.errors import AuthError, ConfigError, NotFound, TrackerError

if TYPE_CHECKING:
    from pmsync.adapters.gitlab.config import GitLabConfig


def diagnose(config: GitLabConfig, env: Mapping[str, str], policy: RetryPolicy) -> list[Diagnosis]:
    from pmsync.adapters.gitlab.tracker import connect

    try:
        tracker = connect(config, env, dataclasses.replace(policy, attempts=1))
    except ConfigError as exc:
        return [Diagnosis(False, f"GitLab token: {exc}", f"export ${config.token_env}")]
    path = config.project
    if not path:
        return [Diagnosis(False, "gitlab.project is not set", "set gitlab.project: group/project")]
    try:
        data = tracker.client.get(f"read project {path}", f"/projects/{project_id(path)}")
    except AuthError:
        fix = f"create a token with the `api` scope and put it in ${config.token_env}"
        return [Diagnosis(False, f"GitLab token: rejected by {config.url}", fix)]
    except NotFound:
        fix = "check gitlab.project, or give the token's user access to it"
        return [Diagnosis(False, f"GitLab project {path}: not found with this token", fix)]
    except TrackerError as exc:
        return [Diagnosis(False, f"GitLab API: {exc}", "check gitlab.url and the network")]
    return [
        Diagnosis(True, f"GitLab API reachable at {config.url}; token accepted"),
        role(data, path),
    ]


def role(project: Mapping[str, Any], path: str) -> Diagnosis:
    """The token user's role in the project: Reporter at least (labels, assignees, due dates
    on create; editing and closing issues)."""
    level = access_level(project)
    if level is None:
        return Diagnosis(True, f"GitLab project {path}: visible (the role is not reported)")
    name = ROLES.get(level, str(level))
    if level < REPORTER:
        return Diagnosis(
            False,
            f"the token's user is {name} in {path}: GitLab drops labels, assignees and due dates",
            "give it at least the Reporter role",
        )
    return Diagnosis(True, f"GitLab project {path}: {name} (labels, assignees, due dates)")


def access_level(project: Mapping[str, Any]) -> int | None:
    """The token user's highest access level in a project (project or group membership)."""
    permissions = project.get("permissions") or {}
    levels = [int(a["access_level"]) for a in (permissions.get("project_access"),
              permissions.get("group_access")) if isinstance(a, dict)]  # fmt: skip
    return max(levels) if levels else None

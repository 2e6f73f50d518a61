"""`pmsync init` and `pmsync doctor` for GitLab: the section proposed for a git remote;
the token, its scopes, the project and the token user's role in it, and the rate-limit
headroom.

Four requests: the current user (is the token valid, is the API there), the token's own
record (its scopes), the project (its answer carries the user's role), and its group's
epics (which kind of parent a push makes). The rate-limit headroom comes from the
`RateLimit-*` headers of the last answer. No retries: a doctor reports what it sees.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pmsync.adapters.base import Diagnosis, RetryPolicy
from pmsync.adapters.gitlab.config import PROJECT_PATH
from pmsync.adapters.gitlab.epics import offers_epics
from pmsync.adapters.gitlab.values import PLANNER, ROLES, access_level, group_of, project_id
from pmsync.errors import AuthError, NotFound, TrackerError

if TYPE_CHECKING:
    from pmsync.adapters.gitlab.client import GitLabClient
    from pmsync.adapters.gitlab.config import GitLabConfig

GITLAB_COM = "gitlab.com"
TOKEN_FIX = "a personal, group or project access token with the `api` scope"


def init_settings(host: str | None, path: str | None) -> dict[str, Any] | None:
    """The `gitlab:` section `pmsync init` proposes for a git remote on `host` (None: no
    remote, placeholders), or None when the host is not GitLab's.

    gitlab.com, else a host with "gitlab" in one of its names (gitlab.acme.com,
    gitlab-ce.corp:8443): a self-managed instance, its URL from the host. Any other host
    is not claimed, even with a nested group path (Azure DevOps and others nest too):
    `pmsync init` then writes placeholders to fill in, or takes `--tracker gitlab`. A
    GitHub Enterprise host (github.acme.com) is GitHub's adapter's, which init asks first.
    """
    if host is None:  # `--repo` alone must not replace a URL the remote gave
        return {"project": path} if path else {"url": "https://gitlab.com",
                                               "project": "GROUP/PROJECT"}  # fmt: skip
    if not path or not re.fullmatch(PROJECT_PATH, path):
        return None
    name = host.lower()
    if name == GITLAB_COM:
        return {"project": path}
    if any("gitlab" in label for label in name.split(":")[0].split(".")):
        return {"url": f"https://{name}", "project": path}
    return None


def diagnose(config: GitLabConfig, env: Mapping[str, str], policy: RetryPolicy) -> list[Diagnosis]:
    from pmsync.adapters.gitlab.tracker import connect

    if not env.get(config.token_env, "").strip():
        fix = f"export {config.token_env}=… ({TOKEN_FIX})"
        return [Diagnosis(False, f"GitLab token: ${config.token_env} is not set", fix)]
    found = [Diagnosis(True, f"GitLab token: ${config.token_env} is set")]
    client = connect(config, env, dataclasses.replace(policy, attempts=1)).client
    try:
        found.append(_user(client, config))
        found.append(_scopes(client, config))
        if not config.project:
            fix = "set gitlab.project: GROUP/PROJECT"
            return [*found, Diagnosis(False, "gitlab.project is not set", fix)]
        found.append(_role(client, config.project))
        found.append(_parents(client, config, config.project))
        found.append(_headroom(client.last_headers()))
    except AuthError as exc:
        found.append(_rejected(config, exc))
    except NotFound:
        fix = f"check gitlab.project, or make the token's user a member of {config.project}"
        found.append(Diagnosis(False, f"GitLab project {config.project}: not found", fix))
    except TrackerError as exc:
        fix = "check gitlab.url and the network (a proxy? GitLab's status page?)"
        found.append(Diagnosis(False, f"GitLab API: {exc}", fix))
    return found


def _user(client: GitLabClient, config: GitLabConfig) -> Diagnosis:
    me = client.get("read the current user", "/user")
    who = me.get("username", "?")
    admin = " (administrator)" if me.get("is_admin") is True else ""
    return Diagnosis(True, f"GitLab API reachable at {config.url}; token accepted ({who}{admin})")


def _scopes(client: GitLabClient, config: GitLabConfig) -> Diagnosis:
    """`api` lets pmsync write; `read_api` reads only (every write a 403)."""
    try:
        token = client.get("read the token's scopes", "/personal_access_tokens/self")
    except (NotFound, AuthError):  # an OAuth token, or a GitLab before 15.5
        return Diagnosis(True, "GitLab token scopes: not reported (a push needs `api`)")
    scopes = sorted(token.get("scopes") or [])
    expires = f", expires {token['expires_at']}" if token.get("expires_at") else ""
    text = f"GitLab token scopes: {', '.join(scopes) or 'none'}{expires}"
    if "api" in scopes:
        return Diagnosis(True, text)
    return Diagnosis(False, f"{text}: no `api` scope, pmsync cannot write",
                     f"create {TOKEN_FIX} and put it in ${config.token_env}")  # fmt: skip


def _role(client: GitLabClient, path: str) -> Diagnosis:
    """Reporter (or Planner, GitLab 17.7+) is what pmsync needs: it labels, assigns, edits
    and closes any issue (GitLab's permissions table). A Guest creates issues but GitLab
    drops their labels, assignees and due dates, and lets it close only its own issues.
    Developer adds nothing for issues."""
    project = client.get(f"read project {path}", f"/projects/{project_id(path)}")
    level = access_level(project)
    if level is None:  # no membership: an administrator, or a public project's visitor
        return Diagnosis(True, f"GitLab project {path}: visible (no membership reported)")
    role = ROLES.get(level, str(level))
    if level >= PLANNER:
        return Diagnosis(True, f"GitLab project {path}: visible; the token's user is {role}")
    return Diagnosis(
        False,
        f"GitLab project {path}: the token's user is {role}: GitLab drops labels, assignees "
        "and due dates, and lets it edit or close only the issues it opened",
        f"give it the Reporter role (or Planner) in {path}",
    )


def _parents(client: GitLabClient, config: GitLabConfig, project: str) -> Diagnosis:
    """Which parent `defaults.parent` makes (gitlab.parent_kind): one request, asking the
    project's group for its epics."""
    what = "GitLab parents (defaults.parent)"
    links = "parent issues with related links"
    if config.parent_kind == "issue":
        return Diagnosis(True, f"{what}: {links} (gitlab.parent_kind: issue)")
    group = group_of(project)
    if offers_epics(client, group):
        return Diagnosis(True, f"{what}: group epics in {group}")
    if config.parent_kind == "auto":
        return Diagnosis(True, f"{what}: {links} (group {group} offers no epics)")
    return Diagnosis(False, f"{what}: gitlab.parent_kind is epic, but {group} has no epics",
                     "set gitlab.parent_kind: auto or issue, or put the project in a group "
                     "on GitLab Premium or Ultimate")  # fmt: skip


def _headroom(headers: Mapping[str, str]) -> Diagnosis:
    """GitLab's `RateLimit-*` headers (absent where the instance sets no limit)."""
    remaining, limit = headers.get("ratelimit-remaining"), headers.get("ratelimit-limit")
    if remaining is None or limit is None:
        return Diagnosis(True, "GitLab rate limit: not reported (no limit on this instance)")
    reset = headers.get("ratelimit-reset")
    window = f", resets in {max(0, int(reset) - int(time.time()))} s" if reset else ""
    text = f"GitLab rate limit: {remaining} of {limit} requests left{window}"
    if int(remaining) < max(1, int(limit) // 10):
        return Diagnosis(False, text, "wait for the reset, or push fewer postmortems at once")
    return Diagnosis(True, text)


def _rejected(config: GitLabConfig, exc: AuthError) -> Diagnosis:
    fix = f"create {TOKEN_FIX} and put it in ${config.token_env}"
    if "HTTP 401" in str(exc):
        return Diagnosis(False, f"GitLab token: rejected by {config.url}", fix)
    return Diagnosis(False, f"GitLab token: {exc}", fix)  # a 403: names the missing scope

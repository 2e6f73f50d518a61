"""`pmsync init` and `pmsync doctor` for Jira: placeholders for a new config; the
credentials, the server, the project and the permissions pmsync needs on it
(`mypermissions`).

Four requests: serverInfo, myself, the project, and mypermissions. No retries: a doctor
reports what it sees.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pmsync.adapters.base import Diagnosis, RetryPolicy
from pmsync.errors import AuthError, ConfigError, NotFound, TrackerError

if TYPE_CHECKING:
    from pmsync.adapters.jira.config import JiraConfig
    from pmsync.adapters.jira.tracker import JiraTracker

# Permission key → what pmsync does with it.
NEEDED = {
    "BROWSE_PROJECTS": "read issues",
    "CREATE_ISSUES": "create issues",
    "EDIT_ISSUES": "update issues",
    "TRANSITION_ISSUES": "close issues (push --prune)",
    "ADD_COMMENTS": "comment (prune, remind)",
    "ASSIGN_ISSUES": "assign issues to `people`",
}


def init_settings(host: str | None, path: str | None) -> dict[str, Any] | None:
    """The `jira:` section `pmsync init` proposes: placeholders (a git remote never names
    a Jira site), with `path` as the project key when given."""
    if host is not None:
        return None
    return {"url": "https://YOUR-SITE.atlassian.net", "project": path or "KEY"}


def diagnose(config: JiraConfig, env: Mapping[str, str], policy: RetryPolicy) -> list[Diagnosis]:
    from pmsync.adapters.jira.tracker import connect
    from pmsync.adapters.jira.values import project_key

    try:
        tracker = connect(config, env, dataclasses.replace(policy, attempts=1))
    except ConfigError as exc:
        return [Diagnosis(False, f"Jira credentials: {exc}", "export the variables it names")]
    found = [Diagnosis(True, "Jira credentials: the variables the config names are set")]
    try:
        found += _server_and_user(tracker, config)
        if not config.project:
            return [*found, Diagnosis(False, "jira.project is not set", "set jira.project: KEY")]
        key = project_key(config.project)
        tracker.client.rest("GET", f"project/{key}", what=f"read project {key}")
        found.append(Diagnosis(True, f"Jira project {key}: visible"))
        found += _permissions(tracker, key)
    except AuthError:
        found.append(Diagnosis(False, "Jira credentials: rejected", _credential_fix(config)))
    except NotFound:
        fix = "check jira.project, or ask for Browse projects on it"
        found.append(Diagnosis(False, f"Jira project {config.project}: not found", fix))
    except TrackerError as exc:
        found.append(Diagnosis(False, f"Jira API: {exc}", "check jira.url and the network"))
    return found


def _server_and_user(tracker: JiraTracker, config: JiraConfig) -> list[Diagnosis]:
    client = tracker.client.ready()
    flavour = "Cloud" if tracker.cloud else "Data Center / Server"
    me = tracker.client.call("read the current user", client.myself)
    who = me.get("displayName") or me.get("name") or "the user"
    return [
        Diagnosis(True, f"Jira API reachable at {config.url} ({flavour})"),
        Diagnosis(True, f"Jira credentials: accepted ({who})"),
    ]


def _permissions(tracker: JiraTracker, key: str) -> list[Diagnosis]:
    params = {"projectKey": key, "permissions": ",".join(NEEDED)}
    data: Any = tracker.client.rest("GET", "mypermissions", params=params, what="read permissions")
    granted = (data or {}).get("permissions") or {}
    missing = [p for p in NEEDED if not (granted.get(p) or {}).get("havePermission")]
    if not missing:
        return [Diagnosis(True, f"Jira project {key}: every permission pmsync uses")]
    needs = "; ".join(f"{p} ({NEEDED[p]})" for p in missing)
    fix = f"ask a Jira admin for these permissions on {key}"
    return [Diagnosis(False, f"Jira project {key}: missing {needs}", fix)]


def _credential_fix(config: JiraConfig) -> str:
    if config.auth == "basic":
        return (
            f"put your Atlassian email in ${config.email_env} and an API token in "
            f"${config.token_env}"
        )
    return f"put a personal access token in ${config.token_env}"

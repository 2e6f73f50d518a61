"""Jira Cloud and Data Center through the `jira` client library.

`SPEC` is what the core knows of Jira; the modules beside it hold the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pmsync.adapters.jira.config import JiraConfig
from pmsync.adapters.jira.refs import GRAMMAR
from pmsync.adapters.jira.tracker import JiraTracker, connect
from pmsync.adapters.spec import TrackerSpec

__all__ = ["SPEC", "JiraConfig", "JiraTracker", "connect"]


def container(config: JiraConfig, front_matter: Mapping[str, Any]) -> str:
    """The project: `jira_project` in the postmortem's front matter, else `jira.project`."""
    project = front_matter.get("jira_project") or config.project
    return str(project or "")


SPEC = TrackerSpec(
    name="jira",
    config_model=JiraConfig,
    connect=connect,
    required=("url", "project"),
    container=container,
    refs=GRAMMAR,
)

"""GitHub Issues: REST through PyGithub, Projects v2 due dates through GraphQL (httpx).

`SPEC` is what the core knows of GitHub; the modules beside it hold the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pmsync.adapters.github.config import GitHubConfig, ProjectConfig
from pmsync.adapters.github.refs import GRAMMAR
from pmsync.adapters.github.tracker import TRACKING_LABEL, GitHubTracker, connect
from pmsync.adapters.spec import TrackerSpec

__all__ = ["SPEC", "TRACKING_LABEL", "GitHubConfig", "GitHubTracker", "ProjectConfig", "connect"]


def container(config: GitHubConfig, front_matter: Mapping[str, Any]) -> str:
    """The configured repository (a postmortem cannot name another one)."""
    return config.repo or ""


SPEC = TrackerSpec(
    name="github",
    config_model=GitHubConfig,
    connect=connect,
    required=("repo",),
    container=container,
    refs=GRAMMAR,
)

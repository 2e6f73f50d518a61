"""GitLab (GitLab.com and self-managed) through python-gitlab.

`SPEC` is what the core knows of GitLab; the modules beside it hold the rest: `config`
(the `gitlab:` section), `refs` (references to GitLab issues in postmortems), `values`
(issue documents ↔ pmsync values), `client` (HTTP edge: errors, rate limits),
`tracker` (the `Tracker`), `epics` (postmortem parents as group epics) and `doctor`
(`pmsync init` and `pmsync doctor`).
python-gitlab is imported inside `connect()` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pmsync.adapters.gitlab.config import GitLabConfig
from pmsync.adapters.gitlab.doctor import diagnose, init_settings
from pmsync.adapters.gitlab.refs import GRAMMAR
from pmsync.adapters.gitlab.tracker import GitLabTracker, connect
from pmsync.adapters.spec import TrackerSpec

__all__ = ["SPEC", "GitLabConfig", "GitLabTracker", "connect"]


def container(config: GitLabConfig, front_matter: Mapping[str, Any]) -> str:
    """The project: `gitlab_project` in the postmortem's front matter, else `gitlab.project`."""
    project = front_matter.get("gitlab_project") or config.project
    return str(project or "")


SPEC = TrackerSpec(
    name="gitlab",
    config_model=GitLabConfig,
    connect=connect,
    required=("project",),
    container=container,
    refs=GRAMMAR,
    diagnose=diagnose,
    init_settings=init_settings,
)

"""GitLab (GitLab.com and self-managed) through python-gitlab: one adapter subpackage.

`config` (the `gitlab:` section), `values` (documents ↔ pmsync values, reference
grammar), `client` (HTTP edge: errors, rate limits), `tracker` (the `Tracker`).
python-gitlab is imported inside `connect()` only, so `pmsync --help` stays fast.
"""

from __future__ import annotations

from pmsync.adapters.gitlab.config import GitLabConfig
from pmsync.adapters.gitlab.tracker import GitLabTracker, connect

CONFIG_MODEL = GitLabConfig

__all__ = ["CONFIG_MODEL", "GitLabConfig", "GitLabTracker", "connect"]

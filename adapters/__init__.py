"""Tracker registry: name → adapter module. Each module exposes `CONFIG_MODEL` (its
pydantic config section) and `connect(config, env, policy) -> Tracker`. Modules import
their client libraries only inside `connect()`."""

from __future__ import annotations

import importlib
from types import ModuleType

TRACKERS = {"github": "pmsync.adapters.github", "jira": "pmsync.adapters.jira"}


def adapter_module(name: str) -> ModuleType:
    return importlib.import_module(TRACKERS[name])

"""The tracker registry: name → `TrackerSpec` (see `pmsync.adapters.spec`).

Each tracker is one subpackage `adapters/<name>/` exporting `SPEC`; registering it is one
line below. The core reads everything tracker-specific from here: config sections, people's
accounts, references in postmortems, routing, connection. No spec imports its client
library: `connect()` does.
"""

from __future__ import annotations

import importlib

from pmsync.adapters.spec import TrackerSpec

TRACKERS: dict[str, TrackerSpec] = {}


def register(module: str) -> None:
    spec: TrackerSpec = importlib.import_module(f"pmsync.adapters.{module}").SPEC
    TRACKERS[spec.name] = spec


# One line per tracker; the first is the default `tracker:`.
register("github")
register("jira")
register("linear")
register("gitlab")


def tracker_spec(name: str) -> TrackerSpec:
    return TRACKERS[name]

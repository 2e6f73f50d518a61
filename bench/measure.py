"""Run one benchmark phase in a fresh process and measure it.

Each phase (a pmsync push or status, or the naive script's equivalent) runs in its own
spawned Python process, while the fake tracker serves from the parent process: the
peak memory is then pmsync's alone (not the fake's issue store), and the fake's CPU
work does not compete with pmsync for one GIL.

Memory is the process's peak resident set size (`resource.getrusage(RUSAGE_SELF)
.ru_maxrss`): interpreter, imported libraries and the phase itself. `base_mb` is the
RSS just before the phase, after the imports.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from multiprocessing import get_context
from pathlib import Path
from typing import Any

TODAY = date(2024, 8, 1)


@dataclass(frozen=True)
class Measured:
    wall: float  # seconds, the phase only (no process start, no imports)
    peak_mb: float
    base_mb: float
    detail: str  # what the phase did ("create 5000"), to check it did the right thing


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measured(fn: Callable[..., Any], *args: Any) -> Measured:
    """In the child: import what the phase needs, then time it."""
    import github  # noqa: F401  (the imports are not the phase)
    import jira  # noqa: F401

    import pmsync.commands  # noqa: F401

    base = rss_mb()
    start = time.perf_counter()
    detail = fn(*args)
    wall = time.perf_counter() - start
    return Measured(wall, rss_mb(), base, str(detail))


def in_child(fn: Callable[..., Any], *args: Any) -> Measured:
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(measured, fn, *args).result()


# --- the phases (run in the child) --------------------------------------------------------


def pmsync_push(root: str, env: dict[str, str]) -> str:
    from pmsync.commands import push_command
    from pmsync.config import load_config

    config = load_config(Path(root) / "pmsync.yaml")
    result = push_command(config, [], prune=False, report=lambda o: None, env=env)
    return summary(o.action for o in result.outcomes)


def pmsync_status(root: str, env: dict[str, str]) -> str:
    from pmsync.commands import status_command
    from pmsync.config import load_config

    config = load_config(Path(root) / "pmsync.yaml")
    result = status_command(config, [], refresh=True, write=False, today=TODAY, env=env)
    if result.errors:
        return "; ".join(result.errors)
    return summary(row.state for row in result.rows)


def summary(values: Any) -> str:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return " ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing"

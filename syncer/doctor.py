"""`pmsync doctor`: is this checkout ready to push? One Diagnosis per check, in order:
the config, the postmortems, the state file, then each tracker in use through its
adapter's own `diagnose` (token, access, permissions, rate limit; a few requests each).

Pure orchestration: the CLI prints the lines and picks the exit code.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import filelock

from pmsync.adapters import tracker_spec
from pmsync.adapters.base import Diagnosis, RetryPolicy
from pmsync.config import Config, find_config, load_config
from pmsync.errors import PmsyncError
from pmsync.model import Postmortem
from pmsync.plan.drafts import tracker_of
from pmsync.state.store import load_state

Sleep = Callable[[float], None]


def diagnose_setup(
    explicit: str | None,
    env: Mapping[str, str] = os.environ,
    report: Callable[[Diagnosis], None] = lambda d: None,
    sleep: Sleep = time.sleep,
) -> list[Diagnosis]:
    """Every check, each passed to `report` as soon as it is known (trackers are slow)."""
    found: list[Diagnosis] = []

    def note(diagnosis: Diagnosis) -> None:
        found.append(diagnosis)
        report(diagnosis)

    config = _config_check(explicit, env, note)
    if config is None:
        return found
    documents = _postmortem_check(config, note)
    _state_check(config.state_path(), note)
    for name in trackers_in_use(config, documents):
        for diagnosis in _tracker_checks(name, config, env, sleep):
            note(diagnosis)
    return found


def _config_check(
    explicit: str | None, env: Mapping[str, str], note: Callable[[Diagnosis], None]
) -> Config | None:
    try:
        path = find_config(explicit, env)
        if path is None:
            note(Diagnosis(False, "no pmsync.yaml found", "run `pmsync init`, or pass --config"))
            return None
        config = load_config(path)
    except PmsyncError as exc:
        note(Diagnosis(False, f"config: {exc}", "`pmsync config example` shows every setting"))
        return None
    note(Diagnosis(True, f"config {path} is valid"))
    return config


def _postmortem_check(config: Config, note: Callable[[Diagnosis], None]) -> list[Postmortem]:
    from pmsync.commands import load_documents

    try:
        documents, errors = load_documents([], config)
    except PmsyncError as exc:
        note(Diagnosis(False, f"postmortems: {exc}", "set `postmortems` to your files' glob"))
        return []
    items = sum(len(doc.items) for doc in documents)
    warnings = sum(len(doc.warnings) for doc in documents)
    text = f"postmortems: {len(documents)} parsed, {items} action items, {warnings} warnings"
    if errors:
        note(Diagnosis(False, f"{text}; {errors[0]}", "fix or remove the file named"))
    elif items == 0:
        note(Diagnosis(False, text, "check the action-item sections (`pmsync parse PATH`)"))
    else:
        note(Diagnosis(True, text))
    return documents


def _state_check(path: Path, note: Callable[[Diagnosis], None]) -> None:
    try:
        state = load_state(path)
    except PmsyncError as exc:
        note(Diagnosis(False, f"state file: {exc}", "restore it or run `pmsync state rebuild`"))
        return
    lock = filelock.FileLock(str(path.with_name(path.name + ".lock")))
    if path.parent.exists():
        try:
            lock.acquire(timeout=0)
            lock.release()
        except filelock.Timeout:
            fix = "wait for the other pmsync run to finish"
            note(Diagnosis(False, f"state file {path}: locked by another run", fix))
            return
    what = f"{len(state.items)} items tracked" if path.exists() else "none yet (push creates it)"
    note(Diagnosis(True, f"state file {path}: readable, not locked, {what}"))


def trackers_in_use(config: Config, documents: list[Postmortem]) -> list[str]:
    """The default tracker, then any a postmortem's front matter names."""
    names = [config.tracker, *(tracker_of(doc, config) for doc in documents)]
    return list(dict.fromkeys(names))


def _tracker_checks(
    name: str, config: Config, env: Mapping[str, str], sleep: Sleep
) -> list[Diagnosis]:
    diagnose = tracker_spec(name).diagnose
    if diagnose is None:
        return [Diagnosis(True, f"{name}: this tracker offers no checks; try `pmsync plan`")]
    policy = RetryPolicy(max_wait=config.limits.max_wait, writes_per_minute=0, sleep=sleep)
    return diagnose(config.section(name), env, policy)

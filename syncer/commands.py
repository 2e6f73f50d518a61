"""What each CLI command does, as plain functions returning values (no printing)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from pmsync.adapters import TRACKERS
from pmsync.adapters.base import RetryPolicy, Tracker
from pmsync.check import Finding, check_documents
from pmsync.config import Config, find_config, load_config
from pmsync.documents import expand_globs, parse_command
from pmsync.errors import ConfigError, InputError
from pmsync.gitdiff import changed_since
from pmsync.group import Outcome
from pmsync.html_report import render_report
from pmsync.model import Postmortem
from pmsync.parse import SectionSynonyms
from pmsync.plan import Plan, plan_changes
from pmsync.rebuild import rebuild_state
from pmsync.state import DocumentRecord, Journal, SyncState, load_state, locked, save_state
from pmsync.status import StatusRow, record_history, refresh_status, status_rows
from pmsync.sync import apply_plan
from pmsync.writeback import LineEdit, write_back

Sleep = Callable[[float], None]

# --- plan and push ----------------------------------------------------------------------


@dataclass
class PlanResult:
    plan: Plan
    documents: list[Postmortem]
    errors: list[str]


def open_config(explicit: str | None) -> Config:
    return load_config(find_config(explicit))


def postmortem_paths(paths: list[str], config: Config) -> list[str]:
    """The paths given, else the config's `postmortems` patterns."""
    if paths:
        return paths
    found = expand_globs(config.postmortems, config.root)
    if not found:
        patterns = ", ".join(config.postmortems)
        raise InputError(f"no postmortems match {patterns}; pass paths or set `postmortems`")
    return found


def load_documents(paths: list[str], config: Config) -> tuple[list[Postmortem], list[str]]:
    documents, errors = parse_command(postmortem_paths(paths, config), synonyms_of(config))
    return [replace(doc, path=project_path(doc.path, config)) for doc in documents], errors


def project_path(path: str, config: Config) -> str:
    """A postmortem's path relative to the config file's folder (the repository), however
    it was named: issue links and the state must not change with the working directory,
    nor carry a machine's absolute path. `source_file` turns it back into the file."""
    absolute = Path(path).resolve()
    try:
        return Path(os.path.relpath(absolute, config.root.resolve())).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists
        return absolute.as_posix()


def source_file(doc_path: str, config: Config) -> Path:
    """The file a postmortem was read from: the one place its recorded path is resolved."""
    return config.root / doc_path


def plan_command(config: Config, paths: list[str]) -> PlanResult:
    """The plan, from the documents and the state alone: no tracker is consulted."""
    documents, errors = load_documents(paths, config)
    state = load_state(config.state_path())
    return PlanResult(plan_changes(documents, state, config), documents, errors)


@dataclass
class PushResult:
    plan: Plan
    outcomes: list[Outcome]
    errors: list[str]


def push_command(
    config: Config,
    paths: list[str],
    *,
    prune: bool,
    report: Callable[[Outcome], None],
    env: Mapping[str, str] = os.environ,
    announce: Callable[[str], None] = lambda message: None,
    sleep: Sleep = time.sleep,
) -> PushResult:
    documents, errors = load_documents(paths, config)
    path = config.state_path()
    with locked(path, config.limits.lock_timeout, announce):
        state = load_state(path)
        before = state.model_dump_json()
        plan = plan_changes(documents, state, config)
        for warning in plan.warnings:
            announce(warning)
        record_documents(state, documents)
        connect = TrackerConnector(config, env, announce, sleep)
        journal = Journal(path) if plan.writes_needed else None
        try:
            outcomes = apply_plan(
                plan, state, connect, journal, prune=prune, report=report, stopped=announce
            )
        finally:
            if state.model_dump_json() != before:
                save_state(state, path)
            if journal is not None:
                journal.close()
    return PushResult(plan, outcomes, errors)


def record_documents(state: SyncState, documents: list[Postmortem]) -> None:
    for doc in documents:
        state.documents[doc.key] = DocumentRecord(path=doc.path, title=doc.title)


class TrackerConnector:
    """Connects to each tracker once, on first use, so a run with nothing to write makes
    no connection at all."""

    def __init__(
        self,
        config: Config,
        env: Mapping[str, str],
        announce: Callable[[str], None],
        sleep: Sleep = time.sleep,
    ) -> None:
        self.config, self.env, self.announce = config, env, announce
        self.sleep = sleep  # every wait of the run goes through it (tests: no real sleep)
        self.trackers: dict[str, Tracker] = {}

    def __call__(self, name: str) -> Tracker:
        if name not in self.trackers:
            self.trackers[name] = self._connect(name)
        return self.trackers[name]

    def _connect(self, name: str) -> Tracker:
        section = self.config.section(name)
        require_tracker_settings(name, section)
        policy = RetryPolicy(
            max_wait=self.config.limits.max_wait,
            writes_per_minute=getattr(section, "writes_per_minute", 0),
            announce=self.announce,
            sleep=self.sleep,
        )
        return TRACKERS[name].connect(section, self.env, policy)


def require_tracker_settings(name: str, section: Any) -> None:
    for key in TRACKERS[name].required:
        if not getattr(section, key):
            raise ConfigError(f"setting '{name}.{key}' is required to push to {name}")


def synonyms_of(config: Config) -> SectionSynonyms | None:
    if config.parser.tasks is None and config.parser.corrective is None:
        return None
    default = SectionSynonyms()
    return SectionSynonyms(
        tasks=tuple(config.parser.tasks or default.tasks),
        corrective=tuple(config.parser.corrective or default.corrective),
    )


# --- status -----------------------------------------------------------------------------


@dataclass
class StatusResult:
    rows: list[StatusRow]
    errors: list[str]
    written: list[str]


def status_command(
    config: Config,
    paths: list[str],
    *,
    refresh: bool,
    write: bool,
    today: date,
    env: Mapping[str, str] = os.environ,
    announce: Callable[[str], None] = lambda message: None,
    progress: Callable[[int], None] = lambda n: None,
    sleep: Sleep = time.sleep,
) -> StatusResult:
    path = config.state_path()
    if not refresh and not write:
        state = load_state(path)
        return StatusResult(status_rows(state, today), [], [])
    with locked(path, config.limits.lock_timeout, announce):
        state = load_state(path)
        before = state.model_dump_json()
        errors = []
        if refresh:
            connect = TrackerConnector(config, env, announce, sleep)
            errors = refresh_status(state, connect, progress)
        rows = status_rows(state, today)
        record_history(state, rows, today)
        if state.model_dump_json() != before:
            save_state(state, path)
    written = write_back_documents(config, paths, state) if write else []
    return StatusResult(rows, errors, written)


def write_back_documents(config: Config, paths: list[str], state: SyncState) -> list[str]:
    """Put each tracked item's issue link and checkbox into its postmortem."""
    documents, _ = load_documents(paths, config)
    written = []
    for doc in documents:
        edits = []
        for item in doc.items:
            found = state.find(item.id)
            record = found[1] if found else None
            if record is None or record.issue is None or record.doc != doc.key:
                continue
            closed = record.status is not None and record.status.state == "closed"
            edits.append(LineEdit(item.line, record.issue.key, record.issue.url, closed))
        if edits and write_back(source_file(doc.path, config), edits):
            written.append(doc.path)
    return written


def rebuild_command(
    config: Config,
    paths: list[str],
    env: Mapping[str, str] = os.environ,
    announce: Callable[[str], None] = lambda message: None,
    sleep: Sleep = time.sleep,
) -> tuple[int, list[str]]:
    """Reconstruct the state from the trackers' markers → (items recorded, errors)."""
    documents, errors = load_documents(paths, config)
    path = config.state_path()
    with locked(path, config.limits.lock_timeout, announce):
        plan = plan_changes(documents, SyncState(), config)
        state, tracker_errors = rebuild_state(plan, TrackerConnector(config, env, announce, sleep))
        if tracker_errors:
            # A partial rebuild would forget the unread trackers' issues: keep the file.
            return 0, errors + tracker_errors + [f"{path}: left unchanged"]
        record_documents(state, documents)
        save_state(state, path)
    return len(state.items), errors


def report_command(
    config: Config,
    paths: list[str],
    output: Path,
    *,
    refresh: bool,
    today: date,
    env: Mapping[str, str] = os.environ,
    announce: Callable[[str], None] = lambda message: None,
) -> StatusResult:
    """Refresh the status (unless told not to) and write the HTML dashboard."""
    result = status_command(
        config, paths, refresh=refresh, write=False, today=today, env=env, announce=announce
    )
    state = load_state(config.state_path())
    lines = item_lines(config, paths, state)
    titles = {d.path: d.title for d in state.documents.values() if d.title}
    page = render_report(
        result.rows, state.history, today, base_url=config.links.base_url, lines=lines,
        doc_titles=titles,
    )  # fmt: skip
    try:
        output.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{output}: cannot write the report ({exc.strerror or exc})") from None
    return result


def item_lines(config: Config, paths: list[str], state: SyncState) -> dict[str, int]:
    """Each tracked item's current line in its postmortem, for links to the source."""
    try:
        documents, _ = load_documents(paths, config)
    except InputError:
        return {}
    lines = {}
    for doc in documents:
        for item in doc.items:
            found = state.find(item.id)
            if found is not None:
                lines[found[0]] = item.line
    return lines


def check_command(config: Config, paths: list[str]) -> tuple[list[Finding], list[str]]:
    """Lint postmortems for a pull request: what would make a bad push."""
    documents, errors = load_documents(paths, config)
    return check_documents(documents, config), errors


def changed_paths(ref: str | None, paths: list[str], config: Config) -> list[str] | None:
    """With --changed-since: the postmortems changed since `ref` (None: no filter)."""
    if ref is None:
        return None
    candidates = [str(Path(p).resolve()) for p in postmortem_paths(paths, config)]
    return [str(config.root / p) for p in changed_since(ref, candidates, cwd=config.root)]

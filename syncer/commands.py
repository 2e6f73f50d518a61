"""What each CLI command does, as plain functions returning values (no printing)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from pmsync.adapters import TRACKERS
from pmsync.adapters.base import RetryPolicy, Tracker
from pmsync.check import Finding, check_documents
from pmsync.config import Config, find_config, load_config
from pmsync.errors import ConfigError, ContainerError, InputError, StateError, TrackerError
from pmsync.gitdiff import changed_since
from pmsync.model import ActionItem, Postmortem
from pmsync.parse.files import expand_globs, parse_command
from pmsync.parse.postmortem import SectionSynonyms
from pmsync.plan.identity import explicit_id
from pmsync.plan.pairing import Resolution, fresh_key, orphaned_documents, resolve_documents
from pmsync.plan.planner import Plan, plan_changes
from pmsync.report.html import render_report
from pmsync.state.rebuild import rebuild_state
from pmsync.state.store import DocumentRecord, Journal, SyncState, load_state, locked, save_state
from pmsync.status.refresh import StatusRow, record_history, refresh_status, status_rows
from pmsync.status.writeback import LineEdit, tick_to_write, write_back
from pmsync.sync.engine import apply_plan
from pmsync.sync.run import Outcome
from pmsync.workflows import refusal, unguarded_jobs, workflow_files

Sleep = Callable[[float], None]
T = TypeVar("T")
NO_CONFIG = "no pmsync.yaml found (run `pmsync init`"


def require_config_or_state(config: Config) -> None:
    """Commands that read the state: with neither a config nor a state file, the user
    has not started; say how to, rather than report nothing."""
    if config.source is None and not config.state_path().exists():
        raise ConfigError(NO_CONFIG + " or pass --config)")


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
    if config.source is None:
        raise ConfigError(NO_CONFIG + ", pass --config, or name the postmortems)")
    found = expand_globs(config.postmortems, config.root)
    if not found:
        patterns = ", ".join(config.postmortems)
        raise InputError(f"no postmortems match {patterns}; pass paths or set `postmortems`")
    return found


def load_documents(paths: list[str], config: Config) -> tuple[list[Postmortem], list[str]]:
    """The postmortems parsed, with repository-relative paths and keys from them."""
    documents, errors = parse_command(
        postmortem_paths(paths, config), synonyms_of(config), config.parser.max_items
    )
    keyed = [fresh_key(replace(doc, path=project_path(doc.path, config))) for doc in documents]
    return keyed, errors


def known_documents(
    paths: list[str], config: Config, state: SyncState, *, force_new: bool = False
) -> tuple[Resolution, list[str]]:
    """The postmortems keyed as the state knows them (see `pairing`)."""
    documents, errors = load_documents(paths, config)
    return resolve_documents(documents, state, exists_in(config), force_new=force_new), errors


def exists_in(config: Config) -> Callable[[str], bool]:
    return lambda path: (config.root / path).exists()


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
    state = load_state(config.state_path())
    resolution, errors = known_documents(paths, config, state)
    documents = resolution.documents
    orphaned = orphaned_documents(state, exists_in(config))
    return PlanResult(plan_changes(documents, state, config, orphaned), documents, errors)


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
    force_new: bool = False,
) -> PushResult:
    if (problem := refusal(env)) is not None:  # two CI runs at once would duplicate
        raise ConfigError(problem)
    path = config.state_path()
    with locked(path, config.limits.lock_timeout, announce):
        state = load_state(path)
        before = state.model_dump_json()
        resolution, errors = known_documents(paths, config, state, force_new=force_new)
        documents = resolution.documents
        plan = plan_changes(documents, state, config, orphaned_documents(state, exists_in(config)))
        for old, new in resolution.renamed:
            announce(f"{new}: recognised as {old}, renamed")
        for warning in plan.warnings:
            announce(warning)
        record_documents(state, documents, resolution.retired)
        connect = TrackerConnector(config, env, announce, sleep)
        journal = Journal(path) if plan.writes_needed else None
        try:
            outcomes = checked_container(config, lambda: apply_plan(
                plan, state, connect, journal, prune=prune, report=report, stopped=announce,
                intent_grace=config.limits.intent_grace,
            ))  # fmt: skip
        finally:
            if state.model_dump_json() != before:
                save_state(state, path)
            if journal is not None:
                journal.close()
    return PushResult(plan, outcomes, errors)


def checked_container(config: Config, run: Callable[[], T]) -> T:
    """`run`, with a ContainerError told in the settings' words: which URL, which
    settings and which token variable to check."""
    try:
        return run()
    except ContainerError as exc:
        name = str(exc).split(" ", 1)[0]
        section = getattr(config, name, None)
        url_key = "api_url" if hasattr(section, "api_url") else "url"
        place = "repo" if hasattr(section, "repo") else "project"
        url, token = getattr(section, url_key, None), getattr(section, "token_env", "")
        raise ContainerError(
            f"{exc} (at {url}); check `{name}.{place}`, `{name}.{url_key}` and the token "
            f"in ${token}"
        ) from None


def record_documents(
    state: SyncState, documents: list[Postmortem], retired: Sequence[str] = ()
) -> None:
    for doc in documents:
        # A document pmsync keyed anew takes its path over from any older record of it.
        for key, record in state.documents.items():
            if record.path == doc.path and key != doc.key:
                record.retired = True
        explicit = explicit_id(doc.front_matter)
        state.documents[doc.key] = DocumentRecord(path=doc.path, title=doc.title, id=explicit)
    for key in retired:
        state.documents[key].retired = True


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
    failures: list[TrackerError]  # one per tracker container that could not be read
    written: list[str]
    left: list[str] = field(default_factory=list)  # items write-back could not reach

    @property
    def errors(self) -> list[str]:
        return [str(failure) for failure in self.failures]


def status_command(
    config: Config,
    paths: list[str],
    *,
    refresh: bool,
    write: bool,
    today: date,
    full: bool = False,
    env: Mapping[str, str] = os.environ,
    announce: Callable[[str], None] = lambda message: None,
    progress: Callable[[int], None] = lambda n: None,
    sleep: Sleep = time.sleep,
) -> StatusResult:
    require_config_or_state(config)
    path = config.state_path()
    if not refresh and not write:
        state = load_state(path)
        orphaned = orphaned_documents(state, exists_in(config))
        rows = in_document_order(status_rows(state, today, orphaned), config, paths, state)
        return StatusResult(rows, [], [])
    with locked(path, config.limits.lock_timeout, announce):
        state = load_state(path)
        before = state.model_dump_json()
        errors: list[TrackerError] = []
        if refresh:
            connect = TrackerConnector(config, env, announce, sleep)
            errors = refresh_status(state, connect, progress, full=full, announce=announce)
        orphaned = orphaned_documents(state, exists_in(config))
        rows = in_document_order(status_rows(state, today, orphaned), config, paths, state)
        record_history(state, rows, today)
        left: list[str] = []
        written = write_back_documents(config, paths, state, left) if write else []
        if state.model_dump_json() != before:
            save_state(state, path)
    return StatusResult(rows, errors, written, left)


def in_document_order(
    rows: list[StatusRow], config: Config, paths: list[str], state: SyncState
) -> list[StatusRow]:
    """Rows by postmortem, then in the order the items are written (the state keeps no
    line numbers: the postmortems are read for them; rows of unread items keep id order)."""
    lines, _ = item_lines(config, paths, state)
    return sorted(rows, key=lambda r: (r.doc, lines.get(r.item_id, 1 << 30), r.item_id))


def write_back_documents(
    config: Config, paths: list[str], state: SyncState, left: list[str] | None = None
) -> list[str]:
    """Put each tracked item's issue link and checkbox into its postmortem; `left` hears
    about the items whose line could not take them. A tick the person moved since the
    last sync is left alone (`tick_to_write`); the state learns the ticks written."""
    documents = known_documents(paths, config, state)[0].documents
    written = []
    for doc in documents:
        edits = [edit for item in doc.items if (edit := _line_edit(item, doc, state))]
        skipped: list[LineEdit] = []
        if edits and write_back(source_file(doc.path, config), edits, skipped):
            written.append(doc.path)
        if left is not None:
            left.extend(
                f"{doc.path}:{e.line}: {e.key} not written back: the table has no Issue or "
                "Ticket column and cannot take one (add one, framed by pipes)"
                for e in skipped
            )
    if written:
        _learn_ticks(config, written, state)
    return written


def _line_edit(item: ActionItem, doc: Postmortem, state: SyncState) -> LineEdit | None:
    found = state.find(item.id)
    if found is None or found[1].issue is None or found[1].doc != doc.key:
        return None
    record, issue = found[1], found[1].issue
    return LineEdit(item.line, issue.key, issue.url, tick_to_write(record, item.done))


def _learn_ticks(config: Config, written: list[str], state: SyncState) -> None:
    """Where the written files now agree with their issues, that tick is the baseline
    the next push compares the person's ticks with (a line that cannot show a tick, or
    a tick the person moved, keeps the old one)."""
    files = [str(source_file(path, config)) for path in written]
    for doc in known_documents(files, config, state)[0].documents:
        for item in doc.items:
            found = state.find(item.id)
            if found is None or found[1].status is None:
                continue
            key, record = found
            closed = record.status is not None and record.status.state == "closed"
            if item.done == closed and record.done != closed:
                state.items[key] = record.model_copy(update={"done": closed})


def rebuild_command(
    config: Config,
    paths: list[str],
    env: Mapping[str, str] = os.environ,
    announce: Callable[[str], None] = lambda message: None,
    sleep: Sleep = time.sleep,
) -> tuple[int, list[str]]:
    """Reconstruct the state from the trackers' markers → (items recorded, errors)."""
    path = config.state_path()
    with locked(path, config.limits.lock_timeout, announce):
        resolution, errors = known_documents(paths, config, _readable_state(path))
        documents = resolution.documents
        plan = plan_changes(documents, SyncState(), config)
        state, tracker_errors = rebuild_state(plan, TrackerConnector(config, env, announce, sleep))
        if tracker_errors:
            # A partial rebuild would forget the unread trackers' issues: keep the file.
            return 0, errors + tracker_errors + [f"{path}: left unchanged"]
        record_documents(state, documents)
        save_state(state, path)
    return len(state.items), errors


def _readable_state(path: Path) -> SyncState:
    """The state for the documents' identities only; none when it cannot be read."""
    try:
        return load_state(path)
    except StateError:
        return SyncState()


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
    lines, owners = item_lines(config, paths, state)
    titles = {d.path: d.title for d in state.documents.values() if d.title}
    rows = result.rows
    if not config.people:
        # No mapping to tracker accounts: the issues are unassigned, but the postmortems
        # name who owns each item.
        rows = [replace(r, assignee=r.assignee or owners.get(r.item_id)) for r in rows]
    page = render_report(
        rows, state.history, today, base_url=config.links.base_url, lines=lines,
        doc_titles=titles, doc_root=relative_root(config.root, output),
    )  # fmt: skip
    try:
        output.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{output}: cannot write the report ({exc.strerror or exc})") from None
    return result


def relative_root(root: Path, page: Path) -> str:
    """The config's folder seen from the folder the page is written to."""
    try:
        return Path(os.path.relpath(root.resolve(), page.resolve().parent)).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists
        return root.resolve().as_uri()


def item_lines(
    config: Config, paths: list[str], state: SyncState
) -> tuple[dict[str, int], dict[str, str]]:
    """Each tracked item's current line in its postmortem (for links to the source) and
    the owner the postmortem names for it."""
    try:
        documents = known_documents(paths, config, state)[0].documents
    except (InputError, ConfigError):
        return {}, {}
    lines, owners = {}, {}
    for doc in documents:
        for item in doc.items:
            found = state.find(item.id)
            if found is not None:
                lines[found[0]] = item.line
                owner = item.owner or doc.front_matter.get("owner")
                if owner:
                    owners[found[0]] = str(owner)
    return lines, owners


def check_command(config: Config, paths: list[str]) -> tuple[list[Finding], list[str]]:
    """Lint postmortems for a pull request: what would make a bad push."""
    documents, errors = load_documents(paths, config)
    findings = check_documents(documents, config)
    for workflow in workflow_files(config.root):
        where = Path(os.path.relpath(workflow, config.root)).as_posix()
        findings += [Finding(where, u.line, u.message()) for u in unguarded_jobs(workflow)]
    return findings, errors


def changed_paths(ref: str | None, paths: list[str], config: Config) -> list[str] | None:
    """With --changed-since: the postmortems changed since `ref` (None: no filter)."""
    if ref is None:
        return None
    candidates = [str(Path(p).resolve()) for p in postmortem_paths(paths, config)]
    return [str(config.root / p) for p in changed_since(ref, candidates, cwd=config.root)]

"""The command line: parses arguments, calls the core, prints, and maps errors to exit
codes. The only place that prints or exits. No logic of its own."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from pmsync import __version__
from pmsync.errors import (
    DeliveryError,
    NotAttempted,
    PmsyncError,
    StateError,
    TrackerError,
    UserError,
)

EXAMPLES = """\b
Examples:
  pmsync init && pmsync doctor     set up pmsync.yaml, then check the token and access
  pmsync plan                      what push would do (no network call)
  pmsync push                      create and update one issue per action item"""

# Plain help (rich_markup_mode=None): rich's help shows typer's <str>/<bool> type
# placeholders, which read as arguments to type.
app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Turn postmortem action items into tracker issues (GitHub, Jira, GitLab, Linear), "
    "exactly once.",
    epilog=EXAMPLES,
    # Locals in a traceback would print the environment and tokens (older typer
    # versions show them by default): off, whatever typer version is installed.
    pretty_exceptions_show_locals=False,
)
T = TypeVar("T")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_OVERDUE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
# The exit code follows the error's class, the same in every command; the highest code
# among a run's errors wins (bad input over an item that failed). 3 is not an error:
# `status --fail-on-overdue` found an overdue item, and the run itself went well.
EXIT_CODES: tuple[tuple[type[PmsyncError], int], ...] = (
    (UserError, EXIT_USAGE),  # bad input, config, usage; a container refused outright
    (StateError, EXIT_USAGE),  # the state file is locked or does not parse
    (TrackerError, EXIT_FAILED),  # items failed in the tracker, or it could not be read
    (DeliveryError, EXIT_FAILED),  # a webhook refused or did not answer
)
# Command help footers: which environment variables a command reads, and its exit codes.
# Written out, not built from the registry (that would load every adapter for --help);
# tests/test_first_contact.py checks that it names every tracker's `*_env` default.
TOKENS = (
    "Reads the token variables the config names (each tracker's `token_env`; defaults: "
    "GITHUB_TOKEN; JIRA_API_TOKEN and JIRA_EMAIL; GITLAB_TOKEN; LINEAR_API_KEY)."
)
EXITS = (
    "Exit: 0 done; 1 some items failed in the tracker (the others are applied and "
    "recorded) or it could not be read; 2 bad input, config, state file or usage."
)
OFFLINE = "Reads no token. Exit: 0 done; 2 bad input, config or usage."


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    typer.echo(f"pmsync: {message}", err=True)
    raise typer.Exit(code)


def guarded(fn: Callable[[], T]) -> T:
    """Run a command body, turning pmsync's errors into one line and an exit code."""
    try:
        return fn()
    except PmsyncError as exc:
        fail(str(exc), exit_code(exc))
    except KeyboardInterrupt:
        fail("interrupted", EXIT_INTERRUPTED)


def exit_code(error: PmsyncError) -> int:
    return next((code for kind, code in EXIT_CODES if isinstance(error, kind)), EXIT_USAGE)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"pmsync {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=version_callback,
            is_eager=True,
            help="Show the version.",
            metavar="",
        ),
    ] = False,
) -> None:
    """pmsync: postmortem action items → GitHub or Jira issues."""


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.", metavar="")]
TodayOption = Annotated[
    str | None,
    typer.Option(
        "--today", help="Date to judge overdue items by (default: today).", metavar="DATE"
    ),
]
NoRefreshOption = Annotated[
    bool, typer.Option("--no-refresh", help="Report from the state file alone.", metavar="")
]


@app.command(epilog=OFFLINE)
def parse(
    paths: Annotated[
        list[str], typer.Argument(help="Postmortem files or folders.", metavar="PATH", hidden=True)
    ],
    as_json: JsonOption = False,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Say which rule took each item, and why other lines were not taken.",
            metavar="",
        ),
    ] = False,
) -> None:
    """Parse postmortems and show their action items.

    PATH: postmortem files or folders (folders are searched for Markdown and HTML files).
    """
    from pmsync.parse.files import explain_notes, parse_command

    documents, errors = guarded(lambda: parse_command(paths, validate=False))
    notes = {doc.path: explain_notes(doc.path) for doc in documents} if explain else {}
    if as_json:
        found = [doc.to_json() for doc in documents]
        for doc in found if explain else []:
            doc["explain"] = [note.to_json() for note in notes[doc["path"]]]
        print_json({"documents": found})
    elif explain:
        for path, explained in notes.items():
            typer.echo(path)
            typer.echo(
                "".join(f"  line {note.line}: {note.text}\n" for note in explained), nl=False
            )
    else:
        from pmsync.report.render import print_documents

        print_documents(documents)
    for error in errors:
        typer.echo(f"pmsync: {error}", err=True)
    raise typer.Exit(EXIT_USAGE if errors else EXIT_OK)


ConfigOption = Annotated[
    str | None,
    typer.Option("--config", "-c", help="Config file (default: pmsync.yaml).", metavar="PATH"),
]
PathsArgument = Annotated[
    list[str] | None,
    # Hidden from the Arguments list (typer prints a type placeholder there): each
    # command's help names its PATHs instead.
    typer.Argument(
        help="Postmortems (default: the config's `postmortems`).", metavar="PATH", hidden=True
    ),
]


@app.command(epilog=OFFLINE)
def plan(
    paths: PathsArgument = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
    fmt: Annotated[
        str, typer.Option("--format", help="Output format.", metavar="table|markdown")
    ] = "table",
) -> None:
    """Show what push would do. Writes nothing and makes no network call.

    PATH: postmortem files or folders (default: the config's `postmortems`).
    """
    from pmsync.commands import open_config, plan_command
    from pmsync.report import render as report

    if fmt not in ("table", "markdown"):
        fail(f"--format {fmt}: expected table or markdown")
    result = guarded(lambda: plan_command(open_config(config), paths or []))
    if result.errors and not result.documents:
        finish(result.errors)  # nothing read: an error, not an empty plan
    defaulted = report.defaulted_dues(result.plan, result.documents)
    if as_json:
        print_json(report.plan_json(result.plan, defaulted))
    elif fmt == "markdown":
        sys.stdout.write(report.plan_markdown(result.plan, defaulted))
    else:
        report.print_plan(result.plan, console(), defaulted)
    finish(result.errors)


@app.command(epilog=f"{TOKENS} {EXITS}")
def push(
    paths: PathsArgument = None,
    config: ConfigOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan; write nothing.", metavar="")
    ] = False,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune", help="Close issues of items removed from their postmortem.", metavar=""
        ),
    ] = False,
    as_json: JsonOption = False,
    changed_since: Annotated[
        str | None,
        typer.Option(
            "--changed-since", help="Only postmortems changed since this git ref.", metavar="REF"
        ),
    ] = None,
    force_new: Annotated[
        bool,
        typer.Option(
            "--force-new",
            help="Treat postmortems pmsync cannot pair with a vanished one as new.",
        ),
    ] = False,
) -> None:
    """Create and update one issue per action item, and record it in the state file.

    PATH: postmortem files or folders (default: the config's `postmortems`).
    """
    from pmsync.commands import changed_paths, open_config, push_command
    from pmsync.report import render as report

    settings = guarded(lambda: open_config(config))
    selected = guarded(lambda: changed_paths(changed_since, paths or [], settings))
    if selected == []:
        if as_json:
            print_json(report.push_json([]))
        typer.echo(f"pmsync: no postmortem changed since {changed_since}", err=True)
        raise typer.Exit(EXIT_OK)
    targets = selected if selected is not None else paths or []
    if dry_run:
        plan(targets, config, as_json, "table")
        return
    progress = PushProgress(lines=not as_json)
    try:
        result = guarded(
            lambda: push_command(
                settings,
                targets,
                prune=prune,
                report=progress.report,
                announce=lambda message: typer.echo(f"pmsync: {message}", err=True),
                force_new=force_new,
            )
        )
    finally:
        progress.close()
    if as_json:
        print_json(report.push_json(result.outcomes))
    for line in report.push_summary(result.outcomes, pruned=prune):
        typer.echo(line, err=True)
    finish(result.errors, [o.failure for o in result.outcomes if o.failure is not None])


@app.command(epilog="Reads no token. Exit: 0 no error; 1 lint errors; 2 bad input or config.")
def check(paths: PathsArgument = None, config: ConfigOption = None) -> None:
    """Lint postmortems (for pull requests): items found, dates readable, owners known.

    PATH: postmortem files or folders (default: the config's `postmortems`).
    """
    import os

    from pmsync.check import format_finding, github_annotation
    from pmsync.commands import check_command, open_config

    findings, errors = guarded(lambda: check_command(open_config(config), paths or []))
    annotate = os.environ.get("GITHUB_ACTIONS") == "true"
    for finding in findings:
        typer.echo(format_finding(finding))
        if annotate:
            typer.echo(github_annotation(finding))
    finish(errors, failed=any(f.level == "error" for f in findings))


@app.command(
    epilog=f"{TOKENS} Exit: 0 done; 1 a tracker could not be read; 2 bad input, config, "
    "state file or usage; 3 an item is overdue (with --fail-on-overdue)."
)
def status(
    paths: PathsArgument = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
    fmt: Annotated[
        str, typer.Option("--format", help="Output format.", metavar="table|markdown|csv")
    ] = "table",
    no_refresh: NoRefreshOption = False,
    write_back: Annotated[
        bool,
        typer.Option(
            "--write-back", help="Put issue links and checkboxes into the postmortems.", metavar=""
        ),
    ] = False,
    fail_on_overdue: Annotated[
        bool,
        typer.Option("--fail-on-overdue", help="Exit 3 when any item is overdue.", metavar=""),
    ] = False,
    today: TodayOption = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="List every issue, to find deleted or transferred ones (done weekly anyway).",
            metavar="",
        ),
    ] = False,
) -> None:
    """Read every tracked issue's state in bulk, record it, and report where items stand.

    PATH: postmortem files or folders (default: the config's `postmortems`).
    """
    from pmsync.commands import open_config, status_command

    if fmt not in ("table", "markdown", "csv"):
        fail(f"--format {fmt}: expected table, markdown or csv")
    day = parse_day(today)
    progress = StderrProgress("reading issues")
    try:
        result = guarded(
            lambda: status_command(
                open_config(config),
                paths or [],
                refresh=not no_refresh,
                write=write_back,
                today=day,
                full=full,
                progress=progress.advance,
                announce=lambda message: typer.echo(f"pmsync: {message}", err=True),
            )
        )
    finally:
        progress.close()
    print_rows(result.rows, "json" if as_json else fmt)
    for path in result.written:
        typer.echo(f"pmsync: updated {path}", err=True)
    echo_errors(result.left)
    overdue = fail_on_overdue and any(row.overdue for row in result.rows)
    # Overdue items are news, not a failure of pmsync: their own code, 3, when the run
    # itself went well.
    echo_errors(result.errors)
    if overdue and not result.failures:
        raise typer.Exit(EXIT_OVERDUE)
    finish([], result.failures)


@app.command("report", epilog=f"{TOKENS} Exit: 0 done; 1 a tracker could not be read; 2 bad input.")
def report_html(
    html: Annotated[
        str, typer.Option("--html", help="Write the dashboard to this HTML file.", metavar="FILE")
    ],
    paths: PathsArgument = None,
    config: ConfigOption = None,
    no_refresh: NoRefreshOption = False,
    today: TodayOption = None,
) -> None:
    """Write a self-contained HTML dashboard of the action items.

    PATH: postmortem files or folders (default: the config's `postmortems`).
    """
    from pathlib import Path

    from pmsync.commands import open_config, report_command

    day = parse_day(today)
    result = guarded(
        lambda: report_command(
            open_config(config),
            paths or [],
            Path(html),
            refresh=not no_refresh,
            today=day,
            announce=lambda message: typer.echo(f"pmsync: {message}", err=True),
        )
    )
    typer.echo(f"pmsync: wrote {html} ({len(result.rows)} items)", err=True)
    echo_errors(result.errors)
    finish([], result.failures)


def parse_day(text: str | None) -> Any:
    from datetime import date

    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--today {text}: expected a date as YYYY-MM-DD")


state_app = typer.Typer(
    help="Inspect or repair the state file.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(state_app, name="state")


@state_app.command("rebuild", epilog=f"{TOKENS} {EXITS}")
def state_rebuild(paths: PathsArgument = None, config: ConfigOption = None) -> None:
    """Reconstruct the state file from the markers of the issues in the trackers.

    PATH: postmortem files or folders (default: the config's `postmortems`).
    """
    from pmsync.commands import open_config, rebuild_command

    count, errors = guarded(lambda: rebuild_command(open_config(config), paths or []))
    typer.echo(f"pmsync: state rebuilt: {count} items found in the trackers", err=True)
    finish(errors)


@state_app.command(
    "merge",
    epilog="Reads no token. Exit: 0 merged; 2 a state file is unreadable (git: a conflict).",
)
def state_merge(
    base: Annotated[str, typer.Argument(metavar="BASE", hidden=True)],
    ours: Annotated[str, typer.Argument(metavar="OURS", hidden=True)],
    theirs: Annotated[str, typer.Argument(metavar="THEIRS", hidden=True)],
) -> None:
    """Git merge driver: merge two runs' state files record by record, losing none.

    BASE: the common ancestor (git's %O); OURS: our state, where the result is written
    (%A); THEIRS: their state (%B).
    """
    from pathlib import Path

    from pmsync.state.merge import merge_state_files

    merged = guarded(lambda: merge_state_files(Path(base), Path(ours), Path(theirs)))
    typer.echo(f"pmsync: state merged: {len(merged.items)} items", err=True)


class StderrProgress:
    """A progress bar on stderr while stderr is a terminal; nothing otherwise."""

    def __init__(self, label: str) -> None:
        self.bar: Any = None
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.task = self.bar.add_task(label, total=None)
            self.bar.start()

    def advance(self, count: int = 1) -> None:
        if self.bar is not None:
            self.bar.advance(self.task, count)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


class PushProgress(StderrProgress):
    """Per-item lines on stdout (unless --json), and the bar on a terminal."""

    def __init__(self, lines: bool) -> None:
        from pmsync.report.render import outcome_line

        super().__init__("pushing")
        self.lines, self.line = lines, outcome_line

    def report(self, outcome: Any) -> None:
        self.advance()
        # Items a stopped group never tried share the one reason printed as the group
        # stopped; the summary counts them.
        if self.lines and not isinstance(outcome.failure, NotAttempted):
            # While the bar is live, rich redirects stdout above it.
            typer.echo(self.line(outcome))


def print_rows(rows: Any, fmt: str) -> None:
    """Status rows on stdout: json, markdown, csv or a table."""
    from pmsync.report import status as status_report

    if fmt == "json":
        print_json(status_report.status_json(rows))
    elif fmt == "markdown":
        sys.stdout.write(status_report.status_markdown(rows))
    elif fmt == "csv":
        sys.stdout.write(status_report.status_csv(rows))
    else:
        status_report.print_status(rows, console())


def console() -> Any:
    from rich.console import Console

    return Console()


def echo_errors(errors: list[str]) -> None:
    for error in errors:
        typer.echo(f"pmsync: {error}", err=True)


def finish(
    errors: list[str], failures: Sequence[PmsyncError] = (), *, failed: bool = False
) -> NoReturn:
    """Exit with the highest code of the run: `errors` are bad input (files that could
    not be read), `failures` are coded by class (EXIT_CODES), `failed` is 1 (lint)."""
    echo_errors(errors)
    codes = [exit_code(f) for f in failures]
    codes += [EXIT_FAILED] if failed else []
    codes += [EXIT_USAGE] if errors else []
    raise typer.Exit(max(codes, default=EXIT_OK))


def main() -> None:
    import os

    if "_PMSYNC_COMPLETE" in os.environ:
        # The shell asks for completions (`pmsync completion SHELL` set it up). Typer's
        # own --install-completion is off: it detects the shell on every start (0.4 s).
        from typer.completion import completion_init  # type: ignore[attr-defined]

        completion_init()
    app()


# The commands of getting started and reminders live in their own module; importing it
# registers them on `app`.
from pmsync import cli_setup  # noqa: E402, F401

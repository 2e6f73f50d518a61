"""The command line: parses arguments, calls the core, prints, and maps errors to exit
codes. The only place that prints or exits. No logic of its own."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from pmsync import __version__
from pmsync.errors import PmsyncError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Turn postmortem action items into tracked GitHub or Jira issues, exactly once.",
    # Locals in a traceback would print the environment and tokens (older typer
    # versions show them by default): off, whatever typer version is installed.
    pretty_exceptions_show_locals=False,
)
T = TypeVar("T")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    typer.echo(f"pmsync: {message}", err=True)
    raise typer.Exit(code)


def guarded(fn: Callable[[], T]) -> T:
    """Run a command body, turning pmsync's errors into one line and an exit code."""
    try:
        return fn()
    except PmsyncError as exc:
        fail(str(exc), EXIT_USAGE)
    except KeyboardInterrupt:
        fail("interrupted", EXIT_INTERRUPTED)


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
            "--version", callback=version_callback, is_eager=True, help="Show the version."
        ),
    ] = False,
) -> None:
    """pmsync: postmortem action items → GitHub or Jira issues."""


@app.command()
def parse(
    paths: Annotated[list[str], typer.Argument(help="Postmortem files or folders.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Parse postmortems and show their action items."""
    from pmsync.documents import parse_command

    documents, errors = guarded(lambda: parse_command(paths))
    if as_json:
        print_json({"documents": [doc.to_json() for doc in documents]})
    else:
        from pmsync.report import print_documents

        print_documents(documents)
    for error in errors:
        typer.echo(f"pmsync: {error}", err=True)
    raise typer.Exit(EXIT_USAGE if errors else EXIT_OK)


ConfigOption = Annotated[
    str | None, typer.Option("--config", "-c", help="Config file (default: pmsync.yaml).")
]
PathsArgument = Annotated[
    list[str] | None, typer.Argument(help="Postmortems (default: the config's `postmortems`).")
]


@app.command()
def plan(
    paths: PathsArgument = None,
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="table or markdown.")] = "table",
) -> None:
    """Show what push would do. Writes nothing and makes no network call."""
    from pmsync import report
    from pmsync.commands import open_config, plan_command

    result = guarded(lambda: plan_command(open_config(config), paths or []))
    if as_json:
        print_json(report.plan_json(result.plan))
    elif fmt == "markdown":
        sys.stdout.write(report.plan_markdown(result.plan))
    elif fmt == "table":
        report.print_plan(result.plan, console())
    else:
        fail(f"--format {fmt}: expected table or markdown")
    finish(result.errors, failed=False)


@app.command()
def push(
    paths: PathsArgument = None,
    config: ConfigOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan; write nothing.")
    ] = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="Close issues of items removed from their postmortem.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    changed_since: Annotated[
        str | None,
        typer.Option("--changed-since", help="Only postmortems changed since this git ref."),
    ] = None,
) -> None:
    """Create and update one issue per action item, and record it in the state file."""
    from pmsync import report
    from pmsync.commands import changed_paths, open_config, push_command

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
            )
        )
    finally:
        progress.close()
    if as_json:
        print_json(report.push_json(result.outcomes))
    failed = any(o.action == "fail" for o in result.outcomes)
    finish(result.errors, failed=failed)


@app.command()
def check(paths: PathsArgument = None, config: ConfigOption = None) -> None:
    """Lint postmortems (for pull requests): items found, dates readable, owners known."""
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


@app.command()
def status(
    paths: PathsArgument = None,
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="table, markdown or csv.")] = "table",
    no_refresh: Annotated[
        bool, typer.Option("--no-refresh", help="Report from the state file alone.")
    ] = False,
    write_back: Annotated[
        bool,
        typer.Option("--write-back", help="Put issue links and checkboxes into the postmortems."),
    ] = False,
    fail_on_overdue: Annotated[
        bool, typer.Option("--fail-on-overdue", help="Exit 1 when any item is overdue.")
    ] = False,
    today: Annotated[
        str | None, typer.Option("--today", help="Date to judge overdue items by (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Read every tracked issue's state in bulk, record it, and report where items stand."""
    from pmsync import status_report
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
                progress=progress.advance,
                announce=lambda message: typer.echo(f"pmsync: {message}", err=True),
            )
        )
    finally:
        progress.close()
    if as_json:
        print_json(status_report.status_json(result.rows))
    elif fmt == "markdown":
        sys.stdout.write(status_report.status_markdown(result.rows))
    elif fmt == "csv":
        sys.stdout.write(status_report.status_csv(result.rows))
    else:
        status_report.print_status(result.rows, console())
    for path in result.written:
        typer.echo(f"pmsync: updated {path}", err=True)
    overdue = fail_on_overdue and any(row.overdue for row in result.rows)
    # A tracker that could not be read is a failure of this run, not bad input: exit 1.
    echo_errors(result.errors)
    finish([], failed=overdue or bool(result.errors))


@app.command("report")
def report_html(
    html: Annotated[str, typer.Option("--html", help="Write the dashboard to this HTML file.")],
    paths: PathsArgument = None,
    config: ConfigOption = None,
    no_refresh: Annotated[
        bool, typer.Option("--no-refresh", help="Report from the state file alone.")
    ] = False,
    today: Annotated[
        str | None, typer.Option("--today", help="Date to judge overdue items by (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Write a self-contained HTML dashboard of the action items."""
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
    finish([], failed=bool(result.errors))


def parse_day(text: str | None) -> Any:
    from datetime import date

    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--today {text}: expected a date as YYYY-MM-DD")


state_app = typer.Typer(help="Inspect or repair the state file.", no_args_is_help=True)
app.add_typer(state_app, name="state")


@state_app.command("rebuild")
def state_rebuild(paths: PathsArgument = None, config: ConfigOption = None) -> None:
    """Reconstruct the state file from the markers of the issues in the trackers."""
    from pmsync.commands import open_config, rebuild_command

    count, errors = guarded(lambda: rebuild_command(open_config(config), paths or []))
    typer.echo(f"pmsync: state rebuilt: {count} items found in the trackers", err=True)
    finish(errors, failed=False)


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
        from pmsync.report import outcome_line

        super().__init__("pushing")
        self.lines, self.line = lines, outcome_line

    def report(self, outcome: Any) -> None:
        self.advance()
        if self.lines:
            # While the bar is live, rich redirects stdout above it.
            typer.echo(self.line(outcome))


def console() -> Any:
    from rich.console import Console

    return Console()


def echo_errors(errors: list[str]) -> None:
    for error in errors:
        typer.echo(f"pmsync: {error}", err=True)


def finish(errors: list[str], *, failed: bool) -> NoReturn:
    """Exit 2 when some input was bad, else 1 when something failed, else 0."""
    echo_errors(errors)
    raise typer.Exit(EXIT_USAGE if errors else EXIT_FAILED if failed else EXIT_OK)


def main() -> None:
    app()

"""The command line of getting started and staying in touch: `init`, `doctor`,
`remind` and `config example|schema`. Registered on the app of `pmsync.cli`, whose
presenter (`guarded`, `fail`, exit codes) they share; the work is done by plain
functions in `pmsync.init`, `pmsync.doctor`, `pmsync.report.remind` and `pmsync.schema`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pmsync.cli import (
    EXIT_FAILED,
    EXIT_OK,
    TOKENS,
    ConfigOption,
    NoRefreshOption,
    TodayOption,
    app,
    echo_errors,
    fail,
    guarded,
    parse_day,
)

DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Print the messages; send nothing.", metavar="")
]


@app.command(
    epilog=f"{TOKENS} Exit: 0 every check passed; 1 a check failed (each ✗ line says "
    "what to do). Never prints a token."
)
def doctor(config: ConfigOption = None) -> None:
    """Check the config, postmortems, state file, tokens and tracker permissions.

    A few requests per tracker (GitHub: 1, plus 1 for a Projects v2 due date field;
    Jira: 4), no writes.
    """
    from pmsync.doctor import diagnose_setup

    def show(diagnosis: object) -> None:
        from pmsync.adapters.base import Diagnosis

        assert isinstance(diagnosis, Diagnosis)
        mark = "✓" if diagnosis.ok else "✗"
        fix = f" → {diagnosis.fix}" if not diagnosis.ok and diagnosis.fix else ""
        typer.echo(f"{mark} {diagnosis.what}{fix}")

    found = diagnose_setup(config, report=show)
    raise typer.Exit(EXIT_OK if all(d.ok for d in found) else EXIT_FAILED)


@app.command(
    epilog="Reads the webhook URL from the variable remind.webhook_env names (default "
    f"PMSYNC_WEBHOOK_URL), never from a file, and never prints it. {TOKENS} Exit: 0 sent "
    "(or nothing to send); 1 the webhook failed or a tracker could not be read; 2 bad "
    "input, config or usage."
)
def remind(
    config: ConfigOption = None,
    dry_run: DryRunOption = False,
    no_refresh: NoRefreshOption = False,
    today: TodayOption = None,
) -> None:
    """Send a digest of overdue and due-soon items to a chat webhook.

    Grouped by owner and postmortem, with links; Slack, Microsoft Teams, Mattermost or
    plain JSON (remind.format). With remind.comment, also comment on each overdue issue,
    mentioning its assignee. Each item at most once every remind.every_days.
    """
    from pmsync.commands import open_config
    from pmsync.report.remind import payload_text, remind_command

    day = parse_day(today)
    result = guarded(
        lambda: remind_command(
            open_config(config),
            refresh=not no_refresh,
            today=day,
            dry_run=dry_run,
            announce=lambda message: typer.echo(f"pmsync: {message}", err=True),
        )
    )
    if dry_run and result.payload is not None:
        typer.echo(payload_text(result.payload))
    for line in result.comments:
        typer.echo(f"{'would comment' if dry_run else 'commented'} {line}")
    verb = "would send" if dry_run else "sent" if result.delivered else "no digest for"
    typer.echo(f"pmsync: {verb} {len(result.digest.items)} items", err=True)
    echo_errors(result.errors)
    raise typer.Exit(EXIT_FAILED if result.errors else EXIT_OK)


@app.command(
    epilog="Reads no token. Exit: 0 written; 2 a config exists (use --force) or bad flags."
)
def init(
    tracker: Annotated[
        str | None,
        typer.Option(
            "--tracker", help="Tracker (default: from the git remote).", metavar="TRACKER"
        ),
    ] = None,
    repo: Annotated[
        str | None,
        typer.Option("--repo", help="Repository (OWNER/NAME) or project key.", metavar="NAME"),
    ] = None,
    postmortems: Annotated[
        str | None,
        typer.Option(
            "--postmortems", help="Glob of the postmortems (default: found).", metavar="GLOB"
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Accept the proposals; ask nothing.", metavar="")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing pmsync.yaml.", metavar="")
    ] = False,
) -> None:
    """Write a commented pmsync.yaml for the repository in the current folder.

    Proposes the tracker and repository from `git remote get-url origin` and the
    postmortems glob from the Markdown files that have action items; asks on a terminal
    (unless --yes), and never replaces a config without --force.
    """
    import sys
    from pathlib import Path

    from pmsync.init import propose, write_config

    root = Path.cwd()
    proposal = guarded(
        lambda: propose(root, tracker=tracker, container=repo, postmortems=postmortems)
    )
    if sys.stdin.isatty() and not yes:
        proposal = confirm(proposal)
    for path in guarded(lambda: write_config(root, proposal, force=force)):
        typer.echo(f"pmsync: wrote {path.relative_to(root)}", err=True)
    if not proposal.recognised:
        typer.echo("pmsync: fill in the settings marked FILL IN in pmsync.yaml", err=True)
    patterns = ", ".join(proposal.postmortems)
    typer.echo(f"pmsync: {proposal.found} postmortems with action items match {patterns}. "
               "Next: `pmsync doctor`, then `pmsync plan`.")  # fmt: skip


def confirm(proposal: Any) -> Any:
    """Ask for each proposal on a terminal; Enter keeps it."""
    from dataclasses import replace

    from pmsync.init import placeholders

    tracker = typer.prompt("Tracker", default=proposal.tracker)
    if tracker != proposal.tracker:
        proposal = replace(proposal, tracker=tracker, section=placeholders(tracker, None),
                           recognised=False)  # fmt: skip
    shown = ", ".join(proposal.postmortems)
    patterns = typer.prompt("Postmortems (globs, comma-separated)", default=shown)
    return replace(proposal, postmortems=tuple(p.strip() for p in patterns.split(",")))


@app.command(epilog="Reads no token. Exit: 0 printed; 2 unknown shell.")
def completion(
    shell: Annotated[str, typer.Argument(metavar="SHELL", hidden=True)],  # the docstring says
) -> None:
    """Print the shell completion script for SHELL (bash, zsh, fish, powershell).

    bash: pmsync completion bash >> ~/.bashrc; zsh: pmsync completion zsh >> ~/.zshrc;
    fish: pmsync completion fish > ~/.config/fish/completions/pmsync.fish. Then open a
    new shell.
    """
    from typer.completion import (  # type: ignore[attr-defined]  # public module, re-exported
        completion_init,
        get_completion_script,
    )

    if shell not in ("bash", "zsh", "fish", "powershell", "pwsh"):
        fail(f"completion {shell}: expected bash, zsh, fish or powershell")
    completion_init()
    script = get_completion_script(prog_name="pmsync", complete_var="_PMSYNC_COMPLETE", shell=shell)
    typer.echo(script)


config_app = typer.Typer(
    help="Show the config's settings and schema.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(config_app, name="config")


@config_app.command("example", epilog="Reads no token. Exit: 0 printed.")
def config_example() -> None:
    """Print config.example.yaml: every setting, commented (a starting pmsync.yaml)."""
    from importlib.resources import files

    typer.echo(files("pmsync").joinpath("config.example.yaml").read_text("utf-8"), nl=False)


@config_app.command("schema", epilog="Reads no token. Exit: 0 printed.")
def config_schema() -> None:
    """Print the JSON Schema of pmsync.yaml (for editors and validators)."""
    from pmsync.schema import schema_text

    typer.echo(schema_text(), nl=False)

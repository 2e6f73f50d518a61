"""The command line of getting started and staying in touch: `init`, `doctor`,
`remind` and `config example|schema`. Registered on the app of `pmsync.cli`, whose
presenter (`guarded`, `fail`, exit codes) they share; the work is done by plain
functions in `pmsync.init`, `pmsync.doctor`, `pmsync.remind` and `pmsync.schema`."""

from __future__ import annotations

from typing import Annotated

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
    from pmsync.remind import payload_text, remind_command

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

"""The command line of getting started and staying in touch: `init`, `doctor`,
`remind` and `config example|schema`. Registered on the app of `pmsync.cli`, whose
presenter (`guarded`, `fail`, exit codes) they share; the work is done by plain
functions in `pmsync.init`, `pmsync.doctor`, `pmsync.remind` and `pmsync.schema`."""

from __future__ import annotations

import typer

from pmsync.cli import (
    EXIT_FAILED,
    EXIT_OK,
    TOKENS,
    ConfigOption,
    app,
)


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

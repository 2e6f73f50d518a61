"""Secrets pasted in the wrong place never travel further: a token given as a
variable name, credentials inside a server URL, and local variables (the environment,
tokens) in the traceback of an unexpected error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from pmsync.cli import app

TOKEN = "ghp_R3alLooking70kenValue0123456789abcd"
runner = CliRunner()


def run_cli(root: Path, settings: dict[str, object], *args: str) -> tuple[int, str]:
    (root / "pmsync.yaml").write_text(yaml.safe_dump(settings))
    (root / "postmortems").mkdir(exist_ok=True)
    (root / "postmortems" / "a.md").write_text("# Outage\n\n## Action items\n\n- Fix it\n")
    env = {"GITHUB_TOKEN": "x", "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "y"}
    result = runner.invoke(
        app, [*args, "--config", str(root / "pmsync.yaml")], env=env, catch_exceptions=False
    )
    return result.exit_code, result.stdout + result.stderr


def one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in output, output
    return lines[0]


@pytest.mark.parametrize(
    ("section", "setting"),
    [
        ({"github": {"repo": "acme/ops", "token_env": TOKEN}}, "github.token_env"),
        ({"tracker": "jira", "jira": {"url": "https://x", "project": "OPS", "token_env": TOKEN}},
         "jira.token_env"),
        ({"tracker": "jira", "jira": {"url": "https://x", "project": "OPS",
                                      "email_env": "github_pat_11ABCDEF0123456789"}},
         "jira.email_env"),
    ],
)  # fmt: skip
def test_a_token_pasted_as_variable_name_is_refused_unrepeated(
    tmp_path: Path, section: dict[str, object], setting: str
) -> None:
    code, output = run_cli(tmp_path, section, "push")
    line = one_line(output)
    assert code == 2 and setting in line and "looks like a token" in line
    assert TOKEN not in output and "github_pat_" not in output


@pytest.mark.parametrize(
    "url", ["https://bob:hunter2secret@jira.example.com", "https://hunter2secret@jira.example.com"]
)
def test_credentials_in_the_jira_url_are_refused_unrepeated(tmp_path: Path, url: str) -> None:
    section = {"tracker": "jira", "jira": {"url": url, "project": "OPS"}}
    for command in ("plan", "push"):
        code, output = run_cli(tmp_path, section, command)
        line = one_line(output)
        assert code == 2 and "jira.url" in line and "user name or password" in line
        assert "hunter2secret" not in output
    assert not (tmp_path / ".pmsync").exists()


def test_a_traceback_never_shows_local_variables(tmp_path: Path) -> None:
    """An unexpected error still prints a traceback (for the bug report), without the
    values of local variables: those hold the environment and tokens."""
    script = (
        "import os\n"
        "from pmsync.cli import app\n"
        "@app.command()\n"
        "def boom() -> None:\n"
        "    token = os.environ['GITHUB_TOKEN']\n"
        "    environment = dict(os.environ)\n"
        "    raise RuntimeError('unexpected ' + str(len(token) + len(environment)))\n"
        "app(['boom'])\n"
    )
    env = {k: v for k, v in os.environ.items() if "TYPER" not in k}
    env.update(GITHUB_TOKEN=TOKEN, COLUMNS="200", TERM="xterm")
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1 and "RuntimeError" in output and "unexpected" in output
    assert TOKEN not in output and TOKEN[:12] not in output

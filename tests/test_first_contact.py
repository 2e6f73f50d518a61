"""What a new user meets first: help texts, the missing-config message, plan's
destination and defaulted due dates, push's summary, exit codes, mentions in Markdown
output, unmapped owners on every tracker, the pre-commit hook, and tests that need a
system tool skipping (not failing) outside CI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from pmsync.cli import app
from pmsync.report.status import percent
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.fakes.jira import FakeJira
from tests.system_tools import REQUIRE, missing_tool
from tests.workspace import EXAMPLES, make_workspace

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
COMMANDS = [
    "parse",
    "plan",
    "push",
    "check",
    "status",
    "report",
    "doctor",
    "remind",
    "init",
    "completion",
    "state rebuild",
    "state merge",
    "config example",
    "config schema",
]


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    done = runner.invoke(app, list(args), env=env or {}, catch_exceptions=False)
    return done.exit_code, done.stdout, done.stderr


def test_main_help_ends_with_three_examples() -> None:
    code, out, _ = run("--help")
    tail = out.rstrip().splitlines()[-4:]
    assert code == 0 and tail[0].strip() == "Examples:"
    assert [line.split()[0] for line in tail[1:]] == ["pmsync"] * 3


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help_has_no_type_placeholders_and_says_exit_codes(command: str) -> None:
    code, out, _ = run(*command.split(), "--help")
    assert code == 0 and "<bool>" not in out and "<str>" not in out and "<list" not in out
    assert "Exit: 0" in " ".join(out.split())
    if command in ("push", "status", "report", "doctor", "remind"):
        assert "GITHUB_TOKEN" in out  # the token variables it reads


def test_help_names_every_trackers_token_variables() -> None:
    from pmsync.adapters import TRACKERS
    from pmsync.cli import TOKENS

    defaults = [field.default for spec in TRACKERS.values()
                for name, field in spec.config_model.model_fields.items()
                if name.endswith("_env")]  # fmt: skip
    assert len(defaults) >= len(TRACKERS)
    assert [d for d in defaults if d not in TOKENS] == []


def test_format_lists_its_choices() -> None:
    assert "table|markdown " in run("plan", "--help")[1]
    assert "table|markdown|csv" in run("status", "--help")[1]


def test_no_config_says_run_init(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for command in ("plan", "push", "check", "status", "remind", "report --html r.html"):
        code, _, err = run(*command.split())
        assert code == 2 and "no pmsync.yaml found (run `pmsync init`" in err


def test_plan_on_a_missing_path_or_an_empty_folder_is_exit_2(tmp_path: Path) -> None:
    code, out, err = run("plan", str(tmp_path / "nope"))
    assert code == 2 and out == "" and "no such file or directory" in err
    code, out, err = run("plan", str(tmp_path))
    assert code == 2 and out == "" and "no Markdown postmortems" in err


def test_plan_shows_destination_and_defaulted_due_dates(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {}, github={"repo": "acme/ops"})
    config = str(ws.root / "pmsync.yaml")
    changes = json.loads(run("plan", "--json", "-c", config)[1])["changes"]
    assert {(c["tracker"], c["container"]) for c in changes} == {("github", "acme/ops")}
    sources = {c["due_source"] for c in changes}
    assert sources == {"postmortem", "due_days"}
    markdown = run("plan", "--format", "markdown", "-c", config)[1]
    assert "| `github acme/ops` |" in markdown and "\\* due date from defaults.due_days" in markdown
    defaulted = next(c for c in changes if c["due_source"] == "due_days")
    assert f"{defaulted['due']}* |" in markdown


def test_markdown_output_neutralises_mentions(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {}, github={"repo": "acme/ops"})
    ws.edit("web-stack-orders-index.md", "Engineer Training", "Engineer Training with @alice")
    markdown = run("plan", "--format", "markdown", "-c", str(ws.root / "pmsync.yaml"))[1]
    assert "@\u200dalice" in markdown and "@alice" not in markdown


def test_push_summary_removed_hint_and_overdue_exit_3(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    env = {"GITHUB_TOKEN": fake_github.token}
    github = {"repo": "acme/ops", "api_url": fake_github.api_url, "writes_per_minute": 0}
    ws = make_workspace(tmp_path, env, github=github)
    config = str(ws.root / "pmsync.yaml")
    code, _, err = run("push", "-c", config, env=env)
    assert code == 0 and err.strip().splitlines()[-1] == "pmsync: 39 created, 0 failed"
    ws.edit("web-stack-orders-index.md", "Engineer Training", "")
    code, _, err = run("push", "-c", config, env=env)
    assert "1 removed" in err and "`pmsync push --prune`" in err
    status = ["status", "-c", config, "--no-refresh", "--fail-on-overdue"]
    assert run(*status, "--today", "2030-01-01", env=env)[0] == 3
    assert run(*status, "--today", "2020-01-01", env=env)[0] == 0


def test_one_in_six_reads_17_percent() -> None:
    assert (percent(1, 6), percent(1, 3), percent(0, 0), percent(6, 6)) == (17, 33, 0, 100)


def test_status_rows_follow_the_document(tmp_path: Path, fake_github: FakeGitHub) -> None:
    env = {"GITHUB_TOKEN": fake_github.token}
    github = {"repo": "acme/ops", "api_url": fake_github.api_url, "writes_per_minute": 0}
    ws = make_workspace(tmp_path, env, github=github)
    ws.push()
    docs = {d.key: d for d in ws.plan().documents}
    rows = ws.status(refresh=False, today=date(2024, 7, 1)).rows
    for doc in docs.values():
        written = [i.title for i in doc.items]
        shown = [r.title for r in rows if r.doc == doc.path]
        assert shown == written[: len(shown)] and shown


def test_config_pattern_error_in_words(tmp_path: Path) -> None:
    config = tmp_path / "pmsync.yaml"
    config.write_text("github:\n  repo: https://github.com/acme/ops\n")
    code, _, err = run("plan", "-c", str(config))
    assert code == 2 and "expected the repository as OWNER/NAME" in err and "^[" not in err
    config.write_text("tracker: gitlab\ngitlab:\n  project: https://gitlab.com/acme/ops\n")
    code, _, err = run("plan", "-c", str(config))
    assert code == 2 and "expected the project's path as GROUP/PROJECT" in err


def test_unmapped_owner_is_warned_on_jira(tmp_path: Path, fake_jira: FakeJira) -> None:
    ws = make_workspace(tmp_path, fake_jira.env(), tracker="jira", jira=fake_jira.config())
    ws.edit("web-stack-orders-index.md", "Engineer Training", "Engineer Training (@bob)")
    warnings = [w for o in ws.push().outcomes for w in o.warnings]
    assert warnings == ["owner 'bob' has no jira account in `people`: the issue is left unassigned"]


def test_unmapped_owner_is_warned_on_gitlab(tmp_path: Path, fake_gitlab: FakeGitLab) -> None:
    gitlab = fake_gitlab.config(creates_per_minute=0)
    ws = make_workspace(tmp_path, fake_gitlab.env(), tracker="gitlab", gitlab=gitlab)
    ws.edit("web-stack-orders-index.md", "Engineer Training", "Engineer Training (@bob)")
    warnings = [w for o in ws.push().outcomes for w in o.warnings]
    assert warnings == [
        "owner 'bob' has no gitlab account in `people`: the issue is left unassigned"
    ]


def test_pre_commit_hook_runs_pmsync_check(tmp_path: Path) -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "pmsync-check" and hook["entry"] == "pmsync check"
    good = EXAMPLES / "web-stack-orders-index.md"
    bad = tmp_path / "postmortems" / "empty.md"
    bad.parent.mkdir()
    bad.write_text("# Outage\n\nNothing to do.\n")
    entry = [str(Path(sys.executable).parent / "pmsync"), *hook["entry"].split()[1:]]
    assert subprocess.run([*entry, str(good)], timeout=60, check=False).returncode == 0
    assert subprocess.run([*entry, str(bad)], timeout=60, check=False,
                          capture_output=True).returncode == 1  # fmt: skip


def test_missing_tool_skips_locally_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRE, raising=False)
    with pytest.raises(pytest.skip.Exception, match="install it"):
        missing_tool("tool is not installed: install it")
    monkeypatch.setenv(REQUIRE, "1")
    with pytest.raises(pytest.fail.Exception):
        missing_tool("tool is not installed: install it")
    assert "export PMSYNC_REQUIRE_SYSTEM_TOOLS=1" in (ROOT / ".ci" / "run").read_text()
    assert os.environ.get(REQUIRE) in (None, "1")


def test_readme_getting_started_is_init_doctor_plan_push() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Getting started\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.splitlines()]
    assert commands == ["pmsync init", "pmsync doctor", "pmsync plan", "pmsync push"]


def test_nightly_examples_run_the_reminder() -> None:
    nightly = yaml.safe_load((ROOT / "examples" / "workflows" / "pmsync-nightly.yml").read_text())
    steps = nightly["jobs"]["status"]["steps"]
    (step,) = [s for s in steps if "pmsync remind" in s.get("run", "")]
    assert step["env"]["PMSYNC_WEBHOOK_URL"] == "${{ secrets.PMSYNC_WEBHOOK_URL }}"
    for example in ("cron/crontab", "cron/pmsync.service", "gitlab-ci.yml"):
        assert "pmsync remind --no-refresh" in (ROOT / "examples" / example).read_text()


def test_shell_completion() -> None:
    code, script, _ = run("completion", "bash")
    assert code == 0 and "_PMSYNC_COMPLETE" in script and "complete " in script
    assert run("completion", "tcsh")[0] == 2
    pmsync = str(Path(sys.executable).parent / "pmsync")
    env = {**os.environ, "_PMSYNC_COMPLETE": "complete_bash", "COMP_CWORD": "2"}
    done = subprocess.run([pmsync], env={**env, "COMP_WORDS": "pmsync status --fo"},
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.stdout.split() == ["--format"]


def test_an_unreachable_api_url_is_named_once_not_per_item(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"GITHUB_TOKEN": "ghp_" + "x" * 36}
    github = {"repo": "acme/ops", "api_url": f"http://127.0.0.1:{port}", "writes_per_minute": 0}
    ws = make_workspace(tmp_path, env, github=github, limits={"max_wait": 0})
    code, out, err = run("push", "-c", str(ws.root / "pmsync.yaml"), env=env)
    assert code == 1 and out == ""  # no line per item
    stopped = [line for line in err.splitlines() if ": stopped:" in line]
    assert len(stopped) == 1 and f"http://127.0.0.1:{port}" in stopped[0]
    assert "github.api_url" in stopped[0]
    assert (
        err.strip().splitlines()[-1].endswith("39 failed (39 not attempted, for the reason above)")
    )
    assert env["GITHUB_TOKEN"] not in out + err

"""Two pushes at the same moment would both create every new item's issue (issue 20.6).
pmsync takes no lock in the tracker: CI runs must be serialised by the workflow. So
`pmsync check` reports a workflow that pushes without a `concurrency:` group, and
`pmsync push` refuses to run from one (exit 2, one line); the shipped workflows pass."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pmsync.commands import check_command
from pmsync.errors import ConfigError
from pmsync.workflows import refusal, unguarded_jobs
from tests.fakes.github import FakeGitHub
from tests.workspace import Workspace, make_workspace

ROOT = Path(__file__).resolve().parent.parent
PMSYNC = str(Path(sys.executable).with_name("pmsync"))
REPO = "acme/ops"
UNGUARDED = """\
name: push
on: {push: {branches: [main]}}
jobs:
  lint:
    runs-on: ubuntu-latest
    steps: [{run: pmsync check}]
  sync:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: |
          pmsync push --json > out.json
"""
ACTION = """\
on: push
jobs:
  sync:
    runs-on: ubuntu-latest
    steps:
      - uses: acme/pmsync@0123456789abcdef
        with: {paths: postmortems}
"""


@pytest.fixture
def ws(tmp_path: Path, fake_github: FakeGitHub) -> Workspace:
    github = {"repo": REPO, "api_url": fake_github.api_url, "writes_per_minute": 0}
    ws = make_workspace(tmp_path, {"GITHUB_TOKEN": fake_github.token}, github=github)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    return ws


def workflow(ws: Workspace, name: str, text: str) -> Path:
    path = ws.root / ".github" / "workflows" / name
    path.write_text(text)
    return path


def actions_env(ws: Workspace, name: str, job: str) -> dict[str, str]:
    return {**ws.env, "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(ws.root),
            "GITHUB_JOB": job,
            "GITHUB_WORKFLOW_REF": f"{REPO}/.github/workflows/{name}@refs/heads/main"}  # fmt: skip


def test_check_reports_a_push_job_without_concurrency(ws: Workspace) -> None:
    workflow(ws, "push.yml", UNGUARDED)
    workflow(ws, "action.yaml", ACTION)
    findings, _ = check_command(ws.config(), [])
    found = [(f.path, f.line, f.level) for f in findings if "concurrency" in f.message]
    assert found == [(".github/workflows/action.yaml", 3, "error"),
                     (".github/workflows/push.yml", 7, "error")]  # fmt: skip


@pytest.mark.parametrize("where", ["workflow", "job"])
def test_a_concurrency_group_satisfies_check(ws: Workspace, where: str) -> None:
    group = "concurrency: {group: pmsync, cancel-in-progress: false}\n"
    text = (
        group + UNGUARDED
        if where == "workflow"
        else UNGUARDED.replace("  sync:\n", "  sync:\n    " + group)
    )
    workflow(ws, "push.yml", text)
    findings, _ = check_command(ws.config(), [])
    assert not [f for f in findings if "concurrency" in f.message]


def test_push_refuses_to_run_from_an_unguarded_job(ws: Workspace, fake_github: FakeGitHub) -> None:
    from pmsync.commands import push_command

    workflow(ws, "push.yml", UNGUARDED)
    env = actions_env(ws, "push.yml", "sync")
    with pytest.raises(ConfigError, match=r"^\.github/workflows/push\.yml:7: .*concurrency"):
        push_command(ws.config(), [], prune=False, report=lambda o: None, env=env)
    assert fake_github.requests == [] and fake_github.issues(REPO) == []
    assert refusal(actions_env(ws, "push.yml", "lint")) is None  # that job does not push
    assert refusal({**env, "GITHUB_ACTIONS": ""}) is None  # not under GitHub Actions


def test_the_cli_says_it_in_one_line(ws: Workspace) -> None:
    workflow(ws, "push.yml", UNGUARDED)
    env = {**os.environ, **actions_env(ws, "push.yml", "sync")}
    run = subprocess.run([PMSYNC, "push"], cwd=ws.root, env=env,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1
    assert "concurrency" in run.stderr and "Traceback" not in run.stderr


def test_the_shipped_workflows_are_guarded() -> None:
    shipped = sorted((ROOT / "examples" / "workflows").glob("*.yml"))
    assert shipped and [u for path in shipped for u in unguarded_jobs(path)] == []

"""Tokens never leak: every failing path, run through the CLI with known token values,
with DEBUG logging on; stdout, stderr, every log record, exception text and the state
files are searched for them. A 401/403 names the variable and what to check."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import filelock
import pytest
from typer.testing import CliRunner

from pmsync.cli import app
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.fakes.jira import FakeJira
from tests.fakes.server import DropAfterCommit, DropBefore, FakeServer, Status
from tests.test_faults import SECONDARY, Run, make_run, postmortem

GITHUB_SECRET = "ghp_SECRET_1234567890abcdef"
JIRA_SECRET = "jira-SECRET-token"
GITLAB_SECRET = "glpat-SECRET-0987654321"
SECRETS = (GITHUB_SECRET, JIRA_SECRET, GITLAB_SECRET)
PMSYNC = str(Path(sys.executable).with_name("pmsync"))


@pytest.fixture
def github(fake_github: FakeGitHub) -> Iterator[FakeGitHub]:
    """The fake GitHub accepting the known secret token."""
    saved, fake_github.token = fake_github.token, GITHUB_SECRET
    yield fake_github
    fake_github.token = saved


@pytest.fixture
def jira(fake_jira: FakeJira) -> Iterator[FakeJira]:
    saved, fake_jira.token = fake_jira.token, JIRA_SECRET
    yield fake_jira
    fake_jira.token = saved


@pytest.fixture
def gitlab(fake_gitlab: FakeGitLab) -> Iterator[FakeGitLab]:
    saved, fake_gitlab.token = fake_gitlab.token, GITLAB_SECRET
    yield fake_gitlab
    fake_gitlab.token = saved


def gitlab_run(root: Path, fake: FakeGitLab, **settings: Any) -> Run:
    run = make_run(root, "gitlab", fake, **{"limits": {"max_wait": 1}, **settings})
    run.env["GITLAB_TOKEN"] = GITLAB_SECRET
    run.write(postmortem(4))
    return run


def github_run(root: Path, fake: FakeGitHub, **settings: Any) -> Run:
    run = make_run(root, "github", fake, **{"limits": {"max_wait": 1}, **settings})
    run.env["GITHUB_TOKEN"] = GITHUB_SECRET
    run.write(postmortem(4))
    return run


def jira_run(root: Path, fake: FakeJira, **settings: Any) -> Run:
    run = make_run(root, "jira", fake, **{"limits": {"max_wait": 1}, **settings})
    run.env["JIRA_API_TOKEN"] = JIRA_SECRET
    run.write(postmortem(4))
    return run


def cli(run: Run, caplog: pytest.LogCaptureFixture, *args: str) -> tuple[int, str]:
    """`pmsync ARGS` in this process, DEBUG logging on: exit code and everything written
    (stdout, stderr, log records, exception text, state files)."""
    caplog.set_level(logging.DEBUG)
    env = {**run.env, "PMSYNC_CONFIG": str(run.root / "pmsync.yaml")}
    result = CliRunner().invoke(app, list(args), env=env)
    exception = "" if result.exception is None else repr(result.exception)
    written = [result.stdout, result.stderr, caplog.text, exception]
    written += [repr(r.args) + repr(r.exc_info) for r in caplog.records]
    state_dir = run.root / ".pmsync"
    if state_dir.exists():
        written += [p.read_text(errors="replace") for p in state_dir.iterdir() if p.is_file()]
    return result.exit_code, "\n".join(written)


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text
        assert secret[4:20] not in text  # not a fragment either


# --- the failing paths --------------------------------------------------------------


def wrong_token(run: Run) -> None:
    for name in ("GITHUB_TOKEN", "JIRA_API_TOKEN", "GITLAB_TOKEN"):
        if name in run.env:
            run.env[name] = run.env[name] + "-revoked"


def inject_everywhere(status: Status) -> Callable[[Run], None]:
    return lambda run: run.fake.inject("*", r".", status, times=None)


def drop_creates_and_one_read(run: Run) -> None:
    create = r"^/repos/acme/ops/issues$" if isinstance(run.fake, FakeGitHub) else r"bulk$"
    if isinstance(run.fake, FakeGitLab):
        create = r"^/projects/[^/]+/issues$"
    run.fake.inject("POST", create, DropAfterCommit(), times=None)
    run.fake.inject("GET", r".", DropBefore(), times=1)


def corrupt_state(run: Run) -> None:
    run.state_file().parent.mkdir(parents=True, exist_ok=True)
    run.state_file().write_text('{"version": 1, "items": {"x": ')


def break_config(run: Run) -> None:
    config = run.root / "pmsync.yaml"
    config.write_text(config.read_text().replace("repo: acme/ops", "repo: not a repo"))


PATHS: dict[str, Callable[[Run], None]] = {
    "401": wrong_token,
    "403": inject_everywhere(Status(403, body={"message": "Resource not accessible"})),
    "403-secondary": inject_everywhere(Status(403, {"Retry-After": "60"}, SECONDARY)),
    "429": inject_everywhere(Status(429, {"Retry-After": "60"})),
    "503": inject_everywhere(Status(503)),
    "drops": drop_creates_and_one_read,
    "corrupt-state": corrupt_state,
}
# A rejected token is the container refusing the run: one line, exit 2 (issue 12 point 8).
EXPECTED_EXIT = {"corrupt-state": 2, "bad-config": 2, "missing-token": 2, "401": 2, "403": 2}


@pytest.mark.parametrize("path", [*PATHS, "bad-config", "missing-token"])
def test_github_failures_never_show_the_token(
    tmp_path: Path, github: FakeGitHub, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    run = github_run(tmp_path, github)
    if path == "503":
        github.inject("*", r".", Status(503), times=1)  # retried once, then…
        github.inject("POST", r"/issues$", Status(503), times=None)  # …never re-posted
    elif path == "bad-config":
        break_config(run)
    elif path == "missing-token":
        del run.env["GITHUB_TOKEN"]
    else:
        PATHS[path](run)
    code, written = cli(run, caplog, "push")
    assert code == EXPECTED_EXIT.get(path, 1), written
    assert_no_secret(written)
    assert "Traceback" not in written
    if path not in EXPECTED_EXIT:  # the requests were logged, headers and all
        assert "DEBUG" in caplog.text and "127.0.0.1" in caplog.text
    if path in ("401", "403"):
        assert "$GITHUB_TOKEN" in written and "`repo` scope" in written
        assert "Issues: read/write" in written


@pytest.mark.parametrize("path", [*PATHS, "missing-token"])
def test_jira_failures_never_show_the_token(
    tmp_path: Path, jira: FakeJira, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    run = jira_run(tmp_path, jira)
    if path == "missing-token":
        del run.env["JIRA_API_TOKEN"]
    elif path == "503":
        jira.inject("*", r".", Status(503), times=1)
        jira.inject("POST", r"bulk$", Status(503), times=None)
    else:
        PATHS[path](run)
    code, written = cli(run, caplog, "push")
    assert code == EXPECTED_EXIT.get(path, 1), written
    assert_no_secret(written)
    if path in ("401", "403"):
        assert "JIRA_EMAIL and JIRA_API_TOKEN" in written and "Create issues" in written


@pytest.mark.parametrize("path", [*PATHS, "missing-token"])
def test_gitlab_failures_never_show_the_token(
    tmp_path: Path, gitlab: FakeGitLab, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    run = gitlab_run(tmp_path, gitlab)
    if path == "missing-token":
        del run.env["GITLAB_TOKEN"]
    elif path == "503":
        gitlab.inject("*", r".", Status(503), times=1)
        gitlab.inject("POST", r"/issues$", Status(503), times=None)
    else:
        PATHS[path](run)
    code, written = cli(run, caplog, "push")
    assert code == EXPECTED_EXIT.get(path, 1), written
    assert_no_secret(written)
    assert "Traceback" not in written
    if path in ("401", "403", "missing-token"):
        assert "$GITLAB_TOKEN" in written or "Reporter role" in written, written
    assert all("SECRET" not in str(r.headers) for r in gitlab.requests)


def test_a_lost_lock_and_status_and_rebuild_never_show_the_token(
    tmp_path: Path, github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    run = github_run(tmp_path, github, **{"limits": {"lock_timeout": 0.1, "max_wait": 1}})
    assert cli(run, caplog, "push")[0] == 0
    lock = run.state_file().with_name("state.json.lock")
    with filelock.FileLock(str(lock)):
        code, written = cli(run, caplog, "push")
    assert code == 2 and "holds the lock" in written
    assert_no_secret(written)
    wrong_token(run)
    for args in (("status",), ("state", "rebuild")):
        code, written = cli(run, caplog, *args)
        assert code != 0 and "$GITHUB_TOKEN" in written  # the tracker refused the token
        assert_no_secret(written)


@pytest.mark.parametrize("tracker", ["github", "jira"])
def test_a_rejected_token_through_the_console_script(
    tmp_path: Path, github: FakeGitHub, jira: FakeJira, tracker: str
) -> None:
    run = github_run(tmp_path, github) if tracker == "github" else jira_run(tmp_path, jira)
    wrong_token(run)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **run.env}
    result = subprocess.run(
        [PMSYNC, "push", "--config", str(run.root / "pmsync.yaml")],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert_no_secret(result.stdout + result.stderr)
    expected = "$GITHUB_TOKEN" if tracker == "github" else "JIRA_EMAIL and JIRA_API_TOKEN"
    assert expected in result.stdout + result.stderr


def test_the_fakes_never_log_a_credential(github: FakeGitHub, jira: FakeJira) -> None:
    """The request logs the tests search keep only the auth scheme."""
    fakes: list[FakeServer] = [github, jira]
    for fake in fakes:
        assert all("SECRET" not in str(r.headers) for r in fake.requests)

"""The CI-facing commands end to end: push --changed-since after a merge, and the HTML
report written by `pmsync report` from a real status refresh."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from pmsync.cli import app
from tests.fakes.github import FakeGitHub
from tests.workspace import make_workspace

REPO = "acme/ops"
runner = CliRunner()


def git(root: Path, *args: str) -> str:
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    done = subprocess.run(["git", *identity, *args], cwd=root, check=True, capture_output=True,
                          text=True)  # fmt: skip
    return done.stdout.strip()


def test_push_changed_since_pushes_only_the_changed_postmortem(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    settings = {"repo": REPO, "api_url": fake_github.api_url, "writes_per_minute": 0}
    ws = make_workspace(tmp_path, {}, github=settings)
    env = {"GITHUB_TOKEN": fake_github.token}
    git(ws.root, "init", "-q")
    git(ws.root, "add", ".")
    git(ws.root, "commit", "-qm", "postmortems")
    before = git(ws.root, "rev-parse", "HEAD")
    ws.edit("web-stack-orders-index.md", "Engineer Training", "Engineer Onboarding")
    git(ws.root, "commit", "-qam", "edit one postmortem")
    config = str(ws.root / "pmsync.yaml")
    result = runner.invoke(app, ["push", "--json", "--changed-since", before, "--config", config],
                           env=env, catch_exceptions=False)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["summary"]["created"] == 8 and {i["doc"] for i in data["items"]} == {
        "postmortems/web-stack-orders-index.md"
    }
    nothing = runner.invoke(app, ["push", "--changed-since", "HEAD", "--config", config], env=env)
    assert nothing.exit_code == 0 and "no postmortem changed" in nothing.stderr
    unknown = runner.invoke(app, ["push", "--changed-since", "nope", "--config", config], env=env)
    assert unknown.exit_code == 2 and "nope" in unknown.stderr


def test_report_html_matches_status_json(tmp_path: Path, fake_github: FakeGitHub) -> None:
    settings = {"repo": REPO, "api_url": fake_github.api_url, "writes_per_minute": 0}
    ws = make_workspace(tmp_path, {}, github=settings)
    env = {"GITHUB_TOKEN": fake_github.token}
    config = str(ws.root / "pmsync.yaml")
    assert runner.invoke(app, ["push", "--config", config], env=env).exit_code == 0
    for issue in fake_github.issues(REPO)[:4]:
        fake_github.close_issue(REPO, issue.number)
    page = tmp_path / "report.html"
    done = runner.invoke(app, ["report", "--html", str(page), "--today", "2024-07-15",
                               "--config", config], env=env)  # fmt: skip
    assert done.exit_code == 0, done.stderr
    status = runner.invoke(app, ["status", "--json", "--no-refresh", "--today", "2024-07-15",
                                 "--config", config], env=env)  # fmt: skip
    summary = json.loads(status.stdout)["summary"]
    html = page.read_text()
    for name in ("total", "open", "closed", "overdue"):
        shown = re.search(rf'data-testid="{name}"[^>]*>\s*([0-9]+)', html)
        assert shown is not None and int(shown.group(1)) == summary[name], name
    assert summary["closed"] == 4 and 'href="postmortems/web-stack-orders-index.md' in html
    assert len(page.read_bytes()) < 1_000_000

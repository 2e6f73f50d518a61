"""`pmsync init` in temporary git repositories, with each remote form, flags, and the
never-overwrite rule; `pmsync config example|schema`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from pmsync.cli import app
from pmsync.config import load_config
from pmsync.init import parse_remote
from pmsync.schema import schema_text
from tests.workspace import EXAMPLES

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def repository(root: Path, remote: str | None) -> Path:
    subprocess.run(["git", "init", "-q", str(root)], check=True, timeout=30)
    if remote is not None:
        subprocess.run(["git", "-C", str(root), "remote", "add", "origin", remote],
                       check=True, timeout=30)  # fmt: skip
    shutil.copytree(EXAMPLES, root / "docs" / "incidents")
    (root / "README.md").write_text("# Service\n\nNo action items here.\n")
    return root


def init(root: Path, *args: str) -> tuple[int, str, str]:
    cwd = Path.cwd()
    try:
        os.chdir(root)
        done = runner.invoke(app, ["init", *args], env={})
    finally:
        os.chdir(cwd)
    return done.exit_code, done.stdout, done.stderr


@pytest.mark.parametrize(
    ("remote", "github"),
    [
        ("git@github.com:acme/ops.git", {"repo": "acme/ops"}),
        ("https://github.com/acme/ops.git", {"repo": "acme/ops"}),
        ("https://github.com/acme/ops", {"repo": "acme/ops"}),
        ("ssh://git@github.com/acme/ops.git", {"repo": "acme/ops"}),
        ("https://ci-bot@github.com/acme/ops.git", {"repo": "acme/ops"}),
        (
            "git@github.acme.com:sre/ops.git",
            {"repo": "sre/ops", "api_url": "https://github.acme.com/api/v3"},
        ),
        (
            "https://github.acme.com/sre/ops.git",
            {"repo": "sre/ops", "api_url": "https://github.acme.com/api/v3"},
        ),
    ],
)
def test_github_remotes(tmp_path: Path, remote: str, github: dict[str, str]) -> None:
    code, out, err = init(repository(tmp_path, remote), "--yes")
    assert code == 0, err
    config = load_config(tmp_path / "pmsync.yaml")
    assert config.tracker == "github" and config.postmortems == ["docs/incidents/**/*.md"]
    written = yaml.safe_load((tmp_path / "pmsync.yaml").read_text())
    assert written["github"] == github
    assert "5 postmortems with action items" in out and "pmsync doctor" in out
    assert (tmp_path / ".pmsync" / ".gitignore").read_text().count("*.lock") == 1
    first = (tmp_path / "pmsync.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=.pmsync/config.schema.json"
    assert (tmp_path / ".pmsync" / "config.schema.json").read_text() == schema_text()


@pytest.mark.parametrize(
    ("remote", "host", "path"),
    [
        ("git@gitlab.com:acme/platform/ops.git", "gitlab.com", "acme/platform/ops"),
        ("https://gitlab.example.com/acme/ops.git", "gitlab.example.com", "acme/ops"),
        ("ssh://git@gitlab.example.com:2222/acme/ops.git", "gitlab.example.com", "acme/ops"),
    ],
)
def test_gitlab_remote_forms_parse(remote: str, host: str, path: str) -> None:
    assert parse_remote(remote) == (host, path)


@pytest.mark.parametrize(
    "remote",
    [
        None,
        "https://bitbucket.org/acme/ops.git",
        "git@git.acme.com:platform/team/ops.git",  # self-managed GitLab? nothing says so
        "https://dev.azure.com/acme/ops/_git/ops",  # a nested path is not GitLab's alone
    ],
)
def test_no_or_unknown_remote_writes_placeholders(tmp_path: Path, remote: str | None) -> None:
    code, _, err = init(repository(tmp_path, remote), "--yes")
    assert code == 0, err
    text = (tmp_path / "pmsync.yaml").read_text()
    assert "FILL IN" in text and "repo: OWNER/NAME" in text and "FILL IN" in err
    load_config(tmp_path / "pmsync.yaml")  # placeholders still validate


@pytest.mark.parametrize(
    ("remote", "gitlab"),
    [
        ("git@gitlab.com:acme/ops.git", {"project": "acme/ops"}),
        ("https://gitlab.com/acme/platform/ops.git", {"project": "acme/platform/ops"}),
        ("ssh://git@gitlab.com/acme/platform/sre/ops.git", {"project": "acme/platform/sre/ops"}),
        ("https://oauth2:glpat-x@gitlab.com/acme/ops", {"project": "acme/ops"}),
        (
            "git@gitlab.acme.com:platform/sre/ops.git",
            {"url": "https://gitlab.acme.com", "project": "platform/sre/ops"},
        ),
        (
            "ssh://git@gitlab.acme.com:2222/platform/ops.git",
            {"url": "https://gitlab.acme.com", "project": "platform/ops"},
        ),
        (
            "https://gitlab.acme.com:8443/platform/sre/ops.git",
            {"url": "https://gitlab.acme.com:8443", "project": "platform/sre/ops"},
        ),
        (
            "https://code-gitlab.corp.example/acme/ops.git",
            {"url": "https://code-gitlab.corp.example", "project": "acme/ops"},
        ),
    ],
)
def test_gitlab_remotes(tmp_path: Path, remote: str, gitlab: dict[str, str]) -> None:
    code, out, err = init(repository(tmp_path, remote), "--yes")
    assert code == 0, err
    config = load_config(tmp_path / "pmsync.yaml")
    assert config.tracker == "gitlab" and config.postmortems == ["docs/incidents/**/*.md"]
    text = (tmp_path / "pmsync.yaml").read_text()
    assert yaml.safe_load(text)["gitlab"] == gitlab
    assert "FILL IN" not in text + err and "glpat-x" not in text + out + err
    assert "Next: `pmsync doctor`" in out


def test_github_enterprise_and_self_managed_gitlab_hosts(tmp_path: Path) -> None:
    """GitHub claims hosts named like GitHub (asked first), GitLab those named like
    GitLab; a host named like neither gets placeholders, or is taken with --tracker."""
    ghe = repository(tmp_path / "ghe", "git@github.acme.com:sre/ops.git")
    assert init(ghe, "-y")[0] == 0 and load_config(ghe / "pmsync.yaml").tracker == "github"
    lab = repository(tmp_path / "lab", "git@gitlab.acme.com:sre/ops.git")
    assert init(lab, "-y")[0] == 0 and load_config(lab / "pmsync.yaml").tracker == "gitlab"
    neither = repository(tmp_path / "neither", "git@code.acme.com:sre/ops.git")
    code, _, err = init(neither, "-y", "--tracker", "gitlab", "--repo", "sre/ops")
    assert code == 0 and "FILL IN" in err
    written = yaml.safe_load((neither / "pmsync.yaml").read_text())
    assert written["gitlab"] == {"url": "https://gitlab.com", "project": "sre/ops"}  # FILL IN


def test_gitlab_repo_flag_keeps_the_remote_url(tmp_path: Path) -> None:
    root = repository(tmp_path, "git@gitlab.acme.com:sre/ops.git")
    assert init(root, "--repo", "sre/platform/other", "-y")[0] == 0
    written = yaml.safe_load((root / "pmsync.yaml").read_text())["gitlab"]
    assert written == {"url": "https://gitlab.acme.com", "project": "sre/platform/other"}


def test_gitlab_placeholders(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "pm")
    code, _, err = init(tmp_path, "--yes", "--tracker", "gitlab")
    assert code == 0, err
    written = yaml.safe_load((tmp_path / "pmsync.yaml").read_text())["gitlab"]
    assert written == {"url": "https://gitlab.com", "project": "GROUP/PROJECT"}


def test_outside_a_git_repository(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "pm")
    code, _, _ = init(tmp_path, "--yes")
    assert code == 0 and "No git remote" in (tmp_path / "pmsync.yaml").read_text()
    assert yaml.safe_load((tmp_path / "pmsync.yaml").read_text())["postmortems"] == ["pm/**/*.md"]


def test_flags_win_and_jira_gets_placeholders(tmp_path: Path) -> None:
    root = repository(tmp_path, "git@github.com:acme/ops.git")
    code, _, err = init(root, "--tracker", "jira", "--repo", "OPS", "--postmortems", "pm/*.md")
    assert code == 0, err
    config = load_config(root / "pmsync.yaml")
    assert config.tracker == "jira" and config.jira.project == "OPS"
    assert config.postmortems == ["pm/*.md"]
    code, _, err = init(root, "--tracker", "linearx", "--force")
    assert code == 2 and "expected one of" in err


def test_repo_flag_overrides_the_remote(tmp_path: Path) -> None:
    root = repository(tmp_path, "git@github.acme.com:sre/ops.git")
    assert init(root, "--repo", "sre/other", "-y")[0] == 0
    written = yaml.safe_load((root / "pmsync.yaml").read_text())["github"]
    assert written == {"repo": "sre/other", "api_url": "https://github.acme.com/api/v3"}


def test_never_overwrites_without_force(tmp_path: Path) -> None:
    root = repository(tmp_path, "git@github.com:acme/ops.git")
    (root / "pmsync.yaml").write_text("tracker: jira\n")
    code, _, err = init(root, "--yes")
    assert code == 2 and "--force" in err and err.count("\n") == 1
    assert (root / "pmsync.yaml").read_text() == "tracker: jira\n"
    assert init(root, "--yes", "--force")[0] == 0
    assert load_config(root / "pmsync.yaml").github.repo == "acme/ops"


def test_config_example_and_schema() -> None:
    example = runner.invoke(app, ["config", "example"])
    assert example.exit_code == 0
    assert example.stdout == (ROOT / "config.example.yaml").read_text()
    schema = runner.invoke(app, ["config", "schema"])
    assert json.loads(schema.stdout)["properties"]["remind"]
    # The shipped copy is the models' schema: regenerate it after changing the config.
    assert (ROOT / "syncer" / "config.schema.json").read_text() == schema.stdout


def test_example_config_validates_against_the_schema() -> None:
    import jsonschema

    data = yaml.safe_load((ROOT / "config.example.yaml").read_text())
    jsonschema.validate(data, json.loads(schema_text()))
    load_config(ROOT / "config.example.yaml")


def test_html_exports_get_their_own_pattern(tmp_path: Path) -> None:
    root = repository(tmp_path, "git@github.com:acme/ops.git")
    html = "<h1>Outage</h1><h2>Action items</h2><ul><li>Add an index to orders</li></ul>"
    (root / "docs" / "incidents" / "export.html").write_text(html)
    assert init(root, "--yes")[0] == 0, init(root, "--yes", "--force")[2]
    assert load_config(root / "pmsync.yaml").postmortems == [
        "docs/incidents/**/*.html",
        "docs/incidents/**/*.md",
    ]

"""What a person sees on the command line when GitLab refuses: one line each, naming the
setting, the scope or the role to fix, never the token."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from pmsync.cli import app
from tests.fakes.gitlab import GUEST, FakeGitLab

runner = CliRunner()
DOC = "# Outage\n\nDate: 2024-06-01\n\n## Action items\n\n- Add an index on orders\n"


def push(
    tmp_path: Path, fake: FakeGitLab, env: dict[str, str], **gitlab: object
) -> tuple[int, str]:
    """`pmsync push` of one item; the exit code and everything printed."""
    (tmp_path / "postmortems").mkdir(exist_ok=True)
    (tmp_path / "postmortems" / "outage.md").write_text(DOC)
    config = {"postmortems": ["postmortems/*.md"], "tracker": "gitlab",
              "gitlab": fake.config(creates_per_minute=0, **gitlab)}  # fmt: skip
    (tmp_path / "pmsync.yaml").write_text(yaml.safe_dump(config))
    args = ["push", "--config", str(tmp_path / "pmsync.yaml")]
    result = runner.invoke(app, args, env=env, catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


def lines(stderr: str) -> list[str]:
    assert "Traceback" not in stderr
    return [ln for ln in stderr.splitlines() if ln.strip()]


def test_missing_token(tmp_path: Path, fake_gitlab: FakeGitLab) -> None:
    code, out = push(tmp_path, fake_gitlab, {})
    assert code == 2
    assert lines(out) == [
        "pmsync: no GitLab token: set the environment variable $GITLAB_TOKEN "
        "(gitlab.token_env) to a personal, group or project access token with the `api` scope"
    ]


def test_invalid_token(tmp_path: Path, fake_gitlab: FakeGitLab) -> None:
    code, err = push(tmp_path, fake_gitlab, {"GITLAB_TOKEN": "glpat-not-the-one"})
    assert code != 0 and "glpat-not-the-one" not in err
    assert any("rejected the token in $GITLAB_TOKEN (HTTP 401)" in ln for ln in lines(err))


def test_unknown_project_names_the_setting(tmp_path: Path, fake_gitlab: FakeGitLab) -> None:
    code, err = push(tmp_path, fake_gitlab, fake_gitlab.env(), project="acme/nope")
    assert code != 0
    assert any("acme/nope (gitlab.project)" in ln for ln in lines(err)), err


def test_read_only_scope_names_the_api_scope(tmp_path: Path, fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.scopes = {"read_api"}
    code, err = push(tmp_path, fake_gitlab, fake_gitlab.env())
    assert code != 0 and any("lacks the `api` scope" in ln for ln in lines(err)), err


def test_guest_role_is_named(tmp_path: Path, fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.add_project(fake_gitlab.initial_projects[0], access=GUEST)
    code, out = push(tmp_path, fake_gitlab, fake_gitlab.env())
    assert code == 0  # created, with a warning per issue
    assert any("needs at least the Reporter role" in ln for ln in lines(out)), out

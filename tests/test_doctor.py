"""`pmsync doctor` against the fake GitHub and Jira: good and bad tokens, missing
permissions, and the number of requests it costs (at most 5 per tracker)."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from pmsync.adapters.base import Diagnosis
from pmsync.cli import app
from pmsync.doctor import diagnose_setup
from pmsync.state.store import locked
from tests.fakes.github import FakeGitHub
from tests.fakes.jira import FakeJira
from tests.workspace import Workspace, make_workspace

runner = CliRunner()


def github_workspace(tmp_path: Path, fake: FakeGitHub, **github: object) -> Workspace:
    section = {"repo": "acme/ops", "api_url": fake.api_url, **github}
    return make_workspace(tmp_path, {"GITHUB_TOKEN": fake.token}, github=section)


def doctor(ws: Workspace, env: dict[str, str] | None = None) -> list[Diagnosis]:
    return diagnose_setup(str(ws.root / "pmsync.yaml"), env if env is not None else ws.env,
                          sleep=lambda s: None)  # fmt: skip


def failed(found: list[Diagnosis]) -> list[str]:
    return [d.what for d in found if not d.ok]


def test_github_all_good_in_one_request(tmp_path: Path, fake_github: FakeGitHub) -> None:
    ws = github_workspace(tmp_path, fake_github)
    found = doctor(ws)
    assert failed(found) == []
    text = "\n".join(d.what for d in found)
    assert "39 action items" in text and "push access" in text
    assert re.search(r"rate limit: \d+ of 5000", text)
    assert fake_github.count() == 1


def test_github_bad_token_and_no_token(tmp_path: Path, fake_github: FakeGitHub) -> None:
    ws = github_workspace(tmp_path, fake_github)
    (bad,) = failed(doctor(ws, {"GITHUB_TOKEN": "ghp_wrong"}))
    assert "rejected" in bad
    (unset,) = failed(doctor(ws, {}))
    assert "$GITHUB_TOKEN is not set" in unset
    assert fake_github.count() == 1  # the unset token costs no request


def test_github_missing_push_access_and_unknown_repo(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    ws = github_workspace(tmp_path, fake_github)
    fake_github.set_push_access(False)
    found = doctor(ws)
    (no_push,) = [d for d in found if not d.ok]
    assert "no push access" in no_push.what and "Issues: read and write" in no_push.fix
    ws.configure(github={"repo": "acme/nope", "api_url": fake_github.api_url})
    assert any("acme/nope: not found" in w for w in failed(doctor(ws)))


def test_github_low_rate_limit_headroom(tmp_path: Path, fake_github: FakeGitHub) -> None:
    ws = github_workspace(tmp_path, fake_github)
    fake_github.rate_remaining = 20
    assert any("19 of 5000" in w for w in failed(doctor(ws)))


def jira_workspace(tmp_path: Path, fake: FakeJira) -> Workspace:
    return make_workspace(tmp_path, fake.env(), tracker="jira", jira=fake.config())


def test_jira_all_good_in_four_requests(tmp_path: Path, fake_jira: FakeJira) -> None:
    ws = jira_workspace(tmp_path, fake_jira)
    found = doctor(ws)
    assert failed(found) == []
    assert any("every permission" in d.what for d in found)
    assert len(fake_jira.requests) <= 5


def test_jira_missing_permissions_are_named(tmp_path: Path, fake_jira: FakeJira) -> None:
    ws = jira_workspace(tmp_path, fake_jira)
    fake_jira.denied_permissions = {"TRANSITION_ISSUES", "ASSIGN_ISSUES"}
    (missing,) = failed(doctor(ws))
    assert "TRANSITION_ISSUES" in missing and "ASSIGN_ISSUES" in missing
    assert "CREATE_ISSUES" not in missing


def test_jira_bad_token_and_unknown_project(tmp_path: Path, fake_jira: FakeJira) -> None:
    ws = jira_workspace(tmp_path, fake_jira)
    env = {**ws.env, "JIRA_API_TOKEN": "wrong"}
    assert failed(doctor(ws, env)) == ["Jira credentials: rejected"]
    ws.configure(jira=fake_jira.config(project="NOPE"))
    assert failed(doctor(ws)) == ["Jira project NOPE: not found"]


def test_jira_data_center(tmp_path: Path, fake_jira_dc: FakeJira) -> None:
    ws = make_workspace(tmp_path, fake_jira_dc.env(), tracker="jira", jira=fake_jira_dc.config())
    found = doctor(ws)
    assert failed(found) == [] and any("Data Center" in d.what for d in found)


def test_locked_state_and_missing_config(tmp_path: Path, fake_github: FakeGitHub) -> None:
    ws = github_workspace(tmp_path, fake_github)
    with locked(ws.state_file(), 0):
        assert any("locked" in w for w in failed(doctor(ws)))
    assert failed(diagnose_setup(str(tmp_path / "missing.yaml"))) == [
        f"config: {tmp_path / 'missing.yaml'}: config file not found"
    ]


def test_cli_lines_exit_code_and_no_token_printed(tmp_path: Path, fake_github: FakeGitHub) -> None:
    ws = github_workspace(tmp_path, fake_github)
    config = str(ws.root / "pmsync.yaml")
    ok = runner.invoke(app, ["doctor", "-c", config], env=ws.env)
    assert ok.exit_code == 0 and ok.stdout.count("✓") == len(ok.stdout.splitlines())
    bad = runner.invoke(app, ["doctor", "-c", config], env={"GITHUB_TOKEN": "ghp_wrong"})
    assert bad.exit_code == 1 and "✗ GitHub token: rejected" in bad.stdout
    assert "ghp_wrong" not in bad.stdout + bad.stderr
    assert fake_github.token not in ok.stdout + ok.stderr


def test_github_projects_due_field(tmp_path: Path, fake_github: FakeGitHub) -> None:
    from tests.fakes.github_graphql import attach

    projects = attach(fake_github)
    projects.add_project("acme", 7, fields={"Due": "DATE"})
    project = {"owner": "acme", "number": 7, "field": "Due"}
    ws = github_workspace(tmp_path, fake_github, due_dates="project", project=project)
    found = doctor(ws)
    assert failed(found) == [] and any("date field 'Due' found" in d.what for d in found)
    assert fake_github.count() == 2  # the repository, then one GraphQL query
    ws.configure(github={"repo": "acme/ops", "api_url": fake_github.api_url,
                         "due_dates": "project", "project": {**project, "number": 8}})  # fmt: skip
    (missing,) = [d for d in doctor(ws) if not d.ok]
    assert "project acme/8" in missing.what and "Projects: read and write" in missing.fix

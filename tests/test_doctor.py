"""`pmsync doctor` against the fake GitHub, Jira and GitLab: good and bad tokens, missing
permissions, and the number of requests it costs (at most 5 per tracker)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from typer.testing import CliRunner

from pmsync.adapters.base import Diagnosis
from pmsync.cli import app
from pmsync.doctor import diagnose_setup
from pmsync.state.store import locked
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import GUEST, PLANNER, FakeGitLab
from tests.fakes.jira import FakeJira
from tests.fakes.linear import API_KEY, FakeLinear
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


def gitlab_workspace(tmp_path: Path, fake: FakeGitLab) -> Workspace:
    return make_workspace(tmp_path, fake.env(), tracker="gitlab", gitlab=fake.config())


def test_gitlab_all_good_in_four_requests(tmp_path: Path, fake_gitlab: FakeGitLab) -> None:
    ws = gitlab_workspace(tmp_path, fake_gitlab)
    found = doctor(ws)
    assert failed(found) == []
    text = "\n".join(d.what for d in found)
    assert "token accepted (pmsync-bot)" in text and "scopes: api" in text
    assert "acme/platform/ops: visible; the token's user is Developer" in text
    assert re.search(r"GitLab rate limit: \d+ of 2000 requests left, resets in \d+ s", text)
    assert "GitLab parents (defaults.parent): parent issues with related links" in text
    assert fake_gitlab.count() == 4  # user, token, project, the group's epics


def test_gitlab_bad_token_and_no_token(tmp_path: Path, fake_gitlab: FakeGitLab) -> None:
    ws = gitlab_workspace(tmp_path, fake_gitlab)
    (bad,) = [d for d in doctor(ws, {"GITLAB_TOKEN": "glpat-wrong"}) if not d.ok]
    assert bad.what == f"GitLab token: rejected by {fake_gitlab.url}"
    assert "`api` scope" in bad.fix and "$GITLAB_TOKEN" in bad.fix
    assert fake_gitlab.count() == 1  # stops at the first answer
    (unset,) = failed(doctor(ws, {}))
    assert unset == "GitLab token: $GITLAB_TOKEN is not set"
    assert fake_gitlab.count() == 1  # the unset token costs no request


def test_gitlab_role_too_low(tmp_path: Path, fake_gitlab: FakeGitLab) -> None:
    ws = gitlab_workspace(tmp_path, fake_gitlab)
    fake_gitlab.add_project(fake_gitlab.initial_projects[0], access=GUEST)
    (low,) = [d for d in doctor(ws) if not d.ok]
    assert "the token's user is Guest" in low.what and "drops labels" in low.what
    assert "Reporter role (or Planner)" in low.fix
    fake_gitlab.add_project(fake_gitlab.initial_projects[0], access=PLANNER)
    assert failed(doctor(ws)) == []  # Planner manages issues as Reporter does


def test_gitlab_read_only_token_and_unknown_project(
    tmp_path: Path, fake_gitlab: FakeGitLab
) -> None:
    ws = gitlab_workspace(tmp_path, fake_gitlab)
    fake_gitlab.scopes = {"read_api"}
    (scope,) = failed(doctor(ws))
    assert scope == "GitLab token scopes: read_api: no `api` scope, pmsync cannot write"
    fake_gitlab.scopes, fake_gitlab.token_kind = {"api"}, "oauth"
    assert failed(doctor(ws)) == []  # an OAuth token's scopes are not reported: not a failure
    ws.configure(gitlab=fake_gitlab.config(project="acme/nope"))
    (missing,) = [d for d in doctor(ws) if not d.ok]
    assert missing.what == "GitLab project acme/nope: not found" and "member" in missing.fix


def test_gitlab_low_headroom(tmp_path: Path, fake_gitlab: FakeGitLab) -> None:
    ws = gitlab_workspace(tmp_path, fake_gitlab)
    frozen = datetime.now(timezone.utc)
    fake_gitlab.clock = lambda: frozen  # one rate-limit window for the whole test
    fake_gitlab.requests_limit = 3  # three requests: none left after the doctor's
    (low,) = [d for d in doctor(ws) if not d.ok]
    assert low.what.startswith("GitLab rate limit: 0 of 3 requests left")
    assert "wait for the reset" in low.fix


def test_gitlab_cli_exit_codes_and_no_token_printed(
    tmp_path: Path, fake_gitlab: FakeGitLab
) -> None:
    config = str(gitlab_workspace(tmp_path, fake_gitlab).root / "pmsync.yaml")
    bad = runner.invoke(app, ["doctor", "-c", config], env={"GITLAB_TOKEN": "glpat-wrong"})
    assert bad.exit_code == 1 and "✗ GitLab token: rejected" in bad.stdout
    assert "glpat-wrong" not in bad.stdout + bad.stderr
    ok = runner.invoke(app, ["doctor", "-c", config], env=fake_gitlab.env())
    assert ok.exit_code == 0, ok.stdout
    assert fake_gitlab.token not in ok.stdout + ok.stderr


# --- Linear ---------------------------------------------------------------------------


def linear_workspace(tmp_path: Path, fake: FakeLinear, **linear: object) -> Workspace:
    return make_workspace(tmp_path, fake.env(), tracker="linear", linear=fake.config(**linear))


def test_linear_all_good_in_three_requests(tmp_path: Path, fake_linear: FakeLinear) -> None:
    ws = linear_workspace(tmp_path, fake_linear)
    found = doctor(ws)
    assert failed(found) == []
    text = "\n".join(d.what for d in found)
    assert "accepted (Pat Doe <pat@example.com>, workspace member)" in text
    assert "Linear team OPS: the key's user is a team member" in text
    assert "may create labels in OPS" in text and "Linear rate limit: 49" in text
    assert len(fake_linear.requests) == 3 and fake_linear.validation_errors == []
    assert API_KEY not in text + "".join(d.fix for d in found)


def test_linear_non_member_of_a_team_that_triages(tmp_path: Path, fake_linear: FakeLinear) -> None:
    ws = linear_workspace(tmp_path, fake_linear)
    fake_linear.leave(fake_linear.team, fake_linear.viewer_id)
    fake_linear.add_label("pmsync", fake_linear.team)
    ws.configure(linear=fake_linear.config(create_labels=False))
    found = doctor(ws)
    assert failed(found) == []  # a public team: a non-member creates issues
    assert any("is not a member (a public team" in d.what for d in found)
    fake_linear.team.triage = True
    (triage,) = [d for d in doctor(ws) if not d.ok]
    assert "not a member" in triage.what and "lands in Triage" in triage.what
    assert "add the key's user to team OPS" in triage.fix


def test_linear_labels_managed_by_team_owners_only(tmp_path: Path, fake_linear: FakeLinear) -> None:
    ws = linear_workspace(tmp_path, fake_linear)
    fake_linear.team.security = {"labelManagement": "owner"}
    (missing,) = [d for d in doctor(ws) if not d.ok]
    assert missing.what == (
        "Linear labels: `pmsync` does not exist in OPS and only team owners may create it"
    )
    assert "create the label pmsync in team OPS" in missing.fix
    fake_linear.add_label("pmsync")  # a workspace label serves every team
    (create,) = failed(doctor(ws))
    assert "linear.create_labels is on" in create
    ws.configure(linear=fake_linear.config(create_labels=False))
    assert failed(doctor(ws)) == []
    ws.configure(linear=fake_linear.config())
    fake_linear.join(fake_linear.team, fake_linear.viewer_id, owner=True)
    assert failed(doctor(ws)) == []
    fake_linear.leave(fake_linear.team, fake_linear.viewer_id)
    fake_linear.viewer().role = "admin"
    found = doctor(ws)
    assert failed(found) == [] and any("workspace admin)" in d.what for d in found)


def test_linear_guest_outside_the_team(tmp_path: Path, fake_linear: FakeLinear) -> None:
    ws = linear_workspace(tmp_path, fake_linear)
    fake_linear.viewer().role = "guest"
    fake_linear.leave(fake_linear.team, fake_linear.viewer_id)
    (hidden,) = [d for d in doctor(ws) if not d.ok]
    assert "team OPS does not exist or the API key cannot see it" in hidden.what
    assert "a guest sees only its teams" in hidden.fix


def test_linear_cli_exit_codes_and_no_key_printed(tmp_path: Path, fake_linear: FakeLinear) -> None:
    config = str(linear_workspace(tmp_path, fake_linear).root / "pmsync.yaml")
    ok = runner.invoke(app, ["doctor", "-c", config], env=fake_linear.env())
    assert ok.exit_code == 0, ok.stdout
    fake_linear.leave(fake_linear.team, fake_linear.viewer_id)
    fake_linear.team.triage = True
    bad = runner.invoke(app, ["doctor", "-c", config], env=fake_linear.env())
    assert bad.exit_code == 1 and "✗ Linear team OPS: the key's user is not a member" in bad.stdout
    assert API_KEY not in ok.stdout + ok.stderr + bad.stdout + bad.stderr

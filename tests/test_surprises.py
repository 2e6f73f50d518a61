"""No surprises: a label given as a string is one label; items with no words are
reported, not dropped silently; a renamed postmortem updates its issues' links and
creates nothing (as the README says); and a postmortem whose repository or tracker
changed in the config leaves its issues where they are, saying so, instead of writing
to the old place silently or failing forever on the new one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from pmsync.cli import app
from tests.fakes.github import FakeGitHub
from tests.fakes.jira import FakeJira
from tests.workspace import Workspace, actions, make_workspace

REPO = "acme/ops"
ROOT = Path(__file__).resolve().parent.parent
POSTMORTEM = """{front}# Outage

Date: 2024-06-01

## Action items

- Fix the pool
- Add alerts
- 🔥🔥🔥
- ---?
"""


def workspace(root: Path, fake: FakeGitHub, front: str = "", **settings: Any) -> Workspace:
    github = {"repo": REPO, "api_url": fake.api_url, "writes_per_minute": 0}
    ws = make_workspace(root, {"GITHUB_TOKEN": fake.token}, github=github, **settings)
    for path in ws.postmortems.rglob("*.md"):
        path.unlink()
    ws.doc("outage.md").write_text(POSTMORTEM.format(front=front))
    return ws


def test_a_label_given_as_a_string_is_one_label(tmp_path: Path, fake_github: FakeGitHub) -> None:
    ws = workspace(tmp_path, fake_github, front="---\nlabels: database\n---\n")
    assert actions(ws.push()) == {"create": 2}
    for issue in fake_github.issues(REPO):
        names = set(issue.labels)
        assert "database" in names and not any(len(name) == 1 for name in names), names


def test_items_without_words_are_reported(tmp_path: Path, fake_github: FakeGitHub) -> None:
    ws = workspace(tmp_path, fake_github)
    result = CliRunner().invoke(app, ["check", "--config", str(ws.root / "pmsync.yaml")])
    assert "'🔥🔥🔥' has no words" in result.output and ":9:" in result.output
    assert "'---?' has no words" in result.output


def test_a_renamed_postmortem_updates_links_and_creates_nothing(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    ws = workspace(tmp_path, fake_github)
    ws.push()
    ws.doc("outage.md").rename(ws.doc("2024-06-01-outage.md"))
    result = ws.push()
    assert actions(result) == {"update": 2}
    assert all(o.change.fields == ("body",) for o in result.outcomes)
    assert all("2024-06-01-outage.md" in (i.body or "") for i in fake_github.issues(REPO))
    assert len(fake_github.issues(REPO)) == 2
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "renamed file → nothing" not in readme
    assert "A renamed or moved file → no new issue" in readme


def test_a_changed_repository_leaves_issues_where_they_are_and_says_so(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    fake_github.add_repo("acme/platform")
    ws = workspace(tmp_path, fake_github)
    ws.push()
    ws.edit("outage.md", "Fix the pool", "Fix the connection pool")
    ws.configure(github={**ws.settings["github"], "repo": "acme/platform"})
    fake_github.reset_log()
    plan = ws.plan().plan
    assert plan.count("update") == 0 and plan.count("unchanged") == 2
    result = ws.push()
    assert actions(result) == {"unchanged": 2}
    assert fake_github.requests == []  # nothing written to acme/ops behind the user's back
    said = [w for o in result.outcomes for w in o.change.warnings]
    assert len(said) == 2 and all("acme/ops" in w and "acme/platform" in w for w in said)


def test_a_postmortem_switched_to_jira_does_not_fail_forever(
    tmp_path: Path, fake_github: FakeGitHub, fake_jira: FakeJira
) -> None:
    ws = workspace(tmp_path, fake_github, jira=fake_jira.config())
    ws.env.update(fake_jira.env())
    ws.push()
    ws.doc("outage.md").write_text("---\ntracker: jira\n---\n" + ws.doc("outage.md").read_text())
    ws.edit("outage.md", "Fix the pool", "Fix the connection pool")  # an update, were it sent
    for _ in range(2):
        result = ws.push()
        assert actions(result) == {"unchanged": 2}
        said = [w for o in result.outcomes for w in o.change.warnings]
        assert len(said) == 2 and all("github acme/ops" in w and "jira" in w for w in said)
    assert fake_jira.issues() == [] and len(fake_github.issues(REPO)) == 2

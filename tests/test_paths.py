"""Paths: a postmortem is read and written back at the same file however it was named
and wherever the config lives; a symlinked postmortem stays a symlink; the state and
issue bodies record paths relative to the config's folder, never a machine's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from pmsync.cli import app
from pmsync.status.writeback import LineEdit, write_back
from tests.fakes.github import FakeGitHub

runner = CliRunner()
POSTMORTEM = "# Outage\n\nDate: 2024-06-01\n\n## Action items\n\n- Fix the pool\n- Add alerts\n"


def configure(folder: Path, fake: FakeGitHub, **settings: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    github = {"repo": "acme/ops", "api_url": fake.api_url, "writes_per_minute": 0}
    config = folder / "pmsync.yaml"
    config.write_text(yaml.safe_dump({"github": github, **settings}))
    return config


def run(fake: FakeGitHub, *args: str) -> tuple[int, str]:
    env = {"GITHUB_TOKEN": fake.token}
    result = runner.invoke(app, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


def bodies(fake: FakeGitHub) -> str:
    return "\n".join(str(issue.body) for issue in fake.issues("acme/ops"))


def test_write_back_edits_the_file_read_when_the_config_is_elsewhere(
    tmp_path: Path, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = configure(tmp_path / "conf", fake_github)
    real = tmp_path / "postmortems" / "a.md"
    decoy = tmp_path / "conf" / "postmortems" / "a.md"
    for path in (real, decoy):
        path.parent.mkdir(parents=True)
        path.write_text(POSTMORTEM)
    monkeypatch.chdir(tmp_path)
    assert run(fake_github, "push", "-c", "conf/pmsync.yaml", "postmortems/a.md")[0] == 0
    code, output = run(
        fake_github, "status", "--write-back", "-c", "conf/pmsync.yaml", "postmortems/a.md"
    )
    assert code == 0, output
    assert decoy.read_text() == POSTMORTEM
    assert real.read_text().count("([acme/ops#") == 2
    state = (tmp_path / "conf" / ".pmsync" / "state.json").read_text()
    assert str(tmp_path) not in state and "../postmortems/a.md" in state
    assert config.exists()


def test_no_absolute_path_in_the_state_or_issue_bodies(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    config = configure(tmp_path / "conf", fake_github, postmortems=["../postmortems/*.md"])
    (tmp_path / "postmortems").mkdir()
    (tmp_path / "postmortems" / "a.md").write_text(POSTMORTEM)
    code, output = run(fake_github, "push", "-c", str(config))
    assert code == 0, output
    state = (tmp_path / "conf" / ".pmsync" / "state.json").read_text()
    assert str(tmp_path) not in state and str(tmp_path) not in bodies(fake_github)
    assert str(tmp_path) not in output


def test_write_back_keeps_a_symlinked_postmortem_a_symlink(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    config = configure(tmp_path, fake_github, postmortems=["postmortems/*.md"])
    target = tmp_path / "shared" / "outage.md"
    target.parent.mkdir()
    target.write_text(POSTMORTEM)
    link = tmp_path / "postmortems" / "a.md"
    link.parent.mkdir()
    link.symlink_to(Path("..") / "shared" / "outage.md")
    assert run(fake_github, "push", "-c", str(config))[0] == 0
    assert run(fake_github, "status", "--write-back", "-c", str(config))[0] == 0
    assert link.is_symlink() and target.read_text().count("([acme/ops#") == 2


def test_write_back_through_a_symlink_rewrites_its_target(tmp_path: Path) -> None:
    target = tmp_path / "real.md"
    target.write_text(POSTMORTEM)
    link = tmp_path / "link.md"
    link.symlink_to(target)
    assert write_back(link, [LineEdit(7, "acme/ops#1", "https://x/1", closed=False)])
    assert link.is_symlink() and "- [ ] Fix the pool ([acme/ops#1](https://x/1))" in (
        target.read_text()
    )


@pytest.mark.parametrize(
    "state", ["../state.json", "/tmp/pmsync-elsewhere/state.json", "a/../../s"]
)
def test_a_state_path_outside_the_config_folder_is_refused(
    tmp_path: Path, fake_github: FakeGitHub, state: str
) -> None:
    config = configure(tmp_path / "conf", fake_github, state=state)
    code, output = run(fake_github, "plan", "-c", str(config))
    lines = [line for line in output.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and "setting 'state'" in lines[0]
    assert f"{config}:" in lines[0]

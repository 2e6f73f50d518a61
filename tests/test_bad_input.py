"""Bad input ends in one line naming the file or setting, exit 2, never a traceback:
damaged state and journal files, out-of-range settings, bad server URLs, a `state:`
path through a file. Run through the CLI, as a user meets them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from pmsync.cli import app
from tests.fakes.github import FakeGitHub

runner = CliRunner()
POSTMORTEM = "# Outage\n\nDate: 2024-06-01\n\n## Action items\n\n- Fix the pool\n- Add alerts\n"


def setup(root: Path, **settings: Any) -> Path:
    config = root / "pmsync.yaml"
    settings.setdefault("github", {"repo": "acme/ops", "api_url": "http://127.0.0.1:9"})
    config.write_text(yaml.safe_dump({"postmortems": ["postmortems/*.md"], **settings}))
    (root / "postmortems").mkdir(exist_ok=True)
    (root / "postmortems" / "a.md").write_text(POSTMORTEM)
    return config


def run(config: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(
        app, [*args, "--config", str(config)], env=env or {"GITHUB_TOKEN": "t"},
        catch_exceptions=False,
    )  # fmt: skip
    return result.exit_code, result.stdout + result.stderr


def one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in output, output
    return lines[0]


@pytest.mark.parametrize("version", ['"2"', "null", "[1]", "true", "0"])
def test_a_state_version_that_is_not_a_number_is_one_line(tmp_path: Path, version: str) -> None:
    config = setup(tmp_path)
    state = tmp_path / ".pmsync" / "state.json"
    state.parent.mkdir()
    state.write_text(f'{{"version": {version}, "items": {{}}}}')
    for command in ("plan", "push"):
        code, output = run(config, command)
        line = one_line(output)
        assert code == 2 and str(state) in line and "schema version" in line


@pytest.mark.parametrize(
    "junk", [b"[1]\n", b'"x"\n', b"\xff\xfe\x80 not utf-8\n", b'{"item": [1]}\n']
)
def test_junk_journal_lines_are_skipped_like_a_torn_line(tmp_path: Path, junk: bytes) -> None:
    config = setup(tmp_path)
    journal = tmp_path / ".pmsync" / "state.json.journal"
    journal.parent.mkdir()
    journal.write_bytes(junk)
    code, output = run(config, "plan")
    assert code == 0 and "Traceback" not in output and "2 create" in output


def test_a_due_date_past_the_calendar_is_refused(tmp_path: Path) -> None:
    config = setup(tmp_path, defaults={"due_days": 3_000_000})
    code, output = run(config, "plan")
    line = one_line(output)
    assert code == 2 and "defaults.due_days" in line and f"{config}:" in line


@pytest.mark.parametrize(
    "url", ["ftp://github.example.com/api", "http://[::1/api", "https://github.example.com:99999",
            "https://:443/api", "github.example.com"],
)  # fmt: skip
def test_a_bad_api_url_names_the_setting(tmp_path: Path, url: str) -> None:
    config = setup(tmp_path, github={"repo": "acme/ops", "api_url": url})
    for command in ("plan", "push"):
        code, output = run(config, command)
        assert code == 2 and "github.api_url" in one_line(output)


def test_a_bad_jira_url_names_the_setting(tmp_path: Path) -> None:
    config = setup(tmp_path, tracker="jira", jira={"url": "jira:8080", "project": "OPS"})
    code, output = run(config, "push", env={"JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "t"})
    assert code == 2 and "jira.url" in one_line(output)


def test_a_state_path_through_a_file_names_the_setting(tmp_path: Path) -> None:
    config = setup(tmp_path, state="postmortems/a.md/state.json")
    code, output = run(config, "push")
    line = one_line(output)
    assert code == 2 and "`state` setting" in line and "a.md" in line
    assert (tmp_path / "postmortems" / "a.md").read_text() == POSTMORTEM


def test_write_back_keeps_a_latin1_byte_that_parse_and_push_accept(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    config = setup(tmp_path, github={"repo": "acme/ops", "api_url": fake_github.api_url,
                                     "writes_per_minute": 0})  # fmt: skip
    doc = tmp_path / "postmortems" / "a.md"
    doc.write_bytes(POSTMORTEM.replace("# Outage", "# Caf\xe9 outage").encode("latin-1"))
    env = {"GITHUB_TOKEN": fake_github.token}
    assert run(config, "push", env=env)[0] == 0
    code, output = run(config, "status", "--write-back", env=env)
    assert code == 0 and "Traceback" not in output, output
    data = doc.read_bytes()
    assert b"# Caf\xe9 outage\n" in data and data.count(b"([acme/ops#") == 2
    assert run(config, "status", "--write-back", env=env)[0] == 0
    assert doc.read_bytes() == data

"""Config loading: defaults, validation errors naming file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmsync.config import find_config, load_config
from pmsync.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pmsync.yaml"
    path.write_text(text)
    return path


def test_example_config_is_valid() -> None:
    config = load_config(Path(__file__).parent.parent / "config.example.yaml")
    assert config.github.repo == "acme/ops" and config.jira.project == "OPS"
    assert config.person("@Alice", "github") == "alice-gh"


def test_no_file_gives_defaults() -> None:
    config = load_config(None)
    assert config.tracker == "github" and config.defaults.due_days == 30


def test_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "state: s/state.json\n"))
    assert config.state_path() == tmp_path.resolve() / "s" / "state.json"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("github:\n  repo: a/b\n  tokn_env: X\n", ":3: unknown setting 'github.tokn_env'"),
        ("defaults:\n  due_days: soon\n", ":2: setting 'defaults.due_days'"),
        ("tracker: gitbucket\n", ":1: setting 'tracker'"),
        ("defaults: [\n", "fix the YAML syntax"),
        ("- a\n- b\n", "must be a mapping"),
    ],
)
def test_errors_name_file_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert str(path) in message and expected in message and "\n" not in message


def test_find_config_prefers_flag_then_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "tracker: jira\n")
    assert find_config(None, {"PMSYNC_CONFIG": str(path)}) == path
    with pytest.raises(ConfigError, match="not found"):
        find_config(str(tmp_path / "nope.yaml"), {})

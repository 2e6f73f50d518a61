"""The configuration file: pydantic models and `load_config`.

Unknown keys are rejected; an error names the file, the line, the key and what is
expected. Paths inside the file are relative to the file's folder. Tokens are never
read from the file: only the names of the environment variables holding them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pmsync.adapters.github import GitHubConfig
from pmsync.adapters.jira import JiraConfig
from pmsync.errors import ConfigError
from pmsync.model import Section

CONFIG_NAMES = ("pmsync.yaml", "pmsync.yml")
TrackerName = Literal["github", "jira"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LinksConfig(Strict):
    base_url: str | None = None


class DefaultsConfig(Strict):
    labels: list[str] = Field(default_factory=lambda: ["postmortem", "action-item"])
    due_days: int | None = Field(default=30, ge=0)
    sections: list[Section] = Field(default_factory=lambda: list(get_args(Section)))
    allow_mentions: bool = False


class PersonConfig(Strict):
    github: str | None = None
    jira: str | None = None


class ParserConfig(Strict):
    tasks: list[str] | None = None
    corrective: list[str] | None = None
    max_items: int = Field(default=2000, ge=1)


class LimitsConfig(Strict):
    lock_timeout: float = Field(default=60, ge=0)
    max_wait: float = Field(default=300, ge=0)


class Config(Strict):
    postmortems: list[str] = Field(default_factory=lambda: ["postmortems/**/*.md"])
    state: str = ".pmsync/state.json"
    tracker: TrackerName = "github"
    links: LinksConfig = Field(default_factory=LinksConfig)
    defaults: DefaultsConfig = Field(default_factory=DefaultsConfig)
    people: dict[str, PersonConfig] = Field(default_factory=dict)
    parser: ParserConfig = Field(default_factory=ParserConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    github: GitHubConfig = Field(default_factory=GitHubConfig)
    jira: JiraConfig = Field(default_factory=JiraConfig)
    root: Path = Field(default=Path("."), exclude=True)
    source: str | None = Field(default=None, exclude=True)

    @field_validator("people")
    @classmethod
    def _casefold_people(cls, value: dict[str, PersonConfig]) -> dict[str, PersonConfig]:
        return {name.lstrip("@").casefold(): person for name, person in value.items()}

    def state_path(self) -> Path:
        return self.root / self.state

    def person(self, owner: str | None, tracker: str) -> str | None:
        if not owner:
            return None
        person = self.people.get(owner.lstrip("@").casefold())
        return getattr(person, tracker, None) if person else None


def find_config(explicit: str | None, env: Mapping[str, str] = os.environ) -> Path | None:
    """--config, else $PMSYNC_CONFIG, else pmsync.yaml in the working directory."""
    chosen = explicit or env.get("PMSYNC_CONFIG")
    if chosen:
        path = Path(chosen)
        if not path.is_file():
            raise ConfigError(f"{chosen}: config file not found")
        return path
    return next((Path(n) for n in CONFIG_NAMES if Path(n).is_file()), None)


def load_config(path: Path | None) -> Config:
    """The validated config; defaults when there is no file."""
    if path is None:
        return Config(root=Path.cwd())
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})") from None
    data, lines = _load_yaml(path, text)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(path, exc, lines)) from None
    return config.model_copy(update={"root": path.resolve().parent, "source": str(path)})


def _load_yaml(path: Path, text: str) -> tuple[dict[str, Any], dict[tuple[Any, ...], int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}{where}: {problem}; fix the YAML syntax") from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the config must be a mapping of settings")
    return data, _key_lines(node)


def _key_lines(node: Any, prefix: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """Line of every key path in the YAML document, for error messages."""
    lines: dict[tuple[Any, ...], int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = (*prefix, key.value)
            lines[path] = key.start_mark.line + 1
            lines.update(_key_lines(value, path))
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            path = (*prefix, index)
            lines[path] = value.start_mark.line + 1
            lines.update(_key_lines(value, path))
    return lines


def _describe(path: Path, exc: ValidationError, lines: dict[tuple[Any, ...], int]) -> str:
    error = exc.errors()[0]
    loc = tuple(error["loc"])
    key = ".".join(str(p) for p in loc)
    line = next((lines[loc[:n]] for n in range(len(loc), 0, -1) if loc[:n] in lines), None)
    where = f"{path}:{line}" if line else str(path)
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown setting '{key}'; see config.example.yaml for the settings"
    if error["type"] == "missing":
        return f"{where}: setting '{key}' is required"
    return f"{where}: setting '{key}': {error['msg']}"

"""The configuration file: pydantic models and `load_config`.

Unknown keys are rejected; an error names the file, the line, the key and what is
expected. Paths inside the file are relative to the file's folder. Tokens are never
read from the file: only the names of the environment variables holding them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from pmsync.adapters import TRACKERS
from pmsync.errors import ConfigError
from pmsync.model import RESERVED_LABEL, Section, reserved_label

CONFIG_NAMES = ("pmsync.yaml", "pmsync.yml")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LinksConfig(Strict):
    base_url: str | None = None


class DefaultsConfig(Strict):
    labels: list[str] = Field(default_factory=lambda: ["postmortem", "action-item"])
    due_days: int | None = Field(default=30, ge=0, le=36500)  # past 100 years: a typo
    sections: list[Section] = Field(default_factory=lambda: list(get_args(Section)))
    allow_mentions: bool = False
    # An item written done ("- [x]"): its issue is created, then closed; or not created.
    create_done: Literal["closed", "skip"] = "closed"

    @field_validator("labels")
    @classmethod
    def _no_reserved_label(cls, labels: list[str]) -> list[str]:
        for label in labels:
            if reserved_label(label):
                raise PydanticCustomError(
                    "reserved_label",
                    "label {label} is reserved ({prefix}<id> labels name an issue's "
                    "item); rename it",
                    {"label": repr(label), "prefix": RESERVED_LABEL},
                )
        return labels


class PersonConfig(BaseModel):
    """A person's account on each tracker, under the tracker's name (`people.alice.<name>`)."""

    model_config = ConfigDict(extra="allow")

    @model_validator(mode="wrap")
    @classmethod
    def _known_trackers(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if isinstance(data, dict):
            errors = [_account_error(key, value) for key, value in data.items()]
            if any(errors):
                found = [e for e in errors if e is not None]
                raise ValidationError.from_exception_data(cls.__name__, found)
        return handler(data)

    def account(self, tracker: str) -> str | None:
        value = (self.model_extra or {}).get(tracker)
        return str(value) if value is not None else None


def _account_error(key: str, value: Any) -> InitErrorDetails | None:
    if key not in TRACKERS:
        return {"type": "extra_forbidden", "loc": (key,), "input": value}
    if value is not None and not isinstance(value, str):
        return {"type": "string_type", "loc": (key,), "input": value}
    return None


def _under(section: str, exc: ValidationError) -> list[InitErrorDetails]:
    """A section's errors, located under the section's name (`github.token_env`)."""
    errors: list[InitErrorDetails] = []
    for error in exc.errors():
        located: InitErrorDetails = {
            "type": error["type"],
            "loc": (section, *error["loc"]),
            "input": error["input"],
        }
        if "ctx" in error:
            located["ctx"] = error["ctx"]
        errors.append(located)
    return errors


class ParserConfig(Strict):
    tasks: list[str] | None = None
    corrective: list[str] | None = None
    max_items: int = Field(default=2000, ge=1)


class LimitsConfig(Strict):
    lock_timeout: float = Field(default=60, ge=0)
    max_wait: float = Field(default=300, ge=0)
    # A create sent without an answer may still be landing: it is reconciled again, not
    # re-created, until this many seconds have passed.
    intent_grace: float = Field(default=60, ge=0)


class RemindConfig(Strict):
    webhook_env: str | None = Field(
        default="PMSYNC_WEBHOOK_URL",
        description="the environment variable holding the incoming webhook URL (null: none)",
    )
    format: Literal["slack", "teams", "mattermost", "json"] = "slack"
    due_soon_days: int = Field(default=7, ge=0)
    comment: bool = False
    every_days: int = Field(default=7, ge=1)


class Config(Strict):
    postmortems: list[str] = Field(default_factory=lambda: ["postmortems/**/*.md"])
    state: str = ".pmsync/state.json"
    tracker: str = next(iter(TRACKERS))
    links: LinksConfig = Field(default_factory=LinksConfig)
    defaults: DefaultsConfig = Field(default_factory=DefaultsConfig)
    people: dict[str, PersonConfig] = Field(default_factory=dict)
    parser: ParserConfig = Field(default_factory=ParserConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    remind: RemindConfig = Field(default_factory=RemindConfig)
    root: Path = Field(default=Path("."), exclude=True)
    source: str | None = Field(default=None, exclude=True)
    # One section per registered tracker, each validated by the tracker's own model.
    _sections: dict[str, BaseModel] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _tracker_sections(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if not isinstance(data, dict):
            return handler(data)
        core = {k: v for k, v in data.items() if k not in TRACKERS}
        sections: dict[str, BaseModel] = {}
        errors: list[InitErrorDetails] = []
        for name, spec in TRACKERS.items():
            try:
                sections[name] = spec.config_model.model_validate(data.get(name, {}))
            except ValidationError as exc:
                errors += _under(name, exc)
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        config = handler(core)
        config._sections = sections
        return config

    @field_validator("tracker")
    @classmethod
    def _registered(cls, value: str) -> str:
        if value not in TRACKERS:
            names = [repr(name) for name in TRACKERS]
            expected = " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
            raise PydanticCustomError(
                "literal_error", "Input should be {expected}", {"expected": expected}
            )
        return value

    @field_validator("people")
    @classmethod
    def _casefold_people(cls, value: dict[str, PersonConfig]) -> dict[str, PersonConfig]:
        return {name.lstrip("@").casefold(): person for name, person in value.items()}

    def state_path(self) -> Path:
        return self.root / self.state

    def section(self, tracker: str) -> Any:
        """The config section of a registered tracker (its own pydantic model)."""
        return self._sections[tracker]

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            # Tracker sections read like the core settings: `config.<tracker>.<setting>`.
            sections = (self.__pydantic_private__ or {}).get("_sections") or {}
            if name in sections:
                return sections[name]
            return super().__getattr__(name)

    def person(self, owner: str | None, tracker: str) -> str | None:
        if not owner:
            return None
        person = self.people.get(owner.lstrip("@").casefold())
        return person.account(tracker) if person else None


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
    config = config.model_copy(update={"root": path.resolve().parent, "source": str(path)})
    _check_state_inside(config, path, lines)
    return config


def _check_state_inside(config: Config, path: Path, lines: dict[tuple[Any, ...], int]) -> None:
    """The state is committed with the postmortems: outside the config's folder it would
    be a machine path, written wherever the folder happens to lead."""
    state = os.path.normpath(config.root / config.state)
    if os.path.commonpath([state, str(config.root)]) != str(config.root):
        line = lines.get(("state",))
        where = f"{path}:{line}" if line else str(path)
        raise ConfigError(
            f"{where}: setting 'state' points outside the config file's folder; "
            "use a path inside it, like .pmsync/state.json"
        )


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
        return f"{where}: unknown setting '{key}'; `pmsync config example` lists the settings"
    if error["type"] == "missing":
        return f"{where}: setting '{key}' is required"
    if error["type"] == "string_pattern_mismatch":
        # The regex means nothing to a reader: say the form in words (the field's description).
        form = _description(loc) or "see `pmsync config schema`"
        return f"{where}: setting '{key}' is {error['input']!r}; expected {form}"
    return f"{where}: setting '{key}': {error['msg']}"


def _description(loc: tuple[Any, ...]) -> str | None:
    """The description of the setting at `loc`, from the pydantic models (a tracker's
    section from its own model)."""
    model: Any = Config
    if loc and loc[0] in TRACKERS:
        model, loc = TRACKERS[loc[0]].config_model, loc[1:]
    info = None
    for part in loc:
        fields = getattr(model, "model_fields", None)
        if not isinstance(part, str) or fields is None or part not in fields:
            return None
        info = fields[part]
        model = _model_of(info.annotation)
    return info.description if info else None


def _model_of(annotation: Any) -> Any:
    """The pydantic model inside `X | None`, else the annotation itself."""
    for arg in (annotation, *get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return annotation

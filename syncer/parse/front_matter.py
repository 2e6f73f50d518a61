"""A postmortem's front matter: the YAML block between `---` lines at its top.

Two readings of one block. `read_front_matter` serves the parser: it never raises, and
a problem becomes a warning. `validate_front_matter` serves the commands that act on
it (push, plan, check): like the config, every key must be known and every value of
its type, and a problem is one line naming the file, the line and the key (exit 2, and
nothing is written). YAML aliases are refused by both: a few hundred bytes of nested
aliases expand to gigabytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from pmsync.errors import FrontMatterError
from pmsync.lines import split_lines
from pmsync.model import RESERVED_LABEL, ParseWarning, reserved_label

FENCE = "---"
_CLOSE = ("---", "...")


class _NoAliases(yaml.SafeLoader):
    """SafeLoader that refuses aliases before expanding any."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed in front matter", mark
            )
        return super().compose_node(parent, index)


class FrontMatter(BaseModel):
    """The keys pmsync reads, plus a tracker's own (`<tracker>_<key>`, e.g. the project
    a tracker's issues go to). Other metadata goes under `meta:` (not read)."""

    model_config = ConfigDict(extra="allow", strict=False)

    id: str | int | None = None
    title: str | None = None
    date: dt.date | None = None
    tracker: str | None = None
    labels: list[str] | str | None = None
    owner: str | None = None
    # Its issues are confidential where the tracker has the notion (security postmortems).
    confidential: bool | None = None
    meta: dict[str, Any] | None = None


def block_end(lines: list[str]) -> int | None:
    """Index of the closing line of a front matter block opening the text; None if the
    text has none. -1: opened and never closed."""
    if not lines or lines[0].strip() != FENCE:
        return None
    return next((i for i in range(1, len(lines)) if lines[i].strip() in _CLOSE), -1)


def read_front_matter(
    lines: list[str],
) -> tuple[dict[str, Any], list[str], list[ParseWarning]]:
    """(front matter, lines with the block blanked, warnings). Never raises."""
    end = block_end(lines)
    if end is None or end == -1:
        return {}, lines, []
    blanked = [""] * (end + 1) + lines[end + 1 :]
    try:
        data = yaml.load("\n".join(lines[1:end]), Loader=_NoAliases)
    except Exception as exc:  # any text may reach the YAML parser: report, never raise
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or type(exc).__name__
        return {}, blanked, [ParseWarning(line, f"invalid front matter: {problem}")]
    if data is None:
        return {}, blanked, []
    if not isinstance(data, dict):
        return {}, lines, [ParseWarning(1, "front matter is not a mapping; ignored")]
    return {str(k): v for k, v in data.items()}, blanked, []


def validate_front_matter(text: str, path: str, trackers: Collection[str]) -> None:
    """Raise FrontMatterError on the first problem (see the module docstring)."""
    lines = split_lines(text.lstrip("\ufeff"))
    end = block_end(lines)
    if end is None:
        return
    if end == -1:
        raise FrontMatterError(
            f"{path}:1: front matter opened with '---' is never closed; add a '---' line "
            "after it (or remove the opening one)"
        )
    data, key_lines = _load(lines[1:end], path)
    try:
        checked = FrontMatter.model_validate(data)
    except ValidationError as exc:
        raise FrontMatterError(_describe(path, exc, key_lines)) from None
    _check_tracker_keys(checked, path, key_lines, trackers)
    _check_labels(checked, f"{path}:{key_lines.get('labels', 2)}")
    if checked.tracker is not None and checked.tracker not in trackers:
        where = f"{path}:{key_lines.get('tracker', 2)}"
        raise FrontMatterError(
            f"{where}: front matter: unknown tracker {checked.tracker!r}; use one of "
            + ", ".join(trackers)
        )


def _check_labels(checked: FrontMatter, where: str) -> None:
    labels = [checked.labels] if isinstance(checked.labels, str) else checked.labels or []
    for label in labels:
        if reserved_label(label):
            raise FrontMatterError(
                f"{where}: front matter: label {label!r} is reserved ({RESERVED_LABEL}<id> "
                "labels name an issue's item); rename it"
            )


def _check_tracker_keys(
    checked: FrontMatter, path: str, key_lines: dict[str, int], trackers: Collection[str]
) -> None:
    for key, value in (checked.model_extra or {}).items():
        where = f"{path}:{key_lines.get(key, 2)}"
        if not any(key.startswith(f"{name}_") for name in trackers):
            known = ", ".join([*FrontMatter.model_fields, "<tracker>_<key>"])
            raise FrontMatterError(
                f"{where}: front matter: unknown key '{key}' (known: {known}; put other "
                "metadata under meta:)"
            )
        if not isinstance(value, str | int):
            raise FrontMatterError(f"{where}: front matter: '{key}' must be a single value")


def _load(block: list[str], path: str) -> tuple[dict[str, Any], dict[str, int]]:
    text = "\n".join(block)
    try:
        node = yaml.compose(text, Loader=_NoAliases)
        data = yaml.load(text, Loader=_NoAliases)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise FrontMatterError(f"{path}:{line}: front matter: {problem}") from None
    except ValueError as exc:  # a date YAML recognises but the calendar lacks (Feb 30)
        raise FrontMatterError(f"{path}: front matter: {exc}; write a real date") from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise FrontMatterError(f"{path}:2: front matter must be a mapping of keys")
    lines = {}
    if isinstance(node, yaml.MappingNode):
        lines = {str(key.value): key.start_mark.line + 2 for key, _ in node.value}
    return data, lines


def _describe(path: str, exc: ValidationError, key_lines: dict[str, int]) -> str:
    error = exc.errors()[0]
    key = str(error["loc"][0]) if error["loc"] else ""
    where = f"{path}:{key_lines[key]}" if key in key_lines else path
    return f"{where}: front matter: '{key}': {error['msg']}"

"""Finding and reading postmortem files: the I/O edge in front of the pure parser."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pmsync.adapters import TRACKERS
from pmsync.errors import InputError
from pmsync.model import ParseWarning, Postmortem
from pmsync.parse.front_matter import validate_front_matter
from pmsync.parse.postmortem import SectionSynonyms, parse_postmortem

if TYPE_CHECKING:
    from pmsync.parse.explain import Note

SUFFIXES = (".md", ".markdown", ".html", ".htm")


@dataclass(frozen=True)
class SourceText:
    path: str  # as given or found
    text: str
    decode_warning: str | None = None


def find_postmortems(paths: Iterable[str]) -> Iterator[str]:
    """Files as given; folders searched recursively for Markdown files, sorted."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES)
            files = [str(p) for p in found if p.is_file()]
            if not files:
                raise InputError(f"{raw}: no Markdown postmortems (*.md) in this folder")
            yield from files
        elif path.exists():
            yield raw
        else:
            raise InputError(f"{raw}: no such file or directory")


def expand_globs(patterns: Iterable[str], root: Path) -> list[str]:
    """Config `postmortems:` patterns, relative to the config file's folder."""
    found: list[str] = []
    for pattern in patterns:
        full = pattern if Path(pattern).is_absolute() else str(root / pattern)
        found.extend(sorted(glob.glob(full, recursive=True)))
    return found


def read_source(path: str) -> SourceText:
    """Read a postmortem as text. Binary files are refused; non-UTF-8 text is decoded
    with replacement and a warning."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if b"\x00" in data[:8192]:
        raise InputError(f"{path}: binary file, not a Markdown postmortem")
    try:
        return SourceText(path, data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        return SourceText(path, text, f"not valid UTF-8 (byte {exc.start}); read with replacement")


def parse_command(
    paths: list[str],
    synonyms: SectionSynonyms | None = None,
    max_items: int | None = None,
    validate: bool = True,
) -> tuple[list[Postmortem], list[str]]:
    """Parse every file once, however often it is named (overlapping patterns, a folder
    and a file in it, a symlink beside its target: one real path, one document); a bad
    path is an error for that path, the rest still parse. Past `max_items` items of a
    document (and one more, to tell) its items are not collected. `validate=False`
    (`pmsync parse`, which writes nothing): front matter a site generator needs
    ("weight:", "layout:") is read past, not an error."""
    documents: list[Postmortem] = []
    errors: list[str] = []
    read: set[str] = set()
    for raw in paths:
        try:
            files = list(find_postmortems([raw]))
        except InputError as exc:
            errors.append(str(exc))
            continue
        for path in files:
            if (real := os.path.realpath(path)) in read:
                continue
            read.add(real)
            try:
                documents.append(load_postmortem(path, synonyms, max_items, validate))
            except InputError as exc:
                errors.append(str(exc))
    return documents, errors


def explain_notes(path: str) -> list[Note]:
    """`parse --explain` for one file: which rule took each item, why other lines not."""
    from pmsync.parse.explain import explain_postmortem

    return explain_postmortem(read_source(path).text, path)


def load_postmortem(
    path: str,
    synonyms: SectionSynonyms | None = None,
    max_items: int | None = None,
    validate: bool = True,
) -> Postmortem:
    """Read, check the front matter (FrontMatterError stops the command: nothing is
    written), parse."""
    source = read_source(path)
    if validate:
        validate_front_matter(source.text, path, tuple(TRACKERS))
    doc = parse_postmortem(source.text, path, synonyms=synonyms, max_items=max_items)
    if source.decode_warning:
        doc = replace(doc, warnings=(ParseWarning(1, source.decode_warning), *doc.warnings))
    return doc

"""Write issue links and checkbox states back into postmortems, byte-preserving.

Only the first line of each tracked item changes: a list item gets a checkbox matching
its issue (closed → `[x]`) and every item gets its issue link appended as
` ([KEY](URL))`. Line endings, BOM, indentation and every other byte are kept, so
`git diff` shows only those lines and a second run changes nothing. The parser strips
that link and ignores the checkbox when computing an item's id and content, so the next
push sees nothing to do.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pmsync.errors import InputError
from pmsync.lines import split_lines_keepends

_LIST_ITEM = re.compile(r"^(?P<lead>\s*(?:[-*+]|\d{1,9}[.)])[ \t]+)(?P<box>\[[ xX]\][ \t]+)?")
# A link pmsync wrote earlier: its text is an issue key (acme/ops#12, OPS-12).
_LINK_SUFFIX = re.compile(r" \(\[(?:[\w.-]+/[\w.-]+#\d+|[A-Z][A-Z0-9_]+-\d+)\]\([^)\s]+\)\)$")


@dataclass(frozen=True)
class LineEdit:
    line: int  # 1-based
    key: str
    url: str
    closed: bool


def edit_line(text: str, edit: LineEdit) -> str:
    """One item line with its checkbox set and its issue link present (and current)."""
    link = f" ([{edit.key}]({edit.url}))"
    body = text if text.endswith(link) else _LINK_SUFFIX.sub("", text)
    if not body.endswith(link):
        body = body.rstrip() + link
    match = _LIST_ITEM.match(body)
    if match:
        box = "[x] " if edit.closed else "[ ] "
        current = match.group("box")
        if current is None or current.strip().lower() != box.strip().lower():
            body = match.group("lead") + box + body[match.end() :]
    return body


def apply_edits(data: str, edits: Iterable[LineEdit]) -> str:
    """The document text with the edits applied; line endings untouched."""
    lines = split_lines_keepends(data)
    for edit in edits:
        index = edit.line - 1
        if not 0 <= index < len(lines):
            continue
        raw = lines[index]
        content = raw.rstrip("\r\n")
        if content.lstrip().startswith("|"):
            continue  # a table row: appending would break the table
        lines[index] = edit_line(content, edit) + raw[len(content) :]
    return "".join(lines)


def write_back(path: Path, edits: list[LineEdit]) -> bool:
    """Apply the edits to a file in place (atomically); False when nothing changed.
    A symlink stays a symlink: its target is the file rewritten."""
    path = path.resolve()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read for write-back ({exc.strerror or exc})") from None
    bom = raw.startswith(b"\xef\xbb\xbf")
    # surrogateescape: a stray Latin-1 byte (which the parser reads with replacement)
    # goes back out as the same byte.
    text = (raw[3:] if bom else raw).decode("utf-8", errors="surrogateescape")
    changed = apply_edits(text, edits)
    if changed == text:
        return False
    data = (b"\xef\xbb\xbf" if bom else b"") + changed.encode("utf-8", errors="surrogateescape")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, path.stat().st_mode & 0o7777)
    os.replace(tmp, path)
    return True

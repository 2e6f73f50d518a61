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

from pmsync.state import ItemRecord

_LIST_ITEM = re.compile(r"^(?P<lead>\s*(?:[-*+]|\d{1,9}[.)])[ \t]+)(?P<box>\[[ xX]\][ \t]+)?")
# A link pmsync wrote earlier: its text is an issue key (acme/ops#12, OPS-12).
_LINK_SUFFIX = re.compile(r" \(\[(?:[\w.-]+/[\w.-]+#\d+|[A-Z][A-Z0-9_]+-\d+)\]\([^)\s]+\)\)$")


@dataclass(frozen=True)
class LineEdit:
    line: int  # 1-based
    key: str
    url: str
    closed: bool | None  # None: leave the checkbox as the person wrote it


def tick_to_write(record: ItemRecord, ticked: bool) -> bool | None:
    """The checkbox write-back sets, by the conflict rule: since the tick pmsync last
    synced (`record.done`), the side that moved wins; when both moved (a file's time
    is its checkout's, so the two cannot be ordered), the document wins. None: leave
    the person's tick alone (the next push takes it to the tracker)."""
    closed = record.status is not None and record.status.state == "closed"
    synced = record.done if record.done is not None else closed
    if ticked != synced:
        return None
    return closed


def takes_checkbox(line: str) -> bool:
    """Whether write-back can set a checkbox on this line (a list item, not a table row)."""
    return bool(_LIST_ITEM.match(line)) and not line.lstrip().startswith("|")


def edit_line(text: str, edit: LineEdit) -> str:
    """One item line with its checkbox set and its issue link present (and current)."""
    link = f" ([{edit.key}]({edit.url}))"
    body = text if text.endswith(link) else _LINK_SUFFIX.sub("", text)
    if not body.endswith(link):
        body = body.rstrip() + link
    match = _LIST_ITEM.match(body)
    if match and edit.closed is not None:
        box = "[x] " if edit.closed else "[ ] "
        current = match.group("box")
        if current is None or current.strip().lower() != box.strip().lower():
            body = match.group("lead") + box + body[match.end() :]
    return body


def apply_edits(data: str, edits: Iterable[LineEdit]) -> str:
    """The document text with the edits applied; line endings untouched."""
    lines = data.splitlines(keepends=True)
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
    """Apply the edits to a file in place (atomically); False when nothing changed."""
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw[3:].decode("utf-8") if bom else raw.decode("utf-8")
    changed = apply_edits(text, edits)
    if changed == text:
        return False
    data = (b"\xef\xbb\xbf" if bom else b"") + changed.encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, path.stat().st_mode & 0o7777)
    os.replace(tmp, path)
    return True

"""Write issue links and checkbox states back into postmortems, byte-preserving.

Only the first line of each tracked item changes: a list item gets a checkbox matching
its issue (closed → `[x]`) and every item gets its issue link appended as
` ([KEY](URL))`; a table row gets them in its cells (`writeback_tables`). Line endings,
BOM, indentation and every other byte are kept, so `git diff` shows only those lines
and a second run changes nothing. The parser strips that link and ignores the checkbox
when computing an item's id and content, so the next push sees nothing to do.
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
from pmsync.state.store import ItemRecord
from pmsync.status.writeback_tables import RowEdit, edit_table, table_bounds

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


def apply_edits(data: str, edits: Iterable[LineEdit], left: list[LineEdit] | None = None) -> str:
    """The document text with the edits applied; line endings untouched. Edits that
    could not be applied (a table that cannot take the link) are added to `left`."""
    lines = split_lines_keepends(data)
    contents = [raw.rstrip("\r\n") for raw in lines]
    tables: dict[tuple[int, int], list[LineEdit]] = {}
    for edit in edits:
        index = edit.line - 1
        if not 0 <= index < len(lines):
            continue
        bounds = table_bounds(contents, index)
        if bounds is not None:
            tables.setdefault(bounds, []).append(edit)
        else:
            contents[index] = edit_line(contents[index], edit)
    for bounds, row_edits in tables.items():
        rows = [RowEdit(e.line - 1, e.key, e.url, e.closed) for e in row_edits]
        kept = {r.index for r in edit_table(contents, bounds, rows)}
        if left is not None:
            left.extend(e for e in row_edits if e.line - 1 in kept)
    return "".join(
        c + raw[len(raw.rstrip("\r\n")) :] for c, raw in zip(contents, lines, strict=True)
    )


def write_back(path: Path, edits: list[LineEdit], left: list[LineEdit] | None = None) -> bool:
    """Apply the edits to a file in place (atomically); False when nothing changed.
    A symlink stays a symlink: its target is the file rewritten. Edits that could not be
    applied are added to `left`. HTML postmortems (exports of Confluence or Google Docs)
    are refused: their source is the wiki or the document, and a link written into the
    export would be lost with the next one."""
    if path.suffix.lower() in (".html", ".htm"):
        raise InputError(
            f"{path}: write-back into HTML postmortems is not supported; the links stay in "
            "the state file and the tracker (run without --write-back for this file)"
        )
    path = path.resolve()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read for write-back ({exc.strerror or exc})") from None
    bom = raw.startswith(b"\xef\xbb\xbf")
    # surrogateescape: a stray Latin-1 byte (which the parser reads with replacement)
    # goes back out as the same byte.
    text = (raw[3:] if bom else raw).decode("utf-8", errors="surrogateescape")
    changed = apply_edits(text, edits, left)
    if changed == text:
        return False
    data = (b"\xef\xbb\xbf" if bom else b"") + changed.encode("utf-8", errors="surrogateescape")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, path.stat().st_mode & 0o7777)
    os.replace(tmp, path)
    return True

"""Write-back into Markdown table rows: the issue link into the row's Ticket/Issue column
and the done mark into its Status/Done column.

A row has no room at its end for a link (text after the last pipe is outside the table),
so the link goes into a cell. A table with no such column gets an `Issue` column, added
to every line of the table, only when every line is framed by pipes (`| a | b |`): then
the new column keeps the table a table. Otherwise the edit is left, and reported.
Every other byte of the table stays as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pmsync.parse.tables import _DONE, column_roles

_PIPE = re.compile(r"(?<!\\)\|")
_DELIMITER_CELL = re.compile(r"^\s*:?-+:?\s*$")
ADDED_HEADER = "Issue"


@dataclass(frozen=True)
class RowEdit:
    index: int  # 0-based line of the row
    key: str
    url: str
    closed: bool | None  # None: leave the status cell as the person wrote it


def table_bounds(lines: list[str], index: int) -> tuple[int, int] | None:
    """[first, last) lines of the table holding line `index`; None when it is none."""
    if not _PIPE.search(lines[index]):
        return None
    first = index
    while first > 0 and _PIPE.search(lines[first - 1]) and lines[first - 1].strip():
        first -= 1
    last = index + 1
    while last < len(lines) and _PIPE.search(lines[last]) and lines[last].strip():
        last += 1
    if last - first < 3 or not _is_delimiter(lines[first + 1]) or index < first + 2:
        return None
    return first, last


def _is_delimiter(line: str) -> bool:
    cells = _cells(line)
    return bool(cells) and all(_DELIMITER_CELL.match(c) for c in cells)


def _cells(line: str) -> list[str]:
    """The cells of a row, without the framing pipes."""
    parts = _PIPE.split(line.strip())
    if parts and parts[0].strip() == "":
        parts = parts[1:]
    if parts and parts[-1].strip() == "" and line.strip().endswith("|"):
        parts = parts[:-1]
    return parts


def edit_table(lines: list[str], bounds: tuple[int, int], edits: list[RowEdit]) -> list[RowEdit]:
    """Apply the row edits of one table to `lines` (contents without line endings, edited
    in place); returns the edits that could not be applied."""
    first, last = bounds
    roles = column_roles(_cells(lines[first]))
    if "links" not in roles:
        if not all(lines[i].rstrip().endswith("|") and lines[i].lstrip().startswith("|")
                   for i in range(first, last)):  # fmt: skip
            return edits
        _add_column(lines, first, last)
        roles.append("links")
    for edit in edits:
        lines[edit.index] = _edit_row(lines[edit.index], roles, edit)
    return []


def _add_column(lines: list[str], first: int, last: int) -> None:
    for i in range(first, last):
        cell = ADDED_HEADER if i == first else "---" if i == first + 1 else ""
        lines[i] = lines[i].rstrip() + f" {cell} |"


def _edit_row(line: str, roles: list[str], edit: RowEdit) -> str:
    link = f"[{edit.key}]({edit.url})"
    changes: dict[str, Callable[[str], str]] = {
        "links": lambda cell: cell.strip() if f"[{edit.key}]" in cell else _join(cell, link),
        "status": lambda cell: _status(cell, edit.closed),
    }
    return _map_cells(line, roles, changes)


def _join(cell: str, link: str) -> str:
    return f"{cell.strip()} {link}" if cell.strip() else link


def _status(cell: str, closed: bool | None) -> str:
    if closed is None:
        return cell.strip()
    done = bool(_DONE.match(cell))
    if closed and not done:
        return "Done"
    if not closed and done:
        return "Open"
    return cell.strip()


def _map_cells(line: str, roles: list[str], changes: dict[str, Callable[[str], str]]) -> str:
    """The row with each cell whose column has a change rewritten; the others, and the
    pipes and spaces around them, untouched. A ragged row gets its missing cells."""
    pieces = _PIPE.split(line)
    lead = 1 if pieces[0].strip() == "" else 0
    missing = len(roles) - (len(pieces) - lead - (1 if line.rstrip().endswith("|") else 0))
    if missing > 0 and line.rstrip().endswith("|"):
        pieces = [*pieces[:-1], *(["  "] * missing), pieces[-1]]
    done: set[str] = set()
    for column, role in enumerate(roles):
        at = lead + column
        if role not in changes or role in done or at >= len(pieces):
            continue
        done.add(role)  # the first column of a role is the one the parser reads
        old = pieces[at]
        new = changes[role](old)
        if new != old.strip():
            pieces[at] = f" {new} "
    return "|".join(pieces)

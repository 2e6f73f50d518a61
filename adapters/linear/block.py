"""pmsync's own part of a Linear description, and the text people write around it.

Linear stores a description as rich text and drops HTML comments (GitHub's hidden
`<!-- pmsync:begin -->`), so the part pmsync owns is delimited by two short visible lines,
as on Jira: `pmsync begin · <digest>` before it and the item marker
`pmsync item <id> · rev <hash>` after it. Everything before the first and after the second
is people's, kept by every update.

The digest is that of the block's words as pmsync wrote them. A block whose words no longer
have that digest was edited by someone inside pmsync's part: its text is kept as people's,
below the new block, so an update whose base no longer matches deletes nothing. Words,
not characters: Linear rewrites Markdown when it stores it (`*` bullets become `-`,
escapes come and go, a bare URL may come back as `[url](url)`), and none of that may read
as an edit. Distinct words in order of first appearance, so a URL doubled into a link
still counts as written.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

MARKER = "pmsync item {item} · rev {hash}"
MARKER_RE = re.compile(r"^\s*pmsync item ([A-Za-z0-9._-]+) · rev ([0-9a-f]*)\s*$")
BEGIN = "pmsync begin · {digest}"
BEGIN_RE = re.compile(r"^\s*pmsync begin · ([0-9a-f]{12})\s*$")
# A line of an item's own text that would read as a delimiter: a zero-width space after
# "pmsync" keeps it readable and stops it from ending (or opening) the block.
_IMITATION = re.compile(r"^(\s*pmsync)( (?:item|begin) )", re.M)
_WORD = re.compile(r"[^\W_]+")  # letters and digits: "_" is Markdown emphasis too


@dataclass(frozen=True)
class Parts:
    """A description cut around pmsync's block."""

    before: list[str]
    block: list[str]  # the block's lines, without its two delimiters
    marker: tuple[str, str] | None  # (item id, content hash) closing the block
    after: list[str]
    intact: bool  # the block is as pmsync wrote it (or there is none)


def digest(text: str) -> str:
    words = dict.fromkeys(_WORD.findall(text))
    return hashlib.sha1(" ".join(words).encode("utf-8")).hexdigest()[:12]


def render(body: str, item_id: str, content_hash: str) -> str:
    """pmsync's block for an item: the begin line, the item's Markdown, the marker."""
    content = _IMITATION.sub("\\1\u200b\\2", body.strip())
    begin = BEGIN.format(digest=digest(content))
    return f"{begin}\n\n{content}\n\n{MARKER.format(item=item_id, hash=content_hash)}"


def cut(description: str | None) -> Parts:
    """`description` cut at the begin line and the first marker after it. With no begin
    (deleted by someone, or a description written before delimiters existed), what
    comes before the last marker cannot be told apart from people's text: it is the
    block, not intact, so it is kept. With no marker at all, everything is people's."""
    lines = (description or "").replace("\r\n", "\n").split("\n")
    start = next((n for n, line in enumerate(lines) if BEGIN_RE.match(line)), None)
    if start is not None:
        end = next((n for n in range(start + 1, len(lines)) if MARKER_RE.match(lines[n])), None)
        if end is None:  # the marker was removed: nothing can be told apart, keep all
            return Parts(lines, [], None, [], intact=False)
        written = BEGIN_RE.match(lines[start])
        assert written is not None
        block = lines[start + 1 : end]
        intact = digest("\n".join(block)) == written.group(1)
        return Parts(lines[:start], block, _marker(lines[end]), lines[end + 1 :], intact)
    markers = [n for n, line in enumerate(lines) if MARKER_RE.match(line)]
    if not markers:
        return Parts(lines, [], None, [], intact=True)
    end = markers[-1]
    return Parts([], lines[:end], _marker(lines[end]), lines[end + 1 :], intact=False)


def _marker(line: str) -> tuple[str, str] | None:
    found = MARKER_RE.match(line)
    return (found.group(1), found.group(2)) if found else None


def read_marker(description: str | None) -> tuple[str, str] | None:
    """(item id, content hash) of the marker closing pmsync's block, or None."""
    return cut(description).marker


def split_outside(description: str | None) -> tuple[str, str]:
    """The text people wrote before and after pmsync's block. A block edited by someone
    is theirs too, after the rest: the next update puts it below the new block."""
    parts = cut(description)
    before = [line for line in parts.before if not BEGIN_RE.match(line)]
    after = parts.after if parts.intact else [*parts.block, "", *parts.after]
    return _text(before), _text([line for line in after if not BEGIN_RE.match(line)])


def _text(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n")

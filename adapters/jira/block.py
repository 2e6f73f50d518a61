"""pmsync's own part of a Jira description, and the text people write around it.

A Jira description has no hidden comments (GitHub's `<!-- -->`), so the part pmsync owns
is delimited by two short visible paragraphs (ADF on Cloud) or lines (wiki markup on Data
Center): `pmsync begin · <digest>` before it and the item marker
`pmsync item <id> · rev <hash>` after it. Everything before the first and after the
second is people's, kept by every update.

The digest is that of the block's text as pmsync wrote it. An update whose current block
no longer has that digest (someone edited inside pmsync's part) deletes nothing: the
edited text is kept as people's text, below the new block. Comparing text, not the
document's structure, keeps the check stable under the attributes Jira adds on storing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pmsync.adapters.jira.adf import MARKER_RE, Node, plain_text

BEGIN_RE = re.compile(r"^pmsync begin · ([0-9a-f]{12})$")
T = TypeVar("T")


@dataclass(frozen=True)
class Parts(Generic[T]):
    """A description cut around pmsync's block (ADF nodes, or wiki blocks)."""

    before: list[T]
    block: list[T]  # the block's content, without its two delimiters
    after: list[T]
    intact: bool  # the block is as pmsync wrote it (or there was none)


def digest(text: str) -> str:
    words = " ".join(text.split())
    return hashlib.sha1(words.encode("utf-8")).hexdigest()[:12]


def begin_text(content: str) -> str:
    return f"pmsync begin · {digest(content)}"


def _cut(units: list[T], text_of: Any) -> Parts[T]:
    """`units` cut at the begin delimiter and the first marker after it. With no begin
    (a description written before delimiters existed, or by people), the block ends at
    the last marker; with no marker at all, everything is people's."""
    texts = [str(text_of(u)).strip() for u in units]
    begins = [n for n, t in enumerate(texts) if BEGIN_RE.match(t)]
    if begins:
        start = begins[0]
        end = next((n for n in range(start + 1, len(units)) if MARKER_RE.match(texts[n])), None)
        if end is None:  # the marker was removed: nothing can be told apart, keep all
            return Parts(units, [], [], intact=False)
        block = units[start + 1 : end + 1]
        wanted = BEGIN_RE.match(texts[start])
        assert wanted is not None
        written = " ".join(str(text_of(u)) for u in block)
        intact = digest(written) == wanted.group(1)
        return Parts(units[:start], block, units[end + 1 :], intact)
    markers = [n for n, t in enumerate(texts) if MARKER_RE.match(t)]
    if not markers:
        return Parts(units, [], [], intact=True)
    end = markers[-1]
    return Parts([], units[: end + 1], units[end + 1 :], intact=True)


def _merge(parts: Parts[T], block: list[T]) -> list[T]:
    # A begin delimiter left without its block (its marker was deleted) is dropped: it
    # would open the next block too early. Nothing people wrote is.
    before, after = _people(parts.before), _people(parts.after)
    if parts.intact:
        return [*before, *block, *after]
    # Edited inside pmsync's part: the new block, then every word of the old one.
    old = parts.block[:-1] if parts.block else []  # its marker would name a stale revision
    return [*before, *block, *old, *after]


def _people(units: list[T]) -> list[T]:
    return [u for u in units if not BEGIN_RE.match(plain_text(u).strip())]


# --- ADF (Cloud) --------------------------------------------------------------------------


def _paragraph(text: str) -> Node:
    return {"type": "paragraph", "content": [{"type": "text", "text": text}]}


def new_description(rendered: Any) -> Any:
    """A description that is pmsync's block alone (a new issue's)."""
    if isinstance(rendered, str):
        return "\n".join(wiki_block(rendered))
    return {"type": "doc", "version": 1, "content": adf_block(rendered)}


def adf_block(rendered: Node) -> list[Node]:
    """The block for a description rendered by `markdown_to_adf(body, marker)` (its last
    paragraph is the marker): the begin delimiter, then the rendered nodes."""
    nodes = list(rendered.get("content") or [])
    content = " ".join(plain_text(n) for n in nodes)
    return [_paragraph(begin_text(content)), *nodes]


def adf_parts(description: Any) -> Parts[Node]:
    nodes = description.get("content") if isinstance(description, dict) else None
    return _cut([n for n in nodes or [] if isinstance(n, dict)], plain_text)


def adf_description(current: Any, rendered: Node) -> tuple[Node, bool]:
    """The description to write: `rendered` as pmsync's block, people's text around it
    kept; False when people had edited inside the block (their text kept too)."""
    return merge_description(current, new_description(rendered))


# --- wiki markup (Data Center) --------------------------------------------------------------


def _lines(text: Any) -> list[str]:
    return text.replace("\r\n", "\n").split("\n") if isinstance(text, str) and text else []


def wiki_block(rendered: str) -> list[str]:
    lines = ["", *_lines(rendered)]
    return [begin_text(" ".join(lines)), *lines]


def wiki_description(current: Any, rendered: str) -> tuple[str, bool]:
    """As `adf_description`, line by line."""
    merged = merge_description(current, new_description(rendered))
    assert isinstance(merged[0], str)
    return merged[0], merged[1]


def merge_description(current: Any, block: Any) -> tuple[Any, bool]:
    """`block` (a `new_description`) put in place of pmsync's block in `current`, the
    text around it kept; False when people had edited inside the old block (its text is
    kept too, below the new block). Wiki markup: a blank line parts the block from the
    text around it."""
    if isinstance(block, str):
        parts = _cut(_lines(current), str)
        before = [*parts.before, ""] if parts.before and parts.before[-1].strip() else parts.before
        after = ["", *parts.after] if parts.after and parts.after[0].strip() else parts.after
        merged = _merge(Parts(before, parts.block, after, parts.intact), _lines(block))
        return "\n".join(merged), parts.intact
    found = adf_parts(current)
    content = _merge(found, list(block.get("content") or []))
    return {"type": "doc", "version": 1, "content": content}, found.intact


def read_block_marker(description: Any) -> tuple[str, str] | None:
    """(item id, content hash) from the marker of pmsync's block."""
    match = MARKER_RE.match(block_marker(description) or "")
    return (match.group(1), match.group(2)) if match else None


def block_marker(description: Any) -> str | None:
    """The marker paragraph or line of pmsync's block, wherever the block stands."""
    if isinstance(description, str):
        parts: Parts[Any] = _cut(_lines(description), str)
        last = str(parts.block[-1]) if parts.block else ""
    else:
        found = adf_parts(description)
        last = plain_text(found.block[-1]) if found.block else ""
    return last.strip() if MARKER_RE.match(last.strip()) else None

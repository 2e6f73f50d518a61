"""Identity: how a postmortem and its items keep the same name across edits.

Scheme
------
* **Document key** — given once, when pmsync first sees a postmortem, then kept in the
  state beside the file's path (see `pairing` for how a known document is recognised
  after edits, renames and a lost state). A new document's key is its front matter
  ``id`` when present (slugged), else derived from its repository-relative path:
  ``slug(file stem)-<8 hex of sha256(path)>``. Never from the title or the incident
  date: fixing either must not make a second issue, and two postmortems with the same
  title and date, or with titles in a script that slugs to nothing, stay apart.
* **Item id** — the first 12 hex digits of ``sha256(doc_key + "\\0" + name)``, where the
  name is the item's whole identifying text normalised (its title before the display
  cut at 120 characters: two items sharing a long opening keep apart).
  The 2nd, 3rd... item with the same name in one document gets ``-2``, ``-3``.
  So ids survive whitespace, emphasis, punctuation and checkbox edits and the reordering of
  different items; two identical items still get distinct ids. Ids are ``[a-z0-9-]``, at
  most 24 characters: safe in URLs, labels and markers.
* **Content hash** — 16 hex digits over the normalized title, body, due date, owner and
  priority. It ignores what ``normalize_text`` ignores, the checkbox state, and the link
  that ``pmsync status --write-back`` appends to an item's first line
  (`` ([acme/ops#12](https://github.com/acme/ops/issues/12))``), so a write-back never
  changes an item's hash or id.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import PurePath
from typing import Any

from pmsync.model import ActionItem

# Linear (see parse_text._LINK): no scan runs past the next `[` or `](`.
_LINK = re.compile(r"!?\[([^\[\]]*)\]\((?:(?!\]\()[^)])*\)")
_CHECKBOX = re.compile(r"(?m)^(\s*(?:[-*+]|\d+[.)])?\s*)\[[ xX]?\](?=\s|$)")
_WORD = re.compile(r"[^\W_]+")
# The exact suffix `pmsync status --write-back` appends: " ([KEY](URL))" at a line's end.
_WRITEBACK = re.compile(r"(?:(?<![ \t])[ \t]+)?\(\[[^\[\]\n]+\]\(https?://[^)\s]+\)\)[ \t]*$")
_SLUG_MAX = 60
_ID_HEX = 12


def normalize_text(text: str) -> str:
    """Text reduced to its words: no emphasis, code or link syntax (link text kept), no
    checkbox markers or punctuation; casefolded, whitespace collapsed."""
    if "[" in text:
        text = _CHECKBOX.sub(r"\1", _LINK.sub(r"\1", text))
    return " ".join(_WORD.findall(text.casefold()))


def strip_writeback(line: str) -> str:
    """`line` without a trailing write-back link `` ([KEY](URL))``."""
    return _WRITEBACK.sub("", line) if "](" in line else line


def slug(text: str) -> str:
    """A URL- and label-safe slug: ASCII words joined by hyphens, at most 60 characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = normalize_text(ascii_text).split()
    out = ""
    for word in words:
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > _SLUG_MAX:
            break
        out = candidate
    return out or "-".join(words)[:_SLUG_MAX].strip("-")


def document_key(front_matter: Mapping[str, Any], path: str) -> str:
    """A new postmortem's key (see the module docstring): its explicit id, else its path."""
    explicit = explicit_id(front_matter)
    if explicit is not None:
        return explicit
    stem = slug(PurePath(path).stem) or "postmortem"
    return f"{stem[:40].strip('-')}-{_short_hash(PurePath(path).as_posix(), 8)}"


def explicit_id(front_matter: Mapping[str, Any]) -> str | None:
    """The front matter `id`, slugged; a hash of it when it has no ASCII letter or digit."""
    value = front_matter.get("id")
    if value in (None, ""):
        return None
    text = str(value).strip()
    return slug(text) or f"id-{_short_hash(text, 12)}"


def item_id(doc_key: str, name: str, occurrence: int) -> str:
    """A short stable id for the `occurrence`-th item (1-based) with this name."""
    digest = _short_hash(f"{doc_key}\0{normalize_text(name)}", _ID_HEX)
    return digest if occurrence <= 1 else f"{digest}-{occurrence}"


def rekey_items(items: Sequence[ActionItem], doc_key: str) -> tuple[ActionItem, ...]:
    """The items with their ids derived from another document key."""
    seen: Counter[str] = Counter()
    out = []
    for item in items:
        name = item.name or normalize_text(item.title)
        seen[name] += 1
        out.append(replace(item, id=item_id(doc_key, name, seen[name])))
    return tuple(out)


def _short_hash(text: str, digits: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:digits]


def content_hash(
    title: str, body: str, due: date | None, owner: str | None, priority: str | None
) -> str:
    """16 hex digits that change only when the item's meaning changes."""
    first, newline, rest = body.partition("\n")
    body = strip_writeback(first) + newline + rest
    parts = (
        normalize_text(strip_writeback(title)),
        normalize_text(body),
        due.isoformat() if due else "",
        normalize_text(owner or ""),
        (priority or "").casefold(),
    )
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]

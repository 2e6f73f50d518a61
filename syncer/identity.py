"""Identity: how a postmortem and its items keep the same name across edits.

Scheme
------
* **Document key** — the front matter ``id`` when present (slugged); otherwise
  ``slug(title)-YYYY-MM-DD`` (title and incident date), or ``slug(title)`` without a date;
  only a document with no title falls back to its file stem. With a title, the key never
  depends on the file's folder or name, so renaming or moving a file keeps its identity.
* **Item id** — the first 12 hex digits of ``sha256(doc_key + "\\0" + normalize_text(title))``.
  The 2nd, 3rd... item with the same normalized title in one document gets ``-2``, ``-3``.
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
from collections.abc import Mapping
from datetime import date
from pathlib import PurePath
from typing import Any

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
    return _WRITEBACK.sub("", line)


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


def document_key(
    front_matter: Mapping[str, Any], title: str | None, incident_date: date | None, path: str
) -> str:
    """The postmortem's identity (see the module docstring)."""
    explicit = front_matter.get("id")
    if explicit not in (None, "") and (key := slug(str(explicit))):
        return key
    if title and (key := slug(title)):
        return f"{key}-{incident_date.isoformat()}" if incident_date else key
    return slug(PurePath(path).stem) or "postmortem"


def item_id(doc_key: str, title: str, occurrence: int) -> str:
    """A short stable id for the `occurrence`-th item (1-based) with this title."""
    seed = f"{doc_key}\0{normalize_text(title)}".encode()
    digest = hashlib.sha256(seed).hexdigest()[:_ID_HEX]
    return digest if occurrence <= 1 else f"{digest}-{occurrence}"


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

"""Reading one item's text: its title and the fields written inline (owner, priority, links).

These work on the Markdown of a single item, never on a whole document.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from pmsync.identity import strip_writeback

TITLE_MAX = 120


@dataclass(frozen=True)
class Entry:
    """One item candidate as written: where it is, its Markdown, and fields from columns."""

    line: int
    head: str  # the Markdown its title is read from
    body: str  # the whole item as Markdown
    done: bool = False
    owner: str | None = None
    priority: str | None = None
    due_text: str | None = None
    links: tuple[str, ...] = ()


_MARKUP = re.compile(r"[*_`\[\]<>&\\~]")
# Linear patterns: a class that stops at the next opening (`[^[\]]`, `(?!\]\()`) keeps a
# line of 100,000 `[` or `[a](` from being scanned to its end once per `[` (quadratic).
_IMAGE = re.compile(r"!\[[^\[\]]*\]\((?:(?!\]\()[^)])*\)")
_LINK = re.compile(r"\[([^\[\]]*)\]\((?:(?!\]\()[^)])*\)")
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_MARKERS = re.compile(r"\*\*|__|~~|[*`]")
_UNDERSCORE_EM = re.compile(r"(?<![\w\\])_(\S(?:[^_]*\S)?)_(?!\w)")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>])")
_LEAD_GLYPHS = re.compile(r"^[\s•·▪●◦‣○■□➢➤►▶✓✔-]+(?=\S)")
_CHECKBOX = re.compile(r"^\s*\[([ xX]?)\](?:\s+|$)")
_TASK_PREFIX = re.compile(
    r"^(?:task|action(?:\s+item)?|item|todo|to-do|step|ai)\s*#?\d*\s*[:.)\-–]\s+", re.IGNORECASE
)
_BOLD_LEAD = re.compile(r"^(\*\*|__)(?P<lead>[^*_].*?)\1(?P<after>.*)$", re.DOTALL)
_LEAD_SEPARATOR = re.compile(r"^\s*(?::|[-–—]\s)")
_LABEL = re.compile(r"^(?P<label>[^:]{1,60}?):(?:\s+|$)(?P<rest>.*)$", re.DOTALL)
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
_ABBREVIATIONS = frozenset({"e.g", "i.e", "etc", "vs", "approx", "incl", "cf", "esp", "mr", "dr"})
_META = (
    re.compile(r"(?:(?<!\s)\s+)?\(@[\w][\w.-]*\)"),
    re.compile(r"(?:(?<!\s)\s+)?\[(?:owner|assignee)\s*:[^\[\]]*\]", re.IGNORECASE),
    re.compile(r"(?:(?<!\s)\s+)?[\[(]\s*P[0-4]\s*[\])]", re.IGNORECASE),
    re.compile(r"(?:(?<!\s)\s+)?\((?:due|deadline)\b(?:(?!\((?:due|deadline)\b)[^)])*\)", re.I),
    re.compile(
        r"(?:^|(?<=\s))(?:owner|assignee|due(?:\s+date)?|deadline|priority)\s*:.*$",
        re.IGNORECASE | re.DOTALL,
    ),
)

_META_HINT = re.compile(r"[@\[(]|\b(?:owner|assignee|due|deadline|priority)\b", re.I)
_OWNER = (
    re.compile(r"\[(?:owner|assignee)\s*:\s*@?([\w][\w.-]*)\s*\]", re.IGNORECASE),
    re.compile(r"\b(?:owner|assignee|assigned\s+to)\s*[:=]\s*@?([\w][\w.-]*)", re.IGNORECASE),
    re.compile(r"\(@([\w][\w.-]*)\)"),
)
_PRIORITY = (
    re.compile(r"[\[(]\s*(P[0-4])\s*[\])]", re.IGNORECASE),
    re.compile(r"\bpriority\s*[:=]?\s*(P[0-4]|high|medium|low)\b", re.IGNORECASE),
)
_PRIORITY_CELL = re.compile(r"^\s*(P[0-4]|high|medium|low)\b", re.IGNORECASE)


def plain_text(markdown: str) -> str:
    """Readable text of one item's Markdown: no emphasis, code, link or HTML syntax."""
    if not _MARKUP.search(markdown):
        return " ".join(markdown.split())
    text = _IMAGE.sub(" ", markdown)
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    text = _MARKERS.sub("", text)
    text = _UNDERSCORE_EM.sub(r"\1", text)
    text = _ESCAPE.sub(r"\1", html.unescape(text))
    return " ".join(text.split())


def strip_lead_glyphs(text: str) -> str:
    """Text without pseudo-bullets ("•", "&nbsp;•") in front of it."""
    if "&" in text:
        text = html.unescape(text)
    return _LEAD_GLYPHS.sub("", text.replace("\xa0", " "))


def checkbox_state(text: str) -> tuple[bool | None, str]:
    """(checked, rest) for text starting with "[ ]" or "[x]"; (None, text) otherwise."""
    match = _CHECKBOX.match(text)
    if not match:
        return None, text
    return match.group(1) in ("x", "X"), text[match.end() :]


def item_title(head: str) -> str:
    """The item's name: a bold lead phrase, a short "Label:" lead, else the first sentence."""
    head = _TASK_PREFIX.sub("", strip_lead_glyphs(strip_writeback(head.strip())))
    bold = _BOLD_LEAD.match(head)
    if bold and (bold["lead"].rstrip().endswith(":") or _LEAD_SEPARATOR.match(bold["after"])):
        return _shorten(plain_text(bold["lead"]).rstrip(":").strip())
    text = plain_text(_strip_meta(head))
    label = _LABEL.match(text)
    if label and is_label(label["label"]) and not _TASK_PREFIX.match(text):
        return _shorten(label["label"].strip())
    return _shorten(first_sentence(text))


def is_label(text: str) -> bool:
    """A short lead phrase such as "Database Index Monitoring" (not a clause or a time)."""
    words = text.split()
    return 0 < len(words) <= 6 and any(c.isalpha() for c in text) and not re.search(r"[.!?]", text)


def has_label_lead(markdown: str) -> bool:
    """True for text written as "Label: what to do" (or a lone "Label:")."""
    label = _LABEL.match(plain_text(markdown))
    return bool(label and is_label(label["label"]))


def _strip_meta(text: str) -> str:
    if not _META_HINT.search(text):
        return text
    for pattern in _META:
        text = pattern.sub("", text)
    return text.strip() or text


def first_sentence(text: str) -> str:
    for match in _SENTENCE_END.finditer(text):
        before = text[: match.start()]
        last_word = before.rsplit(" ", 1)[-1].casefold()
        if last_word not in _ABBREVIATIONS and len(before.split()) >= 2:
            return before
    return text.rstrip(".!?")


def _shorten(text: str) -> str:
    """At most TITLE_MAX characters, cut between words."""
    text = text.strip()
    if len(text) > TITLE_MAX:
        cut = text[: TITLE_MAX + 1].rsplit(" ", 1)[0]
        text = cut if cut and len(cut) <= TITLE_MAX else text[:TITLE_MAX]
    return text.rstrip(" ,;:-–—").strip()


def find_owner(text: str) -> str | None:
    for pattern in _OWNER:
        match = pattern.search(text)
        if match:
            return match.group(1).rstrip(".")
    return None


def find_priority(text: str) -> str | None:
    for pattern in _PRIORITY:
        match = pattern.search(text)
        if match:
            return normalize_priority(match.group(1))
    return None


def priority_cell(text: str) -> str | None:
    match = _PRIORITY_CELL.match(plain_text(text))
    return normalize_priority(match.group(1)) if match else None


def normalize_priority(value: str) -> str:
    return value.upper() if value[:1] in "pP" else value.lower()

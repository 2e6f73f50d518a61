"""Reading one item's text: its title and the fields written inline (owner, priority, links).

These work on the Markdown of a single item, never on a whole document.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass

from pmsync.parse.dates import MONTH
from pmsync.plan.identity import strip_writeback

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
    rule: str = "list item"  # what made it a candidate: shown by `parse --explain`
    team: str | None = None  # a sub-heading above names it: the owner when none is written


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
    r"^(?:(?:task|action(?:\s+item)?|item|todo|to-do|step|ai)\s*#?\d*\s*[:.)\-–]|\d{1,3}\s*[,.)])\s+",
    re.IGNORECASE,
)
_BOLD_LEAD = re.compile(r"^(\*\*|__)(?P<lead>[^*_].*?)\1(?P<after>.*)$", re.DOTALL)
_LEAD_SEPARATOR = re.compile(r"^\s*(?::|[-–—]\s)")
_LABEL = re.compile(r"^(?P<label>[^:]{1,60}?):(?:\s+|$)(?P<rest>.*)$", re.DOTALL)
# A label saying when, not what: the action follows it ("Short term: add replicas").
_HORIZON = re.compile(
    r"(?i)^(?:(?:short|medium|mid|long|near)[\s-]*term|immediate(?:ly)?|now|later|next"
    r"|phase\s*\d+|step\s*\d+|q[1-4]|h[12]|this\s+(?:week|month|quarter|sprint)"
    r"|next\s+(?:week|month|quarter|sprint))$"
)
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
_ABBREVIATIONS = frozenset({"e.g", "i.e", "etc", "vs", "approx", "incl", "cf", "esp", "mr", "dr"})
_MONTH_NAME = rf"{MONTH}\.?"  # the due date's month names: a title loses what is read
_DEADLINE = (
    rf"end\s+of\s+(?:the\s+)?(?:week|month|quarter|year|q[1-4]|h[12]|{_MONTH_NAME})"
    r"|eo[dwmy]|q[1-4]|h[12]|\d{4}-\d{2}-\d{2}"
    r"|(?:next\s+|this\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)day"
    rf"|{_MONTH_NAME}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH_NAME}(?:\s+\d{{4}})?"
)
_KEYS = r"owners?|assignees?|assigned|dri|due|deadline|eta|target|priority|status"
_META = (
    # a lead annotation: "Target: 2026-09-30 — retire the proxy", "Owner: ana - add alerts"
    re.compile(
        rf"^\s*(?:{_KEYS})\s*:\s*[^—–;\n]*?(?:\s[—–-]+\s+|;\s*|\.\s+)(?=\S)",
        re.IGNORECASE,
    ),
    re.compile(r"(?:(?<!\s)\s+)?\(@[\w][\w.-]*\)"),
    # a ticket annotation: "[JIRA: BUILD-42]", "(OPS-7)", "[ticket #12]" (its link is kept)
    re.compile(
        r"(?:(?<!\s)\s+)?[\[(]\s*(?:(?i:tracked\s+in|see)\s+|[A-Za-z]+\s*[:#]\s*|(?i:ticket)\s+)?"
        r"(?:[A-Z][A-Z0-9]+-\d+|#\d+)\s*[\])](?!\()"  # not a Markdown link's text
    ),
    re.compile(r"(?:(?<!\s)\s+)?\[(?:owner|assignee)\s*:[^\[\]]*\]", re.IGNORECASE),
    re.compile(r"(?:(?<!\s)\s+)?[\[(]\s*P[0-4]\s*[\])]", re.IGNORECASE),
    re.compile(r"(?:(?<!\s)\s+)?\((?:due|deadline)\b(?:(?!\((?:due|deadline)\b)[^)])*\)", re.I),
    # "(owner: @kim, due 2026-12-01)", "(low priority)", "(DONE)", "(@ana, @ops)"
    re.compile(
        rf"(?:(?<!\s)\s+)?\((?:[^()]*\b(?:{_KEYS})\b[^()]*|\s*@[^()]*|\s*P[0-4]\b[^()]*"
        r"|\s*(?:done|wip|completed?|blocked|in progress|open|closed)"
        r"(?:\s+(?:on\s+)?[\w ,-]{1,20}?)?\s*)\)",
        re.IGNORECASE,
    ),
    # "… (ana) — due by 15 Jan", "… — @ana", "… – owner: ana, P1"
    re.compile(
        rf"(?:(?<![\s(])\s*\([\w .-]{{1,40}}\))?(?<!\s)\s+[—–-]+\s+"
        rf"(?:@|(?:{_KEYS}|by|ETA)\b|P[0-4]\b).*$",
        re.IGNORECASE | re.DOTALL,
    ),
    re.compile(r"(?:,|(?<!\s))\s+(?:assigned\s+to|owned\s+by)\s+@?[\w.-]+.*$", re.I | re.DOTALL),
    # a name after a dash at the very end: "Document the sizing — Li", "… — Bob, by 31 March"
    re.compile(
        r"(?<!\s)\s+[—–]\s+[A-Z][a-z]+(?:\s[A-Z][a-z]+)?\s*(?:,\s*(?:by|due)\b[^—–]*)?\.?\s*$"
    ),
    # a status after a dash at the very end: "Review with leadership — done"
    re.compile(r"(?<!\s)\s+[—–-]+\s*(?:done|completed?|fixed)\.?\s*$", re.IGNORECASE),
    re.compile(
        r"(?:^|(?<=\s))(?:owner|assignee|due(?:\s+date)?|deadline|priority|target|eta)\s*:.*$",
        re.IGNORECASE | re.DOTALL,
    ),
    # a trailing one after a comma: "Patch the cache, due EOW", "…; ETA end of month"
    re.compile(r"[,;]\s*(?:due|eta|deadline|target)\b(?!\s+to\b)[^()]*$", re.I | re.DOTALL),
    # a deadline closing the title: "Patch the exporter EOW", "Fix the alert by end of Q3",
    # "… by 2026-09-01", "… by Friday" (the due date keeps it; the title need not)
    re.compile(
        rf"(?<!\s)\s+(?:\(?eo[dwmy]\)?|by\s+(?:the\s+)?(?:{_DEADLINE})(?:,?\s+\d{{4}})?)\.?\s*$",
        re.I,
    ),
)

_META_HINT = re.compile(
    r"[@\[(—–]|\s-\s|\b(?:owner|assignee|assigned|due|deadline|priority|target|eta|by|owned|eo[dwmy])\b",
    re.I,
)
_PRIORITY = (
    re.compile(r"[\[(]\s*(P[0-4])\s*[\])]", re.IGNORECASE),
    re.compile(r"\bpriority\s*[:=]?\s*(P[0-4]|high|medium|low)\b", re.IGNORECASE),
    # inside an annotation: "— owner: @ana, P1, due Nov 15", "(low priority)"
    re.compile(r"(?:,\s*|\(\s*|[—–]\s+)(P[0-4])\b(?=\s*(?:[,)]|$))", re.IGNORECASE),
    re.compile(r"\b(high|medium|low)[\s-]+priority\b", re.IGNORECASE),
)
_PRIORITY_HINT = re.compile(r"(?i)p[0-4]|priority")
_PRIORITY_CELL = re.compile(r"^\s*(P[0-4]|high|medium|low)\b", re.IGNORECASE)


def plain_text(markdown: str) -> str:
    """Readable text of one item's Markdown: no emphasis, code, link or HTML syntax."""
    if not _MARKUP.search(markdown):
        return " ".join(markdown.split())
    return _plain_markup(markdown)


@functools.lru_cache(maxsize=4096)  # an item's head is read by several rules
def _plain_markup(markdown: str) -> str:
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
    """The item's name cut to TITLE_MAX characters for display."""
    return _shorten(item_name(head))


@functools.lru_cache(maxsize=4096)  # read for the title, then for the id
def item_name(head: str) -> str:
    """The item's name: a bold lead phrase, a short "Label:" lead, else the first sentence."""
    head = _TASK_PREFIX.sub("", strip_lead_glyphs(strip_writeback(head.strip())))
    bold = _BOLD_LEAD.match(head)
    if bold and _is_bold_lead(bold["lead"].rstrip(), bold["after"]):
        return plain_text(bold["lead"]).rstrip(":.").strip()
    text = plain_text(_strip_meta(head)) or plain_text(head)  # all annotation: keep it
    label = _LABEL.match(text)
    if label and is_label(label["label"]) and not _TASK_PREFIX.match(text):
        if _HORIZON.match(label["label"].strip()) and label["rest"].strip():
            return capitalised(first_sentence(label["rest"]))  # "Short term: add replicas"
        return label["label"].strip()
    return first_sentence(text)


def capitalised(text: str) -> str:
    """`text` with its first letter upper-case, once a lead before it was cut."""
    return text[:1].upper() + text[1:]


def _is_bold_lead(lead: str, after: str) -> bool:
    """ "**Label:** …", "**Label** — …", or a bold sentence before more: "**Request
    coalescing.** Coalesce concurrent misses"."""
    return (
        lead.endswith(":")
        or (lead.endswith(".") and bool(after.strip()))
        or bool(_LEAD_SEPARATOR.match(after))
    )


def is_label(text: str) -> bool:
    """A short lead phrase such as "Database Index Monitoring" (not a clause or a time)."""
    words = text.split()
    if not _balanced(text):
        return False  # the colon is inside an annotation or a quotation: not a label
    return 0 < len(words) <= 6 and any(c.isalpha() for c in text) and not re.search(r"[.!?]", text)


def _balanced(text: str) -> bool:
    pairs = (("(", ")"), ("“", "”"), ("[", "]"))
    return all(text.count(a) == text.count(b) for a, b in pairs) and text.count('"') % 2 == 0


def has_label_lead(markdown: str) -> bool:
    """True for text written as "Label: what to do" (or a lone "Label:")."""
    label = _LABEL.match(plain_text(markdown))
    return bool(label and is_label(label["label"]))


def _strip_meta(text: str) -> str:
    if not _META_HINT.search(text):
        return text
    for pattern in _META:
        text = pattern.sub("", text)
    return text.strip()


def first_sentence(text: str) -> str:
    """The text up to its first sentence end that is not inside brackets or quotes
    ('Add a "Stop. Think." banner' stays whole) nor after an abbreviation."""
    text = text.strip()
    depth, quoted, seen = 0, False, 0
    for match in _SENTENCE_END.finditer(text):
        for char in text[seen : match.start()]:  # each character once: linear
            depth += (char in "([“") - (char in ")]”")
            quoted ^= char == '"'
        seen = match.start()
        last_word = text[max(0, seen - 12) : seen].rsplit(" ", 1)[-1].casefold()
        words = text.find(" ", 0, seen) > 0  # two words at least
        if depth <= 0 and not quoted and words and last_word not in _ABBREVIATIONS:
            return text[:seen]
    return text.rstrip(".!?")


def _shorten(text: str) -> str:
    """At most TITLE_MAX characters, cut between words."""
    text = text.strip()
    if len(text) > TITLE_MAX:
        cut = text[: TITLE_MAX + 1].rsplit(" ", 1)[0]
        text = cut if cut and len(cut) <= TITLE_MAX else text[:TITLE_MAX]
    return text.rstrip(" ,;:-–—").strip()


def find_priority(text: str) -> str | None:
    if not _PRIORITY_HINT.search(text):
        return None
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

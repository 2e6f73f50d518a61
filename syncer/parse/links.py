"""Issue references written in postmortems, through the registered trackers' grammars:
found in an item's text (`find_links`, `split_links`), and resolved to an issue in the
tracker the item syncs to, for adoption (`adoptable_ref`).

Only a reference in an issue position names the item's own issue (its *link*, which is
adopted): a references column of a table (Ticket, Issue, Bug, Jira…); one after a
tracking phrase (`Tracked in …`, `tracking: …`, `Ticket: …`, `(ticket …)`); a link whose
text names an issue (`[issue here](…)`); one ending its line, set apart from the
sentence (`Add alerts (#12)`, `Add alerts — [OPS-7](…)`, `Fix the leak <URL>`, pmsync's
own write-back link); one opening the item (`[OPS-7](…): Add alerts`). A reference that
continues a sentence ("a regression test for the crash fixed in …/issues/1", "see …",
"related to …") is a *reference*: reported, never adopted; the item gets its own issue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pmsync.adapters import TRACKERS
from pmsync.adapters.spec import Found
from pmsync.model import IssueRef

if TYPE_CHECKING:
    from pmsync.config import Config

# One pattern a tracker, tried in turn, not their union: the regex engine skips ahead to
# the first character of a pattern whose alternatives all open with a literal one ("#",
# "/"), and tries a union at every position as soon as one alternative opens with a class.
_HINTS = tuple(re.compile(spec.refs.hint) for spec in TRACKERS.values())
# How far around a reference its position is read (keeps a long line linear).
_REACH = 120
# References are looked for in this much of a text (an item's is cut there anyway): a
# pasted 400 KB cell costs no more than an item.
_SCAN = 20_000
# Words naming where issues live: generic ones and every registered tracker's name.
_TRACKER_WORDS = "|".join(("ticket", "issue", "bug", "tracker", *map(re.escape, TRACKERS)))
_TRACKING = re.compile(
    r"(?:\b(?:tracked|tracking|followed\s+up|filed|logged|raised)"
    r"(?:\s+(?:in|as|by|at|under|on|via|with))?(?:\s+(?:issue|ticket|bug))?\s*:?"
    rf"|\b(?:{_TRACKER_WORDS}|tickets|issues|bugs|follow-?up|epic|story)\s*(?::|#)"
    rf"|[(\[—–|]\s*(?:{_TRACKER_WORDS})\b\s*#?"  # "(ticket X)"
    r")\s*[(\[]?\s*$",
    re.IGNORECASE,
)
# A reference continuing a sentence: "fixed in …", "see …", "related to …", "A & …".
_PROSE = re.compile(
    r"(?:^|[\s(\[])(?:in|on|at|by|of|for|from|to|into|via|per|like|see|cf\.?|also|after|"
    r"before|since|than|with|about|under|during|following|including|e\.g\.?|i\.e\.?|and|or|&)"
    r"\s*[(\[]?\s*$",
    re.IGNORECASE,
)
# A link whose text names an issue: "[Issue](…)", "[see issue here](…)", "[ticket](…)".
_NAMED = re.compile(
    rf"^\s*(?:see\s+)?(?:the\s+|this\s+|our\s+)?(?:tracking\s+|(?:{_TRACKER_WORDS})\s+)?"
    r"(?:issue|ticket|bug|follow-?up)s?\b",
    re.IGNORECASE,
)
_LINE_START = re.compile(r"^\s*(?:[-*+]\s+|\d{1,3}[.)]\s+)?(?:\[[ xX]?\]\s*)?[(\[]?\s*$")
_AFTER_LEAD = re.compile(r"^\s*[)\]]?\s*(?:[:—–|]|--?\s)")
_TRAILING = re.compile(r"^[\s)\].,;!*_~]*$")
_EMPHASIS = str.maketrans("", "", "*_~")


def find_links(text: str, *, column: bool = False) -> tuple[str, ...]:
    """Issue references in `text`, each once, in order (a URL is preferred over the bare
    ref it names). `column`: `text` is a references column (Bug / Issue / Ticket), where
    a bare key counts without context."""
    links, references = split_links(text, column=column)
    return tuple(dict.fromkeys((*links, *references)))


def split_links(text: str, *, column: bool = False) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(references in an issue position, the others) in `text`, each issue once (see
    the module docstring). In a references column every reference is in position."""
    text = text[:_SCAN]
    if not any(hint.search(text) for hint in _HINTS):
        return (), ()
    found = sorted(
        (ref for spec in TRACKERS.values() for ref in spec.refs.find(text, column)),
        key=lambda ref: ref.at,
    )
    written: dict[str, str] = {}
    placed: set[str] = set()
    for ref in found:
        if ref.canonical not in written or (ref.is_url and "://" not in written[ref.canonical]):
            written[ref.canonical] = ref.written
        if column or in_issue_position(text, ref):
            placed.add(ref.canonical)
    links = tuple(w for c, w in written.items() if c in placed)
    return links, tuple(w for c, w in written.items() if c not in placed)


def in_issue_position(text: str, ref: Found) -> bool:
    """Whether the reference names the item's own issue (see the module docstring): after
    a tracking phrase; a link whose text names an issue; else set apart at the start or
    the end of its line, and not continuing a sentence ("fixed in …", "see …")."""
    start, end, label = _span(text, ref)
    line_start = text.rfind("\n", max(0, start - _REACH), start) + 1
    before = text[max(line_start, start - _REACH) : start].translate(_EMPHASIS)
    line_end = text.find("\n", end, end + _REACH)
    after = text[end : line_end if line_end >= 0 else end + _REACH].translate(_EMPHASIS)
    if _TRACKING.search(before):
        return True
    if _PROSE.search(before):
        return False
    if label is not None and _NAMED.match(label):
        return True
    if _LINE_START.match(before):  # it opens its line: alone, or before "— what to do"
        return bool(_TRAILING.match(after) or _AFTER_LEAD.match(after))
    return bool(_TRAILING.match(after))


def _span(text: str, ref: Found) -> tuple[int, int, str | None]:
    """Where the reference is written, a Markdown link or autolink around it included,
    and the link's text (`ref.at` may be where its context starts: "Jira: OPS-7")."""
    start = text.find(ref.written, ref.at, ref.at + len(ref.written) + _REACH)
    start = ref.at if start < 0 else start
    end = start + len(ref.written)
    if text[start - 1 : start] == "[" and text.startswith("](", end):  # `[OPS-7](…)`
        target_end = text.find(")", end, end + 2 * _REACH)
        return start - 1, (target_end + 1 if target_end >= 0 else end), ref.written
    if text[max(0, start - 2) : start] == "](":  # the target of `[text](URL)`
        bracket = text.rfind("[", max(0, start - 2 - _REACH), start - 2)
        target_end = text.find(")", end, end + _REACH)
        if bracket >= 0 and target_end >= 0:
            return bracket, target_end + 1, text[bracket + 1 : start - 2]
    if text[start - 1 : start] == "<" and text[end : end + 1] == ">":
        return start - 1, end + 1, None
    return start, end, None


def adoptable_ref(links: Iterable[str], tracker: str, config: Config) -> IssueRef | None:
    """The first link that names an issue in the tracker this item syncs to."""
    spec = TRACKERS[tracker]
    section = config.section(tracker)
    for link in links:
        ref = spec.refs.resolve(link, section)
        if ref is not None:
            return ref
    return None

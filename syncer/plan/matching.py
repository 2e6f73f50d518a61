"""Matching parsed items to state records.

An item's id comes from its document key and normalised title (see `identity`), so
whitespace, emphasis, punctuation edits and reordering keep it. Rewording changes it:
an item whose id has no record is then paired with a record of the same document that
lost its item in this edit, when the two are really alike. The record keeps its original
id (the one its issue's marker carries) and learns the new id as an alias.

"Really alike" is measured on words, not characters: the share of the shorter title's
content words found in the other (a word matches its plural and a one-letter typo).
"Add disk alerts" → "Add disk-usage alerts for the database hosts" keeps every word of
the old title; "Add disk alerts" → "Add DNS alerts" changes what the item is about and
is a new item, however many letters the titles share. A pairing is made only when it is
clear; otherwise the item is created and the plan says why (`Match.note`):

- two new items both alike to one gone record, or one new item alike to two, with
  scores too close to tell apart: a guess could retitle someone's issue to another
  item, so neither is paired;
- the record's issue is closed (its item was finished) and the new item is not done:
  new work goes into a new issue, never into a closed one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from pmsync.model import ActionItem
from pmsync.state.store import ItemRecord

# Below this share of common content words, a reworded item is a new item (and its
# predecessor is removed). One word changed of three ("disk" → "DNS") is 0.67.
SIMILARITY = 0.7
# Two candidates closer than this to the best one: the pairing is a guess, not made.
MARGIN = 0.15
_WORD = re.compile(r"[^\W_]+")
_STOPWORDS = frozenset((
    "a", "an", "the", "of", "for", "to", "in", "on", "at", "by", "with", "and", "or", "from",
    "into", "onto", "as", "is", "are", "be", "it", "its", "this", "that", "these", "those",
    "all", "any", "each", "every", "our", "we",
))  # fmt: skip


@dataclass(frozen=True)
class Match:
    item: ActionItem
    record_id: str | None  # None: a new item
    note: str | None = None  # why a new item was not paired with a gone one


def match_items(
    items: Sequence[ActionItem], records: dict[str, ItemRecord]
) -> tuple[list[Match], list[str]]:
    """Pair a document's items with its state records → (matches, ids of records left)."""
    by_alias = {alias: key for key, rec in records.items() for alias in [key, *rec.aliases]}
    matches: list[Match | None] = []
    taken: set[str] = set()
    for item in items:
        key = by_alias.get(item.id)
        if key is not None and key not in taken:
            taken.add(key)
            matches.append(Match(item, key))
        else:
            matches.append(None)
    leftover = [key for key in records if key not in taken]
    unmatched = [i for i, m in enumerate(matches) if m is None]
    paired, notes = _pair_by_similarity([items[i] for i in unmatched], leftover, records)
    for index in unmatched:
        item_id = items[index].id
        matches[index] = Match(items[index], paired.get(item_id), notes.get(item_id))
    left = [key for key in leftover if key not in paired.values()]
    return [m for m in matches if m is not None], left


def _pair_by_similarity(
    items: list[ActionItem], leftover: list[str], records: dict[str, ItemRecord]
) -> tuple[dict[str, str], dict[str, str]]:
    """Best-first pairing of new items with gone records → (item id → record id, item
    id → why it was not paired). A pair is made only when neither side has a rival
    within MARGIN of it."""
    likely = _likely_pairs(items, leftover, records)
    titles = {item.id: item for item in items}
    rivals: dict[str, list[tuple[float, str, str]]] = {}  # item or record id → its pairs
    for pair in likely:
        rivals.setdefault(pair[1], []).append(pair)
        rivals.setdefault(pair[2], []).append(pair)
    paired: dict[str, str] = {}
    notes: dict[str, str] = {}
    for score, item_id, key in likely:
        if item_id in paired or item_id in notes or key in paired.values():
            continue
        close = [
            (s, i, k) for s, i, k in (*rivals[item_id], *rivals[key])
            if (i, k) != (item_id, key) and score - s < MARGIN
            and i not in paired and k not in paired.values()
        ]  # fmt: skip
        note = _unclear(titles[item_id], records[key], bool(close))
        if note is None:
            paired[item_id] = key
        else:
            notes[item_id] = note
    return paired, notes


def _likely_pairs(
    items: list[ActionItem], leftover: list[str], records: dict[str, ItemRecord]
) -> list[tuple[float, str, str]]:
    """(score, item id, record id) of the pairs alike enough to be one item, best first."""
    scored = (
        (title_similarity(item.title, records[key].title), item.id, key)
        for item in items
        for key in leftover
    )
    return sorted((pair for pair in scored if pair[0] >= SIMILARITY), key=lambda p: -p[0])


def _unclear(item: ActionItem, record: ItemRecord, rivalled: bool) -> str | None:
    """Why pairing `item` with `record` would be a guess, or None when it is clear."""
    if rivalled:
        return (
            f"'{item.title}' is about as like '{record.title}' as another item or issue is: "
            "not paired (a guess could retitle the wrong issue); a new issue is created"
        )
    closed = record.done or (record.status is not None and record.status.state == "closed")
    if closed and not item.done:
        issue = f" ({record.issue.key})" if record.issue else ""
        return (
            f"'{item.title}' looks like a reworded '{record.title}', whose issue{issue} is "
            "closed: a new issue is created for it rather than new work in a closed issue"
        )
    return None


def title_similarity(one: str, other: str) -> float:
    """Share of the shorter title's content words found in the other (0…1): a title kept
    whole with words added ("for the database hosts") is alike; one of two words is not
    enough, so a title of one content word compares by Dice. Titles without content
    words compare by their characters."""
    first, second = _content_words(one), _content_words(other)
    if not first or not second:
        return SequenceMatcher(None, one.casefold(), other.casefold()).ratio()
    common = _common_words(first, second)
    shorter = min(len(first), len(second))
    if shorter < 2:
        return 2 * common / (len(first) + len(second))
    return common / shorter


def _common_words(first: tuple[str, ...], second: tuple[str, ...]) -> int:
    """Words of `first` in `second`, a one-letter typo counting as the same word."""
    exact = set(first) & set(second)
    rest = [w for w in second if w not in exact]
    typos = sum(1 for w in first if w not in exact and any(_same_word(w, o) for o in rest))
    return len(exact) + min(typos, len(rest))


@functools.lru_cache(maxsize=4096)  # each title is compared with every candidate
def _content_words(text: str) -> tuple[str, ...]:
    words = (w.casefold() for w in _WORD.findall(text))
    return tuple(dict.fromkeys(_stem(w) for w in words if w not in _STOPWORDS))


def _stem(word: str) -> str:
    """Plural to singular, roughly: "alerts" → "alert", "indexes" → "index"."""
    if len(word) > 4 and word.endswith(("ses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _same_word(one: str, other: str) -> bool:
    """One typo apart, in a word long enough for that to be a typo."""
    if min(len(one), len(other)) < 6 or abs(len(one) - len(other)) > 1:
        return False
    if len(set(one) ^ set(other)) > 2:
        return False  # more than one letter apart: no need to align them
    return SequenceMatcher(None, one, other).ratio() >= 0.85

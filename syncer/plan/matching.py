"""Matching parsed items to state records.

An item's id comes from its document key and normalised title (see `identity`), so
whitespace, emphasis, punctuation edits and reordering keep it. Rewording changes it:
an item whose id has no record is then paired with the most similar record of the same
document that lost its item in this edit, if they are similar enough. The record keeps
its original id (the one its issue's marker carries) and learns the new id as an alias.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from pmsync.model import ActionItem
from pmsync.state.store import ItemRecord

# Below this, a reworded item is a new item (and its predecessor is removed).
SIMILARITY = 0.6


@dataclass(frozen=True)
class Match:
    item: ActionItem
    record_id: str | None  # None: a new item


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
    paired = _pair_by_similarity([items[i] for i in unmatched], leftover, records)
    for index in unmatched:
        record_id = paired.get(items[index].id)
        matches[index] = Match(items[index], record_id)
    left = [key for key in leftover if key not in paired.values()]
    return [m for m in matches if m is not None], left


def _pair_by_similarity(
    items: list[ActionItem], leftover: list[str], records: dict[str, ItemRecord]
) -> dict[str, str]:
    """Greedy best-first pairing of new items with orphaned records."""
    if not items or not leftover:
        return {}
    scored = sorted(
        ((_similarity(item, records[key]), item.id, key) for item in items for key in leftover),
        reverse=True,
    )
    paired: dict[str, str] = {}
    for score, item_id, key in scored:
        if score < SIMILARITY:
            break
        if item_id not in paired and key not in paired.values():
            paired[item_id] = key
    return paired


def _similarity(item: ActionItem, record: ItemRecord) -> float:
    return title_similarity(item.title, record.title)


def title_similarity(one: str, other: str) -> float:
    return SequenceMatcher(None, one.casefold(), other.casefold()).ratio()

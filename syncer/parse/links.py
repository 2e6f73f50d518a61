"""Issue references written in postmortems, through the registered trackers' grammars:
found in an item's text (`find_links`), and resolved to an issue in the tracker the item
syncs to, for adoption (`adoptable_ref`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pmsync.adapters import TRACKERS
from pmsync.model import IssueRef

if TYPE_CHECKING:
    from pmsync.config import Config

_HINT = re.compile("|".join(f"(?:{spec.refs.hint})" for spec in TRACKERS.values()))


def find_links(text: str, *, column: bool = False) -> tuple[str, ...]:
    """Issue references in `text`, each once, in order (a URL is preferred over the bare
    ref it names). `column`: `text` is a references column (Bug / Issue / Ticket), where
    a bare key counts without context."""
    if not _HINT.search(text):
        return ()
    found = sorted(
        (ref.at, ref.canonical, ref.written, ref.is_url)
        for spec in TRACKERS.values()
        for ref in spec.refs.find(text, column)
    )
    refs: dict[str, str] = {}
    for _, canonical, written, is_url in found:
        if canonical not in refs or (is_url and "://" not in refs[canonical]):
            refs[canonical] = written
    return tuple(refs.values())


def adoptable_ref(links: Iterable[str], tracker: str, config: Config) -> IssueRef | None:
    """The first link that names an issue in the tracker this item syncs to."""
    spec = TRACKERS[tracker]
    section = config.section(tracker)
    for link in links:
        ref = spec.refs.resolve(link, section)
        if ref is not None:
            return ref
    return None

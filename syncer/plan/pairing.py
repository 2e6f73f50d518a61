"""Which document of the state each postmortem read in this run is.

A postmortem's key is given once, when pmsync first sees it (`identity.document_key`),
and recorded in the state beside its path. After that it is recognised, in order:

1. by its front matter `id`, when that names a recorded document (its key or its id);
2. by its recorded path: the same file, whatever was edited in it — the title, the
   incident date, the front matter (adding or changing an `id` included);
3. at a new path, while a recorded document's file is gone: a rename or a move, when
   at least half of its items are that document's (the same name or the same content);
4. otherwise it is a new document.

When (3) finds a document gone but cannot pair the new one with it (too different, or
two candidates), nothing is pushed: the run stops with `IdentityUnclear` naming both
files, and `--force-new` says "it is new" (the gone document is then retired as a
rename candidate). Without a state (deleted, or a fresh clone) there is nothing to
pair here: the issues' markers pair the items at push (see `group`).

Two postmortems never share a key: the same file named twice is read once, and two
files claiming one identity (a copied `id:`) stop the run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePath

from pmsync.errors import IdentityUnclear, InputError
from pmsync.model import Postmortem
from pmsync.plan.identity import document_key, explicit_id, normalize_text, rekey_items
from pmsync.state.store import SyncState

# Share of a new document's items that must be a gone document's to call it a rename.
RENAME_SHARE = 0.5


@dataclass
class Resolution:
    documents: list[Postmortem]
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (old path, new path)
    retired: list[str] = field(default_factory=list)  # gone documents' keys, not paired


def resolve_documents(
    docs: Sequence[Postmortem],
    state: SyncState,
    exists: Callable[[str], bool],
    *,
    force_new: bool = False,
) -> Resolution:
    """The documents keyed as the state knows them (see the module docstring)."""
    docs = _read_once(docs)
    known = [_known_key(doc, state) for doc in docs]
    claimed = {key for key in known if key is not None}
    gone = _gone(state, claimed, exists)
    result = Resolution([])
    for doc, key in zip(docs, known, strict=True):
        if key is None:
            key = _renamed_key(doc, gone, state, force_new, result)
        result.documents.append(_keyed(doc, key))
    _refuse_shared(result.documents)
    if force_new:
        result.retired = [k for k in gone if k not in {d.key for d in result.documents}]
    return result


def orphaned_documents(state: SyncState, exists: Callable[[str], bool]) -> set[str]:
    """Recorded documents with tracked items whose file is gone: their items' issues are
    orphans (reported; never closed by --prune, which needs the document read whole)."""
    tracked = {r.doc for r in state.items.values()}
    return {k for k, r in state.documents.items() if k in tracked and not exists(r.path)}


def _read_once(docs: Sequence[Postmortem]) -> list[Postmortem]:
    """A file named twice (overlapping patterns, a folder and a file in it) is one document."""
    seen: dict[str, Postmortem] = {}
    for doc in docs:
        seen.setdefault(doc.path, doc)
    return list(seen.values())


def _known_key(doc: Postmortem, state: SyncState) -> str | None:
    explicit = explicit_id(doc.front_matter)
    if explicit is not None:
        for key, record in state.documents.items():
            if explicit in (key, record.id):
                return key
    return next((k for k, r in state.documents.items() if r.path == doc.path), None)


def _gone(state: SyncState, claimed: set[str], exists: Callable[[str], bool]) -> list[str]:
    """Recorded documents with tracked items whose file is no longer there."""
    tracked = {r.doc for r in state.items.values()}
    return [
        key
        for key, record in state.documents.items()
        if key in tracked and key not in claimed and not record.retired
        and not exists(record.path)
    ]  # fmt: skip


def _renamed_key(
    doc: Postmortem, gone: list[str], state: SyncState, force_new: bool, result: Resolution
) -> str:
    new_key = document_key(doc.front_matter, doc.path)
    taken = {d.key for d in result.documents}
    candidates = [key for key in gone if key not in taken]
    if not doc.items or not candidates or force_new:
        return new_key
    scores = sorted(((_share(doc, key, state), key) for key in candidates), reverse=True)
    best, key = scores[0]
    runner_up = scores[1][0] if len(scores) > 1 else 0.0
    if best >= RENAME_SHARE and best > runner_up:
        result.renamed.append((state.documents[key].path, doc.path))
        return key
    raise IdentityUnclear(
        f"{doc.path}: a new postmortem while {state.documents[key].path} (tracked) is gone, "
        "and they cannot be paired: if it was renamed, write its old identity in the front "
        f"matter (`id: {key}`); if it is a new postmortem, push with --force-new"
    )


def _share(doc: Postmortem, key: str, state: SyncState) -> float:
    records = [r for r in state.items.values() if r.doc == key]
    hashes = {r.content_hash for r in records}
    names = {normalize_text(r.title) for r in records}
    same = sum(1 for i in doc.items if i.content_hash in hashes or normalize_text(i.title) in names)
    return same / max(1, min(len(doc.items), len(records)))


def _keyed(doc: Postmortem, key: str) -> Postmortem:
    if key == doc.key:
        return doc
    return replace(doc, key=key, items=rekey_items(doc.items, key))


def _refuse_shared(docs: list[Postmortem]) -> None:
    by_key: dict[str, str] = {}
    for doc in docs:
        other = by_key.setdefault(doc.key, doc.path)
        if other != doc.path:
            raise InputError(
                f"{doc.path}: has the same identity as {other} (`id: {doc.key}`?); give "
                "each postmortem its own `id` in the front matter"
            )


def fresh_key(doc: Postmortem) -> Postmortem:
    """The document keyed from its repository-relative path (or explicit id)."""
    return _keyed(doc, document_key(doc.front_matter, PurePath(doc.path).as_posix()))

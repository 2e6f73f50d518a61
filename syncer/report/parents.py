"""The dashboard's "By parent issue" section: each postmortem's parent issue, linked,
with its items under it (`defaults.parent`). Pure: rows and parents in, HTML out."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from pmsync.state.store import SyncState
from pmsync.status.refresh import StatusRow


@dataclass(frozen=True)
class ParentLink:
    key: str  # the parent issue's key (acme/ops#12, OPS-7)
    url: str
    title: str


def parent_links(state: SyncState) -> dict[str, ParentLink]:
    """The recorded parents by their postmortem's path (the rows' `doc`)."""
    found = {}
    for doc_key, record in state.parents.items():
        if record.issue is None:
            continue
        doc = state.documents.get(doc_key)
        found[doc.path if doc else doc_key] = ParentLink(
            record.issue.key, record.issue.url, record.title
        )
    return found


def parents_section(rows: Sequence[StatusRow], parents: dict[str, ParentLink]) -> str:
    groups: dict[str, list[StatusRow]] = {}
    for row in rows:
        if row.doc in parents:
            groups.setdefault(row.doc, []).append(row)
    entries = [_parent(parents[doc], group) for doc, group in sorted(groups.items())]
    return f'<ul class="parents" data-testid="parents">{"".join(entries)}</ul>'


def _parent(link: ParentLink, rows: list[StatusRow]) -> str:
    closed = sum(1 for r in rows if r.state == "closed")
    items = "".join(
        f"<li>{_link(r.record.issue.url if r.record.issue else None, r.title)} "
        f'<span class="badge {_esc(r.state)}">{_esc(r.state)}</span></li>'
        for r in rows
    )
    head = f"{_link(link.url, link.key)} {_esc(link.title)} — {closed} of {len(rows)} closed"
    return f"<li>{head}<ul>{items}</ul></li>"


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _link(href: str | None, text: str) -> str:
    # Only http(s): a tracker URL like `javascript:` must not become clickable.
    safe = href if href and urlsplit(href).scheme.lower() in ("http", "https") else None
    return f'<a href="{_esc(safe)}">{_esc(text)}</a>' if safe else _esc(text)

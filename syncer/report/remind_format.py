"""A reminder digest → the JSON body each kind of incoming webhook takes: Slack
(mrkdwn blocks), Microsoft Teams (an Adaptive Card, as Teams workflows expect),
Mattermost (Markdown text) and a generic JSON document.

Pure. Item titles are neutralised (@mentions, and Slack's <…> control sequences) unless
`defaults.allow_mentions`: a digest must not ping everyone a postmortem names.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from pmsync.plan.drafts import neutralize_mentions

SLACK_BLOCKS = 45  # Slack takes 50 blocks a message (room left for the header)
SECTION_LIMIT = 2900  # and 3,000 characters a section


@dataclass(frozen=True)
class DueItem:
    item_id: str
    title: str
    owner: str  # the assignee's account, else "unassigned"
    doc: str  # the postmortem's path
    doc_url: str | None
    key: str
    url: str
    due: date
    overdue_days: int  # > 0 overdue, <= 0 due in -n days


@dataclass(frozen=True)
class Digest:
    today: date
    items: list[DueItem]
    allow_mentions: bool = False

    def by_owner(self) -> dict[str, dict[str, list[DueItem]]]:
        """owner → postmortem → items, overdue first (most overdue first)."""
        groups: dict[str, dict[str, list[DueItem]]] = {}
        for item in sorted(self.items, key=lambda i: (i.owner, i.doc, -i.overdue_days)):
            groups.setdefault(item.owner, {}).setdefault(item.doc, []).append(item)
        return groups

    def headline(self) -> str:
        overdue = sum(1 for i in self.items if i.overdue_days > 0)
        soon = len(self.items) - overdue
        return f"Postmortem action items: {overdue} overdue, {soon} due soon"


def when(item: DueItem) -> str:
    if item.overdue_days > 0:
        return f"overdue by {item.overdue_days} day{'s' * (item.overdue_days != 1)}"
    if item.overdue_days == 0:
        return "due today"
    return f"due {item.due.isoformat()}"


def _text(digest: Digest, text: str) -> str:
    return text if digest.allow_mentions else neutralize_mentions(text)


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(digest: Digest) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": digest.headline()}}
    ]
    for section in _slack_sections(digest)[:SLACK_BLOCKS]:
        text = "\n".join(line for line, _ in section)[:SECTION_LIMIT]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    return {"text": digest.headline(), "blocks": blocks}


def fit_slack(digest: Digest) -> Digest:
    """The part of the digest one Slack message holds (50 blocks, 3,000 characters a
    section): the rest is left for the next run, never recorded as sent."""
    sections = _slack_sections(digest)[:SLACK_BLOCKS]
    return replace(digest, items=[item for s in sections for _, item in s if item])


def _slack_lines(digest: Digest) -> Iterator[tuple[str, DueItem | None]]:
    """Owner, postmortem and item lines in mrkdwn, each with the item it shows."""
    for owner, docs in digest.by_owner().items():
        yield f"*{_slack_escape(_text(digest, owner))}*", None
        for doc, items in docs.items():
            name = _slack_escape(doc)
            yield (f"<{items[0].doc_url}|{name}>" if items[0].doc_url else name), None
            for i in items:
                title = _slack_escape(_text(digest, i.title))[:300]
                yield f"• <{i.url}|{_slack_escape(i.key)}> {title} — {when(i)}", i


def _slack_sections(digest: Digest) -> list[list[tuple[str, DueItem | None]]]:
    """The lines packed into sections of at most SECTION_LIMIT characters."""
    sections: list[list[tuple[str, DueItem | None]]] = []
    current: list[tuple[str, DueItem | None]] = []
    size = 0
    for line, item in _slack_lines(digest):
        if current and size + len(line) + 1 > SECTION_LIMIT:
            sections.append(current)
            current, size = [], 0
        current.append((line, item))
        size += len(line) + 1
    return [*sections, current] if current else sections


FITS = {"slack": fit_slack}


def markdown_text(digest: Digest) -> str:
    lines = [f"#### {digest.headline()}"]
    for owner, docs in digest.by_owner().items():
        lines += ["", f"**{_text(digest, owner)}**"]
        for doc, items in docs.items():
            lines.append(f"[{doc}]({items[0].doc_url})" if items[0].doc_url else f"`{doc}`")
            lines += [
                f"- [{i.key}]({i.url}) {_text(digest, i.title).replace('[', '(')} — {when(i)}"
                for i in items
            ]
    return "\n".join(lines)


def mattermost_payload(digest: Digest) -> dict[str, Any]:
    return {"text": markdown_text(digest)}


def teams_payload(digest: Digest) -> dict[str, Any]:
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": markdown_text(digest), "wrap": True}],
    }
    attachment = {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
    return {"type": "message", "attachments": [attachment]}


def json_payload(digest: Digest) -> dict[str, Any]:
    owners = [
        {
            "owner": owner,
            "postmortems": [
                {"path": doc, "url": items[0].doc_url, "items": [_item_json(i) for i in items]}
                for doc, items in docs.items()
            ],
        }
        for owner, docs in digest.by_owner().items()
    ]
    overdue = sum(1 for i in digest.items if i.overdue_days > 0)
    summary = {"overdue": overdue, "due_soon": len(digest.items) - overdue}
    return {"today": digest.today.isoformat(), "summary": summary, "owners": owners}


def _item_json(item: DueItem) -> dict[str, Any]:
    return {
        "id": item.item_id,
        "title": item.title,
        "issue": item.key,
        "url": item.url,
        "due": item.due.isoformat(),
        "overdue_days": max(item.overdue_days, 0),
    }


PAYLOADS = {
    "slack": slack_payload,
    "teams": teams_payload,
    "mattermost": mattermost_payload,
    "json": json_payload,
}

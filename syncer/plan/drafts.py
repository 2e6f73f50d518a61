"""What an item's issue should say: ActionItem + Postmortem + Config → IssueDraft.

Pure. The body is Markdown; adapters render it in their tracker's markup and wrap it in
pmsync's marker block.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta

from pmsync.adapters import TRACKERS
from pmsync.config import Config
from pmsync.model import ActionItem, IssueDraft, Postmortem

TRACKING_LABEL = "pmsync"
# A zero-width joiner after "@" keeps the text readable but stops the tracker from
# notifying the named person or team (`@org/team` included). Only a letter or digit
# before "@" makes it an address rather than a mention: `_@team_` and `` `x`@bob `` ping.
_MENTION = re.compile(r"(?<![^\W_])(?<!/)@(?=[A-Za-z0-9])")
# Inline code spans and fenced blocks: mentions there never ping, and their text must
# stay exactly as written.
_CODE = re.compile(r"(?ms)^[ \t]*(`{3,}|~{3,}).*?^[ \t]*\1[ \t]*$|(?<!`)(`+)(?!`).+?(?<!`)\2(?!`)")


@dataclass(frozen=True)
class DraftResult:
    draft: IssueDraft
    body_hash: str  # over the body without the source line anchor (see `body_fingerprint`)
    warnings: tuple[str, ...]


def tracker_of(doc: Postmortem, config: Config) -> str:
    """`tracker` in the front matter when it names a registered tracker, else the config's."""
    chosen = doc.front_matter.get("tracker")
    return chosen if isinstance(chosen, str) and chosen in TRACKERS else config.tracker


def container_of(doc: Postmortem, config: Config, tracker: str) -> str:
    """Where the postmortem's issues go in `tracker` (a repository, project or team)."""
    return TRACKERS[tracker].container(config.section(tracker), doc.front_matter)


def effective_due(item: ActionItem, doc: Postmortem, config: Config) -> date | None:
    """The written due date, else incident date + defaults.due_days."""
    if item.due:
        return item.due
    if doc.incident_date and config.defaults.due_days is not None:
        return doc.incident_date + timedelta(days=config.defaults.due_days)
    return None


def labels_of(doc: Postmortem, config: Config) -> tuple[str, ...]:
    extra = doc.front_matter.get("labels") or []
    if isinstance(extra, str | int):
        extra = [extra]  # `labels: database` is one label, not eight letters
    labels = [*config.defaults.labels, *(str(x) for x in extra if isinstance(x, str | int))]
    return tuple(dict.fromkeys([*labels, TRACKING_LABEL]))


def build_draft(item: ActionItem, doc: Postmortem, config: Config, item_id: str) -> DraftResult:
    tracker = tracker_of(doc, config)
    owner = item.owner or _front_owner(doc)
    # Several owners ("ana, ops-team", as the parser joins them): the first in `people`.
    names = (owner or "").split(", ")
    assignee = next(filter(None, (config.person(name, tracker) for name in names)), None)
    warnings = []
    if owner and assignee is None:
        warnings.append(
            f"owner '{owner}' has no {tracker} account in `people`: the issue is left unassigned"
        )
    due = effective_due(item, doc, config)
    text = item.body if config.defaults.allow_mentions else neutralize_mentions(item.body)
    facts = render_facts(doc, config, due, owner, item.priority, item.line)
    draft = IssueDraft(
        item_id=item_id,
        content_hash=item.content_hash,
        title=item.title,
        body=text.strip() + "\n\n" + facts,
        labels=labels_of(doc, config),
        assignee=assignee,
        due=due,
        priority=item.priority,
        container=container_of(doc, config, tracker),
        confidential=doc.front_matter.get("confidential") is True,
    )
    # The item's content hash stands for its text (whitespace, emphasis and punctuation
    # edits don't count), and the source line is left out: edits elsewhere in the
    # postmortem move the item without changing it.
    stable = render_facts(doc, config, due, owner, item.priority, None)
    return DraftResult(draft, body_fingerprint(item.content_hash + "\n" + stable), tuple(warnings))


def body_fingerprint(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def render_facts(
    doc: Postmortem,
    config: Config,
    due: date | None,
    owner: str | None,
    priority: str | None,
    line: int | None,
) -> str:
    """The list under the item text: due date, owner, priority, link to the postmortem."""
    facts = [f"**Due:** {due.isoformat()}" if due else None]
    facts.append(f"**Owner:** {neutralize_mentions(owner)}" if owner else None)
    facts.append(f"**Priority:** {priority}" if priority else None)
    facts.append(f"**Postmortem:** {_source_link(doc, config, line)}")
    return "\n".join(f"- {fact}" for fact in facts if fact)


def neutralize_mentions(text: str) -> str:
    """`text` with every @mention outside code made inert."""
    out, end = [], 0
    for code in _CODE.finditer(text):
        out += [_MENTION.sub("@\u200d", text[end : code.start()]), code.group()]
        end = code.end()
    return "".join([*out, _MENTION.sub("@\u200d", text[end:])])


def _source_link(doc: Postmortem, config: Config, line: int | None) -> str:
    # The title goes into every issue of the postmortem: a mention in it pings per item.
    title = neutralize_mentions(doc.title or doc.path)
    when = f" ({doc.incident_date.isoformat()})" if doc.incident_date else ""
    base = config.links.base_url
    if not base:
        return f"{title}{when}, `{doc.path}`" + (f" line {line}" if line else "")
    anchor = f"#L{line}" if line else ""
    return f"[{title}]({base.rstrip('/')}/{doc.path.removeprefix('./')}{anchor}){when}"


def _front_owner(doc: Postmortem) -> str | None:
    owner = doc.front_matter.get("owner")
    return str(owner) if owner else None

"""Item candidates of action sections → `ActionItem`s: title, owner, due date, state.

Also decides which candidates are not items after all: template placeholders
(``{{ summary }} [link to issue]``) and pointers to elsewhere (``See the full diff here``).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable
from datetime import date

from pmsync.model import ActionItem, ParseWarning, Section
from pmsync.parse.dates import find_due, parse_due
from pmsync.parse.links import split_links
from pmsync.parse.owners import find_owner, is_organisation, lead_owner, without_pledge
from pmsync.parse.text import (
    Entry,
    capitalised,
    find_priority,
    item_name,
    item_title,
    plain_text,
)
from pmsync.plan.identity import content_hash, item_id, normalize_text

# An item's text past this is cut (with a warning): GitHub refuses issue bodies over
# 65,536 characters, and a huge item is a pasted log or a runaway nested list.
MAX_ITEM_TEXT = 20_000
# "{{ summary }}", "{name}", "<link to issue>", "[link to github issue]" (words, no link)
_PLACEHOLDER = re.compile(
    r"\{\{[^{}]*\}\}|\{[a-z_ ]+\}|<[a-z][a-z _-]*>|\[[^\[\]\s]*\s[^\[\]]*\](?!\()",
    re.IGNORECASE,
)
_POINTER = re.compile(
    r"^(?:see(?:\s+also)?|for\s+(?:more|details|further|the\s+full)|more\s+(?:details|info))\b",
    re.IGNORECASE,
)
# Instructions of a template to its writer: "Be brief", "Items must be written in English",
# "Use this section to list …", "Delete this line".
_INSTRUCTION = re.compile(
    r"^(?:be\s+(?:brief|concise|specific|clear)|keep\s+(?:it|them|this|each)\b|fill\s+in|"
    r"delete\s+this|replace\s+this|remove\s+this|use\s+this\s+(?:section|template|table))"
    r"|\b(?:must|should)\s+be\s+written\b|\bthis\s+(?:section|template)\s+(?:is|should|must|lists?)"
    r"|\b(?:each|every)\s+(?:action\s+)?items?\s+(?:must|should)\b",
    re.IGNORECASE,
)
_INSTRUCTION_HINT = re.compile(
    r"(?i)\b(?:be|keep|fill|delete|replace|remove|use|written|this|each|every)\b"
)
# A sentence saying there is nothing to do: "No further action is required at this time."
_NO_ACTION = re.compile(
    r"(?:^|[.!?]\s+)(?:no\s+(?:further|other|additional|more)?\s*(?:action|follow[- ]?up|work)s?"
    r"\s+(?:is\s+|are\s+)?(?:required|needed|necessary|planned)|nothing\s+(?:further|else)\s+"
    r"(?:is\s+)?(?:required|needed|to\s+do))\b",
    re.IGNORECASE,
)
# A placeholder for items to come: "None yet — to be discussed", "TBD", "N/A".
_NOTHING_YET = re.compile(
    r"(?i)^\W*(?:none|nothing|n/?a|tbd|tba)(?:\s+(?:yet|so\s+far))?\W*?(?:$|\s*[—–.,;(-])"
)
_LINKED = re.compile(r"\]\(|https?://")
_DONE_MARK = re.compile(
    r"\((?:done|completed?|fixed|closed|resolved)(?:\s+(?:on\s+)?[\w ,-]{1,20})?\)"
    r"|\*\*(?:done|completed?)\*\*|^\s*[✅✔☑]|~~[^~]+~~\s*$"
    r"|\s[—–-]+\s*(?:done|completed?|fixed)\.?\s*$",
    re.IGNORECASE,
)


def build_items(
    pairs: Iterable[tuple[Entry, Section]],
    doc_key: str,
    incident: date | None,
    warnings: list[ParseWarning],
    max_items: int | None = None,
    organisations: frozenset[str] = frozenset(),
) -> list[ActionItem]:
    """The items, in order; past `max_items` + 1 collection stops (the plan tells the rest).
    `organisations`: names that are not owners when a lead phrase names them."""
    items: list[ActionItem] = []
    seen: Counter[str] = Counter()  # item name -> occurrences so far
    for entry, kind in pairs:
        if max_items is not None and len(items) > max_items:
            warnings.append(ParseWarning(entry.line, f"more than {max_items} items: rest not read"))
            break
        if not_an_item(entry):
            continue
        # A table's owner column says who; its action cell is the title as written.
        owner, head = (None, entry.head) if entry.owner else lead_owner(entry.head)
        head = without_pledge(head) if owner is None else head
        lead_cut = owner is not None
        if owner and is_organisation(owner, organisations):
            owner = None  # "Acme Labs will run the tests": a company's commitment
        title = item_title(head) or item_title(plain_text(entry.body))
        if title[:1].islower() and (lead_cut or plain_text(head)[:1].isupper()):
            title = capitalised(title)  # a lead was cut: "@kim to rotate" → "Rotate"
        # The id comes from the whole name, not the title cut for display.
        name = normalize_text(item_name(head) or item_name(plain_text(entry.body)))
        if name and normalize_text(title):
            seen[name] += 1
            item_key = item_id(doc_key, name, seen[name])
            entry = _bounded(entry, warnings)
            due = _due(entry, incident, warnings)
            items.append(_item(entry, kind, item_key, title, due, entry.owner or owner, name))
        elif shown := (title.strip() or plain_text(entry.body).strip()):
            warnings.append(ParseWarning(entry.line, f"item {shown[:40]!r} has no words "
                                         "(only symbols or emoji): not tracked"))  # fmt: skip
    return items


def not_an_item(entry: Entry) -> str | None:
    """Why a candidate is not an item (a template placeholder, a pointer), or None."""
    text = plain_text(entry.head)
    if _may_hold_placeholder(entry.body):
        blanked = _PLACEHOLDER.sub(" ", entry.body)
        if blanked != entry.body and not re.search(r"[^\W\d_]{2}", blanked):
            return "a template placeholder"
    if _INSTRUCTION_HINT.search(text) and _INSTRUCTION.search(text):
        return "an instruction of the template"
    if _POINTER.match(text) and _LINKED.search(entry.body) and len(text.split()) <= 12:
        return "a pointer to a link, not work to do"
    if _NOTHING_YET.match(text):
        return "it says there is nothing to do yet"
    hint = "no " in entry.body or "No " in entry.body or "othing" in entry.body
    if hint and _NO_ACTION.search(plain_text(entry.body)):
        return "it says no action is needed"
    return None


def _may_hold_placeholder(text: str) -> bool:
    """Every `_PLACEHOLDER` opens with one of these: most items skip the substitution."""
    return "{" in text or "<" in text or "[" in text


def _bounded(entry: Entry, warnings: list[ParseWarning]) -> Entry:
    if len(entry.body) <= MAX_ITEM_TEXT:
        return entry
    warnings.append(
        ParseWarning(entry.line, f"item text longer than {MAX_ITEM_TEXT:,} characters: cut")
    )
    return dataclasses.replace(entry, body=entry.body[:MAX_ITEM_TEXT] + " …")


def _item(
    entry: Entry,
    kind: Section,
    key: str,
    title: str,
    due: date | None,
    owner: str | None,
    name: str,
) -> ActionItem:
    owner = owner or find_owner(plain_text(entry.body)) or entry.team
    priority = entry.priority or find_priority(entry.body)
    placed, mentioned = split_links(entry.body)
    links = tuple(dict.fromkeys((*entry.links, *placed)))
    return ActionItem(
        id=key,
        title=title,
        body=entry.body,
        section=kind,
        line=entry.line,
        due=due,
        owner=owner,
        priority=priority,
        done=entry.done or bool(_DONE_MARK.search(entry.head)),
        links=links,
        references=tuple(r for r in mentioned if r not in links),
        content_hash=content_hash(title, entry.body, due, owner, priority),
        rule=entry.rule,
        name=name,
    )


def _due(entry: Entry, incident: date | None, warnings: list[ParseWarning]) -> date | None:
    """The due date written for the entry; a problem with it becomes a warning."""
    if entry.due_text:
        value, problem = parse_due(entry.due_text, incident)
        line = entry.line
    else:
        found = find_due(entry.body, incident)
        if found is None:
            return None
        value, problem = found.value, found.problem
        line = entry.line + entry.body[: found.offset].count("\n")
    if problem:
        warnings.append(ParseWarning(line, problem))
    return value

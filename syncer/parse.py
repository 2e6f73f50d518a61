"""Postmortem Markdown → `Postmortem`: its sections, action items and their fields.

Pure: takes the decoded text, returns values; never reads a file.

How items are found
-------------------
1. Front matter (YAML between ``---`` lines at the top) is read, then blanked out line for
   line so that every line number stays the source's.
2. `parse_blocks` turns the Markdown into headings and item candidates (see there for the
   tolerant layer: ``#Tasks:``, bold-only and plain pseudo-heading lines, indented text).
3. Sections: a heading — Markdown, bold line, or plain line — whose text is a section
   synonym opens one. It ends at the next heading of the same or a higher rank that is
   not a synonym. Deeper headings inside are categories; synonym sub-headings stay inside
   and set the kind of what follows ("Tasks" → ``tasks``).
4. In each heading's block of a section: list items, table rows and HTML list items are
   the items, and the block's paragraphs are intro or closing prose. A block without them
   takes its plain lines or paragraphs as items — unless deeper sub-headings follow (then
   its text introduces them). A Markdown heading with nothing under it is itself an item.
   When most plain-line entries of a block read "Label: text", the lines that do not are
   prose ("In conclusion, …"), not items.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml

from pmsync.dates import as_date, find_due, full_dates, parse_date
from pmsync.identity import content_hash, document_key, item_id, normalize_text
from pmsync.lines import split_lines
from pmsync.links import find_links
from pmsync.model import ActionItem, ParseWarning, Postmortem, Section
from pmsync.parse_blocks import Heading, Items, Lines, Node, build_nodes, prepass
from pmsync.parse_region import first_heading, parse_start
from pmsync.parse_text import (
    Entry,
    find_owner,
    find_priority,
    has_label_lead,
    item_title,
    plain_text,
)

DEFAULT_TASKS = (
    "tasks", "task list", "todo", "to do", "action items", "action item", "action points",
    "follow-ups", "follow-up items", "follow up", "next steps",
)  # fmt: skip
DEFAULT_CORRECTIVE = (
    "corrective and preventative measures", "corrective and preventive measures",
    "corrective", "preventative", "preventive", "improvements", "fixes",
    "remediation", "remediations", "prevention",
)  # fmt: skip
_LOOSE_MAX_WORDS = 8
# An item's text past this is cut (with a warning): GitHub refuses issue bodies over
# 65,536 characters, and a huge item is a pasted log or a runaway nested list.
MAX_ITEM_TEXT = 20_000
# markdown-it stops at 20 levels of block nesting and swallows the rest of the document
# into the deepest one, so one runaway nested list would hide every item after it (and a
# prune would close their issues). Deeper list markers and quotes are flattened to these.
MAX_LIST_INDENT = 12  # columns: 7 list levels at 2 spaces
MAX_QUOTES = 4
_QUOTES = re.compile(r"^(?:[ \t]*>)+")
_LIST_INDENT = re.compile(r"^[ \t]+(?=(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$))")
_NUMBERING = re.compile(r"^\s*(?:\d{1,3}|[a-hA-H]|[ivxIVX]{1,4})[.)]\s+")
# `(?<!\s)\s+`: whitespace is consumed from the start of its run only (linear).
_PARTS = re.compile(r"(?:(?<!\s)\s+)?(?:/|&|\+|,|\band\b)\s*", re.IGNORECASE)
_ATX = re.compile(r"^ {0,3}#{1,6}\s+(.+?)(?:\s+#+)?\s*$")
_BOLD_TITLE = re.compile(r"^(\*\*|__)([^*_\n]+?)\1\s*$")
_SETEXT = re.compile(r"^ {0,3}(?:=+|-+)\s*$")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
# Lines holding a year (a full date needs one), and those naming the incident's time.
_DATED_LINE = re.compile(r"(?m)^.*\b(?:19|20)\d\d\b.*$")
_INCIDENT_LINE = re.compile(
    r"(?im)^.*\b(?:duration|start(?:ed)?|began|date|occurred)\b.*\b(?:19|20)\d\d\b.*$"
)


@dataclass(frozen=True)
class SectionSynonyms:
    """Heading texts that open an action section, matched case-insensitively."""

    tasks: tuple[str, ...] = DEFAULT_TASKS
    corrective: tuple[str, ...] = DEFAULT_CORRECTIVE

    def kind(self, text: str, loose: bool) -> Section | None:
        """The section a heading opens: the text is a synonym (or synonyms joined by "/",
        "&", "and"); `loose`: a short heading containing a synonym also counts."""
        return _kind(self, text, loose)


@functools.lru_cache(maxsize=16)
def _phrases(synonyms: SectionSynonyms) -> tuple[frozenset[str], frozenset[str]]:
    return (
        frozenset(normalize_text(s) for s in synonyms.tasks),
        frozenset(normalize_text(s) for s in synonyms.corrective),
    )


@functools.lru_cache(maxsize=8192)  # heading texts repeat across postmortems
def _kind(synonyms: SectionSynonyms, text: str, loose: bool) -> Section | None:
    tasks, corrective = _phrases(synonyms)
    text = _NUMBERING.sub("", text)
    norm = normalize_text(text)
    if not norm:
        return None
    for kind, phrases in (("tasks", tasks), ("corrective", corrective)):
        if norm in phrases:
            return kind  # type: ignore[return-value]
    parts = [p for p in (normalize_text(part) for part in _PARTS.split(text)) if p]
    if parts and all(part in tasks or part in corrective for part in parts):
        return "tasks" if parts[0] in tasks else "corrective"
    if loose and len(norm.split()) <= _LOOSE_MAX_WORDS:
        padded = f" {norm} "
        for kind, phrases in (("tasks", tasks), ("corrective", corrective)):
            if any(f" {phrase} " in padded for phrase in phrases):
                return kind  # type: ignore[return-value]
    return None


def parse_postmortem(
    text: str, path: str, *, synonyms: SectionSynonyms | None = None
) -> Postmortem:
    """Parse one postmortem. Never raises on any text: problems become warnings."""
    synonyms = synonyms or SectionSynonyms()
    lines = split_lines(text.lstrip("\ufeff"))
    front_matter, lines, warnings = _front_matter(lines)
    lines = [_bounded_depth(line) if line[:1] in " \t>" else line for line in lines]
    title_line = next((i + 1 for i, line in enumerate(lines) if line.strip()), 0)
    start = parse_start(lines, synonyms.tasks + synonyms.corrective)
    nodes = build_nodes(prepass("\n".join(lines[start:])), synonyms.kind, title_line, start)
    title = _doc_title(front_matter, lines, title_line)
    incident = _incident_date(front_matter, lines)
    key = document_key(front_matter, title, incident, path)
    pairs = _section_entries(_blocks(nodes, synonyms))
    items = _items(pairs, key, incident, warnings)
    return Postmortem(
        path=path,
        key=key,
        title=title,
        incident_date=incident,
        items=tuple(items),
        warnings=tuple(warnings),
        front_matter=front_matter,
    )


def _bounded_depth(line: str) -> str:
    """The line with a quote or list nesting deeper than the limits flattened to them."""
    quotes = _QUOTES.match(line)
    if quotes and quotes.group().count(">") > MAX_QUOTES:
        line = "> " * MAX_QUOTES + line[quotes.end() :].lstrip()
    indent = _LIST_INDENT.match(line)
    if indent and len(indent.group().expandtabs(4)) > MAX_LIST_INDENT:
        line = " " * MAX_LIST_INDENT + line[indent.end() :]
    return line


# -- front matter, title, incident date -------------------------------------------------


def _front_matter(lines: list[str]) -> tuple[dict[str, Any], list[str], list[ParseWarning]]:
    if not lines or lines[0].strip() != "---":
        return {}, lines, []
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        return {}, lines, []
    blanked = [""] * (end + 1) + lines[end + 1 :]
    try:
        data = yaml.safe_load("\n".join(lines[1:end]))
    except Exception as exc:  # any text may reach the YAML parser: report, never raise
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or type(exc).__name__
        return {}, blanked, [ParseWarning(line, f"invalid front matter: {problem}")]
    if data is None:
        return {}, blanked, []
    if not isinstance(data, dict):
        return {}, lines, [ParseWarning(1, "front matter is not a mapping; ignored")]
    return {str(k): v for k, v in data.items()}, blanked, []


def _doc_title(front_matter: dict[str, Any], lines: list[str], title_line: int) -> str | None:
    """Front matter title, else the first line as a heading or bold line, else the first
    Markdown heading."""
    if front_matter.get("title") not in (None, ""):
        return str(front_matter["title"]).strip()
    first = lines[title_line - 1] if title_line else ""
    atx = _ATX.match(first) or _ATX.match(prepass(first))
    bold = _BOLD_TITLE.match(first.strip())
    setext = title_line < len(lines) and _SETEXT.match(lines[title_line])
    found = atx[1] if atx else bold[2] if bold else first if setext else None
    if found is None:
        found = first_heading(lines)
    return plain_text(found) or None if found else None


def _incident_date(front_matter: dict[str, Any], lines: list[str]) -> date | None:
    """Front matter `date`, else a date on a "Duration"/"Start"/"Date" line, else the
    first date written in the document."""
    explicit = as_date(front_matter.get("date"))
    if explicit:
        return explicit
    text = "\n".join(lines)
    for match in _INCIDENT_LINE.finditer(text):
        found = next(full_dates(match.group(0)), None)
        if found:
            return found
    return next((d for match in _DATED_LINE.finditer(text) for d in full_dates(match[0])), None)


# -- sections ---------------------------------------------------------------------------


@dataclass
class _Block:
    """A heading of a section and what stands under it until the next heading."""

    heading: Heading
    kind: Section
    section: int
    category: bool = False
    nodes: list[Node] = field(default_factory=list)


def _blocks(nodes: Iterable[Node], synonyms: SectionSynonyms) -> list[_Block]:
    blocks: list[_Block] = []
    rank: int | None = None  # rank of the open section's heading
    section = 0
    for node in nodes:
        if not isinstance(node, Heading):
            if rank is not None:
                blocks[-1].nodes.append(node)
            continue
        # A plain line opens a section only when it is exactly a synonym.
        kind = synonyms.kind(node.text, loose=rank is not None or node.style != "plain")
        if rank is None:
            if kind and node.style != "bullet":  # a category bullet never opens a section
                section, rank = section + 1, node.rank
                blocks.append(_Block(node, kind, section))
        elif kind:
            rank = min(rank, node.rank)
            blocks.append(_Block(node, kind, section))
        elif node.rank > rank:
            blocks.append(_Block(node, blocks[-1].kind, section, category=True))
        else:
            rank = None
    return blocks


def _section_entries(blocks: list[_Block]) -> list[tuple[Entry, Section]]:
    pairs: list[tuple[Entry, Section]] = []
    for i, block in enumerate(blocks):
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        has_children = bool(
            following
            and following.section == block.section
            and following.heading.rank > block.heading.rank
        )
        pairs.extend((entry, block.kind) for entry in _block_entries(block, has_children))
    return pairs


def _block_entries(block: _Block, has_children: bool) -> list[Entry]:
    if any(isinstance(node, Items) for node in block.nodes):
        return [e for node in block.nodes if isinstance(node, Items) for e in node.entries]
    if has_children:
        return []  # text introducing the sub-headings that follow
    lines = [e for node in block.nodes if isinstance(node, Lines) for e in node.entries]
    if not lines:
        stands_alone = block.category and block.heading.style == "atx" and not block.nodes
        return [_heading_entry(block.heading)] if stands_alone else []
    labelled = [entry for entry in lines if has_label_lead(entry.head)]
    if len(labelled) >= 2 and 3 * len(labelled) >= 2 * len(lines):
        return labelled  # the other lines are prose around "Label: text" entries
    if len(lines) == 1 and block.kind == "tasks":
        return _glued_tasks(lines[0])
    return lines


def _glued_tasks(entry: Entry) -> list[Entry]:
    """A tasks block holding one line of three or more full sentences lists one task a
    sentence ("Implement a patch for X. Enhance Y. Document Z.")."""
    if "\n" in entry.body:
        return [entry]
    sentences = [s.strip() for s in _SENTENCE.split(entry.body) if s.strip()]
    full = all(s[:1].isupper() and len(s.split()) >= 4 for s in sentences)
    if len(sentences) < 3 or not full:
        return [entry]
    return [Entry(entry.line, sentence, sentence) for sentence in sentences]


def _heading_entry(heading: Heading) -> Entry:
    return Entry(heading.line, heading.text, heading.text)


# -- items ------------------------------------------------------------------------------


def _items(
    pairs: list[tuple[Entry, Section]],
    doc_key: str,
    incident: date | None,
    warnings: list[ParseWarning],
) -> list[ActionItem]:
    items: list[ActionItem] = []
    seen: Counter[str] = Counter()  # normalized title -> occurrences so far
    for entry, kind in pairs:
        title = item_title(entry.head) or item_title(plain_text(entry.body))
        normalized = normalize_text(title)
        if normalized:
            seen[normalized] += 1
            item_key = item_id(doc_key, title, seen[normalized])
            entry = _bounded(entry, warnings)
            items.append(_item(entry, kind, item_key, title, _due(entry, incident, warnings)))
        elif shown := (title.strip() or plain_text(entry.body).strip()):
            warnings.append(ParseWarning(entry.line, f"item {shown[:40]!r} has no words "
                                         "(only symbols or emoji): not tracked"))  # fmt: skip
    return items


def _bounded(entry: Entry, warnings: list[ParseWarning]) -> Entry:
    if len(entry.body) <= MAX_ITEM_TEXT:
        return entry
    warnings.append(
        ParseWarning(entry.line, f"item text longer than {MAX_ITEM_TEXT:,} characters: cut")
    )
    return dataclasses.replace(entry, body=entry.body[:MAX_ITEM_TEXT] + " …")


def _item(entry: Entry, kind: Section, key: str, title: str, due: date | None) -> ActionItem:
    owner = entry.owner or find_owner(entry.body)
    priority = entry.priority or find_priority(entry.body)
    return ActionItem(
        id=key,
        title=title,
        body=entry.body,
        section=kind,
        line=entry.line,
        due=due,
        owner=owner,
        priority=priority,
        done=entry.done,
        links=tuple(dict.fromkeys((*entry.links, *find_links(entry.body)))),
        content_hash=content_hash(title, entry.body, due, owner, priority),
    )


def _due(entry: Entry, incident: date | None, warnings: list[ParseWarning]) -> date | None:
    """The due date written for the entry; a problem with it becomes a warning."""
    if entry.due_text:
        value, problem = parse_date(entry.due_text, incident)
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

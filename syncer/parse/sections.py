"""Action sections: which headings open and close them, and which entries each holds.

A heading whose text is a section synonym opens a section (or a table whose header row
names an action column, with no heading at all). It ends at the next heading of the same
or a higher rank that is not a synonym, or at a closing heading at any rank
("Conclusion", "Summary", "Appendix", "Lessons learned"). Deeper headings inside are
categories; synonym sub-headings stay inside and set the kind of what follows.

In each block (a heading and what stands under it): list items, table rows and HTML list
items are the items, and its paragraphs are prose — except a legend (a list defining
short terms before a table). A block without them takes its plain lines or paragraphs —
unless deeper sub-headings follow (then its text introduces them). A Markdown heading
with nothing under it is itself an item. When most plain lines read "Label: text", the
others are prose. One line of three or more full sentences in a tasks block is one task a
sentence.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from pmsync.model import Section
from pmsync.parse.nodes import Heading, Items, KindOf, Lines, Node, closes_section
from pmsync.parse.owners import opens_with_verb, team_name
from pmsync.parse.text import Entry, has_label_lead, plain_text

_LEGEND_ENTRY = re.compile(r"^\S+(?:\s\S+)?\s*(?:[–—=]|-\s|:)\s*\S")
_PAST_VERB = re.compile(
    r"^\W*(?:[A-Za-z]{2,}ed|ran|made|took|set|put|built|wrote|sent|shut|spun|led|kept)\b"
)
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+\S")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


@dataclass
class Block:
    """A heading of a section and what stands under it until the next heading."""

    heading: Heading
    kind: Section
    section: int
    category: bool = False
    nodes: list[Node] = field(default_factory=list)
    end: Heading | None = None  # the heading that closed the section after this block


def section_blocks(nodes: Iterable[Node], kind_of: KindOf) -> list[Block]:
    """The headings of action sections, each with what stands under it."""
    blocks: list[Block] = []
    rank: int | None = None  # rank of the open section's heading
    section = 0
    for node in nodes:
        if not isinstance(node, Heading):
            if rank is not None:
                blocks[-1].nodes.append(node)
            elif isinstance(node, Items) and node.actions:  # its header row says what it is
                section += 1
                blocks.append(Block(Heading(99, "", 0, "plain"), "tasks", section, nodes=[node]))
            continue
        # A plain line opens a section only when it is exactly a synonym.
        kind = kind_of(node.text, rank is not None or node.style != "plain")
        if rank is not None and not kind and closes_section(node.text):
            rank, blocks[-1].end = None, node  # "Conclusion": the section ends at any rank
            continue
        if rank is None:
            if kind:
                section, rank = section + 1, node.rank
                blocks.append(Block(node, kind, section))
        elif kind:
            rank = min(rank, node.rank)
            blocks.append(Block(node, kind, section))
        elif node.rank > rank:
            blocks.append(Block(node, blocks[-1].kind, section, category=True))
        else:
            rank, blocks[-1].end = None, node
    return blocks


def _response_record(block: Block, entries: list[Entry]) -> bool:
    """A "Mitigation" block that records what was done ("Rolled back the deploy",
    "Restarted the nodes"): most entries open with a verb in the past tense."""
    if plain_text(block.heading.text).casefold().rstrip("s") != "mitigation" or not entries:
        return False
    past = sum(1 for entry in entries if _PAST_VERB.match(plain_text(entry.head)))
    return 2 * past > len(entries)


def block_entries(blocks: list[Block]) -> Iterator[tuple[Block, list[Entry], str]]:
    """Each block with the entries it holds (see the module docstring), and why its other
    lines are not entries."""
    for i, block in enumerate(blocks):
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        has_children = bool(
            following
            and following.section == block.section
            and following.heading.rank > block.heading.rank
            and (following.category or not _action_lines(block))
        )
        entries = _block_entries(block, has_children)
        if block.category and (team := team_name(block.heading.text)) is not None:
            entries = [dataclasses.replace(entry, team=team) for entry in entries]
        if _response_record(block, entries):
            yield block, [], "what was done during the incident (verbs in the past tense)"
        else:
            yield block, entries, _why_not(block, has_children)


def _action_lines(block: Block) -> bool:
    """Lines that are the block's own items, not text introducing the deeper headings
    that follow: most of them open with a verb ("#Tasks:" then "Add jitter to TTLs", then
    "## Improvements/Fixes")."""
    lines = _lines(block)
    verbs = sum(1 for entry in lines if opens_with_verb(entry.head))
    return len(lines) >= 2 and 2 * verbs >= len(lines)


def _lines(block: Block) -> list[Entry]:
    """The entries of the block's plain lines and paragraphs."""
    return [entry for node in block.nodes if isinstance(node, Lines) for entry in node.entries]


def _block_entries(block: Block, has_children: bool) -> list[Entry]:
    if any(isinstance(node, Items) for node in block.nodes):
        lists = _without_legends([node for node in block.nodes if isinstance(node, Items)])
        return [e for node in lists for e in node.entries]
    if has_children:
        return []  # text introducing the sub-headings that follow
    lines = _lines(block)
    if not lines:
        stands_alone = block.category and block.heading.style == "atx" and not block.nodes
        return [_heading_entry(block.heading)] if stands_alone else []
    if block.category and _names_an_action(block.heading):
        return [_heading_entry(block.heading, lines)]  # "### 1. Improve alerting" + prose
    labelled = [entry for entry in lines if has_label_lead(entry.head)]
    if len(labelled) >= 2 and 3 * len(labelled) >= 2 * len(lines):
        # the other lines are prose around "Label: text" entries
        return [dataclasses.replace(entry, rule="'Label: text' line") for entry in labelled]
    if len(lines) == 1:
        return _glued_tasks(lines[0])
    return lines


def _why_not(block: Block, has_children: bool) -> str:
    """Why a line of the block that is in no entry was not taken."""
    if any(isinstance(node, Items) for node in block.nodes):
        return "prose or a legend beside this block's list or table (only their items count)"
    if has_children:
        return "text introducing the sub-headings below"
    lines = _lines(block)
    if sum(1 for entry in lines if has_label_lead(entry.head)) >= 2:
        return "not a 'Label: text' line, unlike most lines of this block"
    return "part of the entry above, or an intro (ends with ':'), a question or a prompt"


def _without_legends(lists: list[Items]) -> list[Items]:
    """The lists but a legend: a list before a table whose entries all define a short term
    ("P0 – fix this week", "Prevent: stops a repeat")."""
    tables = [i for i, node in enumerate(lists) if node.source == "table"]
    if not tables:
        return lists
    return [
        node
        for i, node in enumerate(lists)
        if node.source == "table" or i > tables[-1] or not _is_legend(node.entries)
    ]


def _is_legend(entries: tuple[Entry, ...]) -> bool:
    return bool(entries) and all(_LEGEND_ENTRY.match(plain_text(e.head)) for e in entries)


def _glued_tasks(entry: Entry) -> list[Entry]:
    """A block holding one line or paragraph of three or more full sentences lists one
    measure a sentence ("Implement a patch for X. Enhance Y. Document Z.")."""
    text = " ".join(entry.body.split())
    sentences = [s.strip() for s in _SENTENCE.split(text) if s.strip()]
    full = all(s[:1].isupper() and len(s.split()) >= 4 for s in sentences)
    if len(sentences) < 3 or not full:
        return [entry]
    rule = "sentence of a paragraph"
    return [Entry(entry.line, sentence, sentence, rule=rule) for sentence in sentences]


def _heading_entry(heading: Heading, prose: list[Entry] | None = None) -> Entry:
    if not prose:
        return Entry(heading.line, heading.text, heading.text, rule="heading with nothing under it")
    body = "\n\n".join([heading.text, *(entry.body for entry in prose)])
    return Entry(heading.line, heading.text, body, rule="heading naming an action, prose under it")


def _names_an_action(heading: Heading) -> bool:
    """A sub-heading that is an item rather than a category: numbered ("### 2. Add
    circuit breakers") or opening with a verb ("### Improve alerting")."""
    return heading.style == "atx" and (
        bool(_NUMBERED.match(heading.text)) or opens_with_verb(heading.text)
    )

"""`pmsync parse --explain`: why each line of an action section was or was not taken.

For each section: the heading that opened it and what closed it; for each item, the rule
that took it ("list item", "table row", "plain line", "sentence of a paragraph"…); for
each other line of the section, why it is not an item. Pure: text in, notes out.
"""

from __future__ import annotations

from dataclasses import dataclass

from pmsync.model import ActionItem
from pmsync.parse.items import not_an_item
from pmsync.parse.postmortem import SectionSynonyms, document_nodes, parse_postmortem
from pmsync.parse.sections import Block, block_entries, section_blocks
from pmsync.parse.text import Entry, plain_text

# Rules that take text without list or table structure: a reviewer should look at their
# items before the first push (`pmsync check` warns about them).
WEAK_RULES = frozenset({"plain line", "paragraph", "sentence of a paragraph", "HTML paragraph"})


@dataclass(frozen=True)
class Note:
    line: int
    text: str

    def to_json(self) -> dict[str, object]:
        return {"line": self.line, "note": self.text}


def explain_postmortem(text: str, path: str, synonyms: SectionSynonyms | None = None) -> list[Note]:
    """Notes on every section of the document, in line order."""
    synonyms = synonyms or SectionSynonyms()
    items: dict[int, list[ActionItem]] = {}
    for item in parse_postmortem(text, path, synonyms=synonyms).items:
        items.setdefault(item.line, []).append(item)
    blocks = section_blocks(document_nodes(text, path, synonyms), synonyms.kind)
    source = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    notes: list[Note] = []
    entries = list(block_entries(blocks))
    for index, (block, taken, why) in enumerate(entries):
        following = entries[index + 1][0] if index + 1 < len(entries) else None
        notes.append(_heading_note(block, taken))
        notes.extend(_entry_note(entry, _pop(items, entry)) for entry in taken)
        covered = {line for entry in taken for line in _span(entry)}
        for line in _block_lines(block, following, taken, len(source)):
            if line not in covered and plain_text(source[line - 1]).strip():  # not "</ul>"
                table = source[line - 1].lstrip().startswith("|")
                notes.append(Note(line, "a table's header row" if table else f"not taken: {why}"))
        if block.end is not None:
            notes.append(Note(block.end.line, f"section ends at '{block.end.text}'"))
    if not blocks:
        notes.append(Note(1, "no action section: no heading names one (see the README)"))
    return sorted(notes, key=lambda note: note.line)


def _heading_note(block: Block, taken: list[Entry]) -> Note:
    if not block.heading.text:
        line = min((entry.line for entry in taken), default=1) - 1
        return Note(max(line, 1), "table of actions: its header row names an action column")
    role = "category of the section" if block.category else f"{block.kind} section"
    return Note(block.heading.line, f"{role} '{block.heading.text}' ({block.heading.style})")


def _entry_note(entry: Entry, item: ActionItem | None) -> Note:
    if item is not None:
        weak = " (weak rule: review it)" if entry.rule in WEAK_RULES else ""
        return Note(entry.line, f"item '{item.title}': {entry.rule}{weak}{_refs(item)}")
    reason = not_an_item(entry) or "no title could be read from it"
    return Note(entry.line, f"not an item ({entry.rule}): {reason}")


def _refs(item: ActionItem) -> str:
    """Its issue links: adopted ones (in an issue position) and mere references."""
    parts = [f"its issue {', '.join(item.links)}"] if item.links else []
    if item.references:
        parts.append(f"references {', '.join(item.references)} (not its issue)")
    return f"; {'; '.join(parts)}" if parts else ""


def _pop(items: dict[int, list[ActionItem]], entry: Entry) -> ActionItem | None:
    """The item made from the entry (several sentences of one line: in order)."""
    if not_an_item(entry) is not None:
        return None
    found = items.get(entry.line)
    return found.pop(0) if found else None


def _span(entry: Entry) -> range:
    return range(entry.line, entry.line + entry.body.count("\n") + 1)


def _block_lines(block: Block, following: Block | None, taken: list[Entry], last: int) -> range:
    """The source lines under the block's heading, up to the next block or the end."""
    if not block.heading.line:  # a table found by its header row: its rows only
        return range(0)
    start = block.heading.line + 1
    ends = [last + 1]
    if block.end is not None:
        ends.append(block.end.line)
    if following is not None and following.heading.line > start:
        ends.append(following.heading.line)
    return range(start, min(ends))

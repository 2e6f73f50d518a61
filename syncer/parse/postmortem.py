"""Postmortem (Markdown or HTML) → `Postmortem`: its sections, action items and fields.

Pure: takes the decoded text, returns values; never reads a file.

How items are found
-------------------
1. Front matter (YAML between ``---`` lines at the top) is read, then blanked out line for
   line so that every line number stays the source's.
2. `parse_blocks` turns the Markdown into headings and item candidates (see there for the
   tolerant layer: ``#Tasks:``, bold-only and plain pseudo-heading lines, indented text);
   `parse_html` does the same for HTML documents and HTML blocks.
3. `parse_sections` finds the action sections and the entries of each block: a heading
   whose text is a section synonym (`SectionSynonyms.kind`, below) opens one.
4. `parse_items` turns entries into items: title, owner (`parse_owners`), due date
   (`dates`), priority, state; and drops what is not an item (placeholders, pointers,
   template instructions).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from pmsync.lines import split_lines
from pmsync.model import ParseWarning, Postmortem, Section
from pmsync.parse.blocks import build_nodes, prepass
from pmsync.parse.dates import as_date, full_dates
from pmsync.parse.front_matter import read_front_matter
from pmsync.parse.items import MAX_ITEM_TEXT as MAX_ITEM_TEXT  # re-exported
from pmsync.parse.items import build_items
from pmsync.parse.nodes import Node
from pmsync.parse.owners import organisations_of
from pmsync.parse.region import first_heading, parse_start
from pmsync.parse.sections import block_entries, section_blocks
from pmsync.parse.summary import find_summary
from pmsync.parse.text import plain_text
from pmsync.plan.identity import document_key, normalize_text

DEFAULT_TASKS = (
    "tasks", "task list", "todo", "to do", "action items", "action item", "action points",
    "follow-ups", "follow-up items", "follow up", "next steps", "actions", "future work",
    "open actions", "todos", "going forward", "action plan",
)  # fmt: skip
DEFAULT_CORRECTIVE = (
    "corrective and preventative measures", "corrective and preventive measures",
    "corrective", "preventative", "preventive", "improvements", "fixes",
    "remediation", "remediations", "prevention", "recommendations", "long term solution",
    "long term solutions", "long term fixes", "long term fix", "mitigations", "mitigation",
)  # fmt: skip
# Headings that say the work is past or part of the response, not follow-up work ("Actions
# taken", "Immediate fixes", "Steps performed"), or that it is not work ("Follow-up
# questions"). They never open a section by a synonym.
_PAST_WORK = re.compile(
    r"\b(?:taken|performed|completed|immediate|during|so far|already|questions?)\b",
    re.IGNORECASE,
)
# Synonyms that open a section only when they are the whole heading: "Mitigation" is
# follow-up work, "Mitigation of the outage at 10:40" is the response.
_EXACT_ONLY = frozenset({"mitigation", "mitigations"})
# A heading asking what will be done ("What are we doing about it?", "How will we prevent
# this?") or naming the time after the incident ("The following 2 weeks", "Next 30 days").
_FUTURE_QUESTION = re.compile(
    r"^(?:what|how)\b.*\b(?:doing|going to|will|we ll|are we|can we do|prevent|avoid|change"
    r"|differently)\b"
    r"(?!.*\bwent\b)",
    re.IGNORECASE,
)
# The same said as a statement: "What we'll do differently", "How we will prevent this"
# (matched on the heading's words: "we'll" is "we ll").
_FUTURE_STATEMENT = re.compile(
    r"^(?:what|how)\s+we\s+(?:ll|will|are\s+(?:doing|going\s+to|changing)"
    r"|re\s+(?:doing|changing)|plan\s+to)\b",
    re.IGNORECASE,
)
_FOLLOWING_TIME = re.compile(
    r"^(?:the\s+)?(?:following|next|coming)\s+(?:\d+|few|two|three|four|six|several)?\s*"
    r"(?:days|weeks|months|sprints?|quarters?)$",
    re.IGNORECASE,
)
_LOOSE_MAX_WORDS = 8
# With `max_items`, the Markdown is tokenized from the action section on for this many
# lines at most: room for every item to take several lines, while a generated file of
# 400,000 items costs time and memory in proportion to the limit, not to its size.
LINES_PER_ITEM = 10
LINES_SLACK = 10_000
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
_HTML_START = re.compile(r"\s*(?:<!doctype\s+html|<html[\s>])", re.IGNORECASE)
# Lines holding a year (a full date needs one), and those naming the incident's time.
INCIDENT_DATE_SCAN = 200_000  # characters
# No `\b` in front: a pattern opening with its digits lets the regex engine skip ahead to
# a "1" or a "2" (four times faster on a long log); the boundary before is checked by hand.
_YEAR = re.compile(r"(?:19|20)\d\d\b")
_WORD_CHAR = re.compile(r"\w")
_INCIDENT_LINE = re.compile(
    r"(?i).*\b(?:duration|start(?:ed)?|began|date|occurred)\b.*\b(?:19|20)\d\d\b"
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
    if _PAST_WORK.search(norm):
        return None
    asks = text.rstrip().endswith("?") and _FUTURE_QUESTION.match(norm)
    if asks or _FUTURE_STATEMENT.match(norm) or _FOLLOWING_TIME.match(norm):
        return "tasks"
    parts = [p for p in (normalize_text(part) for part in _PARTS.split(text)) if p]
    if parts and all(part in tasks or part in corrective for part in parts):
        return "tasks" if parts[0] in tasks else "corrective"
    if loose and len(norm.split()) <= _LOOSE_MAX_WORDS:
        padded = f" {norm} "
        for kind, phrases in (("tasks", tasks), ("corrective", corrective)):
            if any(f" {phrase} " in padded for phrase in phrases - _EXACT_ONLY):
                return kind  # type: ignore[return-value]
    return None


def parse_postmortem(
    text: str,
    path: str,
    *,
    synonyms: SectionSynonyms | None = None,
    max_items: int | None = None,
) -> Postmortem:
    """Parse one postmortem (Markdown, or HTML: see `is_html`). Never raises on any text:
    problems become warnings. Past `max_items` items (and one more, so a caller can tell)
    collection stops."""
    synonyms = synonyms or SectionSynonyms()
    window = None if max_items is None else LINES_PER_ITEM * (max_items + 1) + LINES_SLACK
    front_matter, warnings, title, lines, nodes, whole = _read(text, path, synonyms, window)
    incident = _incident_date(front_matter, lines)
    key = document_key(front_matter, path)
    pairs = (
        (entry, block.kind)
        for block, entries, _ in block_entries(section_blocks(nodes, synonyms.kind))
        for entry in entries
    )
    items = build_items(pairs, key, incident, warnings, max_items, organisations_of(lines))
    return Postmortem(
        path=path,
        key=key,
        title=title,
        incident_date=incident,
        items=tuple(items),
        warnings=tuple(warnings),
        front_matter=front_matter,
        whole=whole,
        summary=None if is_html(text, path) else find_summary(lines),
    )


def document_nodes(text: str, path: str, synonyms: SectionSynonyms | None = None) -> list[Node]:
    """The headings and item candidates `parse_postmortem` reads (for `parse --explain`)."""
    return _read(text, path, synonyms or SectionSynonyms())[4]


def _read(
    text: str, path: str, synonyms: SectionSynonyms, window: int | None = None
) -> tuple[dict[str, Any], list[ParseWarning], str | None, list[str], list[Node], bool]:
    """(front matter, warnings, title, text lines for dates, nodes, whether the whole
    document was read) of a document; `window`: lines read from the action section on."""
    text = text.lstrip("\ufeff")
    if is_html(text, path):
        title, lines, nodes = _read_html(text, synonyms)
        return {}, [], title, lines, nodes, True
    front_matter, lines, warnings = read_front_matter(split_lines(text))
    title, lines, nodes, end = _read_markdown(front_matter, lines, synonyms, window)
    if end < len(lines):
        problem = f"more than {window:,} lines from the action section on: the rest is not read"
        warnings.append(ParseWarning(end + 1, f"{problem} (parser.max_items)"))
    return front_matter, warnings, title, lines, nodes, end >= len(lines)


def is_html(text: str, path: str) -> bool:
    """An HTML document: named .html/.htm, or starting with a doctype or <html>."""
    if path.lower().endswith((".html", ".htm")):
        return True
    return bool(_HTML_START.match(text[:200]))


def _read_markdown(
    front_matter: dict[str, Any], lines: list[str], synonyms: SectionSynonyms, window: int | None
) -> tuple[str | None, list[str], list[Node], int]:
    """(title, lines, nodes, the index past the last line read)."""
    # ("" in a str is True: a blank line must not count as starting with one of them)
    lines = [_bounded_depth(line) if line and line[0] in " \t>" else line for line in lines]
    title_line = _title_line(lines, synonyms)
    start = parse_start(lines, synonyms.tasks + synonyms.corrective)
    end = len(lines) if window is None else min(len(lines), start + window)
    nodes = build_nodes(prepass("\n".join(lines[start:end])), synonyms.kind, title_line, start)
    return _doc_title(front_matter, lines, title_line), lines, nodes, end


def _read_html(text: str, synonyms: SectionSynonyms) -> tuple[str | None, list[str], list[Node]]:
    from pmsync.parse.html import read_html

    # the HTML parser counts lines at "\n" only
    return read_html("\n".join(split_lines(text)), synonyms.kind)


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


def _title_line(lines: list[str], synonyms: SectionSynonyms) -> int:
    """The first non-blank line (the title), or 0 when it is a Markdown heading naming an
    action section ("## Action items" on top of a document of follow-ups)."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return 0
    atx = _ATX.match(prepass(lines[first]))
    return 0 if atx and synonyms.kind(plain_text(atx[1]), False) else first + 1


def _doc_title(front_matter: dict[str, Any], lines: list[str], title_line: int) -> str | None:
    """Front matter title, else the first line as a heading or bold line, else the first
    Markdown heading."""
    if front_matter.get("title") not in (None, ""):
        return str(front_matter["title"]).strip()
    if not title_line:
        return None  # empty, or its first line opens the action section
    first = lines[title_line - 1]
    atx = _ATX.match(first) or _ATX.match(prepass(first))
    bold = _BOLD_TITLE.match(first.strip())
    setext = title_line < len(lines) and _SETEXT.match(lines[title_line])
    found = atx[1] if atx else bold[2] if bold else first if setext else None
    if found is None:
        found = first_heading(lines)
    return plain_text(found) or None if found else None


def _incident_date(front_matter: dict[str, Any], lines: list[str]) -> date | None:
    """Front matter `date`, else a date on a "Duration"/"Start"/"Date" line, else the
    first date written in the document (its first `INCIDENT_DATE_SCAN` characters)."""
    explicit = as_date(front_matter.get("date"))
    if explicit:
        return explicit
    # The incident's date is written near the top; a pasted log further down must not
    # cost a date search on each of its lines.
    dated: list[str] = []
    for line in _dated_lines("\n".join(lines)[:INCIDENT_DATE_SCAN]):
        found = next(full_dates(line), None) if _INCIDENT_LINE.match(line) else None
        if found:
            return found  # the "Date:" line is near the top: the rest is not scanned
        dated.append(line)
    return next((d for line in dated for d in full_dates(line)), None)


def _dated_lines(text: str) -> Iterator[str]:
    """The lines of `text` holding a year, in order (found from the years: one scan)."""
    end = -1
    for year in _YEAR.finditer(text):
        if year.start() <= end:
            continue  # a second year on a line already given
        if year.start() and _WORD_CHAR.match(text, year.start() - 1):
            continue  # inside a number or a word: "120250", "v2024"
        start = text.rfind("\n", 0, year.start()) + 1
        end = text.find("\n", year.end())
        end = len(text) if end < 0 else end
        yield text[start:end]

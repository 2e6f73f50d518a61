"""Markdown → a flat list of nodes: headings and item candidates, with source lines.

Structure comes from markdown-it-py's block tokens and their `.map` line ranges (inline
parsing is switched off: items are read from their source lines). A small, documented
tolerant layer handles what CommonMark does not see:

* pre-pass: ``#Tasks:`` (no space after the ``#``) is read as a heading;
* paragraph lines: a bold-only line (``**Tasks:**``), a line equal to a section synonym
  ("Corrective and Preventative Measures") or a short ``Label:`` line is a pseudo-heading;
  the other lines are item candidates — one per line, unless the paragraph is wrapped
  prose — and a line indented deeper than the one above continues it;
* an indented code block is plain text indented by its author (real code is fenced), so
  it is read again as Markdown, one level deeper.

The first line of a document is its title, never a section heading.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

from pmsync.identity import strip_writeback
from pmsync.model import Section
from pmsync.parse_tables import column_roles, row_entry
from pmsync.parse_text import Entry, checkbox_state, plain_text, strip_lead_glyphs

KindOf = Callable[[str, bool], "Section | None"]
HeadingStyle = Literal["atx", "bold", "plain", "bullet"]

BOLD_RANK, PLAIN_RANK, BULLET_RANK = 7, 8, 9
NEST = 10  # rank added per level of re-read indented text: always deeper than its section
MAX_DEPTH = 3

MD = MarkdownIt("commonmark").enable("table").disable(["inline", "text_join"])
_NOSPACE_ATX = re.compile(r"^( {0,3}#{1,6})(?=[A-Za-z*_])")
_NOSPACE_ATX_ANYWHERE = re.compile(r"(?m)^ {0,3}#{1,6}[A-Za-z*_]")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_MARKER = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_BOLD_ONLY = re.compile(r"^(\*\*|__)(?P<text>[^*_\n]+?)\1(?P<rest>.*)$")
_PUNCTUATION_ONLY = re.compile(r"^[\s:.^\-–—]*$")
_LIST_OPEN = ("bullet_list_open", "ordered_list_open")
_LI = re.compile(r"<li\b[^>]*>(.*?)(?=</li>|<li\b|</[ou]l>|\Z)", re.DOTALL | re.IGNORECASE)
_HEADING_MAX_CHARS = 100
_ENDS = (".", ":", "!", "?", ")", "**", "__")  # how a line before a pseudo-heading ends
_QUESTION_WORDS = frozenset({"what", "how", "which", "who", "when", "where", "why", "whom"})


@dataclass(frozen=True)
class Heading:
    rank: int  # 1-6 Markdown headings, 7 bold line, 8 plain line, 9 category bullet (+NEST)
    text: str
    line: int
    style: HeadingStyle


class _Entries:
    """Item candidates, read only when a section asks: most of a postmortem is not in one."""

    __slots__ = ("_entries", "_read")

    def __init__(self, read: Callable[[], Iterable[Entry]]) -> None:
        self._read = read
        self._entries: tuple[Entry, ...] | None = None

    @property
    def entries(self) -> tuple[Entry, ...]:
        if self._entries is None:
            self._entries = tuple(self._read())
        return self._entries


class Items(_Entries):
    """Entries from a list, a table or an HTML list: explicit item structure."""


class Lines(_Entries):
    """Entries read from plain paragraph lines."""


@dataclass(frozen=True)
class Other:
    line: int


Node = Heading | Items | Lines | Other


def prepass(text: str) -> str:
    """`#Tasks:` → `# Tasks:` outside fenced code; nothing else changes, line for line."""
    if not _NOSPACE_ATX_ANYWHERE.search(text):
        return text
    out: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        opener = _FENCE.match(line)
        if opener and (fence is None or opener.group(1).startswith(fence)):
            fence = None if fence else opener.group(1)
        elif fence is None and len(line.split()) <= 12:
            line = _NOSPACE_ATX.sub(r"\1 ", line)
        out.append(line)
    return "\n".join(out)


def build_nodes(text: str, kind_of: KindOf, title_line: int, offset: int = 0) -> list[Node]:
    """Nodes of `text`, whose first line is line `offset + 1` of the document."""
    return _Reader(text, kind_of, offset, 0, title_line).nodes()


def _closing(tokens: Sequence[Token]) -> list[int]:
    """For each token, the index of the token that closes it (its own for the others)."""
    closes = list(range(len(tokens)))
    opened: list[int] = []
    for i, token in enumerate(tokens):
        if token.nesting == 1:
            opened.append(i)
        elif token.nesting == -1 and opened:
            closes[opened.pop()] = i
    return closes


def _indent(line: str) -> int:
    return len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())


class _Reader:
    def __init__(self, text: str, kind_of: KindOf, offset: int, depth: int, title_line: int):
        self.lines = text.split("\n")
        self.tokens = MD.parse(text)
        self.closes = _closing(self.tokens)
        self.kind_of = kind_of
        self.offset = offset  # source line of this text's first line, minus one
        self.depth = depth
        self.title_line = title_line

    def nodes(self) -> list[Node]:
        out: list[Node] = []
        tokens, i = self.tokens, 0
        while i < len(tokens):
            out.extend(self._block(i))
            i = self.closes[i] + 1
        return out

    def _block(self, i: int) -> list[Node]:
        token = self.tokens[i]
        if token.type == "heading_open":
            return self._heading(token, self.tokens[i + 1])
        if token.type == "paragraph_open":
            return self._paragraph(*self._map(token))
        if token.type in _LIST_OPEN:
            return self._list(i)
        if token.type == "table_open":
            return [self._table(i)]
        if token.type == "html_block":
            return [self._html(token)]
        if token.type == "code_block" and self.depth < MAX_DEPTH:
            return self._reread(token)
        return [Other(self._line(token))]

    def _map(self, token: Token) -> tuple[int, int]:
        return (token.map[0], token.map[1]) if token.map else (0, 0)

    def _line(self, token: Token) -> int:
        return (token.map[0] if token.map else 0) + 1 + self.offset

    def _rank(self, base: int) -> int:
        return base + NEST * self.depth

    def _heading(self, token: Token, inline: Token) -> list[Node]:
        line = self._line(token)
        if line == self.title_line:
            return [Other(line)]
        # A heading used as an item may carry pmsync's write-back link: not its text.
        text = plain_text(strip_writeback(inline.content))
        return [Heading(self._rank(int(token.tag[1])), text, line, "atx")]

    # -- paragraphs: pseudo-headings and plain-line entries ------------------------------

    def _paragraph(self, start: int, end: int) -> list[Node]:
        out: list[Node] = []
        run: list[int] = []
        for index in range(start, end):
            heading = self._line_heading(index)
            if heading is None:
                run.append(index)
                continue
            out.extend(self._run(run))
            out.append(heading)
            run = []
        out.extend(self._run(run))
        return out

    def _line_heading(self, index: int) -> Heading | None:
        """A bold-only line, or a plain line that is exactly a section synonym."""
        line = index + 1 + self.offset
        text = self.lines[index].strip()
        if line == self.title_line or len(text) > _HEADING_MAX_CHARS:
            return None
        bold = _BOLD_ONLY.match(text)
        if bold and _PUNCTUATION_ONLY.match(re.sub(r"\[[^\]]*\]\([^)]*\)", "", bold["rest"])):
            return Heading(
                self._rank(BOLD_RANK), plain_text(bold["text"]).rstrip(": "), line, "bold"
            )
        if not self._stands_alone(index):
            return None
        label = plain_text(strip_lead_glyphs(text)).rstrip(": ")
        if label and self.kind_of(label, False):
            return Heading(self._rank(PLAIN_RANK), label, line, "plain")
        return None

    def _stands_alone(self, index: int) -> bool:
        """Not the end of a wrapped sentence ("…linked to under / Action items.")."""
        text = self.lines[index].rstrip()
        previous = self.lines[index - 1] if index > 0 else ""
        ended = not previous.strip() or previous.endswith("  ") or previous.rstrip().endswith(_ENDS)
        return not text.endswith((".", ",")) and ended

    def _run(self, run: list[int]) -> list[Node]:
        """Consecutive paragraph lines with no pseudo-heading among them."""
        if not run:
            return []
        groups = self._groups(run)
        if self._wrapped(groups):
            if self.lines[run[-1]].rstrip().endswith(":"):
                return []  # an intro: "To prevent this, the following / will be done:"
            return [Lines(lambda: [self._entry(run, joined=True)])]
        out: list[Node] = []
        entries: list[list[int]] = []
        pending = list(reversed(groups))
        while pending:
            group = pending.pop()
            role = self._line_role(group, single=len(groups) == 1)
            if role == "entry":
                entries.append(group)
            elif role == "heading":
                out.extend(self._lines_node(entries))
                out.append(self._plain_heading(group[0]))
                pending.extend(reversed(self._groups(group[1:])))
                entries = []
        out.extend(self._lines_node(entries))
        return out

    def _lines_node(self, groups: list[list[int]]) -> list[Node]:
        return [Lines(lambda: map(self._entry, groups))] if groups else []

    def _groups(self, indices: list[int]) -> list[list[int]]:
        """Lines grouped with the deeper-indented lines that follow (their continuation)."""
        groups: list[list[int]] = []
        base = 0
        for index in indices:
            width = _indent(self.lines[index])
            if groups and width > base:
                groups[-1].append(index)
            else:
                groups.append([index])
                base = width
        return groups

    def _wrapped(self, groups: list[list[int]]) -> bool:
        """Prose wrapped over lines (most lines go on in lower case), not one entry a line."""
        heads = [strip_lead_glyphs(self.lines[g[0]]).lstrip() for g in groups[1:]]
        going_on = sum(1 for head in heads if head[:1].islower() or head[:1] in "([{,;")
        return bool(heads) and going_on * 2 > len(heads)

    def _line_role(self, group: list[int], single: bool) -> str:
        """ "heading" (short label line or synonym), "skip" (intro or prompt) or "entry"."""
        raw = self.lines[group[0]].rstrip()
        words = raw.split()
        if (
            len(words) > 12
            and not raw.endswith((":", "?"))
            and words[0].lower() not in _QUESTION_WORDS
        ):
            return "entry"  # too long for a heading, not an intro: skip the costly checks
        text = plain_text(strip_lead_glyphs(self.lines[group[0]]))
        core = text.rstrip(": ")
        words = core.split()
        if not any(c.isalpha() for c in core):
            return "skip"
        short = len(words) <= 8 and not core.endswith(".")
        if short and (text.endswith(":") or single) and self.kind_of(core, True):
            return "heading"
        if len(group) > 1:
            return "entry"  # a label with its own continuation lines: an item
        if text.endswith(":"):
            short = len(words) <= 5 and core[:1].isupper()
            return "heading" if short else "skip"  # "Conclusion:" vs "… will be taken:"
        if words[0].casefold() in _QUESTION_WORDS or text.endswith("?"):
            return "skip"  # a template prompt ("what are the things that can be improved")
        return "entry"

    def _plain_heading(self, index: int) -> Heading:
        text = plain_text(strip_lead_glyphs(self.lines[index])).rstrip(": ")
        return Heading(self._rank(PLAIN_RANK), text, index + 1 + self.offset, "plain")

    def _entry(self, group: list[int], joined: bool = False) -> Entry:
        raw = textwrap.dedent("\n".join(self.lines[i] for i in group).expandtabs(4)).strip()
        raw = strip_lead_glyphs(raw)
        done, raw = checkbox_state(raw)
        head = " ".join(raw.split("\n")) if joined else raw.split("\n", 1)[0]
        return Entry(group[0] + 1 + self.offset, head, raw, done=bool(done))

    # -- lists, tables, HTML lists, indented text ----------------------------------------

    def _list(self, start: int) -> list[Node]:
        out: list[Node] = []
        items: list[tuple[Token, str]] = []
        for item in self._children(start, "list_item_open"):
            head, sublist = self._item_parts(item)
            label = _category_label(head) if sublist is not None else None
            if label and self.kind_of(label, True):
                out.extend(self._items_node(items))
                items = []
                line = self._line(self.tokens[item])
                out.append(Heading(self._rank(BULLET_RANK), label, line, "bullet"))
                out.extend(self._list(sublist))  # type: ignore[arg-type]
            else:
                items.append((self.tokens[item], head))
        out.extend(self._items_node(items))
        return out

    def _items_node(self, items: list[tuple[Token, str]]) -> list[Node]:
        return [Items(lambda: (self._list_entry(*item) for item in items))] if items else []

    def _children(self, start: int, kind: str) -> list[int]:
        level = self.tokens[start].level + 1
        end = self.closes[start]
        return [
            j
            for j in range(start + 1, end)
            if self.tokens[j].level == level and self.tokens[j].type == kind
        ]

    def _item_parts(self, item: int) -> tuple[str, int | None]:
        """The item's first paragraph (Markdown) and the index of its first nested list."""
        tokens, level = self.tokens, self.tokens[item].level + 1
        head, sublist = "", None
        for j in range(item + 1, self.closes[item]):
            token = tokens[j]
            if token.level != level:
                continue
            if token.type == "paragraph_open" and not head and sublist is None:
                head = tokens[j + 1].content
            elif token.type in _LIST_OPEN and sublist is None:
                sublist = j
        return head, sublist

    def _list_entry(self, token: Token, head: str) -> Entry:
        start, end = self._map(token)
        raw = self.lines[start:end]
        marker = _MARKER.match(raw[0])
        width = len(marker.group(0).expandtabs(4)) if marker else 0
        first = raw[0][marker.end() :] if marker else raw[0].strip()
        rest = [_dedent(line, width) for line in raw[1:]]
        done, first = checkbox_state(first)
        _, head = checkbox_state(head)
        head = " ".join(strip_writeback(part) for part in head.split("\n"))
        body = "\n".join([first, *rest]).rstrip()
        return Entry(start + 1 + self.offset, head, body, done=bool(done))

    def _table(self, start: int) -> Items:
        header: list[str] = []
        rows: list[tuple[int, list[str]]] = []
        for j in range(start, self.closes[start]):
            token = self.tokens[j]
            if token.type == "tr_open":
                rows.append((self._line(token), []))
            elif token.type == "inline":
                rows[-1][1].append(token.content)
        if rows:
            header = rows.pop(0)[1]

        def read() -> Iterable[Entry]:
            roles = column_roles(header)
            entries = (row_entry(header, roles, cells, line) for line, cells in rows)
            return (entry for entry in entries if entry is not None)

        return Items(read)

    def _html(self, token: Token) -> Node:
        content, line = token.content, self._line(token)
        entries = tuple(
            Entry(line + content[: m.start()].count("\n"), m[1].strip(), m[1].strip())
            for m in _LI.finditer(content)
            if plain_text(m[1])
        )
        return Items(lambda: entries) if entries else Other(line)

    def _reread(self, token: Token) -> list[Node]:
        text = textwrap.dedent(token.content.expandtabs(4))
        start, _ = self._map(token)
        reader = _Reader(text, self.kind_of, self.offset + start, self.depth + 1, self.title_line)
        return reader.nodes()


def _category_label(head: str) -> str | None:
    """ "Tasks" for a bullet that is only a label ("**Tasks:**", "Improvements/Fixes:")."""
    if not head.rstrip().endswith((":", "*", "_")):
        return None  # neither "Label:" nor "**Label**": skip the costly checks
    text = plain_text(head)
    bold = _BOLD_ONLY.match(head.strip())
    if not (text.endswith(":") or (bold and not plain_text(bold["rest"]).strip(": "))):
        return None
    label = text.rstrip(": ")
    return label if 0 < len(label.split()) <= 8 else None


def _dedent(line: str, width: int) -> str:
    expanded = line.expandtabs(4)
    return expanded[min(width, _indent(expanded)) :]

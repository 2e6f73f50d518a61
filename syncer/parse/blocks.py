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
  it is read again as Markdown, one level deeper;
* lists (`parse_lists`): a bullet holding only a label heads what follows it, and a
  numbered line folded into the item above is its own entry;
* HTML blocks are read by `parse_html`.

The first line of a document is its title, never a section heading.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Sequence

from markdown_it.token import Token

from pmsync.parse.html import html_nodes
from pmsync.parse.lists import (
    BOLD_ONLY,
    LIST_OPEN,
    MAX_DEPTH,
    NUMBER,
    ListReader,
    indent,
)
from pmsync.parse.markdown import markdown_parser
from pmsync.parse.nodes import (
    BOLD_RANK,
    PLAIN_RANK,
    Heading,
    Items,
    KindOf,
    Lines,
    Node,
    Other,
    closes_section,
)
from pmsync.parse.tables import column_roles, is_action_header, row_entry
from pmsync.parse.text import Entry, checkbox_state, plain_text, strip_lead_glyphs
from pmsync.plan.identity import strip_writeback

MD = markdown_parser()
_NOSPACE_ATX = re.compile(r"^( {0,3}#{1,6})(?=[A-Za-z*_])")
_NOSPACE_ATX_ANYWHERE = re.compile(r"(?m)^ {0,3}#{1,6}[A-Za-z*_]")
# What every match of the pattern above holds: found by the regex engine skipping ahead to
# a "#", where a multi-line "^" is tried at every position (ten times slower).
_NOSPACE_HINT = re.compile(r"#[A-Za-z*_]")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_PUNCTUATION_ONLY = re.compile(r"^[\s:.^\-–—]*$")
_HTML_BLOCK = re.compile(r"<(?:h[1-6]|p|ul|ol|li|table|tr|div|section)\b", re.IGNORECASE)
_HEADING_MAX_CHARS = 100
_ENDS = (".", ":", "!", "?", ")", "**", "__")  # how a line before a pseudo-heading ends
_QUESTION_WORDS = frozenset({"what", "how", "which", "who", "when", "where", "why", "whom"})


def prepass(text: str) -> str:
    """`#Tasks:` → `# Tasks:` outside fenced code; nothing else changes, line for line."""
    if not _NOSPACE_HINT.search(text) or not _NOSPACE_ATX_ANYWHERE.search(text):
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


class _Reader(ListReader):
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
        if token.type in LIST_OPEN:
            return self._list(i)
        if token.type == "table_open":
            return [self._table(i)]
        if token.type == "html_block":
            return self._html(token)
        if token.type == "code_block" and self.depth < MAX_DEPTH:
            return self._reread(token)
        return [Other(self._line(token))]

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
        bold = BOLD_ONLY.match(text) if text.startswith(("**", "__")) else None
        if bold and _PUNCTUATION_ONLY.match(re.sub(r"\[[^\]]*\]\([^)]*\)", "", bold["rest"])):
            return Heading(
                self._rank(BOLD_RANK), plain_text(bold["text"]).rstrip(": "), line, "bold"
            )
        if not self._stands_alone(index):
            return None
        label = plain_text(strip_lead_glyphs(text)).rstrip(": ")
        if label and (self.kind_of(label, False) or _closing_line(label)):
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
            width = indent(self.lines[index])
            if groups and width > base and not self._next_number(groups[-1][0], index):
                groups[-1].append(index)
            else:
                groups.append([index])
                base = width
        return groups

    def _next_number(self, head: int, index: int) -> bool:
        """The line goes on with the numbering of the group's head ("2, …" then "   3. …"):
        a badly indented sibling, not a continuation."""
        before, after = NUMBER.match(self.lines[head]), NUMBER.match(self.lines[index])
        return bool(before and after and int(after[1]) == int(before[1]) + 1)

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
        rule = "paragraph" if joined else "plain line"
        return Entry(group[0] + 1 + self.offset, head, raw, done=bool(done), rule=rule)

    # -- lists, tables, HTML lists, indented text ----------------------------------------

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

        return Items(read, "table", actions=is_action_header(header))

    def _html(self, token: Token) -> list[Node]:
        """An HTML block (<h2>, <p>, <ul>, <table>…) read by the HTML reader."""
        line = self._line(token)
        if not _HTML_BLOCK.search(token.content):
            return [Other(line)]  # a comment, <br>, <details>: nothing to read
        # CommonMark ends an HTML block only at a blank line: Markdown written right under
        # "<h3>Action items</h3>" belongs to it. Lines after the last tag are Markdown.
        lines = token.content.rstrip("\n").split("\n")
        last = max(i for i, text in enumerate(lines) if "<" in text)
        nodes = html_nodes("\n".join(lines[: last + 1]), self.kind_of, line - 1)
        if last + 1 < len(lines):
            tail = "\n".join(lines[last + 1 :])
            nodes += _Reader(tail, self.kind_of, line + last, self.depth, -1).nodes()
        return [n for n in nodes if not (isinstance(n, Heading) and n.line == self.title_line)]

    def _read_again(self, text: str, offset: int) -> list[Node]:
        return _Reader(text, self.kind_of, offset, self.depth + 1, -1).nodes()

    def _reread(self, token: Token) -> list[Node]:
        text = textwrap.dedent(token.content.expandtabs(4))
        start, _ = self._map(token)
        reader = _Reader(text, self.kind_of, self.offset + start, self.depth + 1, self.title_line)
        return reader.nodes()


def _closing_line(text: str) -> bool:
    """A short standalone line that is a closing heading: "Conclusion", "Summary"."""
    return len(text.split()) <= 3 and closes_section(text)

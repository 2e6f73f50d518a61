"""Markdown lists → item candidates: list items, label bullets heading what follows them,
and numbered lines CommonMark folds into the item above (a mixin of the Markdown reader).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator

from markdown_it.token import Token

from pmsync.parse.nodes import BULLET_RANK, NEST, Heading, Items, KindOf, Node
from pmsync.parse.text import Entry, checkbox_state, plain_text
from pmsync.plan.identity import strip_writeback

MAX_DEPTH = 3
MARKER = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
NUMBER = re.compile(r"^\s*(\d{1,3})\s*[.,)]\s")
BOLD_ONLY = re.compile(r"^(\*\*|__)(?P<text>[^*_\n]+?)\1(?P<rest>.*)$")
LIST_OPEN = ("bullet_list_open", "ordered_list_open")
_ENDS_BLOCK = re.compile(r"^ {0,3}(?:#{1,6}(?:\s|$)|(?:[-*_][ \t]*){3,}$)")


class ListReader:
    """The list part of the Markdown reader (`parse_blocks._Reader`)."""

    lines: list[str]
    tokens: list[Token]
    closes: list[int]
    kind_of: KindOf
    offset: int  # source line of the text's first line, minus one
    depth: int

    def _read_again(self, text: str, offset: int) -> list[Node]:
        """`text` (from line `offset + 1`) read as Markdown one level deeper."""
        raise NotImplementedError

    def _map(self, token: Token) -> tuple[int, int]:
        return (token.map[0], token.map[1]) if token.map else (0, 0)

    def _line(self, token: Token) -> int:
        return (token.map[0] if token.map else 0) + 1 + self.offset

    def _rank(self, base: int) -> int:
        return base + NEST * self.depth

    def _list(self, start: int) -> list[Node]:
        out: list[Node] = []
        items: list[tuple[Token, str]] = []
        children = [
            (item, *self._item_parts(item)) for item in self._children(start, "list_item_open")
        ]
        # A label-only bullet heads what follows when the list is only that bullet or holds
        # a section's label bullet ("- **Actions**:" over its list, then "- **Resolution**:");
        # in a list of labelled items ("5. **Training:**" + sub-bullets) it is an item.
        alone = len(children) == 1 or any(
            sub is not None and self._section_label(head) for _, head, sub in children
        )
        # A label bullet ending the list with nothing but a heading (or the end) after it
        # heads nothing: "6. **Add a canary:**" written last is an item, not a heading.
        heads_nothing = self._nothing_after(start)
        for item, head, sublist in children:
            lone = alone and not (heads_nothing and item == children[-1][0])
            label = self._bullet_label(item, head, sublist, lone)
            if label:
                out.extend(self._items_node(items))
                items = []
                line = self._line(self.tokens[item])
                out.append(Heading(self._rank(BULLET_RANK), label, line, "bullet"))
                out.extend(self._under_label(item, sublist))
            else:
                items.append((self.tokens[item], head))
        out.extend(self._items_node(items))
        return out

    def _section_label(self, head: str) -> bool:
        label = category_label(head.split("\n", 1)[0])
        return bool(label and self.kind_of(label, True))

    def _bullet_label(self, item: int, head: str, sublist: int | None, alone: bool) -> str | None:
        """The label of a bullet that heads what follows: "- **Tasks:**" over a nested list
        or text, or a lone "- **Resolution**:" bullet (a heading written as a bullet)."""
        first = head.split("\n", 1)[0]
        label = category_label(first)
        if not label:
            return None
        if self.kind_of(label, True):
            return label
        lone = alone and sublist is None and "\n" not in head.strip()
        return label if lone and self._item_lines(item) <= 1 else None

    def _nothing_after(self, start: int) -> bool:
        """Whether the list opened at token `start` is followed by nothing to head: the
        end of the text, a heading or a thematic break."""
        _, end = self._map(self.tokens[start])
        following = next((line for line in self.lines[end:] if line.strip()), "")
        return not following or bool(_ENDS_BLOCK.match(following))

    def _item_lines(self, item: int) -> int:
        start, end = self._map(self.tokens[item])
        return sum(1 for line in self.lines[start:end] if line.strip())

    def _under_label(self, item: int, sublist: int | None) -> list[Node]:
        """What a label bullet holds below its first line, read as Markdown."""
        start, end = self._map(self.tokens[item])
        if sublist is not None and self._map(self.tokens[sublist])[0] == start + 1:
            return self._list(sublist)
        rest = "\n".join(self.lines[start + 1 : end])
        if not rest.strip() or self.depth >= MAX_DEPTH:
            return []
        text = textwrap.dedent(rest.expandtabs(4))
        return self._read_again(text, self.offset + start + 1)

    def _items_node(self, items: list[tuple[Token, str]]) -> list[Node]:
        entries = (entry for item in items for entry in self._list_entries(*item))
        return [Items(lambda: entries)] if items else []

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
            elif token.type in LIST_OPEN and sublist is None:
                sublist = j
        return head, sublist

    def _list_entries(self, token: Token, head: str) -> Iterator[Entry]:
        """The item's entry, and those of lines inside it that go on with its numbering
        ("2. B" then "   3. C": a badly indented sibling that CommonMark folds into B)."""
        start, end = self._map(token)
        cuts = self._numbered_siblings(token.info, start, end)
        if not cuts:
            yield self._list_entry(start, end, head)
            return
        yield self._list_entry(start, cuts[0], "\n".join(head.split("\n")[: cuts[0] - start]))
        for cut, stop in zip(cuts, [*cuts[1:], end], strict=True):
            yield self._list_entry(cut, stop, MARKER.sub("", self.lines[cut], count=1))

    def _numbered_siblings(self, number: str, start: int, end: int) -> list[int]:
        if not number.isdigit() or end - start < 2:
            return []
        cuts, expected = [], int(number) + 1
        for index in range(start + 1, end):
            found = NUMBER.match(self.lines[index])
            if found and int(found[1]) != expected:
                break  # a nested list with numbers of its own ("1. sub-step")
            if found:
                cuts.append(index)
                expected += 1
        return cuts

    def _list_entry(self, start: int, end: int, head: str) -> Entry:
        raw = self.lines[start:end]
        marker = MARKER.match(raw[0])
        width = len(marker.group(0).expandtabs(4)) if marker else 0
        first = raw[0][marker.end() :] if marker else raw[0].strip()
        rest = [dedent(line, width) for line in raw[1:]]
        done, first = checkbox_state(first)
        _, head = checkbox_state(head)
        head = " ".join(strip_writeback(part) for part in head.split("\n"))
        body = "\n".join([first, *rest]).rstrip()
        return Entry(start + 1 + self.offset, head, body, done=bool(done))


def category_label(head: str) -> str | None:
    """ "Tasks" for a bullet that is only a label ("**Tasks:**", "Improvements/Fixes:")."""
    if not head.rstrip().endswith((":", "*", "_")):
        return None  # neither "Label:" nor "**Label**": skip the costly checks
    text = plain_text(head)
    bold = BOLD_ONLY.match(head.strip())
    if not (text.endswith(":") or (bold and not plain_text(bold["rest"]).strip(": "))):
        return None
    label = text.rstrip(": ")
    return label if 0 < len(label.split()) <= 8 else None


def dedent(line: str, width: int) -> str:
    expanded = line.expandtabs(4)
    return expanded[min(width, indent(expanded)) :]


def indent(line: str) -> int:
    expanded = line.expandtabs(4)
    return len(expanded) - len(expanded.lstrip())

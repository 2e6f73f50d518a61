"""HTML → the parser's block model: headings, paragraph lines, lists and tables.

Used for `.html` postmortems (Confluence "Export to HTML", Google Docs "Download → Web
page") and for HTML blocks inside Markdown (``<h2>``, ``<p>``, ``<table>``, ``<ul>``).

The HTML is read by BeautifulSoup 4 over Python's own `html.parser`: it is the most used
and best kept tolerant HTML reader for Python, copes with the tag soup editors export
(unclosed ``<p>``/``<li>``, stray ``</div>``), needs no compiled library, and gives each
tag its source line (`Tag.sourceline`), so items keep their line numbers. It is imported
only when a document holds HTML.

Inline markup becomes Markdown (``**bold**``, ``[text](url)``, `` `code` ``) so the rest
of the parser reads titles, owners, dates and links the same way; Google Docs' bold
spans (``font-weight:700``) count as bold.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from pmsync.parse.nodes import (
    BOLD_RANK,
    BULLET_RANK,
    PLAIN_RANK,
    Heading,
    Items,
    Lines,
    Node,
    closes_section,
)
from pmsync.parse.tables import column_roles, is_action_header, row_entry
from pmsync.parse.text import Entry, checkbox_state, plain_text

KindOf = Callable[[str, bool], Any]

_SKIP = frozenset({"script", "style", "head", "title", "meta", "link", "noscript", "template"})
_HEADING = re.compile(r"^h([1-6])$")
_BOLD_STYLE = re.compile(r"font-weight\s*:\s*(?:bold|[6-9]00)", re.IGNORECASE)
_BOLD_CLASS = re.compile(r"\.([\w-]+)\s*\{[^}]*font-weight\s*:\s*(?:bold|[6-9]00)")
_BOLD_ONLY = re.compile(r"^\*\*(?P<text>[^*]+?)\*\*[\s:]*$")
_BLOCKS = frozenset(
    {"p", "div", "section", "article", "main", "body", "html", "ul", "ol", "table", "h1",
     "h2", "h3", "h4", "h5", "h6", "blockquote", "header", "footer", "nav", "aside", "pre"}
)  # fmt: skip


def read_html(text: str, kind_of: KindOf) -> tuple[str | None, list[str], list[Node]]:
    """An HTML document's title, its visible text lines (for dates) and its nodes, from one
    parse."""
    soup = _soup(text)
    title = _title(soup)
    lines = str(soup.get_text("\n")).split("\n")
    return title, lines, _nodes(soup, kind_of, 0, skip_title=True)


def _title(soup: Any) -> str | None:
    """The document's <title>, else its first <h1>, else its paragraph of class "title"."""
    found = (soup.find(name) for name in ("title", "h1"))
    # Google Docs exports have no <title> of their own but a paragraph styled "title"
    for tag in (*found, soup.find(class_="title")):
        if tag is not None and tag.get_text(strip=True):
            return " ".join(tag.get_text(" ").split())
    return None


def html_nodes(text: str, kind_of: KindOf, offset: int = 0) -> list[Node]:
    """The nodes of an HTML fragment (in Markdown) whose first line is line `offset + 1`."""
    return _nodes(_soup(text), kind_of, offset, skip_title=False)


def _nodes(soup: Any, kind_of: KindOf, offset: int, skip_title: bool) -> list[Node]:
    reader = _Reader(kind_of, offset)
    _mark_bold_classes(soup)
    nodes = list(reader.walk(soup))
    if skip_title and nodes and isinstance(nodes[0], Heading) and nodes[0].rank == 1:
        nodes = nodes[1:]  # the document's <h1> is its title, never a section
    return nodes


def _mark_bold_classes(soup: Any) -> None:
    """Spans of a class the document's CSS makes bold (Google Docs: ``.c1{font-weight:700}``)
    get that style inline, where `inline` sees it."""
    css = " ".join(style.get_text() for style in soup.find_all("style"))
    bold = {match[1] for match in _BOLD_CLASS.finditer(css)}
    for span in soup.find_all("span", class_=True) if bold else ():
        if bold.intersection(span.get("class") or ()):
            span["style"] = f"{span.get('style', '')};font-weight:700"


def _soup(text: str) -> Any:
    from bs4 import BeautifulSoup  # only documents holding HTML pay for the import

    return BeautifulSoup(text, "html.parser")


def inline(tag: Any) -> str:
    """A tag's content as one line of Markdown."""
    from bs4.element import NavigableString, PreformattedString, Tag

    parts: list[str] = []
    for child in tag.children:
        if isinstance(child, PreformattedString):
            continue  # a comment, doctype or processing instruction
        if isinstance(child, NavigableString):
            parts.append(str(child))
        elif isinstance(child, Tag) and child.name not in _SKIP:
            parts.append(_inline_tag(child))
    return " ".join("".join(parts).split())


def _inline_tag(tag: Any) -> str:
    inner = inline(tag)
    if not inner or tag.name in ("ul", "ol", "table"):
        return "" if tag.name != "br" else " "
    bold = tag.name in ("strong", "b") or _BOLD_STYLE.search(str(tag.get("style", "")))
    if bold:
        return f" **{inner}** "
    if tag.name == "a" and tag.get("href"):
        return f"[{inner}]({tag['href']})"
    if tag.name == "code":
        return f"`{inner}`"
    if tag.name == "s" or tag.name == "del":
        return f"~~{inner}~~"
    return f" {inner} " if tag.name in _BLOCKS or tag.name == "li" else inner


class _Reader:
    def __init__(self, kind_of: KindOf, offset: int) -> None:
        self.kind_of = kind_of
        self.offset = offset

    def line(self, tag: Any) -> int:
        return int(getattr(tag, "sourceline", None) or 1) + self.offset

    def walk(self, tag: Any) -> Iterator[Node]:
        from bs4.element import NavigableString, Tag

        loose: list[Any] = []  # inline content directly inside a container
        for child in tag.children:
            if isinstance(child, Tag) and (child.name in _BLOCKS or child.name == "li"):
                yield from self._loose(loose, tag)
                loose = []
                yield from self._block(child)
            elif (
                isinstance(child, Tag | NavigableString) and getattr(child, "name", "") not in _SKIP
            ):
                loose.append(child)
        yield from self._loose(loose, tag)

    def _loose(self, children: list[Any], parent: Any) -> Iterator[Node]:
        from bs4.element import PreformattedString

        text = " ".join(
            " ".join(str(c).split()) if isinstance(c, str) else inline_of(c)
            for c in children
            if not isinstance(c, PreformattedString)
        ).strip()
        if text and children:
            first = next((c for c in children if getattr(c, "sourceline", None)), parent)
            yield from self._paragraph(text, self.line(first))

    def _block(self, tag: Any) -> Iterator[Node]:
        level = _HEADING.match(tag.name)
        if level:
            text = plain_text(inline(tag))
            if text:
                yield Heading(int(level[1]), text, self.line(tag), "atx")
        elif tag.name == "p":
            yield from self._paragraph(inline(tag), self.line(tag))
        elif tag.name in ("ul", "ol"):
            yield from self._list(tag)
        elif tag.name == "table":
            yield self._table(tag)
        elif tag.name == "li":
            yield from self._list_items([tag])
        elif tag.name != "pre":
            yield from self.walk(tag)

    def _paragraph(self, text: str, line: int) -> Iterator[Node]:
        if not plain_text(text):
            return
        bold = _BOLD_ONLY.match(text.strip())
        label = plain_text(text).rstrip(": ")
        if bold:
            yield Heading(BOLD_RANK, label, line, "bold")
        elif len(label.split()) <= 8 and (self.kind_of(label, False) or closes_section(label)):
            yield Heading(PLAIN_RANK, label, line, "plain")
        else:
            entry = Entry(line, text, text, rule="HTML paragraph")
            yield Lines(lambda: [entry])

    def _list(self, tag: Any) -> Iterator[Node]:
        yield from self._list_items(tag.find_all("li", recursive=False))

    def _list_items(self, items: list[Any]) -> Iterator[Node]:
        entries: list[Entry] = []
        for li in items:
            head, sublists = _li_parts(li)
            label = plain_text(head).rstrip(": ")
            if sublists and head.rstrip().endswith((":", "**")) and self.kind_of(label, True):
                if entries:
                    yield _html_items(entries)
                entries = []
                yield Heading(BULLET_RANK, label, self.line(li), "bullet")
                for sub in sublists:
                    yield from self._list(sub)
            elif plain_text(head):
                entries.append(self._li_entry(li, head, sublists))
        if entries:
            yield _html_items(entries)

    def _li_entry(self, li: Any, head: str, sublists: list[Any]) -> Entry:
        checked, head = checkbox_state(head)
        box = li.find("input", attrs={"type": "checkbox"})
        done = bool(checked) or (box is not None and box.has_attr("checked"))
        done = done or "checked" in (li.get("class") or [])
        nested = [f"- {inline(sub_li)}" for sub in sublists for sub_li in sub.find_all("li")]
        body = "\n".join([head, *nested])
        return Entry(self.line(li), head, body, done=done, rule="HTML list item")

    def _table(self, tag: Any) -> Items:
        rows = [tr for tr in tag.find_all("tr") if tr.find_parent("table") is tag]
        cells = [
            [inline(cell) for cell in tr.find_all(("td", "th"), recursive=False)] for tr in rows
        ]
        header = cells[0] if cells else []
        lines = [self.line(tr) for tr in rows[1:]]

        def read() -> Iterator[Entry]:
            roles = column_roles(header)
            for line, row in zip(lines, cells[1:], strict=True):
                entry = row_entry(header, roles, row, line)
                if entry is not None:
                    yield entry

        return Items(read, "table", actions=is_action_header(header))


def _html_items(entries: list[Entry]) -> Items:
    found = tuple(entries)
    return Items(lambda: found, "html")


def inline_of(tag: Any) -> str:
    return inline(tag) if tag.name not in _SKIP else ""


def _li_parts(li: Any) -> tuple[str, list[Any]]:
    """A list item's own text (Markdown) and its nested lists."""
    from bs4.element import Tag

    sublists = [c for c in li.children if isinstance(c, Tag) and c.name in ("ul", "ol")]
    for nested in li.find_all(("ul", "ol")):
        if nested not in sublists and nested.find_parent("li") is li:
            sublists.append(nested)
    return inline(li), sublists

"""The parser's block model: headings and item candidates, with their source lines.

Markdown (`parse_blocks`) and HTML (`parse_html`) are both read into these nodes;
`parse_sections` then finds the action sections among them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from pmsync.model import Section
from pmsync.parse.text import Entry, plain_text

KindOf = Callable[[str, bool], "Section | None"]
HeadingStyle = Literal["atx", "bold", "plain", "bullet"]

BOLD_RANK, PLAIN_RANK, BULLET_RANK = 7, 8, 9
NEST = 10  # rank added per level of re-read indented text: always deeper than its section
# Headings that close an action section at any rank: what follows them is the
# postmortem's ending or its reflection, never follow-up work.
_CLOSING = re.compile(
    r"^(?:in\s+)?(?:conclusions?|summary|appendi(?:x|ces)|thanks|thank you|acknowledge?ments?"
    r"|references|glossary|(?:final|closing|concluding)\s+(?:thoughts|words|notes|remarks)"
    r"|lessons?\s+learn(?:ed|t)|key\s+takeaways|takeaways"
    r"|(?:what|things\s+that)\s+went\s+(?:well|wrong|right|badly)|what\s+we\s+learn(?:ed|t)"
    r"|(?:open|unanswered|remaining|follow[- ]?up)\s+questions|questions$"
    r"|where\s+we\s+got\s+lucky)\b",
    re.IGNORECASE,
)


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
    """Entries from a list, a table or an HTML list: explicit item structure. `source`:
    "list", "table" or "html"; `actions`: a table whose header row says it lists actions
    (an "Action item" column beside an Owner, Due or Status one), heading or not."""

    __slots__ = ("actions", "source")

    def __init__(
        self, read: Callable[[], Iterable[Entry]], source: str = "list", actions: bool = False
    ) -> None:
        super().__init__(read)
        self.source = source
        self.actions = actions


class Lines(_Entries):
    """Entries read from plain paragraph lines."""


@dataclass(frozen=True)
class Other:
    line: int


Node = Heading | Items | Lines | Other


def closes_section(text: str) -> bool:
    """A heading such as "Conclusion", "Summary", "Appendix A" or "Lessons learned"."""
    return bool(_CLOSING.match(plain_text(text).lstrip("#*_ 0123456789.)-")))

"""The one line model of a postmortem, shared by the parser (which numbers lines) and
write-back (which edits them by number).

A line ends at `\\r\\n`, `\\r` or `\\n`, as in Markdown, and nowhere else: U+2028, form
feed or `\\x85` inside a line are text. `str.splitlines` also breaks at those, so
numbering lines one way and editing them the other puts links on the wrong line.
"""

from __future__ import annotations

import re

_BREAK = re.compile(r"\r\n|\r|\n")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def split_lines(text: str) -> list[str]:
    """The lines of `text` without their endings."""
    if "\r" not in text:
        return text.split("\n")  # the same lines, without a regex (most files)
    return _BREAK.split(text)


def split_lines_keepends(text: str) -> list[str]:
    """The lines of `text` with their endings, joined back by `"".join`."""
    return _LINE.findall(text)

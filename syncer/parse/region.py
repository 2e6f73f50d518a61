"""Where Markdown parsing may begin: a speed-up that never changes the result.

Action sections are usually near the end of a postmortem, after a long timeline and
analysis. Parsing starts at the first block that could hold a section heading (a short
line containing a section synonym), backed up to a block boundary: a line at column 0
after a blank line, outside fenced code and HTML comments. From such a boundary
CommonMark parses the rest of the document exactly as it would have in full, and
nothing before it can open a section (it holds no synonym), so the items are the same.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator

from pmsync.parse.blocks import prepass

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_MAX_WORDS = 12  # longer lines are prose, never headings


@functools.lru_cache(maxsize=16)
def synonym_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """Any synonym, its words separated by anything but letters and digits (or nothing):
    a superset of what the section matcher accepts after normalising a heading."""
    alternatives = []
    for phrase in phrases:
        words = re.findall(r"[^\W_]+", phrase.casefold())
        if words:
            alternatives.append(r"[\W_]*".join(re.escape(w) for w in words))
    return re.compile(r"(?i)(?<![^\W_])(?:" + "|".join(alternatives) + ")")


@functools.lru_cache(maxsize=16)
def _first_words(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """A quick pre-check on the case-folded line: the first word of some synonym (with the
    next one when it is short: "to do"). No flags and no look-behind, so the regex engine
    skips ahead by first letters; a pasted log's lines cost a fraction of the full pattern."""
    starts = set()
    for phrase in phrases:
        words = re.findall(r"[^\W_]+", phrase.casefold())
        if words:
            short = len(words[0]) < 4 and len(words) > 1
            starts.add(re.escape(words[0]) + (r"[\W_]*" + re.escape(words[1]) if short else ""))
    return re.compile("|".join(sorted(starts)) or r"(?!)")


# What opens a section without a synonym (see parse.py): "What are we doing about it?",
# "The following 2 weeks", "What we'll do differently" (any length: headings, not prose,
# are what the section matcher reads, and it counts no words for them).
_OPENS = re.compile(
    r"(?i)(?:^|[#*_>\s])(?:what|how)\b.*\b(?:doing|going to|will|are we|can we do|prevent"
    r"|avoid|change)\b.*\?|\b(?:following|next|coming)\s+\S*\s*"
    r"(?:days|weeks|months|sprints?|quarters?)\b"
    r"|(?:^|[#*_>\s])(?:what|how)\s+we(?:['’]ll|\s+will|\s+are\s+(?:doing|going|changing)"
    r"|['’]re\s+(?:doing|changing)|\s+plan\s+to)\b"
)
# A table's header row naming an action column, in Markdown (a pipe anywhere, the
# action column first or not) or HTML (`<th>Task</th>` on the line).
_TABLE_HEADER = re.compile(r"(?i)\b(?:action|task|follow|to-?do|remediation|fix)")
# A setext underline: the paragraph above it is a heading, its words over several lines.
_SETEXT = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_SETEXT_LINES = 4  # lines of the paragraph above an underline read as one heading


def parse_start(lines: list[str], phrases: Iterable[str]) -> int:
    """Index of the first line parsing must include (0: the whole document)."""
    first = _first_candidate(lines, tuple(phrases))
    if first is None:
        return 0
    # A line's flag depends on the lines above it only: the rest need not be read.
    unsafe = _unsafe_lines(lines[: first + 1])
    start = first
    while start > 0 and not _boundary(lines, start, unsafe):
        start -= 1
    return start


def _first_candidate(lines: list[str], phrases: tuple[str, ...]) -> int | None:
    """The first short line holding a synonym, a line that may open a section without
    one, or the setext underline of a heading whose words span lines."""
    pattern, starts = synonym_pattern(phrases), _first_words(phrases)
    return next(
        (i for i, line in enumerate(lines)
         if line and (_opens(line)
                      or (len(line.split()) <= _MAX_WORDS and starts.search(line.casefold())
                          and pattern.search(line))
                      or (line[0] in " =-" and _setext_synonym(lines, i, pattern)))),
        None,
    )  # fmt: skip


def _opens(line: str) -> bool:
    if ("|" in line or "<t" in line) and _TABLE_HEADER.search(line):
        return True
    hint = "?" in line or "ext " in line or "ollowing" in line or "oming" in line
    hint = hint or "hat we" in line or "ow we" in line  # "What we'll do differently"
    return hint and bool(_OPENS.search(line))


def _setext_synonym(lines: list[str], index: int, pattern: re.Pattern[str]) -> bool:
    """Whether `lines[index]` underlines a paragraph whose words hold a synonym."""
    if index == 0 or not _SETEXT.match(lines[index]):
        return False
    above: list[str] = []
    for line in reversed(lines[max(0, index - _SETEXT_LINES) : index]):
        if not line.strip():
            break
        above.insert(0, line.strip())
    return len(above) > 1 and bool(pattern.search(" ".join(above)))


def _boundary(lines: list[str], index: int, unsafe: list[bool]) -> bool:
    line = lines[index]
    return (
        not unsafe[index]
        and not unsafe[index - 1]
        and not lines[index - 1].strip()
        and bool(line)
        and not line[0].isspace()
    )


# HTML blocks that a blank line does not end (CommonMark types 1-5), by opener and closer.
# Marking too many lines unsafe only moves the start earlier: err on that side.
_RAW_BLOCKS = (("<!--", "-->"), ("<pre", "</pre>"), ("<script", "</script>"),
               ("<style", "</style>"), ("<textarea", "</textarea>"), ("<![cdata[", "]]>"),
               ("<?", "?>"), ("<!", ">"))  # fmt: skip


def _unsafe_lines(lines: list[str]) -> list[bool]:
    """Lines inside fenced code or a raw HTML block (where a blank line ends nothing)."""
    return list(_unsafe_flags(lines))


def _unsafe_flags(lines: Iterable[str]) -> Iterator[bool]:
    """`_unsafe_lines`, one line at a time: a reader that stops early reads no further."""
    fence: str | None = None
    closer: str | None = None  # of the open raw HTML block
    for line in lines:
        opener = _FENCE.match(line) if line and line[0] in " `~" else None
        inside = fence is not None or closer is not None
        if opener and closer is None:
            closing = fence is not None and opener.group(1).startswith(fence)
            fence = None if closing else fence or opener.group(1)
            inside = True
        elif fence is None and (closer is not None or "<" in line):
            touched, closer = _raw_html(line.lower(), closer)
            inside = inside or touched
        yield inside


def _raw_html(line: str, closer: str | None) -> tuple[bool, str | None]:
    """(whether the line takes part in a raw HTML block, the closer still awaited)."""
    if closer is None and "<" not in line:
        return False, None  # most lines: no raw HTML block opens or goes on
    touched, position = closer is not None, 0
    while True:
        if closer is not None:
            end = line.find(closer, position)
            if end < 0:
                return True, closer
            position = end + len(closer)
            closer = None
            continue
        found = [(line.find(o, position), -len(o), c) for o, c in _RAW_BLOCKS
                 if o in line[position:]]  # fmt: skip
        if not found:
            return touched, None
        begin, _, closer = min(found)  # the longest opener at the first place
        touched, position = True, begin + 1


_ATX_LINE = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+(.+?))?(?:[ \t]+#+)?[ \t]*$")


def first_heading(lines: list[str]) -> str | None:
    """The text of the document's first ATX heading outside code and comments."""
    for line, hidden in zip(lines, _unsafe_flags(lines), strict=True):
        # an ATX heading opens with "#" or a space (prepass changes no other line)
        match = None if hidden or line[:1] not in ("#", " ") else _ATX_LINE.match(prepass(line))
        if match and match.group(1):
            return match.group(1)
    return None

"""A postmortem's summary: the first paragraph under its summary (or impact) heading,
the intro of its parent issue. Pure; Markdown only (an HTML postmortem has none)."""

from __future__ import annotations

import re

MAX_SUMMARY = 1000  # characters: an intro, not the postmortem
_HEADINGS = ("summary", "executive summary", "tl;dr", "tldr", "overview", "impact", "abstract")
_ATX = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)[ \t#]*$")
_BOLD = re.compile(r"^ {0,3}(?:\*\*|__)(.+?)(?:\*\*|__)[ \t]*:?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def find_summary(lines: list[str]) -> str | None:
    """The first paragraph after the first summary heading; None when there is none."""
    start = _summary_heading(lines)
    if start is None:
        return None
    paragraph: list[str] = []
    for line in lines[start + 1 :]:
        if _heading_text(line) is not None or _FENCE.match(line):
            break
        if not line.strip():
            if paragraph:
                break
            continue
        paragraph.append(line.strip())
    text = " ".join(paragraph)
    return _cut(text) if text else None


def _summary_heading(lines: list[str]) -> int | None:
    fenced = False
    for number, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
        heading = None if fenced else _heading_text(line)
        if heading is not None and heading.casefold().rstrip(":").strip() in _HEADINGS:
            return number
    return None


def _heading_text(line: str) -> str | None:
    match = _ATX.match(line) or _BOLD.match(line)
    return match.group(1) if match else None


def _cut(text: str) -> str:
    if len(text) <= MAX_SUMMARY:
        return text
    return text[: MAX_SUMMARY - 1].rsplit(" ", 1)[0] + "…"

"""A postmortem's summary: the first paragraph under its summary (or impact) heading,
the intro of its parent issue. Pure; Markdown only (an HTML postmortem has none)."""

from __future__ import annotations

import re

MAX_SUMMARY = 1000  # characters: an intro, not the postmortem
_HEADINGS = ("summary", "executive summary", "tl;dr", "tldr", "overview", "impact", "abstract")
_ATX = re.compile(r"^ {0,3}#{1,6}[ \t]*(.*?)[ \t#]*$")  # "#Impact:" too, as items
_BOLD = re.compile(r"^ {0,3}(?:\*\*|__)(.+?)(?:\*\*|__)[ \t]*:?[ \t]*$")
_RULE = re.compile(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_OPENERS = " #*_`~"  # how a line matched by _FENCE, _ATX or _BOLD starts


def find_summary(lines: list[str]) -> str | None:
    """The first paragraph after the first summary heading; None when there is none."""
    start = _summary_heading(lines)
    if start is None:
        return None
    paragraph: list[str] = []
    for line in lines[start + 1 :]:
        if _ATX.match(line) or _FENCE.match(line) or _RULE.match(line):
            break
        if not line.strip():
            if paragraph:
                break
            continue
        paragraph.append(line.strip())
    text = "\n".join(paragraph)  # list items stay list items
    return _cut(text) if text else None


def _summary_heading(lines: list[str]) -> int | None:
    fenced = False
    for number, line in enumerate(lines):
        if not line or line[0] not in _OPENERS:
            continue  # blank or prose: neither a fence nor a heading
        if _FENCE.match(line):
            fenced = not fenced
        heading = None if fenced else _heading_text(line)
        if heading is not None and _is_summary(heading):
            return number
    return None


def _is_summary(heading: str) -> bool:
    """ "Summary", "Impact", "Issue Summary", "Incident summary"…"""
    text = " ".join(heading.casefold().rstrip(":").split())
    return text in _HEADINGS or text.endswith(" summary")


def _heading_text(line: str) -> str | None:
    match = _ATX.match(line) or _BOLD.match(line)
    return match.group(1) if match else None


def _cut(text: str) -> str:
    if len(text) <= MAX_SUMMARY:
        return text
    return text[: MAX_SUMMARY - 1].rsplit(" ", 1)[0].rstrip() + "…"

"""Dates written in postmortems: due dates of items and the incident's date.

Calendar dates ("June 15, 2024", "2024-06-15", "15 Jun", "Jun 15th") count; a date without
a year takes its next occurrence on or after the incident date. Relative phrases that name
one day ("end of Q3", "EOW", "next Friday", "in two weeks") are counted from the incident
date (`pmsync.parse.dates_relative`). Anything else written as a due date — a vague phrase
("next sprint", "ASAP"), an ambiguous number ("03/04"), words — is reported, never
guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from dateutil.parser import parserinfo

from pmsync.parse.dates_relative import VAGUE, resolve_dated, resolve_relative

MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
_YEAR4 = r"(?:19|20)\d{2}"
_DATE = re.compile(
    rf"""\b{_WEEKDAY}(?:
      (?P<iso>(?P<iso_y>{_YEAR4})[-/](?P<iso_m>\d{{1,2}})[-/](?P<iso_d>\d{{1,2}}))
    | (?P<md>(?P<md_m>{MONTH})\.?\s+(?P<md_d>\d{{1,2}})(?:st|nd|rd|th)?(?![\d:])
        (?:,?\s+(?P<md_y>{_YEAR4}))?)
    | (?P<dm>(?P<dm_d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<dm_m>{MONTH})\b\.?
        (?:,?\s+(?P<dm_y>{_YEAR4}))?)
    | (?P<num>\d{{1,2}}/\d{{1,2}}(?:/{_YEAR4})?)
    )(?![\w/-])""",
    re.IGNORECASE | re.VERBOSE,
)
_RELATIVE = re.compile(
    r"(?:(?:next|this|coming)\s+(?:week|month|quarter|year|sprint|release|\w+day)"
    r"|(?:the\s+)?end\s+of\b|eo[dwmqy]\b|tomorrow\b|today\b|tonight\b|asap\b|[qh][1-4]\b"
    r"|(?:in|within)\s+(?:the\s+next\s+)?(?:\d+|an?|one|two|three|four|five|six|eight|ten"
    r"|twelve)\s+(?:days?|weeks?|months?)|soon\b|later\b|ongoing\b|tb[da]\b|h[12]\b"
    r"|(?:mon|tues|wednes|thurs|fri|satur|sun)day\b)",
    re.IGNORECASE,
)
# "Due: …", "due by …", "(due 15 Jun)", "Deadline …", "Target: …", "ETA …"; never "due to".
_DUE_KEY = re.compile(
    r"\b(?P<key>due(?:\s+date)?(?!\s+to\b)|deadline|target(?:\s+date)?|eta|by\s+when)\b"
    r"(?P<sep>\s*(?:[:=]|-(?=\s)|\bby\b|\bon\b|\bbefore\b|\bof\b))?\s*",
    re.IGNORECASE,
)
_BY = re.compile(r"\bby\s+(?:the\s+)?", re.IGNORECASE)
# A deadline acronym closing a line names its due date without a keyword: "Patch it EOW".
_ACRONYM_END = re.compile(r"(?<=\s)\(?(?P<word>eo[dwmy])\)?\.?[ \t]*$", re.I | re.M)
# A match of _DUE_KEY, _BY or _ACRONYM_END holds one of these in the lowercased text: for
# the letters they use, every character IGNORECASE takes for one lowercases to exactly it
# (checked over all of Unicode); "deadl" stops before the "i", which a dotless "ı" also
# matches.
_DUE_WORDS = ("due", "deadl", "target", "eta", "by", "eo")
_STOP = re.compile(r"[)\]|;\n]")
_MONTHS = parserinfo()  # dateutil's month names: "Jun", "June", "Sept"…


@dataclass(frozen=True)
class DueDate:
    """A due date found in an item's text: the date, or why there is none."""

    offset: int  # where the due phrase starts in the text
    value: date | None
    problem: str | None = None


def find_due(text: str, incident: date | None) -> DueDate | None:
    """The first due date written in `text`, or the first problem with one."""
    lowered = text.lower()
    if not any(word in lowered for word in _DUE_WORDS):
        return None  # most items: no due phrase, and no scan with two patterns
    return scan_due(text, incident)


def scan_due(text: str, incident: date | None) -> DueDate | None:
    """`find_due` without its quick test for a due word."""
    for match in _DUE_KEY.finditer(text):
        if match["key"].casefold() == "target" and not match["sep"]:
            continue  # "target the cluster": only "Target: …" names a date
        due = _read_due(text, match.end(), match.start(), incident, strict=bool(match["sep"]))
        if due is not None:
            return due
    for match in _BY.finditer(text):
        rest = _rest(text, match.end())
        found = _DATE.match(rest)
        if found and not found["num"]:
            return _resolve(found, match.start(), incident)
        if _RELATIVE.match(rest):
            return _relative(rest, match.start(), incident)
    if (end := _ACRONYM_END.search(text)) is not None:
        return _relative(end["word"], end.start(), incident)
    return None


def _read_due(
    text: str, start: int, key_at: int, incident: date | None, strict: bool
) -> DueDate | None:
    rest = _rest(text, start)
    found = _DATE.match(rest)
    if found:
        return _resolve(found, key_at, incident)
    if _RELATIVE.match(rest) or VAGUE.match(rest):
        return _relative(rest, key_at, incident)
    if strict and rest:
        return DueDate(key_at, None, f"cannot read due date {rest!r}")
    return None


def _relative(rest: str, offset: int, incident: date | None) -> DueDate:
    value, problem = parse_due(rest, incident)
    return DueDate(offset, value, problem)


def parse_due(text: str, incident: date | None) -> tuple[date | None, str | None]:
    """A due phrase (a date, or a relative one counted from the incident date) as a date,
    or None and the reason."""
    text = text.strip()
    if _DATE.fullmatch(text):
        return parse_date(text, incident)
    if VAGUE.match(text):
        return None, f"vague due date {text!r}: no date set; write a date"
    if not _RELATIVE.match(text):
        return parse_date(text, incident)
    if incident is None:
        if (dated := resolve_dated(text)) is not None:
            return dated, None
        return None, f"relative due date {text!r} and the incident date is unknown"
    value = resolve_relative(text, incident)
    if value is None:
        return None, f"relative due date {text!r} names no single day; write a date"
    return value, None


def _rest(text: str, start: int) -> str:
    """The words after a due keyword, up to a bracket, cell or line end (at most 40 chars)."""
    rest = text[start : start + 40]
    stop = _STOP.search(rest)
    return (rest[: stop.start()] if stop else rest).strip().rstrip(".,")


def _resolve(found: re.Match[str], offset: int, incident: date | None) -> DueDate:
    value, problem = parse_date(found.group(0), incident)
    return DueDate(offset, value, problem)


def parse_date(text: str, incident: date | None) -> tuple[date | None, str | None]:
    """`text` (one date) as a date, or None and the reason."""
    found = _DATE.fullmatch(text.strip())
    if not found:
        return None, f"cannot read date {text!r}"
    if found["num"]:
        return _numeric(found["num"], incident)
    year, month, day = _parts(found)
    if year is None:
        return _next_occurrence(month, day, incident, text)
    try:
        return date(year, month, day), None
    except ValueError:
        return None, f"not a calendar date: {text!r}"


def _parts(found: re.Match[str]) -> tuple[int | None, int, int]:
    """(year or None, month, day) of a matched ISO or month-name date."""
    if found["iso"]:
        return int(found["iso_y"]), int(found["iso_m"]), int(found["iso_d"])
    prefix = "md" if found["md"] else "dm"
    year = found[f"{prefix}_y"]
    month = _MONTHS.month(found[f"{prefix}_m"]) or 0
    return (int(year) if year else None), month, int(found[f"{prefix}_d"])


def _numeric(text: str, incident: date | None) -> tuple[date | None, str | None]:
    parts = [int(p) for p in text.split("/")]
    first, second = parts[0], parts[1]
    if first <= 12 and second <= 12 and first != second:
        return None, f"ambiguous date {text!r} (day/month order unknown)"
    month, day = (first, second) if first <= 12 else (second, first)
    if len(parts) == 3:
        try:
            return date(parts[2], month, day), None
        except ValueError:
            return None, f"not a calendar date: {text!r}"
    return _next_occurrence(month, day, incident, text)


def _next_occurrence(
    month: int, day: int, incident: date | None, text: str
) -> tuple[date | None, str | None]:
    """A year-less date: its first occurrence on or after the incident date."""
    if incident is None:
        return None, f"due date {text!r} has no year and the incident date is unknown"
    for year in range(incident.year, incident.year + 5):  # Feb 29 may need a leap year
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= incident:
            return candidate, None
    return None, f"not a calendar date: {text!r}"


def full_dates(text: str) -> Iterator[date]:
    """Every complete date (with a year) written in `text`, in order."""
    for found in _DATE.finditer(text):
        if found["num"] or not (found["iso"] or found["md_y"] or found["dm_y"]):
            continue
        value, _ = parse_date(found.group(0), None)
        if value is not None:
            yield value


def as_date(value: object) -> date | None:
    """A front matter `date` value (YAML date, datetime or string) as a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return next(full_dates(value), None)
    return None

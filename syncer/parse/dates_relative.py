"""Relative due dates ("end of Q3", "EOW", "next Friday", "in two weeks") against an anchor.

The anchor is the incident date: a postmortem is written days after it, and its
follow-ups are counted from it. A phrase resolves only when it names one day without
guessing: "end of month" is the last day of the incident's month, "EOW" the Friday of its
week, "next Friday" the first Friday after it, "in two weeks" fourteen days after it,
"end of Q3" / "Q3" the last day of that quarter (of the incident's year, or the next one
when that quarter is over). "next week", "next sprint", "ASAP", "soon" name no day: they
are reported as vague, never turned into a date.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_YEAR = r"(?:\s*,?\s*(?P<year>(?:19|20)\d\d))?"
_QUARTER = re.compile(
    rf"^(?:(?:the\s+)?end\s+of\s+(?:the\s+)?|eo)?(?:q(?P<q>[1-4])|h(?P<h>[12])){_YEAR}\b", re.I
)
_END_OF = re.compile(
    r"^(?:(?:the\s+)?end\s+of\s+(?:the\s+)?(?P<unit>week|month|year|quarter)|eo(?P<abbr>[wmy]))\b",
    re.IGNORECASE,
)
_END_OF_MONTH = re.compile(
    r"^(?:the\s+)?end\s+of\s+(?P<month>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
    + _YEAR,
    re.IGNORECASE,
)
_WEEKDAY = re.compile(
    r"^(?:(?:next|this|coming)\s+)?(?P<day>mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)"
    r"(?:day)?\b",
    re.IGNORECASE,
)
_IN = re.compile(
    r"^(?:in|within)\s+(?:the\s+next\s+)?(?P<n>\d{1,3}|a|an|one|two|three|four|five|six|seven"
    r"|eight|nine|ten|eleven|twelve)\s+(?P<unit>days?|weeks?|months?)\b",
    re.IGNORECASE,
)
VAGUE = re.compile(
    r"^(?:asap|soon|tbd|tba|n/?a|ongoing|later|eventually|whenever|next\s+(?:week|month"
    r"|quarter|year|sprint|release|cycle)|this\s+(?:week|month|quarter|year|sprint)"
    r"|(?:the\s+)?following\s+(?:week|sprint|release)|tomorrow|today|tonight|eod|"
    r"near\s+term|short\s+term|long\s+term|mid\s+term|q[1-4]\s*/\s*q[1-4])\b",
    re.IGNORECASE,
)


def resolve_relative(text: str, anchor: date) -> date | None:
    """The day `text` (a due phrase) names counted from `anchor`, or None."""
    for read in (_quarter, _end_of, _end_of_month, _weekday, _in):
        found = read(text.strip(), anchor)
        if found is not None:
            return found
    return None


def resolve_dated(text: str) -> date | None:
    """The day a phrase that carries its year names ("end of Q1 2026", "end of March
    2026"), with no anchor needed; None for any other phrase."""
    for pattern, read in ((_QUARTER, _quarter), (_END_OF_MONTH, _end_of_month)):
        match = pattern.match(text.strip())
        if match and match["year"]:
            return read(text.strip(), date(int(match["year"]), 1, 1))
    return None


def _quarter(text: str, anchor: date) -> date | None:
    match = _QUARTER.match(text)
    if not match:
        return None
    last_month = 6 * int(match["h"]) if match["h"] else 3 * int(match["q"])
    year = int(match["year"]) if match["year"] else anchor.year
    end = date(year, last_month, 1) + relativedelta(months=1, days=-1)
    return end if match["year"] or end >= anchor else end + relativedelta(years=1, day=31)


def _end_of(text: str, anchor: date) -> date | None:
    match = _END_OF.match(text)
    if not match:
        return None
    unit = match["unit"] or {"w": "week", "m": "month", "y": "year"}[match["abbr"].lower()]
    if unit == "week":
        return anchor + timedelta(days=(4 - anchor.weekday()) % 7)  # its Friday
    if unit == "month":
        return anchor + relativedelta(day=31)
    if unit == "year":
        return date(anchor.year, 12, 31)
    quarter_end = 3 * ((anchor.month - 1) // 3 + 1)
    return date(anchor.year, quarter_end, 1) + relativedelta(months=1, days=-1)


def _end_of_month(text: str, anchor: date) -> date | None:
    match = _END_OF_MONTH.match(text)
    if not match:
        return None
    month = _MONTHS.index(match["month"][:3].lower()) + 1
    year = int(match["year"]) if match["year"] else anchor.year
    end = date(year, month, 1) + relativedelta(day=31)
    return end if match["year"] or end >= anchor else end + relativedelta(years=1, day=31)


def _weekday(text: str, anchor: date) -> date | None:
    match = _WEEKDAY.match(text)
    if not match:
        return None
    day = next(i for i, name in enumerate(_DAYS) if name.startswith(match["day"][:3].lower()))
    ahead = (day - anchor.weekday()) % 7 or 7  # the first such day after the incident
    return anchor + timedelta(days=ahead)


def _in(text: str, anchor: date) -> date | None:
    match = _IN.match(text)
    if not match:
        return None
    raw = match["n"].lower()
    count = int(raw) if raw.isdigit() else _NUMBERS[raw]
    unit = match["unit"].lower().rstrip("s")
    if unit == "month":
        return anchor + relativedelta(months=count)
    return anchor + timedelta(days=count * (7 if unit == "week" else 1))

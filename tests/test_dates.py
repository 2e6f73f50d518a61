"""Due dates and incident dates: explicit calendar dates only, problems reported."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pmsync.parse.dates import as_date, find_due, full_dates, parse_date, scan_due

INCIDENT = date(2024, 6, 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Due: June 15, 2024", date(2024, 6, 15)),
        ("due 2024-06-15", date(2024, 6, 15)),
        ("(due by 15 Jun)", date(2024, 6, 15)),
        ("ship it by July 1", date(2024, 7, 1)),
        ("Deadline: December 22, 2023.", date(2023, 12, 22)),
        ("Due date: Jun 15th", date(2024, 6, 15)),
        ("due on 1st of July 2025", date(2025, 7, 1)),
        ("Target date: 2024/08/01", date(2024, 8, 1)),
        ("Due: 06/20", date(2024, 6, 20)),
        ("Due: 20/06/2024", date(2024, 6, 20)),
        ("Due: Wednesday Feb 12", date(2025, 2, 12)),
    ],
)
def test_due_forms(text: str, expected: date) -> None:
    found = find_due(text, INCIDENT)
    assert found is not None and (found.value, found.problem) == (expected, None)


def test_year_less_date_takes_next_occurrence_on_or_after_incident() -> None:
    assert parse_date("June 5", INCIDENT) == (date(2024, 6, 5), None)
    assert parse_date("June 4", INCIDENT) == (date(2025, 6, 4), None)
    assert parse_date("Feb 29", INCIDENT) == (date(2028, 2, 29), None)


def test_year_less_without_incident_date_is_a_problem() -> None:
    value, problem = parse_date("15 Jun", None)
    assert value is None and problem and "no year" in problem


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("Due: next week", "vague"),
        ("Deadline: end of sprint", "relative"),
        ("Due: TBD", "vague"),
        ("ETA: ASAP", "vague"),
        ("Target: soon", "vague"),
        ("Due: 03/04", "ambiguous"),
        ("Due: Feb 30, 2024", "not a calendar date"),
        ("finish by next month", "vague"),
        ("due next sprint", "vague"),
    ],
)
def test_unreadable_due_text_is_a_problem_never_a_guess(text: str, word: str) -> None:
    found = find_due(text, INCIDENT)
    assert found is not None and found.value is None and word in (found.problem or "")


# INCIDENT is Wednesday 2024-06-05.
@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("due Q3", date(2024, 9, 30)),
        ("Due by end of Q3", date(2024, 9, 30)),
        ("due: end of Q1", date(2025, 3, 31)),  # Q1 2024 is over: next year's
        ("Due: Q1 2024", date(2024, 3, 31)),
        ("due end of month", date(2024, 6, 30)),
        ("Due: EOW", date(2024, 6, 7)),
        ("Deadline: end of the year", date(2024, 12, 31)),
        ("due next Friday", date(2024, 6, 7)),
        ("ETA: Monday", date(2024, 6, 10)),
        ("Target: in two weeks", date(2024, 6, 19)),
        ("due within 10 days", date(2024, 6, 15)),
        ("ETA in 2 months", date(2024, 8, 5)),
        ("by end of July", date(2024, 7, 31)),
        ("Target: 2026-09-30", date(2026, 9, 30)),
        ("Target date - H2", date(2024, 12, 31)),
    ],
)
def test_relative_due_dates_count_from_the_incident_date(text: str, due: date) -> None:
    found = find_due(text, INCIDENT)
    assert found is not None and (found.value, found.problem) == (due, None)


def test_relative_due_date_without_incident_date_is_a_problem() -> None:
    found = find_due("due end of month", None)
    assert found is not None and found.value is None
    assert "incident date is unknown" in (found.problem or "")


@pytest.mark.parametrize(
    "text",
    [
        "Target the cluster in Q3",
        "Freeze production until 2015-11-20 due to error budget",
        "Caused by the 2 new nodes",
        "due diligence on vendors",
        "No dates at all",
        "by 03/04",
    ],
)
def test_no_due_date(text: str) -> None:
    assert find_due(text, INCIDENT) is None


def test_offset_points_at_the_due_phrase() -> None:
    found = find_due("Do it\nDue: June 15, 2024", INCIDENT)
    assert found is not None and found.offset == 6


def test_full_dates_need_a_plausible_year() -> None:
    assert list(full_dates("Feb 7 1506 UTC: release; June 1, 2024 and 2024-06-02")) == [
        date(2024, 6, 1),
        date(2024, 6, 2),
    ]


def test_front_matter_date_values() -> None:
    from datetime import datetime

    assert as_date(date(2024, 1, 2)) == date(2024, 1, 2)
    assert as_date(datetime(2024, 1, 2, 3, 4)) == date(2024, 1, 2)
    assert as_date("2024-01-02") == date(2024, 1, 2)
    assert as_date("soon") is None and as_date(12) is None


# Due words in every case, letters IGNORECASE also takes for another one (dotless "ı" and
# "İ" for "i", "ſ" for "s", the Kelvin sign for "k"), and what follows a due word.
DUE_FRAGMENTS = [
    "due", "Due", "DUE", "dUe", "deadline", "DEADLINE", "deadlıne", "DEADLİNE", "target",
    "TARGET", "Target:", "eta", "ETA", "by", "BY", "bY", "by when", "ı", "İ", "ſ", "\u212a",
    "ß", "é", " ", ":", " - ", "(", ")", "\n", "2024-06-15", "June 15", "15 Jun", "EOW",
    "next week", "end of Q3", "ASAP", "date", "on", "before", "the",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@example("deadlıne: 2024-06-15")  # "i" matched without case by a dotless "ı"
@example("DEADLİNE: 2024-06-15")
@example("Patch the cache EOW")  # a due acronym, no due word
@given(st.lists(st.sampled_from(DUE_FRAGMENTS) | st.text(max_size=4), max_size=24).map("".join))
def test_the_quick_test_for_a_due_word_loses_no_due_date(text: str) -> None:
    assert find_due(text, INCIDENT) == scan_due(text, INCIDENT)

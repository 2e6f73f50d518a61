"""A postmortem's summary: the first paragraph under its summary heading (a parent
issue's intro)."""

from __future__ import annotations

from pmsync.parse.postmortem import parse_postmortem
from pmsync.parse.summary import MAX_SUMMARY, find_summary


def test_the_first_paragraph_under_a_summary_heading() -> None:
    text = "# Outage\n\n## Summary\n\nThe database\nfell over.\n\nSecond paragraph.\n"
    assert find_summary(text.splitlines()) == "The database\nfell over."


def test_impact_and_issue_summary_headings_count_and_a_rule_ends_it() -> None:
    assert find_summary(["**Issue Summary:**", "- Impact: 80%", "---", "x"]) == "- Impact: 80%"
    assert find_summary(["#Impact:", "", "Users saw errors.", "#Timeline"]) == "Users saw errors."


def test_no_summary_heading_or_only_code_gives_none() -> None:
    assert find_summary(["# Outage", "", "Text."]) is None
    assert find_summary(["```", "## Summary", "```", "text"]) is None


def test_a_long_summary_is_cut() -> None:
    summary = find_summary(["## Summary", "word " * 1000])
    assert summary is not None and len(summary) <= MAX_SUMMARY and summary.endswith("…")


def test_html_postmortems_have_none_and_markdown_ones_keep_it() -> None:
    html = "<html><body><h2>Summary</h2><p>Down.</p></body></html>"
    assert parse_postmortem(html, "pm.html").summary is None
    assert parse_postmortem("## Summary\n\nDown.\n", "pm.md").summary == "Down."

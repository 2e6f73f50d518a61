"""`pmsync check`: the findings for each rule, their order, and how they are printed."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from pmsync.check import Finding, check_documents, format_finding, github_annotation
from pmsync.config import Config, PersonConfig
from pmsync.model import ActionItem, ParseWarning, Postmortem

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "postmortems"


def item(title: str, line: int, owner: str | None = None) -> ActionItem:
    return ActionItem(id=title, title=title, body=title, section="tasks", line=line, owner=owner)


def doc(
    *items: ActionItem,
    path: str = "postmortems/db.md",
    warnings: tuple[ParseWarning, ...] = (),
    front_matter: dict[str, Any] | None = None,
) -> Postmortem:
    return Postmortem(
        path=path,
        key="db",
        title="DB outage",
        incident_date=None,
        items=items,
        warnings=warnings,
        front_matter=front_matter or {},
    )


def people(**accounts: PersonConfig) -> Config:
    return Config(people=accounts)


def test_a_clean_document_has_no_findings() -> None:
    assert (
        check_documents([doc(item("Add an index", 10), item("Alert on latency", 11))], Config())
        == []
    )


def test_a_document_without_action_items_is_an_error_on_line_1() -> None:
    assert check_documents([doc()], Config()) == [
        Finding(
            "postmortems/db.md",
            1,
            "no action items found; list them under a heading such as '## Action items'",
            "error",
        )
    ]


@pytest.mark.parametrize(
    "message",
    ["cannot read due date 'Flobruary 31'", "not a calendar date: '2024-13-45'"],
)
def test_an_unreadable_due_date_is_an_error(message: str) -> None:
    findings = check_documents(
        [doc(item("Add an index", 10), warnings=(ParseWarning(10, message),))], Config()
    )
    assert findings == [Finding("postmortems/db.md", 10, message, "error")]


@pytest.mark.parametrize(
    "message",
    ["invalid front matter: expected ',' or ']'", "front matter is not a mapping; ignored"],
)
def test_broken_front_matter_is_an_error(message: str) -> None:
    findings = check_documents(
        [doc(item("Add an index", 10), warnings=(ParseWarning(3, message),))], Config()
    )
    assert [(f.line, f.level) for f in findings] == [(3, "error")]


def test_other_parser_warnings_are_passed_on_as_warnings() -> None:
    warning = ParseWarning(1, "not valid UTF-8 (byte 7); read with replacement")
    findings = check_documents([doc(item("Add an index", 10), warnings=(warning,))], Config())
    assert [(f.line, f.level) for f in findings] == [(1, "warning")]


def test_owners_are_not_checked_without_people() -> None:
    assert check_documents([doc(item("Add an index", 10, owner="nobody"))], Config()) == []


def test_an_owner_missing_from_people_is_an_error_at_the_item() -> None:
    config = people(alice=PersonConfig(github="alice-gh"))
    items = (item("Add an index", 10, owner="@Alice"), item("Alert on latency", 12, owner="bob"))
    findings = check_documents([doc(*items)], config)
    assert [(f.line, f.level) for f in findings] == [(12, "error")]
    assert "'bob'" in findings[0].message and "github" in findings[0].message


def test_the_owner_must_have_an_account_on_the_documents_tracker() -> None:
    config = people(alice=PersonConfig(github="alice-gh"))
    jira_doc = doc(item("Add an index", 10, owner="alice"), front_matter={"tracker": "jira"})
    [finding] = check_documents([jira_doc], config)
    assert "no jira account" in finding.message


def test_the_front_matter_owner_is_checked_for_items_without_one() -> None:
    config = people(alice=PersonConfig(github="alice-gh"))
    findings = check_documents(
        [doc(item("Add an index", 10), front_matter={"owner": "carol"})], config
    )
    assert [f.line for f in findings] == [10]
    assert "'carol'" in findings[0].message


def test_titles_differing_only_in_case_and_spaces_are_duplicates() -> None:
    items = (item("Add an index", 10), item("Alert on latency", 11), item("add  an INDEX ", 14))
    [finding] = check_documents([doc(*items)], Config())
    assert (finding.line, finding.level) == (14, "error")
    assert "also on line 10" in finding.message


def test_findings_are_sorted_by_file_and_line() -> None:
    second = doc(path="b.md")
    first = doc(
        item("Same", 9),
        item("Same", 5),
        path="a.md",
        warnings=(ParseWarning(2, "invalid front matter: bad"),),
    )
    second = dataclasses.replace(second, title="Another outage")  # not a copy of the first
    findings = check_documents([second, first], Config())
    assert [(f.path, f.line) for f in findings] == [("a.md", 2), ("a.md", 9), ("b.md", 1)]


# --- output ------------------------------------------------------------------------------


def test_format_finding_is_file_line_message() -> None:
    assert (
        format_finding(Finding("p/db.md", 7, "duplicate title", "error"))
        == "p/db.md:7: duplicate title"
    )
    assert format_finding(Finding("p/db.md", 1, "odd", "warning")) == "p/db.md:1: warning: odd"


def test_github_annotation_escapes_data_and_properties() -> None:
    finding = Finding("dir,x/a:b%.md", 3, "100% wrong\r\nsecond line: x, y", "error")
    assert github_annotation(finding) == (
        "::error file=dir%2Cx/a%3Ab%25.md,line=3::100%25 wrong%0D%0Asecond line: x, y"
    )


def test_github_annotation_for_a_warning() -> None:
    assert (
        github_annotation(Finding("a.md", 1, "odd", "warning")) == "::warning file=a.md,line=1::odd"
    )


# --- through the real parser ------------------------------------------------------------------


def parsed(text: str, path: str = "postmortems/disk.md") -> Postmortem:
    from pmsync.parse.postmortem import parse_postmortem

    return parse_postmortem(text, path)


def test_a_parsed_document_with_every_problem() -> None:
    text = """---
title: Disk full
owner: [broken
---
# Disk full

## Action items

- [ ] Add disk alerts
- [ ] add   disk ALERTS
- [ ] Rotate logs (@zed)
- [ ] Shrink the cache, due 2024-13-45
"""
    config = people(alice=PersonConfig(github="alice-gh"))
    findings = check_documents([parsed(text)], config)
    assert {f.level for f in findings} == {"error"}
    front_matter, *rest = findings
    assert 1 <= front_matter.line <= 4 and "front matter" in front_matter.message
    # the duplicate title, the unknown owner, the unreadable due date
    assert [f.line for f in rest] == [10, 11, 12]


def test_a_parsed_document_without_action_items() -> None:
    [finding] = check_documents([parsed("# Outage\n\nWe fixed it.\n")], Config())
    assert (finding.line, finding.level) == (1, "error")


def test_the_bundled_examples_pass() -> None:
    documents = [
        parsed(p.read_text(encoding="utf-8"), str(p)) for p in sorted(EXAMPLES.glob("*.md"))
    ]
    assert len(documents) == 5
    assert [f for f in check_documents(documents, Config()) if f.level == "error"] == []

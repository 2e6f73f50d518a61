"""The parser: the five example postmortems exactly, then one test per rule on small docs."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from pmsync.model import Postmortem
from pmsync.parse.postmortem import SectionSynonyms, parse_postmortem

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "postmortems"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "docs"

# (label key from ../shared/seeds/labels, line, section, due) per example, in order.
SEEDS: dict[str, list[tuple[str, int, str, str | None]]] = {
    "ecommerce-db-index-slowdown.md": [  # seed 000
        ("Database Index Review", 42, "corrective", None),
        ("Monitoring Enhancements", 43, "corrective", None),
        ("Load Testing", 44, "corrective", None),
        ("Patch Nginx Server", 47, "tasks", None),
        ("Add Monitoring on Server Memory", 48, "tasks", None),
        ("Automate Index Optimization", 49, "tasks", None),
        ("Review Incident Response Protocols", 50, "tasks", None),
        ("Enhanced Logging", 51, "tasks", None),
    ],
    "unoptimized-query-outage.md": [  # seed 001
        ("Enhanced code review processes", 42, "corrective", None),
        ("Improved monitoring to detect and alert", 43, "corrective", None),
        ("Increased capacity planning", 44, "corrective", None),
        ("Patch and redeploy the optimized query", 48, "tasks", None),
        ("Implement query performance monitoring tools", 49, "tasks", None),
        ("Conduct training for developers", 50, "tasks", None),
        ("Update the CI/CD pipeline", 51, "tasks", None),
        ("Review and optimize existing database queries", 52, "tasks", None),
    ],
    "web-stack-orders-index.md": [  # seed 002
        ("Database Index Management", 40, "corrective", None),
        ("Enhanced Monitoring", 44, "corrective", None),
        ("Incident Response Procedures", 48, "corrective", None),
        ("Patch PostgreSQL Configuration", 54, "tasks", None),
        ("Implement Monitoring Tools", 56, "tasks", None),
        ("Review and Optimize Indexes", 58, "tasks", None),
        ("Incident Playbook Update", 61, "tasks", None),
        ("Engineer Training", 64, "tasks", None),
    ],
    "missing-index-14h-outage.md": [  # seed 003
        ("Regular code reviews", 23, "corrective", None),
        ("Automated performance testing", 24, "corrective", None),
        ("Query optimization", 25, "corrective", None),
        ("Improved monitoring", 26, "corrective", None),
        ("Incident response training", 27, "corrective", None),
        ("Patch the monitoring system", 30, "tasks", None),
        ("Conduct a comprehensive code review", 31, "tasks", None),
        ("Perform a thorough review of the database schema", 32, "tasks", None),
        ("Enhance the alerting system", 33, "tasks", None),
    ],
    "checkout-down-missing-index.md": [  # seed 004
        ("Database Index Monitoring", 33, "corrective", None),
        ("Performance Testing", 34, "corrective", None),
        ("Pre-deployment Checks", 35, "corrective", None),
        ("Implement a script to periodically check for missing indexes", 38, "tasks", "2024-06-15"),
        ("Set up a performance testing environment", 39, "tasks", "2024-06-20"),
        ("Update deployment pipeline to include automated checks", 40, "tasks", "2024-06-25"),
    ],
}


def parse(text: str, path: str = "pm.md", **kwargs: object) -> Postmortem:
    return parse_postmortem(text, path, **kwargs)  # type: ignore[arg-type]


def titles(doc: Postmortem) -> list[str]:
    return [item.title for item in doc.items]


def norm(text: str) -> str:
    return " ".join(re.sub(r"[*_`\[\]#>]", " ", text).split()).lower()


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_examples_parse_to_exactly_the_labelled_items(name: str) -> None:
    doc = parse((EXAMPLES / name).read_text(encoding="utf-8"), name)
    expected = SEEDS[name]
    assert len(doc.items) == len(expected)
    for item, (key, line, section, due) in zip(doc.items, expected, strict=True):
        assert norm(key) in norm(item.title)
        assert (item.line, item.section) == (line, section)
        assert (item.due.isoformat() if item.due else None) == due
    assert doc.warnings == ()


def test_example_titles_bodies_and_incident_dates() -> None:
    doc = parse((EXAMPLES / "web-stack-orders-index.md").read_text(encoding="utf-8"))
    assert doc.title == "Postmortem: Web Stack Outage"
    assert doc.incident_date == date(2024, 6, 1)
    first = doc.items[0]
    assert first.title == "Database Index Management"
    assert first.body.splitlines()[1] == (
        "- Regularly review and optimize database indexes to ensure they are correctly configured."
    )
    seed3 = parse((EXAMPLES / "missing-index-14h-outage.md").read_text(encoding="utf-8"))
    assert seed3.incident_date == date(2023, 6, 9)
    assert seed3.items[0].title == "Regular code reviews"


# -- sections ---------------------------------------------------------------------------


def test_sections_by_heading_synonyms_case_insensitive() -> None:
    doc = parse("# PM\n\n## ACTION ITEMS\n\n- Fix it\n\n## Timeline\n\n- 10:00 not an item\n")
    assert titles(doc) == ["Fix it"]
    assert doc.items[0].section == "tasks"


def test_corrective_section_with_tasks_sub_heading() -> None:
    doc = parse(
        "# PM\n\n## Corrective and Preventive Measures\n\n### Improvements/Fixes\n\n- Tune\n\n"
        "### Tasks\n\n- Patch\n\n## Conclusion\n\n- not this\n"
    )
    assert [(i.title, i.section) for i in doc.items] == [
        ("Tune", "corrective"),
        ("Patch", "tasks"),
    ]


def test_pseudo_headings_bold_nospace_and_plain_line() -> None:
    bold = parse("# PM\n\n**Tasks:**\n\n- Bold one\n\n**Conclusion:**\n\n- not an item\n")
    nospace = parse("# PM\n\n#Tasks:\n\nTask 1: Add alerts\n\n#Conclusion\nnot an item\n")
    plain = parse("# PM\nSome text.\nCorrective and Preventative Measures\nAdd alerts\nAdd docs\n")
    assert titles(bold) == ["Bold one"]
    assert titles(nospace) == ["Add alerts"]
    assert titles(plain) == ["Add alerts", "Add docs"]


def test_plain_line_synonym_inside_wrapped_prose_is_not_a_heading() -> None:
    text = "# PM\n\nIdeas should be linked to under\nAction items.\n\n- not an item\n"
    assert parse(text).items == ()


def test_first_line_is_the_title_not_a_section() -> None:
    doc = parse("Tasks\n0. My first postmortem\nmandatory\n\nWrite a postmortem.\n")
    assert doc.items == ()


def test_section_ends_at_same_level_heading_and_fun_fact() -> None:
    text = "# PM\n\n## Follow-ups\n\n- One\n\n## Fun Fact\n\n- Two\n"
    assert titles(parse(text)) == ["One"]


def test_lessons_learned_is_not_an_action_section() -> None:
    doc = parse("# PM\n\n## Action Items\n\n## Lessons Learned\n\n- Automate more.\n")
    assert doc.items == ()


def test_configurable_synonyms() -> None:
    synonyms = SectionSynonyms(tasks=("homework",), corrective=())
    doc = parse(
        "# PM\n\n## Homework\n\n- Study\n\n## Action Items\n\n- Not this\n", synonyms=synonyms
    )
    assert titles(doc) == ["Study"]


def test_numbered_and_ampersand_headings() -> None:
    doc = parse("# PM\n\n## 5. Corrective & Preventative Actions\n\n* **Fix logic:** Did it.\n")
    assert titles(doc) == ["Fix logic"]


# -- items ------------------------------------------------------------------------------


def test_list_markers_and_checkboxes() -> None:
    doc = parse(
        "# PM\n\n## TODO\n\n- [x] Done thing\n- [ ] Open thing\n* Star\n+ Plus\n1. Numbered\n"
    )
    assert titles(doc) == ["Done thing", "Open thing", "Star", "Plus", "Numbered"]
    assert [i.done for i in doc.items] == [True, False, False, False, False]


def test_categories_headings_and_bullets_group_entries() -> None:
    doc = parse(
        "# PM\n\n## Action Items\n\n### Process\n\n1. Name a driver\n\n"
        "### Tooling\n\nAdd a dashboard. (link)\n\n"
        "## Corrective measures\n\n- **Tasks:**\n  - Patch A\n  - Patch B\n"
    )
    assert titles(doc) == ["Name a driver", "Add a dashboard", "Patch A", "Patch B"]
    assert doc.items[-1].section == "tasks"


def test_nested_sub_items_belong_to_their_parent() -> None:
    doc = parse("# PM\n\n## Tasks\n\n1. **Index review:**\n   - weekly\n     - deep\n2. Other\n")
    assert titles(doc) == ["Index review", "Other"]
    assert doc.items[0].body == "**Index review:**\n- weekly\n  - deep"


def test_intro_and_closing_sentences_are_not_items() -> None:
    doc = parse(
        "# PM\n\n## Corrective and Preventative Measures\n\n"
        "To prevent similar outages, the following measures will be implemented:\n\n"
        "1. Reviews: more of them.\n2. Tests: more of them.\n\n"
        "By implementing these measures we will be more reliable.\n"
    )
    assert titles(doc) == ["Reviews", "Tests"]


def test_plain_lines_intro_and_label_majority() -> None:
    doc = parse(
        "# PM\n\n## Remediation\n\nWe decided the following:\n"
        "Alerting: Add alerts on queue depth.\nDocs: Write a runbook.\n"
        "In conclusion, this was bad.\n"
    )
    assert titles(doc) == ["Alerting", "Docs"]


def test_intro_paragraph_before_sub_headings() -> None:
    doc = parse(
        "# PM\n\n## Action items\n\nThese are sample subheadings. Every item\n"
        "(even a small one) gets an issue.\n\n### Technical improvements\n\n1. Update guide\n"
    )
    assert titles(doc) == ["Update guide"]


def test_headings_standing_alone_are_items() -> None:
    doc = parse("# PM\n\n## Tasks\n### Patch the monitoring system.\n### Add alerts\n\n## End\n")
    assert titles(doc) == ["Patch the monitoring system", "Add alerts"]
    assert [i.line for i in doc.items] == [4, 5]


def test_broken_numbered_list_invents_no_items() -> None:
    text = (
        "# PM\n\n## Fixes\n\n1. Reviews: find potential 2. performance issues early.\n"
        "3. Tests: add.\n"
    )
    assert titles(parse(text)) == ["Reviews", "Tests"]


def test_indented_plain_text_is_read_as_text() -> None:
    text = (
        "Report\n\nCorrective and Preventative Measures:\n\n    Tasks:\n\n"
        "        Config Review:\n            Task: Audit the config.\n"
        "            Deadline: December 22, 2023.\n\nConclusion:\nAll good now.\n"
    )
    doc = parse(text)
    assert titles(doc) == ["Config Review"]
    assert doc.items[0].due == date(2023, 12, 22)
    assert doc.items[0].line == 7


def test_html_list_items() -> None:
    doc = parse("# PM\n\n### Tasks:\n<ol><li>First task here.</li>\n<li>Second task.</li></ol>\n")
    assert titles(doc) == ["First task here", "Second task"]
    assert [i.line for i in doc.items] == [4, 5]


def test_pseudo_bullets_with_nbsp() -> None:
    doc = parse(
        "# PM\n\n## Prevention\n\nWe will:  \n"
        "&nbsp;•&nbsp;Keep configs simple.  \n&nbsp;•&nbsp;Prune rules.\n"
    )
    assert titles(doc) == ["Keep configs simple", "Prune rules"]


def test_glued_task_sentences() -> None:
    text = (
        "# PM\n\n## Tasks\n\nImplement a patch for auth. Enhance incident response protocols now. "
        "Document the incident and resolution.\n"
    )
    assert len(parse(text).items) == 3


# -- tables -----------------------------------------------------------------------------


def test_table_rows_map_columns_onto_fields() -> None:
    doc = parse(
        "---\ndate: 2024-06-01\n---\n# PM\n\n## Action Items\n\n"
        "| Action | Owner | Priority | Due | Status | Bug | Notes |\n"
        "|---|---|---|---|---|---|---|\n"
        "| Add load shedding | @ann | P1 | 15 Jun | DONE | OPS-12 | later |\n"
        "| Fix leak | bob | high | 2024-07-01 | open | [#3](https://github.com/a/b/issues/3) | |\n"
        "| | | | | | | |\n"
    )
    first, second = doc.items
    assert (first.title, first.owner, first.priority, first.due, first.done) == (
        "Add load shedding", "ann", "P1", date(2024, 6, 15), True,
    )  # fmt: skip
    assert first.links == ("OPS-12",)
    assert "Notes: later" in first.body
    assert first.line == 10
    assert (second.priority, second.due, second.done) == ("high", date(2024, 7, 1), False)
    assert second.links == ("https://github.com/a/b/issues/3",)


def test_empty_table_yields_nothing_and_its_intro_is_prose() -> None:
    doc = parse("# PM\n\n## Action Items\n\nNone yet.\n\n| Action Item | Owner |\n|---|---|\n")
    assert doc.items == ()


# -- fields -----------------------------------------------------------------------------


def test_owner_forms() -> None:
    doc = parse(
        "# PM\n\n## Tasks\n\n- Rotate keys. Owner: @alice\n- Patch (@bob)\n"
        "- Add docs [owner: carol]\n- Clean up. Assignee: dave\n- Nobody\n"
    )
    assert [i.owner for i in doc.items] == ["alice", "bob", "carol", "dave", None]
    assert titles(doc)[:3] == ["Rotate keys", "Patch", "Add docs"]


def test_priority_forms() -> None:
    doc = parse(
        "# PM\n\n## Tasks\n\n- A [P1]\n- B. Priority: high\n- C (p0)\n- Deploy P3 servers\n"
    )
    assert [i.priority for i in doc.items] == ["P1", "high", "P0", None]


def test_links_and_jira_false_positives() -> None:
    doc = parse(
        "# PM\n\n## Tasks\n\n- A https://github.com/acme/ops/issues/12\n- B acme/ops#7\n"
        "- C see [OPS-9](https://x.atlassian.net/browse/OPS-9)\n- D Jira: OPS-10\n"
        "- E use UTF-8 and SHA-256 after COVID-19\n- F https://x.atlassian.net/browse/AB-1\n"
    )
    assert [(*i.links, *i.references) for i in doc.items] == [
        ("https://github.com/acme/ops/issues/12",),
        ("acme/ops#7",),
        ("https://x.atlassian.net/browse/OPS-9",),
        ("OPS-10",),
        (),
        ("https://x.atlassian.net/browse/AB-1",),
    ]
    # "see [OPS-9](…)" continues a sentence: a reference; the others end their item
    assert [bool(i.links) for i in doc.items] == [True, True, False, True, False, True]


@pytest.mark.parametrize(
    ("written", "links", "references"),
    [
        ("Add alerts (acme/ops#5)", ["acme/ops#5"], []),
        ("Add alerts — [OPS-7](https://x.atlassian.net/browse/OPS-7)", ["OPS-7"], []),
        ("[OPS-8](https://x.atlassian.net/browse/OPS-8): add a runbook", ["OPS-8"], []),
        ("Add dashboards\n  Tracked in https://github.com/acme/ops/issues/44", ["/44"], []),
        ("Add dashboards, tracking: acme/ops#47 (after acme/ops#48)", ["#47"], ["#48"]),
        ("Add a regression test for the crash fixed in https://github.com/acme/ops/issues/1",
         [], ["issues/1"]),
        ("Fix the leak in [OPS-11](https://x.atlassian.net/browse/OPS-11) first", [], ["OPS-11"]),
        ("Add more checks (see acme/ops#45)", [], ["#45"]),
    ],
)  # fmt: skip
def test_only_a_link_in_an_issue_position_is_the_items_own(
    written: str, links: list[str], references: list[str]
) -> None:
    (found,) = parse(f"# PM\n\n## Tasks\n\n- {written}\n").items

    def named(refs: tuple[str, ...], wanted: list[str]) -> bool:
        return len(refs) == len(wanted) and all(w in r for w, r in zip(wanted, refs, strict=True))

    assert named(found.links, links) and named(found.references, references)


def test_write_back_link_keeps_id_and_hash_and_is_reported() -> None:
    before = parse("# PM\n\n## Tasks\n\n- [ ] Rotate the keys\n")
    after = parse(
        "# PM\n\n## Tasks\n\n- [x] Rotate the keys ([acme/ops#12](https://github.com/acme/ops/issues/12))\n"
    )
    assert after.items[0].title == "Rotate the keys"
    assert after.items[0].id == before.items[0].id
    assert after.items[0].content_hash == before.items[0].content_hash
    assert after.items[0].links == ("https://github.com/acme/ops/issues/12",)


def test_title_rules() -> None:
    long = "Improve " + "very " * 40 + "much"
    doc = parse(
        "# PM\n\n## Tasks\n\n- **Patch Nginx Server**: Ensure patches.\n"
        "- Task 2: Implement a script. Then more.\n- Database Index Monitoring: Implement it.\n"
        f"- {long}\n- Use *emphasis* and `code` and [a link](http://x)\n"
    )
    got = titles(doc)
    assert got[:3] == ["Patch Nginx Server", "Implement a script", "Database Index Monitoring"]
    assert len(got[3]) <= 120 and got[3].endswith("very") and long.startswith(got[3])
    assert got[4] == "Use emphasis and code and a link"
    assert doc.items[4].body == "Use *emphasis* and `code` and [a link](http://x)"


# -- due dates --------------------------------------------------------------------------


def test_due_date_forms_and_year_inference() -> None:
    doc = parse(
        "# PM\n\nStart: June 5, 2024\n\n## Tasks\n\n- A. Due: June 15, 2024\n- B due 2024-06-15\n"
        "- C (due by 15 Jun)\n- D by July 1\n- E. Deadline: May 2\n- F due to load, no date\n"
    )
    assert doc.incident_date == date(2024, 6, 5)
    assert [i.due for i in doc.items] == [
        date(2024, 6, 15), date(2024, 6, 15), date(2024, 6, 15),
        date(2024, 7, 1), date(2025, 5, 2), None,
    ]  # fmt: skip
    assert doc.warnings == ()


def test_due_date_problems_are_warnings_with_their_line() -> None:
    doc = parse(
        "# PM\n\n## Tasks\n\n- A. Due: next week\n- B\n  Due: Q3\n- C. Due: soonish\n"
        "- D by July 1\n"
    )
    assert [i.due for i in doc.items] == [None, None, None, None]
    assert [w.line for w in doc.warnings] == [5, 7, 8, 9]
    assert "vague" in doc.warnings[0].message
    assert "incident date is unknown" in doc.warnings[1].message
    assert "no year" in doc.warnings[3].message


# -- front matter, encodings, odd input -------------------------------------------------


def test_front_matter_fields_and_key() -> None:
    text = (
        "---\nid: PM-2024-007\ntitle: DB outage\ndate: 2024-06-01\nowner: sre\n"
        "tracker: github\nlabels: [postmortem]\n---\n# Other title\n\n## Tasks\n\n- Fix\n"
    )
    doc = parse(text, "any/where.md")
    assert doc.title == "DB outage"
    assert doc.key == "pm-2024-007"
    assert doc.incident_date == date(2024, 6, 1)
    assert doc.front_matter["labels"] == ["postmortem"]
    assert doc.items[0].line == 13


def test_invalid_front_matter_is_a_warning_with_its_line() -> None:
    doc = parse("---\ntitle: ok\nbad: [unclosed\n---\n# PM\n\n## Tasks\n\n- Fix\n")
    assert titles(doc) == ["Fix"]
    assert len(doc.warnings) == 1 and doc.warnings[0].line in (3, 4)
    assert "front matter" in doc.warnings[0].message


def test_non_mapping_front_matter_is_ignored_with_a_warning() -> None:
    doc = parse("---\n- a\n- b\n---\n# PM\n")
    assert doc.front_matter == {} and doc.warnings[0].line == 1


def test_crlf_bom_and_tabs() -> None:
    text = "\ufeff# PM\r\n\r\n## Tasks\r\n\r\n-\tFix one\r\n- Fix two\r\n\t- nested\r\n"
    doc = parse(text)
    assert doc.title == "PM"
    assert titles(doc) == ["Fix one", "Fix two"]
    assert [i.line for i in doc.items] == [5, 6]


def test_deep_nesting_does_not_break() -> None:
    nested = "".join("  " * depth + "- level\n" for depth in range(60))
    quoted = "> " * 40 + "deep\n"
    doc = parse(f"# PM\n\n## Tasks\n\n{nested}\n{quoted}" + "        indented\n" * 3)
    assert titles(doc)[0] == "level"


def test_document_key_comes_from_the_path_not_the_title_or_date() -> None:
    text = "# DB Outage\n\nStart: June 5, 2024\n"
    edited = "# Database outage\n\nStart: June 6, 2024\n"
    assert parse(text, "a/x.md").key == parse(edited, "a/x.md").key
    assert parse(text, "a/x.md").key != parse(text, "b/x.md").key
    assert parse("no heading here\n", "dir/My File.md").key.startswith("my-file-")


def test_fixture_documents() -> None:
    for titles_file in sorted(FIXTURES.glob("*.titles")):
        path = titles_file.with_suffix(".md")
        doc = parse(path.read_text(encoding="utf-8"), str(path))
        expected = titles_file.read_text(encoding="utf-8").splitlines()
        assert titles(doc) == expected, path.name

"""Fixture documents written in the styles real teams use, each with its expected items.

`tests/fixtures/docs/NAME.md` is parsed; `NAME.items.json` lists the items expected, in
order, with the fields to compare (title always; owner, due, done, priority when given).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from pmsync.parse.postmortem import LINES_PER_ITEM, LINES_SLACK, parse_postmortem

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "docs"
CASES = sorted(p.name.removesuffix(".items.json") for p in FIXTURES.glob("*.items.json"))


def _source(name: str) -> Path:
    return next(p for p in FIXTURES.glob(f"{name}.*") if not p.name.endswith(".json"))


@pytest.mark.parametrize("name", CASES)
def test_fixture_items(name: str) -> None:
    path = _source(name)
    doc = parse_postmortem(path.read_text(encoding="utf-8"), path.name)
    expected = json.loads((FIXTURES / f"{name}.items.json").read_text(encoding="utf-8"))
    got = [item.to_json() for item in doc.items]
    assert [i["title"] for i in got] == [e["title"] for e in expected]
    for item, want in zip(got, expected, strict=True):
        assert {key: item[key] for key in want} == want, item["title"]


def test_html_exports_give_title_incident_date_and_key() -> None:
    confluence = parse_postmortem(_source("confluence-export").read_text(), "pm.html")
    gdocs = parse_postmortem(_source("gdocs-export").read_text(), "pm.html")
    assert confluence.title == "Platform : Postmortem - Queue consumer stall"
    assert str(confluence.incident_date) == "2026-07-08"
    assert gdocs.title == "Postmortem: Checkout 502s"
    assert str(gdocs.incident_date) == "2026-10-02"
    assert [w.line for w in confluence.warnings] == [24]  # "next sprint": vague, no date


def test_explain_on_html_names_bold_class_headings_and_skips_tag_only_lines() -> None:
    from pmsync.parse.explain import explain_postmortem

    path = _source("gdocs-export")
    notes = {n.line: n.text for n in explain_postmortem(path.read_text(), path.name)}
    assert notes[9] == "category of the section 'Longer term' (bold)"  # CSS class c1 is bold
    assert 8 not in notes  # "</ul>": no text


def test_html_is_recognised_by_its_start_whatever_the_name() -> None:
    text = "<!DOCTYPE html><html><body><h2>Action items</h2><ul><li>Rotate keys</li></ul>"
    assert [i.title for i in parse_postmortem(text, "notes.txt").items] == ["Rotate keys"]


def test_write_back_into_html_is_refused_with_one_line(tmp_path: Path) -> None:
    from pmsync.errors import InputError
    from pmsync.status.writeback import LineEdit, write_back

    path = tmp_path / "pm.html"
    path.write_text("<ul><li>Rotate keys</li></ul>")
    with pytest.raises(InputError) as caught:
        write_back(path, [LineEdit(1, "OPS-1", "https://example.org/OPS-1", False)])
    assert "\n" not in str(caught.value) and "HTML" in str(caught.value)
    assert path.read_text() == "<ul><li>Rotate keys</li></ul>"


def test_explain_names_the_rule_of_each_item_and_why_lines_were_not_taken() -> None:
    from pmsync.parse.explain import explain_postmortem

    path = _source("legend-and-template")
    notes = {n.line: n.text for n in explain_postmortem(path.read_text(), path.name)}
    assert notes[9] == "item 'Stage resolver config pushes by zone': table row"
    assert notes[17] == "tasks section 'Tasks' (atx)"
    assert notes[19].startswith("not taken: prose")  # the template's instructions paragraph
    assert notes[21] == "not an item (list item): an instruction of the template"
    assert notes[40].endswith("plain line (weak rule: review it)")
    bounds = _source("section-bounds")
    notes = {n.line: n.text for n in explain_postmortem(bounds.read_text(), bounds.name)}
    assert notes[19] == "section ends at 'Conclusion'"
    assert notes[36] == "not an item (list item): a template placeholder"


def test_check_flags_items_of_weak_rules_and_each_unknown_owner() -> None:
    from pmsync.check import check_documents
    from pmsync.config import Config

    text = (
        "# PM\n\n## Next steps\n\nRotate the keys\nAdd alerts\n\n## Tasks\n\n- Fix it (@ana, @bo)\n"
    )
    config = Config.model_validate({"people": {"ana": {"github": "ana-gh"}}})
    findings = check_documents([parse_postmortem(text, "pm.md")], config)
    assert [(f.line, f.level) for f in findings] == [(5, "warning"), (6, "warning"), (10, "error")]
    assert "plain line" in findings[0].message and "'bo'" in findings[2].message


def test_parse_explain_on_the_command_line() -> None:
    from typer.testing import CliRunner

    from pmsync.cli import app

    path = str(_source("section-bounds"))
    text = CliRunner().invoke(app, ["parse", "--explain", path], catch_exceptions=False).output
    assert text.splitlines()[0] == path
    assert "  line 14: item 'Cap aggregation buckets per query': list item" in text.splitlines()
    result = CliRunner().invoke(app, ["parse", "--json", "--explain", path])
    [doc] = json.loads(result.output)["documents"]
    assert {"line": 19, "note": "section ends at 'Conclusion'"} in doc["explain"]
    plain = json.loads(CliRunner().invoke(app, ["parse", "--json", path]).output)
    assert "explain" not in plain["documents"][0]


def test_max_items_stops_collecting_one_item_past_the_limit() -> None:
    text = "# PM\n\n## Tasks\n\n" + "".join(f"- Fix part {n}\n" for n in range(50))
    doc = parse_postmortem(text, "pm.md", max_items=5)
    assert len(doc.items) == 6 and doc.items[-1].title == "Fix part 5"
    assert [(w.line, w.message) for w in doc.warnings] == [(11, "more than 5 items: rest not read")]


def test_a_huge_document_is_read_only_as_far_as_max_items_needs() -> None:
    # 10 lines an item and 10,000 more from the action section on; the rest is not read
    # (a generated file of 400,000 items costs in proportion to the limit, see bench/)
    window = LINES_PER_ITEM * 6 + LINES_SLACK
    prose = "".join(f"Line {n} of a pasted log.\n\n" for n in range(window))
    text = "# PM\n\n## Tasks\n\n- Fix part 1\n- Fix part 2\n\n" + prose + "- Fix part 3\n"
    doc = parse_postmortem(text, "pm.md", max_items=5)
    assert [i.title for i in doc.items] == ["Fix part 1", "Fix part 2"] and not doc.whole
    assert doc.warnings[-1].message.startswith(f"more than {window:,} lines")
    assert parse_postmortem(text, "pm.md").whole  # no limit: read whole
    many = "# PM\n\n## Tasks\n\n" + "".join(f"- Fix part {n}\n" for n in range(3 * window))
    cut = parse_postmortem(many, "pm.md", max_items=5)
    assert len(cut.items) == 6 and not cut.whole


def test_a_document_not_read_whole_has_no_item_concluded_gone() -> None:
    from pmsync.config import Config
    from pmsync.plan.planner import plan_changes
    from tests.test_plan import doc, item, pushed_state

    config = Config.model_validate({"github": {"repo": "acme/ops"}, "parser": {"max_items": 5}})
    before = doc(item("a", "Fix part 1"), item("b", "Fix part 3"))
    cut = replace(doc(item("a", "Fix part 1")), whole=False)
    plan = plan_changes([cut], pushed_state(before), config)
    assert [c.action for c in plan.changes] == ["unchanged"]
    assert "too long to read whole" in plan.warnings[0]


def test_titles_are_never_cut_inside_quotes_or_brackets() -> None:
    text = (
        '# PM\n\n## Tasks\n\n- Add a "Stop. Think." banner to the deploy tool. It helps.\n'
        '- Rotate keys (see runbook v2. section 3). Later.\n- Pin it: "a: b" is the rule\n'
    )
    assert [i.title for i in parse_postmortem(text, "pm.md").items] == [
        'Add a "Stop. Think." banner to the deploy tool',
        "Rotate keys (see runbook v2. section 3)",
        "Pin it",
    ]


def test_markdown_right_under_an_html_heading_is_read_as_markdown() -> None:
    text = (
        "# PM\n\n<h3>Action items</h3>\n- Fix A (owner: @kim)\n- Fix B\n\n"
        "<h3>Timeline</h3>\n\n- 10:00\n"
    )
    doc = parse_postmortem(text, "pm.md")
    assert [(i.line, i.title, i.owner) for i in doc.items] == [
        (4, "Fix A", "kim"),
        (5, "Fix B", None),
    ]


def test_a_label_only_item_in_a_list_of_labelled_items_is_an_item() -> None:
    text = (
        "# PM\n\n## Tasks\n\n1. **Patch the config:**\n   - Set the limit.\n"
        "2. **Train engineers:**\n   - Run a session.\n3. **Add a canary:**\n"
    )
    titles = [i.title for i in parse_postmortem(text, "pm.md").items]
    assert titles == ["Patch the config", "Train engineers", "Add a canary"]


@pytest.mark.parametrize(
    "text",
    [
        # last in a list beside a section's label bullet, nothing after it
        "# PM\n\n- **Action items:**\n  - Fix the index\n- **Add a canary:**\n",
        # the same with a heading after it
        "# PM\n\n- **Action items:**\n  - Fix the index\n- **Add a canary:**\n\n## Timeline\n",
        # numbered on from the list above, alone after a note
        "# PM\n\n## Tasks\n\n1. **Fix the index:**\n   - nightly\n\nA note.\n\n"
        "6. **Add a canary:**\n",
    ],
)
def test_a_label_bullet_heading_nothing_is_an_item(text: str) -> None:
    titles = [i.title for i in parse_postmortem(text, "pm.md").items]
    assert titles == ["Fix the index", "Add a canary"]


def test_a_label_bullet_over_text_still_heads_it() -> None:
    text = "# PM\n\n- **Action items:**\n  - Fix the index\n- **Resolution:**\n\nWe restarted.\n"
    assert [i.title for i in parse_postmortem(text, "pm.md").items] == ["Fix the index"]


def test_parse_reads_past_front_matter_of_a_site_generator(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pmsync.cli import app

    path = tmp_path / "pm.md"
    path.write_text("---\ntitle: Outage\nweight: 3\n---\n# Outage\n\n## Action items\n\n- Fix it\n")
    result = CliRunner().invoke(app, ["parse", "--json", str(path)])
    assert result.exit_code == 0
    assert [i["title"] for i in json.loads(result.output)["documents"][0]["items"]] == ["Fix it"]


def test_a_dash_in_a_due_cell_is_no_date_and_no_warning() -> None:
    doc = parse_postmortem(_source("ticket-first-table").read_text(), "pm.md")
    assert doc.items[-1].due is None and not doc.warnings


def test_a_placeholder_for_items_to_come_is_no_item() -> None:
    text = "# Outage\n\n## Action items\n_None yet — to be discussed in the review._\n"
    assert parse_postmortem(text, "pm.md").items == ()
    kept = "# Outage\n\n## Action items\n- TBD: add alerting\n- None of the alerts fired: fix\n"
    assert len(parse_postmortem(kept, "pm.md").items) == 2

"""Fixture documents written in the styles real teams use, each with its expected items.

`tests/fixtures/docs/NAME.md` is parsed; `NAME.items.json` lists the items expected, in
order, with the fields to compare (title always; owner, due, done, priority when given).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pmsync.parse import parse_postmortem

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


def test_html_is_recognised_by_its_start_whatever_the_name() -> None:
    text = "<!DOCTYPE html><html><body><h2>Action items</h2><ul><li>Rotate keys</li></ul>"
    assert [i.title for i in parse_postmortem(text, "notes.txt").items] == ["Rotate keys"]


def test_write_back_into_html_is_refused_with_one_line(tmp_path: Path) -> None:
    from pmsync.errors import InputError
    from pmsync.writeback import LineEdit, write_back

    path = tmp_path / "pm.html"
    path.write_text("<ul><li>Rotate keys</li></ul>")
    with pytest.raises(InputError) as caught:
        write_back(path, [LineEdit(1, "OPS-1", "https://example.org/OPS-1", False)])
    assert "\n" not in str(caught.value) and "HTML" in str(caught.value)
    assert path.read_text() == "<ul><li>Rotate keys</li></ul>"

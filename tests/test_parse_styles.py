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

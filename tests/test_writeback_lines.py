"""Write-back edits the line the parser numbered, whatever characters sit above it:
U+2028, U+2029, form feed, vertical tab or `\\x85` inside a line are text to both."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pmsync.parse.postmortem import parse_postmortem
from pmsync.status.writeback import LineEdit, apply_edits

ODD = ["\u2028", "\u2029", "\x0c", "\x0b", "\x85", "\x1c", "\x1d", "\x1e"]


def linked(text: str) -> str:
    doc = parse_postmortem(text, "postmortems/a.md")
    edits = [LineEdit(item.line, f"OPS-{n}", f"https://j/OPS-{n}", False)
             for n, item in enumerate(doc.items, 1)]  # fmt: skip
    return apply_edits(text, edits)


def test_links_land_on_the_items_below_odd_line_separators() -> None:
    text = (
        "# Outage\u2028with a twist\n\nDate: 2024-06-01\x0c\n\nSummary\x85 here.\n\n"
        "## Action items\n\n- Fix the pool\n- Add alerts\n"
    )
    after = linked(text)
    assert "- [ ] Fix the pool ([OPS-1](https://j/OPS-1))\n" in after
    assert "- [ ] Add alerts ([OPS-2](https://j/OPS-2))\n" in after
    assert after.count("OPS-") == 4  # 2 links, each key written twice, nowhere else
    assert linked(after) == after


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([*ODD, "x", " ", "\r\n", "\r", "\n"]), max_size=30))
def test_every_item_line_gets_its_link_whatever_is_above(noise: list[str]) -> None:
    text = "# Outage\n\n" + "".join(noise) + "\n\n## Action items\n\n- Fix the pool\n- Add alerts\n"
    lines = linked(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    assert lines[-3].endswith("Fix the pool ([OPS-1](https://j/OPS-1))")
    assert lines[-2].endswith("Add alerts ([OPS-2](https://j/OPS-2))")

"""pmsync's block in a Linear description: where it starts and ends, what is people's,
and that an update whose base no longer matches what pmsync wrote deletes nothing."""

from __future__ import annotations

from pmsync.adapters.base import wrap_block
from pmsync.adapters.linear.block import cut, read_marker, render, split_outside

BODY = "Add an index on **orders.created_at**.\n\n* check the plan\n* see https://x.test/a"


def around(description: str, before: str, after: str) -> str:
    return f"{before}\n\n{description}\n\n{after}"


def test_a_new_block_is_intact_and_carries_identity() -> None:
    block = render(BODY, "pm-1", "00ab")
    assert block.splitlines()[0].startswith("pmsync begin · ")
    assert block.splitlines()[-1] == "pmsync item pm-1 · rev 00ab"
    parts = cut(block)
    assert parts.intact and parts.marker == ("pm-1", "00ab") and parts.before == []
    assert split_outside(block) == ("", "")


def test_text_around_the_block_is_people_s() -> None:
    text = around(render(BODY, "pm-1", "00ab"), "Notes first.", "Notes after.")
    assert split_outside(text) == ("Notes first.", "Notes after.")
    assert read_marker(text) == ("pm-1", "00ab")


def test_linear_rewriting_the_markdown_is_not_an_edit() -> None:
    stored = render(BODY, "pm-1", "00ab").replace("* ", "- ").replace("**", "__")
    stored = stored.replace("https://x.test/a", "[https://x.test/a](https://x.test/a)")
    assert cut(stored).intact and split_outside(stored) == ("", "")


def test_an_edit_inside_the_block_is_kept_below_the_new_one() -> None:
    edited = render(BODY, "pm-1", "00ab").replace("check the plan", "check the plan twice")
    text = around(edited, "Before.", "After.")
    before, after = split_outside(text)
    assert before == "Before." and "check the plan twice" in after and after.endswith("After.")
    assert "pmsync item" not in after  # the stale marker would name an old revision
    merged = wrap_block((before, after), render("New text.", "pm-1", "00cd"))
    assert read_marker(merged) == ("pm-1", "00cd")
    assert "check the plan twice" in merged and "Before." in merged and "After." in merged
    assert cut(merged).intact  # the next update moves nothing again


def test_a_deleted_begin_line_deletes_nothing() -> None:
    text = around(render(BODY, "pm-1", "00ab").split("\n", 1)[1], "Before.", "After.")
    assert read_marker(text) == ("pm-1", "00ab")
    before, after = split_outside(text)
    assert "Before." in before + after and "orders.created_at" in after
    assert after.endswith("After.")


def test_a_deleted_marker_keeps_everything_and_no_identity() -> None:
    text = around(render(BODY, "pm-1", "00ab").rsplit("\n", 1)[0], "Before.", "After.")
    assert read_marker(text) is None
    before, after = split_outside(text)
    assert "pmsync begin" not in before
    assert before.startswith("Before.") and "orders.created_at" in before
    assert before.endswith("After.") and after == ""


def test_no_block_at_all_is_all_people_s() -> None:
    assert split_outside("Written in Linear.") == ("Written in Linear.", "")
    assert read_marker("Written in Linear.") is None


def test_item_text_imitating_the_delimiters_neither_ends_nor_steals_the_block() -> None:
    body = "Copied:\n\npmsync item pm-9 · rev dead\n\npmsync begin · 0123456789ab\n\nmore"
    text = around(render(body, "pm-1", "0001"), "Notes.", "")
    assert read_marker(text) == ("pm-1", "0001")
    assert split_outside(text) == ("Notes.", "") and cut(text).intact

"""Property tests: the parser never raises, and ids survive cosmetic edits and reordering."""

from __future__ import annotations

import os

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pmsync.parse.owners import _OWNER_HINT, may_name_owner
from pmsync.parse.postmortem import parse_postmortem
from pmsync.plan.identity import normalize_text

FRAGMENTS = [
    "# ", "## ", "#", "**", "__", "*", "_", "`", "```", "~~~", "- ", "* ", "+ ", "1. ", "2) ",
    "- [ ] ", "- [x] ", "[]", "> ", "    ", "\t", "\n", "\n\n", "\r\n", "|",
    "| a | b |\n|---|---|\n",
    "---\n", "<ol><li>", "</li>", "&nbsp;•", "Tasks", "Tasks:", "Action Items", "Corrective and "
    "Preventative Measures", "Improvements/Fixes:", "Due: ", "due by ", "June 15", "2024-06-15",
    "Q3", "next week", "Owner: @x", "(@y)", "[P1]", "OPS-12", "acme/ops#3", "[l](http://x)",
    "Task 1: ", "Fix the thing.", "Conclusion:", ":", "\ufeff", "id: [", "title: t\n",
    "<!-- ", " -->", "<pre>", "</pre>", "Next steps", "1. ", "   ",
    "<h2>", "</h2>", "<p>", "</p>", "<table><tr><th>Action item</th><th>Owner</th></tr>",
    "<tr><td>", "</td><td>", "</tr></table>", "<ul>", "</ul>", "<b>", "</b>", "<br>",
    "<input type=checkbox checked>", "<div>", "</div>", "<!DOCTYPE html>", "&amp;",
    "What are we doing about it?", "- **Review actions**:", "TODO(x): ", "@x to ", "EOW",
    "end of Q3", "| # | Action item | Owner |\n|---|---|---|\n", "{{ summary }}",
]  # fmt: skip
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india"]

markdownish = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=12), max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_parse_never_raises_on_arbitrary_text(text: str) -> None:
    parse_postmortem(text, "x.md")


@settings(max_examples=200, deadline=None)
@given(markdownish)
def test_parse_never_raises_on_html_documents(text: str) -> None:
    doc = parse_postmortem(text, "x.html")
    assert all(item.line >= 1 and item.title for item in doc.items)


@settings(max_examples=400, deadline=None)
@given(markdownish)
def test_parse_never_raises_on_markdownish_text(text: str) -> None:
    doc = parse_postmortem(text, "x.md")
    for item in doc.items:
        assert item.line >= 1 and item.title and len(item.title) <= 120
        assert len(item.id) <= 24 and item.id.replace("-", "").isalnum()


titles = st.lists(
    st.lists(st.sampled_from(WORDS), min_size=2, max_size=5).map(" ".join),
    min_size=1,
    max_size=6,
    unique_by=normalize_text,
)


def _doc(lines: list[str]) -> str:
    return "# Outage\n\n## Action Items\n\n" + "".join(f"- {line}\n" for line in lines)


def _ids_by_title(text: str) -> dict[str, str]:
    doc = parse_postmortem(text, "x.md")
    return {normalize_text(item.title): item.id for item in doc.items}


@settings(max_examples=150, deadline=None)
@given(titles, st.randoms(use_true_random=False))
def test_ids_survive_cosmetic_edits_and_reordering(items: list[str], rnd: object) -> None:
    before = _ids_by_title(_doc(items))
    assert len(before) == len(items)
    edited = []
    for title in items:
        words = title.split()
        words[0] = f"**{words[0]}**"
        edited.append("  ".join(words) + "!")
    rnd.shuffle(edited)  # type: ignore[attr-defined]
    assert _ids_by_title(_doc(edited)) == before


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=2, max_size=4).map(" ".join))
def test_identical_items_get_distinct_ids(title: str) -> None:
    doc = parse_postmortem(_doc([title, title, title]), "x.md")
    ids = [item.id for item in doc.items]
    assert len(set(ids)) == 3 and ids[1] == f"{ids[0]}-2"


@settings(max_examples=int(os.environ.get("PMSYNC_EXAMPLES", "400")), deadline=None)
@given(markdownish)
# Section openers the region start once missed: an HTML table's action header, a table
# header with the action column first and no leading pipe, a setext heading over two
# lines, a question heading of more than twelve words.
@example(
    "# PM\n\n<table><tr><th>Task</th><th>Owner</th></tr><tr><td>Fix the cache</td>"
    "<td>a</td></tr></table>\n\nx\n\n## Action items\n\n- Rotate keys\n"
)
@example("# PM\n\nAction | Owner\n--- | ---\nFix the cache | a\n\nx\n\n## Tasks\n\n- Rotate\n")
@example("# PM\n\nAction\nitems\n------\n\n- Fix the cache\n")
@example(
    "# PM\n\n## What are we doing to make sure that this never happens again in any of "
    "our regions?\n\n- Fix the cache\n"
)
def test_starting_at_the_first_possible_section_changes_nothing(text: str) -> None:
    """The parse-region shortcut (parse_region.parse_start) is a pure speed-up: the result
    equals a parse of the whole document."""
    import pmsync.parse.postmortem as parse_module

    fast = parse_postmortem(text, "x.md")
    original = parse_module.parse_start
    parse_module.parse_start = lambda lines, phrases: 0  # type: ignore[assignment]
    try:
        full = parse_postmortem(text, "x.md")
    finally:
        parse_module.parse_start = original
    assert fast == full


# Owner words in every case, with letters IGNORECASE also takes for "i" and "s".
OWNER_FRAGMENTS = [
    "owner", "OWNER", "Owners", "own", "Owned by", "assign", "ASSIGNED", "aſſign", "ASSİGN",
    "dri", "DRI", "drı", "responsible", "RESPONSIBLE", "reſponſıble", "@", "(", "—", "–", " ",
    ":", "x", "ı", "ſ",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@example("Responſible: kim")
@example("drı: kim")
@example("Owned by kim")
@given(st.lists(st.sampled_from(OWNER_FRAGMENTS) | st.text(max_size=4), max_size=12).map("".join))
def test_the_quick_owner_test_passes_every_text_the_owner_hint_matches(text: str) -> None:
    assert may_name_owner(text) or not _OWNER_HINT.search(text)

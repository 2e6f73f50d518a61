"""The guarded markdown-it parser gives exactly the tokens of the plain one."""

from __future__ import annotations

import os

from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from pmsync.parse.markdown import CHAINS, markdown_parser

PLAIN = MarkdownIt("commonmark").enable("table").disable(["inline", "text_join"])
GUARDED = markdown_parser()

# Block syntax of every kind, at line starts and inside lines, with the indentation and
# quote markers that shift where a rule reads a line.
BLOCKS = [
    "\n", "\n\n", "  ", "    ", "\t", "> ", ">", "- ", "* ", "+ ", "1. ", "2) ", "10. ", "---",
    "===", "- - -", "***", "___", "# ", "## ", "#", "```", "~~~", "[a]: /u", "[a]", "<div>",
    "</div>", "<!-- ", " -->", "<pre>", "| a | b |", "|---|---|", "| - | :-: |", ":--", "-:",
    "a", "Title", "text -", "text =", "=", "-", "|", ":", " \t", "\\", "`", "~", "\r", "\r\n", "\0",
]  # fmt: skip
markdown = st.lists(st.sampled_from(BLOCKS) | st.text(max_size=6), max_size=50).map("".join)


def _signature(tokens: list[Token]) -> list[tuple[object, ...]]:
    return [
        (t.type, t.tag, t.map, t.content, t.markup, t.info, t.level, t.nesting, t.hidden,
         sorted(t.attrs.items()), t.meta)
        for t in tokens
    ]  # fmt: skip


@settings(max_examples=int(os.environ.get("PMSYNC_EXAMPLES", "600")), deadline=None)
@example("Title\nwrapped\n---\n")
@example("long\n" * 12 + "---\n")  # past the setext guard's lookahead
@example("> Title\n> ===\n")
@example("- item\n  Title\n  ---\n")
@example("para\n| a | b |\n|---|---|\n| 1 | 2 |\n")
@example("> | a | b |\n> |---|---|\n")
@example("a | b\n--- | ---\n")
@example("a | b\n:-- | --:\n")
@example("- | a |\n  | - |\n")
@example("text\n- item\n1. one\n2. two\n> quote\n# heading\n```\ncode\n```\n<div>\n</div>\n")
@example("[a]: /url\n[b]:\n/url\n")
@example("Title\r---\r\n> a\0b\r\n")
@given(markdown)
def test_the_guarded_parser_gives_the_plain_parsers_tokens(text: str) -> None:
    assert _signature(GUARDED.parse(text)) == _signature(PLAIN.parse(text))


def test_each_guard_stands_in_its_rules_place_in_every_chain() -> None:
    for chain in ("", *CHAINS):
        guarded = [
            getattr(rule, "__wrapped__", rule) for rule in GUARDED.block.ruler.getRules(chain)
        ]
        assert guarded == PLAIN.block.ruler.getRules(chain), chain

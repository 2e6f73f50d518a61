"""The markdown-it parser the Markdown reader uses: CommonMark with tables, block rules only.

Inline parsing is off (items are read from their source lines). The block rules are
tried in turn at every line, and again on every line of a paragraph to see whether it
ends it; most of those tries fail on the line's first character, after a logging call
and a few lookups. Each rule below is wrapped in a guard that answers "no" at once where
its match cannot start and otherwise runs the rule itself:

* a rule whose match opens with a marker (```, >, #, -, 1., [, <…) is tried only on a line
  opening with one: the rule reads that character first and fails on any other;
* the table rule, only where the next line may be a delimiter row (|, - or : first);
* the setext heading rule, only where a line ending in - or = comes before the next
  blank line (it scans the whole paragraph, with every rule that can end it, for one);
* the first step, which rewrites line endings and NUL characters, only when there are.

Where a guard says no, the rule would have failed too, before changing anything: the
tokens are the same (tests/test_parse_markdown.py compares them with a plain parser).
About a quarter less parsing time on the bench's documents.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Callable

from markdown_it import MarkdownIt
from markdown_it.rules_block.state_block import StateBlock
from markdown_it.rules_core.normalize import normalize
from markdown_it.rules_core.state_core import StateCore

Rule = Callable[[StateBlock, int, int, bool], bool]

# The characters a match of each rule opens with (after indentation and quote markers).
MARKERS = {
    "fence": ("~", "`"),
    "blockquote": (">",),
    "hr": ("*", "-", "_"),
    "list": ("*", "-", "+", *string.digits),
    "reference": ("[",),
    "html_block": ("<",),
    "heading": ("#",),
}
# Lines the setext guard reads before leaving the decision to the rule.
SETEXT_LOOKAHEAD = 10
# The chains of rules that may end a block, by the rule they end (markdown-it's names).
CHAINS = ("paragraph", "reference", "blockquote", "list")


def markdown_parser() -> MarkdownIt:
    """A parser giving the same block tokens as the plain one, sooner."""
    md = MarkdownIt("commonmark").enable("table").disable(["inline", "text_join"])
    rules = dict(zip(md.block.ruler.get_active_rules(), md.block.ruler.getRules(""), strict=True))
    guards: dict[str, Rule] = {name: _opening_with(MARKERS[name], rules[name]) for name in MARKERS}
    guards["table"] = _before_delimiter_row(rules["table"])
    guards["lheading"] = _guard(rules["lheading"], _may_open_setext)
    for name, guarded in guards.items():
        # `at` forgets which chains a rule is in unless told again
        ends = [chain for chain in CHAINS if rules[name] in md.block.ruler.getRules(chain)]
        md.block.ruler.at(name, guarded, {"alt": ends})
    md.core.ruler.at("normalize", _normalize_when_needed)
    return md


def _normalize_when_needed(state: StateCore) -> None:
    """markdown-it's first step turns every line ending into "\n" and NUL into U+FFFD, with
    two substitutions over the whole text: nothing to do without "\r" or NUL (the reader
    passes lines joined by "\n")."""
    if "\r" in state.src or "\0" in state.src:
        normalize(state)


def _guard(rule: Rule, may_match: Callable[[StateBlock, int, int], bool]) -> Rule:
    @functools.wraps(rule)
    def guarded(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        return may_match(state, start, end) and rule(state, start, end, silent)

    return guarded


def _opening_with(markers: tuple[str, ...], rule: Rule) -> Rule:
    @functools.wraps(rule)
    def guarded(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        first = state.bMarks[start] + state.tShift[start]
        opens = state.src.startswith(markers, first, state.eMarks[start])
        return opens and rule(state, start, end, silent)  # (one call less than _guard)

    return guarded


def _before_delimiter_row(rule: Rule) -> Rule:
    """The table rule where the next line may be a delimiter row: it checks first that
    the line opens with |, - or :."""

    @functools.wraps(rule)
    def guarded(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        if start + 2 > end:
            return False
        first = state.bMarks[start + 1] + state.tShift[start + 1]
        opens = state.src.startswith(("|", "-", ":"), first, state.eMarks[start + 1])
        return opens and rule(state, start, end, silent)

    return guarded


def _may_open_setext(state: StateBlock, start: int, end: int) -> bool:
    """A line ending in - or = comes before the next blank line (where the rule's scan
    stops; an underline is a run of - or = and spaces), or the paragraph runs on past
    `SETEXT_LOOKAHEAD` lines and the rule itself decides (it also stops at any line that
    ends a paragraph, such as the next item of a list: an unbounded guard would read a
    list of 30,000 items once an item)."""
    src, begins, indents, ends = state.src, state.bMarks, state.tShift, state.eMarks
    for line in range(start + 1, min(end, start + 1 + SETEXT_LOOKAHEAD)):
        text = src[begins[line] + indents[line] : ends[line]]  # as the rule reads it
        if not text:
            return False
        if text.rstrip(" \t").endswith(("-", "=")):
            return True
    return start + 1 + SETEXT_LOOKAHEAD < end

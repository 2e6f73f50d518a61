"""What a tracker tells the core about itself: one `TrackerSpec` per adapter subpackage.

The core builds everything tracker-specific from these: the config schema (a section per
tracker, an account per tracker under each person of `people`), the references to issues
found in postmortems and the adoption of the issues they name, the routing of a
postmortem to a container (repository, project, team), and the connection. Nothing in a
spec imports the tracker's client library: `connect` does, when called.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from pmsync.model import IssueRef

if TYPE_CHECKING:
    from pmsync.adapters.base import RetryPolicy, Tracker


@dataclass(frozen=True)
class Found:
    """One issue reference written in a text: where, its canonical form (two spellings of
    one issue compare equal), the text as written, and whether it is a URL (preferred
    over a bare reference to the same issue)."""

    at: int
    canonical: str
    written: str
    is_url: bool


@dataclass(frozen=True)
class RefGrammar:
    """How references to a tracker's issues are written in a postmortem.

    `hint`: a cheap pattern that any text holding a reference matches (most item texts
    hold none, and skip the rest). `find(text, column)`: every reference in `text`;
    `column` is true for the cell of a references column (Bug / Issue / Ticket), where a
    bare key counts without the context prose needs. `resolve(written, section)`: the
    issue a reference found by `find` names, in the tracker configured by `section` (its
    config section), or None when it names another tracker's or repository's issue.
    `column_words`: header words (regular expressions) that make a table column a
    references column, besides the generic ones (Bug, Issue, Ticket, Link, PR).
    """

    hint: str
    find: Callable[[str, bool], Iterator[Found]]
    resolve: Callable[[str, Any], IssueRef | None]
    column_words: tuple[str, ...] = ()  # table headers naming a references column ("Jira")


@dataclass(frozen=True)
class TrackerSpec:
    """Everything the core knows about one tracker.

    - `name`: the `tracker:` value, the config section, and the key of the tracker's
      account under each person of `people` (`people: {alice: {<name>: account}}`).
    - `config_model`: the pydantic model of the section (extra keys forbidden; it must
      construct with no arguments: the defaults of a config without the section).
    - `connect(section, env, policy)`: the Tracker; reads tokens from `env` only, and is
      the only place the client library is imported.
    - `required`: settings of the section a push needs (a one-line error otherwise).
    - `container(section, front_matter)`: the container (repository, project, team) a
      postmortem's issues go to, from its front matter or the section's default.
    - `refs`: the grammar of references to the tracker's issues (see `RefGrammar`).
    """

    name: str
    config_model: type[BaseModel]
    connect: Callable[[Any, Mapping[str, str], RetryPolicy], Tracker]
    required: tuple[str, ...]
    container: Callable[[Any, Mapping[str, Any]], str]
    refs: RefGrammar


def find_all(patterns: tuple[re.Pattern[str], ...], text: str) -> Iterator[re.Match[str]]:
    """Every match of each pattern, pattern by pattern (the caller sorts by position)."""
    for pattern in patterns:
        yield from pattern.finditer(text)

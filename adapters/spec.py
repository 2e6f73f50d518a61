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
    from pmsync.adapters.base import Diagnosis, RetryPolicy, Tracker


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


def key_finder(
    url: re.Pattern[str], key: str, word: str
) -> tuple[Callable[[str, bool], Iterator[Found]], re.Pattern[str]]:
    """`find` for trackers whose issues have bare keys (`OPS-12`) besides URLs, whose
    group 2 is the key; and the pattern of a key alone. In prose a bare key counts only
    as a link's text or after a tracker word ("UTF-8", "SHA-256" and "COVID-19" are not
    issues); in a references column any key counts."""
    alone = re.compile(rf"\b({key})\b")
    in_context = (
        re.compile(rf"\[({key})\]\("),
        re.compile(rf"\b(?:{word}|ticket|issue|bug)s?\b[\s:#]*({key})\b", re.IGNORECASE),
    )

    def find(text: str, column: bool) -> Iterator[Found]:
        for match in url.finditer(text):
            yield Found(match.start(), match[2], match[0], True)
        for pattern in (alone,) if column else in_context:
            for match in pattern.finditer(text):
                yield Found(match.start(), match[1], match[1], False)

    return find, alone


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
    - `diagnose(section, env, policy)`: `pmsync doctor`'s checks (token, access,
      permissions, rate limit) as `Diagnosis` lines, in at most 5 requests; optional.
    - `init_settings(host, path)`: the section `pmsync init` proposes for a git remote on
      `host` (None when the host is not this tracker's), or placeholders when `host` is
      None (`path`: a container given on the command line); optional.
    """

    name: str
    config_model: type[BaseModel]
    connect: Callable[[Any, Mapping[str, str], RetryPolicy], Tracker]
    required: tuple[str, ...]
    container: Callable[[Any, Mapping[str, Any]], str]
    refs: RefGrammar
    diagnose: Callable[[Any, Mapping[str, str], RetryPolicy], list[Diagnosis]] | None = None
    init_settings: Callable[[str | None, str | None], dict[str, Any] | None] | None = None


def find_all(patterns: tuple[re.Pattern[str], ...], text: str) -> Iterator[re.Match[str]]:
    """Every match of each pattern, pattern by pattern (the caller sorts by position)."""
    for pattern in patterns:
        yield from pattern.finditer(text)

"""`pmsync check`: lint parsed postmortems for pull requests. Pure: documents in, findings out.

Errors are what would make a push go wrong or surprise someone later: a postmortem with no
action item (its follow-ups would silently never be tracked), a due date the parser could
not read (the issue would get the default date instead), an owner missing from `people`
(the issue would be created unassigned), two items with one title (only the -2 suffix
would tell their issues apart), and broken front matter (identity and tracker come from
it). Other parser warnings are passed on as warnings, and so are items taken by the
weakest rules (a plain line, a paragraph split into sentences), for review.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from pmsync.config import Config
from pmsync.model import ActionItem, Postmortem
from pmsync.parse.explain import WEAK_RULES
from pmsync.plan.drafts import tracker_of

Level = Literal["error", "warning"]

# The parser words its warnings freely; these decide which of them are errors here. Date
# problems read "cannot read due date '…'" or "not a calendar date: '…'" (pmsync.parse.dates).
_DUE_WARNING = re.compile(r"\bdue\b|\bdates?\b", re.IGNORECASE)
_FRONT_MATTER_WARNING = re.compile(r"front[\s-]*matter", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    message: str
    level: Level = "error"


def check_documents(documents: list[Postmortem], config: Config) -> list[Finding]:
    """Every finding of every document, sorted by file and line."""
    findings = [f for doc in documents for f in _check_document(doc, config)]
    findings.extend(_shared_title_and_date(documents))
    return sorted(findings, key=lambda f: (f.path, f.line, f.level, f.message))


def _check_document(doc: Postmortem, config: Config) -> Iterator[Finding]:
    yield from _parser_warnings(doc)
    yield from _missing_items(doc)
    yield from _weak_rule_items(doc)
    yield from _unknown_owners(doc, config)
    yield from _duplicate_titles(doc)


def _shared_title_and_date(documents: list[Postmortem]) -> Iterator[Finding]:
    """Two postmortems with one title and incident date: kept apart (their identities
    come from their paths), but most likely a copy someone forgot to edit."""
    first: dict[tuple[str, object], str] = {}
    for doc in documents:
        if not doc.title:
            continue
        key = (doc.title.casefold(), doc.incident_date)
        other = first.setdefault(key, doc.path)
        if other != doc.path:
            yield Finding(
                doc.path, 1,
                f"same title and incident date as {other}: a copy? (they stay two "
                "postmortems; give each an `id:` to make that explicit)",
                "warning",
            )  # fmt: skip


def _parser_warnings(doc: Postmortem) -> Iterator[Finding]:
    for warning in doc.warnings:
        serious = _DUE_WARNING.search(warning.message) or _FRONT_MATTER_WARNING.search(
            warning.message
        )
        yield Finding(doc.path, warning.line, warning.message, "error" if serious else "warning")


def _missing_items(doc: Postmortem) -> Iterator[Finding]:
    if not doc.items:
        yield Finding(
            doc.path,
            1,
            "no action items found; list them under a heading such as '## Action items'",
        )


def _weak_rule_items(doc: Postmortem) -> Iterator[Finding]:
    """Items taken from text without list or table structure: worth a look before the
    first push creates issues from them."""
    for item in doc.items:
        if item.rule in WEAK_RULES:
            yield Finding(
                doc.path,
                item.line,
                f"item '{item.title}' was taken from a {item.rule}, a weak rule: check it is "
                "an action item (pmsync parse --explain), or make it a list item",
                "warning",
            )


def _unknown_owners(doc: Postmortem, config: Config) -> Iterator[Finding]:
    # Without a `people` map every owner is taken as written, so none can be unknown.
    if not config.people:
        return
    tracker = tracker_of(doc, config)
    default_owner = doc.front_matter.get("owner")
    for item in doc.items:
        owner = item.owner or (str(default_owner) if default_owner else None)
        for name in owner.split(", ") if owner else ():  # the parser joins several owners
            if config.person(name, tracker) is None:
                yield Finding(doc.path, item.line, _unknown_owner_message(name, tracker))


def _unknown_owner_message(owner: str, tracker: str) -> str:
    return (
        f"owner '{owner}' has no {tracker} account in the config's `people`; "
        "add it there or fix the name"
    )


def _duplicate_titles(doc: Postmortem) -> Iterator[Finding]:
    first_seen: dict[str, ActionItem] = {}
    for item in sorted(doc.items, key=lambda i: i.line):
        key = _title_key(item.title)
        earlier = first_seen.setdefault(key, item)
        if earlier is not item:
            yield Finding(
                doc.path,
                item.line,
                f"duplicate action item title '{item.title}' (also on line {earlier.line})",
            )


def _title_key(title: str) -> str:
    return " ".join(title.split()).casefold()


# --- presentation -------------------------------------------------------------------------


def format_finding(finding: Finding) -> str:
    """`file:line: message`, the form editors and CI logs turn into links."""
    prefix = "" if finding.level == "error" else "warning: "
    return f"{finding.path}:{finding.line}: {prefix}{finding.message}"


def github_annotation(finding: Finding) -> str:
    """A GitHub Actions workflow command, shown as an annotation on the file's line."""
    file = _escape_property(finding.path)
    message = _escape_data(finding.message)
    return f"::{finding.level} file={file},line={finding.line}::{message}"


def _escape_data(text: str) -> str:
    # GitHub's runner (actions/toolkit `escapeData`) decodes exactly these.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    # `,` separates properties and `:` ends them, so both are escaped too (`escapeProperty`).
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")

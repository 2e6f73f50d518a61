"""References to Jira issues in a postmortem: browse URLs and keys (`OPS-12`). One grammar
finds them in text and resolves them to an issue on the configured site."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pmsync.adapters.jira.config import JiraConfig
from pmsync.adapters.spec import Found, RefGrammar
from pmsync.model import IssueRef

KEY = r"[A-Z][A-Z0-9_]+-\d+"  # a project key (letters, digits, "_"), a dash, a number
# No scan past the next "://": a line of "http://" repeated stays linear.
URL = re.compile(rf"(https?://(?:(?!://)[^\s)\]>|])+?)/browse/({KEY})\b")
# In prose a bare KEY-123 is only a Jira key in a link's text or after a tracker word;
# "UTF-8", "SHA-256" and "COVID-19" are not. In a references column any key counts.
KEY_IN_CONTEXT = (
    re.compile(rf"\[({KEY})\]\("),
    re.compile(rf"\b(?:jira|ticket|issue|bug)s?\b[\s:#]*({KEY})\b", re.IGNORECASE),
)
KEY_ALONE = re.compile(rf"\b({KEY})\b")


def find(text: str, column: bool) -> Iterator[Found]:
    for match in URL.finditer(text):
        yield Found(match.start(), match[2], match[0], True)
    for pattern in (KEY_ALONE,) if column else KEY_IN_CONTEXT:
        for match in pattern.finditer(text):
            yield Found(match.start(), match[1], match[1], False)


def resolve(written: str, config: JiraConfig) -> IssueRef | None:
    """The issue `written` names, on the configured site (else the URL's own)."""
    match = URL.search(written)
    key = match.group(2) if match else None
    if key is None:
        alone = KEY_ALONE.fullmatch(written.strip())
        key = alone.group(1) if alone else None
    if key is None:
        return None
    base = (config.url or (match.group(1) if match else "")).rstrip("/")
    return IssueRef("jira", key, f"{base}/browse/{key}")


GRAMMAR = RefGrammar(hint=r"/browse/|[A-Z_]-\d", find=find, resolve=resolve, column_words=("jira",))

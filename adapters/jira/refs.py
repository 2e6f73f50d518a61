"""References to Jira issues in a postmortem: browse URLs and keys (`OPS-12`). One grammar
finds them in text and resolves them to an issue on the configured site."""

from __future__ import annotations

import re

from pmsync.adapters.jira.config import JiraConfig
from pmsync.adapters.spec import RefGrammar, key_finder
from pmsync.model import IssueRef

KEY = r"[A-Z][A-Z0-9_]+-\d+"  # a project key (letters, digits, "_"), a dash, a number
# No scan past the next "://": a line of "http://" repeated stays linear.
URL = re.compile(rf"(https?://(?:(?!://)[^\s)\]>|])+?)/browse/({KEY})\b")
find, KEY_ALONE = key_finder(URL, KEY, "jira")


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

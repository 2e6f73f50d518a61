"""References to Linear issues in a postmortem: issue URLs
(`https://linear.app/<workspace>/issue/OPS-12/<slug>`) and identifiers (`OPS-12`, the
team's key and the issue's number). One grammar finds them in text and resolves them to
an issue of the configured team."""

from __future__ import annotations

import re

from pmsync.adapters.linear.config import LinearConfig
from pmsync.adapters.spec import RefGrammar, key_finder
from pmsync.model import IssueRef

KEY = r"[A-Z][A-Z0-9_]{0,9}-\d+"  # a team key (up to 10 letters, digits, "_"), a number
URL = re.compile(rf"https://linear\.app/([\w-]+)/issue/({KEY})\b")
find, KEY_ALONE = key_finder(URL, KEY, "linear")


def resolve(written: str, config: LinearConfig) -> IssueRef | None:
    """The issue `written` names, when it is in the configured team. A bare key links to
    the workspace in `linear.workspace` (Linear's web URLs need it)."""
    url = URL.search(written)
    key = url.group(2) if url else written.strip()
    if not KEY_ALONE.fullmatch(key):
        return None
    if config.team and key.rsplit("-", 1)[0] != config.team:
        return None
    workspace = url.group(1) if url else config.workspace
    web = f"https://linear.app/{workspace}/issue/{key}" if workspace else ""
    return IssueRef("linear", key, web)


GRAMMAR = RefGrammar(hint=r"linear\.app/|[A-Z_]-\d", find=find, resolve=resolve,
                     column_words=("linear",))  # fmt: skip

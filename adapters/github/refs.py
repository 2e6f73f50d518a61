"""References to GitHub issues in a postmortem: issue or pull request URLs, on github.com
or a GitHub Enterprise host, and `owner/repo#123`. One grammar finds them in text and
resolves them to an issue in the configured repository."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pmsync.adapters.github.config import GitHubConfig
from pmsync.adapters.spec import Found, RefGrammar
from pmsync.model import IssueRef

# Any host: a GitHub Enterprise URL has the same path as a github.com one.
URL = re.compile(r"https?://[^/\s]+/([\w.-]+/[\w.-]+)/(?:issues|pull)/(\d+)")
SHORT = re.compile(r"(?<![\w/.:-])([A-Za-z0-9][\w.-]*/[\w.-]+)#(\d+)\b")


def find(text: str, column: bool) -> Iterator[Found]:
    for pattern, is_url in ((URL, True), (SHORT, False)):
        for match in pattern.finditer(text):
            canonical = f"{match[1]}#{match[2]}".casefold()
            yield Found(match.start(), canonical, match[0], is_url)


def resolve(written: str, config: GitHubConfig) -> IssueRef | None:
    """The issue `written` names, when it is in the configured repository."""
    match = URL.search(written) or SHORT.fullmatch(written.strip())
    if not match:
        return None
    repo, number = match.group(1), match.group(2)
    if config.repo and repo.casefold() != config.repo.casefold():
        return None
    web = web_url(config.api_url)
    return IssueRef("github", f"{repo}#{number}", f"{web}/{repo}/issues/{number}")


def web_url(api_url: str) -> str:
    if "api.github.com" in api_url:
        return "https://github.com"
    return api_url.rstrip("/").removesuffix("/api/v3")


GRAMMAR = RefGrammar(hint=r"#\d|/(?:issues|pull)/\d", find=find, resolve=resolve)

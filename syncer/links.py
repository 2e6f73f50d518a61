"""Issue references written in postmortems (GitHub URLs, owner/repo#N, Jira keys and
browse URLs) → IssueRef in the configured tracker, for adoption."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pmsync.config import Config
from pmsync.model import IssueRef

_GITHUB_URL = re.compile(r"https?://[^/\s]+/([\w.-]+/[\w.-]+)/(?:issues|pull)/(\d+)")
_GITHUB_SHORT = re.compile(r"^([\w.-]+/[\w.-]+)#(\d+)$")
_JIRA_URL = re.compile(r"(https?://[^\s]+?)/browse/([A-Z][A-Z0-9_]+-\d+)")
_JIRA_KEY = re.compile(r"^([A-Z][A-Z0-9_]+-\d+)$")


def adoptable_ref(links: Iterable[str], tracker: str, config: Config) -> IssueRef | None:
    """The first link that names an issue in the tracker this item syncs to."""
    for link in links:
        ref = _github_ref(link, config) if tracker == "github" else _jira_ref(link, config)
        if ref is not None:
            return ref
    return None


def _github_ref(link: str, config: Config) -> IssueRef | None:
    match = _GITHUB_URL.search(link) or _GITHUB_SHORT.match(link.strip())
    if not match:
        return None
    repo, number = match.group(1), match.group(2)
    if config.github.repo and repo.casefold() != config.github.repo.casefold():
        return None
    web = _github_web_url(config.github.api_url)
    return IssueRef("github", f"{repo}#{number}", f"{web}/{repo}/issues/{number}")


def _github_web_url(api_url: str) -> str:
    if "api.github.com" in api_url:
        return "https://github.com"
    return api_url.rstrip("/").removesuffix("/api/v3")


def _jira_ref(link: str, config: Config) -> IssueRef | None:
    match = _JIRA_URL.search(link)
    key = match.group(2) if match else None
    if key is None:
        short = _JIRA_KEY.match(link.strip())
        key = short.group(1) if short else None
    if key is None:
        return None
    base = (config.jira.url or (match.group(1) if match else "")).rstrip("/")
    return IssueRef("jira", key, f"{base}/browse/{key}")

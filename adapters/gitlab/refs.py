"""References to GitLab issues in a postmortem: `group/subgroup/project#12` and issue URLs
(`https://HOST/group/project/-/issues/12`). One grammar finds them in text and resolves
them to an issue of the configured instance (the host of `gitlab.url`) and project."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pmsync.adapters.gitlab.config import GitLabConfig
from pmsync.adapters.gitlab.values import parse_reference
from pmsync.adapters.spec import Found, RefGrammar
from pmsync.model import IssueRef

# Any host here: `resolve` keeps only the configured one.
URL = re.compile(r"https?://[^\s/)\]>|]+/([\w.-]+(?:/[\w.-]+)+?)/-/issues/(\d+)\b")
SHORT = re.compile(r"(?<![\w/.:-])([A-Za-z0-9][\w.-]*(?:/[\w.-]+)+)#(\d+)\b")


def find(text: str, column: bool) -> Iterator[Found]:
    for pattern, is_url in ((URL, True), (SHORT, False)):
        for match in pattern.finditer(text):
            yield Found(match.start(), f"{match[1]}#{match[2]}".casefold(), match[0], is_url)


def resolve(written: str, config: GitLabConfig) -> IssueRef | None:
    """The issue `written` names, when it is on the configured host and project."""
    return parse_reference(written, config.url, config.project)


GRAMMAR = RefGrammar(hint=r"#\d|/-/issues/\d", find=find, resolve=resolve)

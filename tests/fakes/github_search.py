"""GET /search/issues on a FakeGitHub (every FakeGitHub serves it): pmsync's full
listing searches for issues carrying its marker without its label
(adapters/github/unlabelled.py), and a naive client searches before each create to
avoid a duplicate (bench/naive.py).

The query subset: `repo:owner/name`, `is:issue` / `is:pr`, `state:open|closed`,
`label:name`, `-label:name`, `in:title` / `in:body`, and free words or a "quoted
phrase", all ANDed and matched case-insensitively as substrings. Unlike GitHub, the
index is never stale: an issue is found by the very next search (the real index lags,
which makes naive search-before-create scripts duplicate issues; the fake is kind).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tests.fakes.github import FakeGitHub, Issue, Repo, error
from tests.fakes.server import FakeRequest, FakeResponse

_TERM = re.compile(r'(-?\w+):("[^"]*"|\S+)|"([^"]*)"|(\S+)')


@dataclass
class SearchQuery:
    repos: list[str] = field(default_factory=list)  # lower-case owner/name
    kind: str | None = None  # "issue", "pr" or None (both)
    state: str | None = None
    labels: list[str] = field(default_factory=list)
    without: list[str] = field(default_factory=list)  # -label:name
    where: set[str] = field(default_factory=set)  # "title", "body"; empty: both
    words: list[str] = field(default_factory=list)


def parse_query(q: str) -> SearchQuery:
    query = SearchQuery()
    for qualifier, value, phrase, word in _TERM.findall(q):
        value = value.strip('"')
        if qualifier == "repo":
            query.repos.append(value.lower())
        elif qualifier in ("is", "type") and value in ("issue", "pr", "pull-request"):
            query.kind = "issue" if value == "issue" else "pr"
        elif qualifier == "state" or (qualifier == "is" and value in ("open", "closed")):
            query.state = value
        elif qualifier == "label":
            query.labels.append(value.lower())
        elif qualifier == "-label":
            query.without.append(value.lower())
        elif qualifier == "in":
            query.where.update(value.split(","))
        elif phrase or word:
            query.words.append((phrase or word).lower())
    return query


def matches(query: SearchQuery, issue: Issue) -> bool:
    if query.kind is not None and issue.pull_request != (query.kind == "pr"):
        return False
    if query.state is not None and issue.state != query.state:
        return False
    names = {n.lower() for n in issue.labels}
    if not set(query.labels) <= names or names & set(query.without):
        return False
    fields = query.where or {"title", "body"}
    parts = {"title": issue.title, "body": issue.body or ""}
    text = " ".join(part for name, part in parts.items() if name in fields).lower()
    return all(word in text for word in query.words)


def enable_search(fake: FakeGitHub) -> None:
    """Register GET /search/issues on `fake` (token check, ETags and paging as for the
    other routes); FakeGitHub does on start."""

    def search(req: FakeRequest) -> FakeResponse:
        q = req.params.get("q", "")
        if not q.strip():
            return error(422, "Validation Failed")
        query = parse_query(q)
        repos: list[Repo] = [
            r for key, r in fake.repos.items() if not query.repos or key in query.repos
        ]
        found = [(r, i) for r in repos for i in r.issues.values() if matches(query, i)]
        found.sort(key=lambda pair: (pair[0].full_name, pair[1].number))
        page = fake._page(req, found, lambda pair: {**fake.issue_json(*pair), "score": 1.0})
        body = {"total_count": len(found), "incomplete_results": False, "items": page.body,
                "search_type": "lexical"}  # fmt: skip
        return FakeResponse(200, body, page.headers)

    fake.route("GET", "/search/issues", fake._guarded(search))

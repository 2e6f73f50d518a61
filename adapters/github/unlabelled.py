"""pmsync's issues that lost the `pmsync` label: found by the marker in their body.

Someone may remove the label, and a token without push access makes GitHub drop the
labels of every issue it creates (silently). Such an issue still carries pmsync's
marker, so a full listing (a lost state, a first push, `state rebuild`) adds one search:
`repo:<repo> is:issue in:body "pmsync:begin" -label:pmsync`.

Cost: one request to `/search/issues` per 100 such issues (usually one request, with no
result), counted against GitHub's search limit (30 a minute), not the core one. Like
every GitHub search it is eventually consistent: an unlabelled issue created in the
last minute may be missing, which the engine's intent grace covers for its own creates.
GitHub returns at most 1,000 results: past that the listing is refused (put the label
back on those issues) rather than concluded from part of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pmsync.adapters.github.client import Response
from pmsync.adapters.github.values import to_remote
from pmsync.errors import TrackerError
from pmsync.model import RemoteIssue

SEARCH_CAP = 1000  # results GitHub's search returns at most
Call = Callable[..., Response]


def marker_query(repo: str, label: str) -> str:
    return f'repo:{repo} is:issue in:body "pmsync:begin" -label:{label}'


def unlabelled(call: Call, repo: str, label: str) -> Iterator[RemoteIssue]:
    """Issues of `repo` carrying a marker and not `label`; `call` is the tracker's request
    function (retries, pacing, errors)."""
    what = f"search {repo} for issues with pmsync's marker and no {label!r} label"
    params = {"q": marker_query(repo, label), "per_page": 100}
    resp = call(what, "GET", "/search/issues", params=params)
    while True:
        yield from _marked(repo, resp.data, what)
        next_url = resp.link("next")
        if next_url is None:
            return
        resp = call(what, "GET", next_url)


def _marked(repo: str, data: Any, what: str) -> Iterator[RemoteIssue]:
    if data.get("incomplete_results"):
        raise TrackerError(f"{what}: GitHub's search timed out (incomplete results); run again")
    if int(data.get("total_count") or 0) > SEARCH_CAP:
        raise TrackerError(
            f"{what}: more than {SEARCH_CAP} such issues, more than GitHub's search returns; "
            f"add the label back to them"
        )
    for item in data.get("items") or []:
        if "pull_request" not in item and (issue := to_remote(repo, item)).item_id:
            yield issue

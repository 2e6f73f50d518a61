"""Issue links on the fake GitLab (docs.gitlab.com/api/issue_links/): a two-way
"relates_to" (or blocks) relation between two issues, listed from either side.

As GitLab does: the target is named by project (id or path) and iid, both strings in
the description; linking two issues already linked answers 409 "Issue(s) already
assigned"; an issue cannot be linked to itself (400)."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from tests.fakes.server import FakeRequest, FakeResponse

if TYPE_CHECKING:
    from tests.fakes.gitlab import FakeGitLab, Issue, Project

LINKS = "/projects/{id}/issues/{issue_iid}/links"
_link_ids = itertools.count(1)


def routes(fake: FakeGitLab) -> list[tuple[str, str, Any]]:
    return [
        ("GET", LINKS, lambda req: _list(fake, req)),
        ("POST", LINKS, lambda req: _create(fake, req)),
    ]


def linked_to(fake: FakeGitLab, path: str, iid: int) -> list[int]:
    """The iids of the issues linked from `iid` (as source), in link order."""
    with fake.lock:
        source = fake.projects[path.lower()].issues[iid]
        return [target.iid for _, target, _ in _links_of(fake, source, outgoing=True)]


def _links_of(
    fake: FakeGitLab, issue: Issue, *, outgoing: bool = False
) -> list[tuple[int, Issue, str]]:
    found = []
    for link_id, (source, target, kind) in fake.issue_links.items():
        if source is issue:
            found.append((link_id, target, kind))
        elif target is issue and not outgoing:
            found.append((link_id, source, kind))
    return found


def _target(fake: FakeGitLab, data: dict[str, Any]) -> tuple[Project, Issue] | None:
    key = str(data.get("target_project_id", ""))
    project = next((p for p in fake.projects.values() if key in (str(p.id), p.path.lower(),
                                                                 p.path)), None)  # fmt: skip
    iid = str(data.get("target_issue_iid", ""))
    if project is None or not iid.isdigit() or int(iid) not in project.issues:
        return None
    return project, project.issues[int(iid)]


def _create(fake: FakeGitLab, req: FakeRequest) -> FakeResponse:
    from tests.fakes.gitlab import error

    found = fake._found_issue(req)
    if isinstance(found, FakeResponse):
        return found
    (project, source), data = found, req.json() or {}
    target = _target(fake, data)
    if target is None:
        return error(404, "404 Project Not Found")
    if target[1] is source:
        return error(400, "Issue cannot be related to itself")
    if any(other is target[1] for _, other, _ in _links_of(fake, source)):
        return error(409, "Issue(s) already assigned")
    kind = str(data.get("link_type") or "relates_to")
    fake.issue_links[next(_link_ids)] = (source, target[1], kind)
    body = {"source_issue": fake.issue_json(project, source),
            "target_issue": fake.issue_json(*target), "link_type": kind}  # fmt: skip
    return FakeResponse(201, body)


def _list(fake: FakeGitLab, req: FakeRequest) -> FakeResponse:
    found = fake._found_issue(req)
    if isinstance(found, FakeResponse):
        return found
    _, issue = found
    body = [
        {"id": other.id, "iid": other.iid, "project_id": _project_id(fake, other),
         "title": other.title, "state": other.state, "issue_link_id": link_id,
         "link_type": kind}
        for link_id, other, kind in _links_of(fake, issue)
    ]  # fmt: skip
    return FakeResponse(200, body)


def _project_id(fake: FakeGitLab, issue: Issue) -> int:
    return next(p.id for p in fake.projects.values() if issue in p.issues.values())

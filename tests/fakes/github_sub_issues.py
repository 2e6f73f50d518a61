"""Sub-issues on the fake GitHub: add, list, remove a sub-issue and read an issue's
parent (`issues/add-sub-issue`, `list-sub-issues`, `remove-sub-issue`, `get-parent`,
cut into github-issues.openapi.json). Behaviour as GitHub documents it:

- `sub_issue_id` is the issue's `id` (not its number), in a repository of the same owner;
- an issue has at most one parent: adding one that has a parent is refused (422) unless
  `replace_parent` is true; adding it again to its own parent is refused too;
- a parent holds at most 100 sub-issues;
- a GitHub Enterprise Server without sub-issues answers 404 on all four
  (`sub_issues_enabled = False`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakes.server import FakeRequest, FakeResponse

if TYPE_CHECKING:
    from tests.fakes.github import FakeGitHub, Issue, Repo

MAX_SUB_ISSUES = 100
ISSUE = "/repos/{owner}/{repo}/issues/{issue_number}"


def register(fake: FakeGitHub) -> list[tuple[str, str, Any]]:
    """The routes, for the fake's own registration (token and repository checks)."""
    return [
        ("GET", ISSUE + "/sub_issues", lambda req: _list(fake, req)),
        ("POST", ISSUE + "/sub_issues", lambda req: _add(fake, req)),
        ("DELETE", ISSUE + "/sub_issue", lambda req: _remove(fake, req)),
        ("GET", ISSUE + "/parent", lambda req: _parent(fake, req)),
    ]


def children_of(fake: FakeGitHub, full_name: str, number: int) -> list[int]:
    """The numbers of an issue's sub-issues, in the order they were added."""
    with fake.lock:
        repo = fake.repo(full_name)
        parent = repo.issues[number]
        by_id = {i.id: i for r in fake.repos.values() for i in r.issues.values()}
        return [by_id[c].number for c in fake.sub_issues.get(parent.id, [])]


def _found(fake: FakeGitHub, req: FakeRequest) -> tuple[Repo, Issue] | FakeResponse:
    from tests.fakes.github import error

    if not fake.sub_issues_enabled:
        return error(404, "Not Found")
    found = fake._find_issue(req)
    if isinstance(found, FakeResponse):
        return found if found.status != 301 else error(404, "Not Found")
    return fake._repo(req), found


def _by_id(fake: FakeGitHub, owner: str, issue_id: Any) -> Issue | None:
    for repo in fake.repos.values():
        if repo.owner.lower() != owner.lower():
            continue
        for issue in repo.issues.values():
            if issue.id == issue_id and not issue.pull_request:
                return issue
    return None


def _add(fake: FakeGitHub, req: FakeRequest) -> FakeResponse:
    from tests.fakes.github import error, invalid

    found = _found(fake, req)
    if isinstance(found, FakeResponse):
        return found
    repo, parent = found
    data = req.json() or {}
    child = _by_id(fake, repo.owner, data.get("sub_issue_id"))
    if child is None:
        return error(404, "Not Found")
    if child.id == parent.id:
        return invalid("Issue", "sub_issue_id", "invalid")
    current = fake.sub_parent.get(child.id)
    if current is not None and not (data.get("replace_parent") and current != parent.id):
        return invalid("Issue", "sub_issue_id", "already_exists", data.get("sub_issue_id"))
    children = fake.sub_issues.setdefault(parent.id, [])
    if len(children) >= MAX_SUB_ISSUES:
        return invalid("Issue", "sub_issue_id", "too_many")
    if current is not None:
        fake.sub_issues[current].remove(child.id)
    children.append(child.id)
    fake.sub_parent[child.id] = parent.id
    fake.sub_parent_url[child.id] = f"{fake.api_url}/repos/{repo.full_name}/issues/{parent.number}"
    parent.updated_at = fake.now()
    location = f"{fake.api_url}/repos/{repo.full_name}/issues/{parent.number}/sub_issues"
    return FakeResponse(201, fake.issue_json(repo, parent), {"Location": location})


def _list(fake: FakeGitHub, req: FakeRequest) -> FakeResponse:
    found = _found(fake, req)
    if isinstance(found, FakeResponse):
        return found
    _, parent = found
    issues = {i.id: (r, i) for r in fake.repos.values() for i in r.issues.values()}
    children = [issues[c] for c in fake.sub_issues.get(parent.id, []) if c in issues]
    return fake._page(req, children, lambda pair: fake.issue_json(*pair))


def _remove(fake: FakeGitHub, req: FakeRequest) -> FakeResponse:
    from tests.fakes.github import error

    found = _found(fake, req)
    if isinstance(found, FakeResponse):
        return found
    repo, parent = found
    child_id = (req.json() or {}).get("sub_issue_id")
    if fake.sub_parent.get(child_id) != parent.id:
        return error(404, "Not Found")
    fake.sub_issues[parent.id].remove(child_id)
    del fake.sub_parent[child_id]
    del fake.sub_parent_url[child_id]
    return FakeResponse(200, fake.issue_json(repo, parent))


def _parent(fake: FakeGitHub, req: FakeRequest) -> FakeResponse:
    from tests.fakes.github import error

    found = _found(fake, req)
    if isinstance(found, FakeResponse):
        return found
    _, child = found
    parent_id = fake.sub_parent.get(child.id)
    for repo in fake.repos.values():
        for issue in repo.issues.values():
            if issue.id == parent_id:
                return FakeResponse(200, fake.issue_json(repo, issue))
    return error(404, "Not Found")

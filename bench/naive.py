"""The naive baseline: the script people write by hand with PyGithub, the `jira`
library, python-gitlab (GitLab) or plain GraphQL requests (Linear). To avoid duplicates
it searches for each item before creating it; for status it fetches each issue by number
or key. No state file, no marker, no bulk calls.

The search is the part that decides duplicates:
- GitHub: `GET /search/issues` with the item title (`in:title "…"`). The real search
  index lags by seconds to minutes and allows 30 searches a minute, so on GitHub this
  script is both slower than measured here and not duplicate-free; the fake's index is
  never stale.
- GitLab: the project's issue listing with `search` in the title.
- Jira: JQL over a label derived from the title (`labels = naive-…`): the fake's JQL
  subset has no `summary ~`, and a label match is the kinder variant anyway.
- Linear: an issue filter on the exact title (`title: {eq: …}`), which Linear answers
  from its database, not from a lagging search index.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pmsync.commands import parse_command


@dataclass(frozen=True)
class NaiveItem:
    title: str
    body: str

    @property
    def label(self) -> str:
        return "naive-" + hashlib.sha1(self.title.encode()).hexdigest()[:12]


def read_items(folder: str) -> list[NaiveItem]:
    documents, _ = parse_command([folder])
    return [NaiveItem(i.title, i.body or i.title) for doc in documents for i in doc.items]


# --- GitHub -----------------------------------------------------------------------------

# PyGithub's own throttle (0.25 s between requests, 1 s between writes) is switched off:
# the baseline is then bounded by round trips, like pmsync with pacing off.
UNTHROTTLED: dict[str, Any] = {"seconds_between_requests": 0, "seconds_between_writes": 0}


def github_push(api_url: str, token: str, repo_name: str, folder: str) -> None:
    """For each item: search by title; create when nothing is found, edit the body when
    it differs."""
    from github import Auth, Github

    gh = Github(base_url=api_url, auth=Auth.Token(token), per_page=100, **UNTHROTTLED)
    repo = gh.get_repo(repo_name)
    for item in read_items(folder):
        query = f'repo:{repo_name} is:issue in:title "{item.title}"'
        existing = next(iter(gh.search_issues(query)), None)
        if existing is None:
            repo.create_issue(title=item.title, body=item.body, labels=["action-item"])
        elif existing.body != item.body:
            existing.edit(body=item.body)


def github_status(api_url: str, token: str, repo_name: str, numbers: Sequence[int]) -> int:
    """Fetch every issue by number; returns how many are closed."""
    from github import Auth, Github

    gh = Github(base_url=api_url, auth=Auth.Token(token), per_page=100, **UNTHROTTLED)
    repo = gh.get_repo(repo_name)
    return sum(repo.get_issue(number).state == "closed" for number in numbers)


# --- Jira -------------------------------------------------------------------------------


def jira_client(url: str, env: Mapping[str, str]) -> Any:
    import jira

    token = env["JIRA_API_TOKEN"]
    email = env.get("JIRA_EMAIL")
    return jira.JIRA(
        server=url,
        options={"rest_api_version": "3" if email else "2"},
        basic_auth=(email, token) if email else None,
        token_auth=None if email else token,
    )


def adf(text: str) -> dict[str, Any]:
    paragraph = {"type": "paragraph", "content": [{"type": "text", "text": text}]}
    return {"type": "doc", "version": 1, "content": [paragraph]}


def jira_push(url: str, env: Mapping[str, str], project: str, folder: str) -> None:
    """For each item: search (one JQL query); create one issue when nothing is found,
    update the description when it differs."""
    client = jira_client(url, env)
    cloud = "JIRA_EMAIL" in env
    for item in read_items(folder):
        jql = f"project = {project} AND labels = {item.label}"
        found = search(client, jql, cloud)
        description: Any = adf(item.body) if cloud else item.body
        if not found:
            fields = {"project": {"key": project}, "issuetype": {"name": "Task"},
                      "summary": item.title, "description": description,
                      "labels": [item.label]}  # fmt: skip
            client.create_issue(fields=fields, prefetch=False)
        elif found[0].raw["fields"].get("description") != description:
            key = found[0].key
            client._session.put(
                f"{client._get_url('issue')}/{key}",
                json={"fields": {"description": description}},
            )


def search(client: Any, jql: str, cloud: bool) -> list[Any]:
    if cloud:
        return list(client.enhanced_search_issues(jql, maxResults=1, fields="description"))
    return list(client.search_issues(jql, maxResults=1, fields="description"))


def jira_status(url: str, env: Mapping[str, str], keys: Sequence[str]) -> int:
    """Fetch every issue by key; returns how many are done."""
    client = jira_client(url, env)
    done = 0
    for key in keys:
        status = client.issue(key, fields="status").raw["fields"]["status"]
        done += status.get("statusCategory", {}).get("key") == "done"
    return done


# --- Linear -----------------------------------------------------------------------------
# GraphQL over httpx, one operation per request: find the item's issue by its title,
# create it with `issueCreate` when there is none, edit its description when it differs.

FIND = """query Find($team: String!, $title: String!) {
  issues(first: 1, filter: {team: {key: {eq: $team}}, title: {eq: $title}}) {
    nodes { id description } } }"""
TEAM_ID = """query Team($key: String!) {
  teams(first: 1, filter: {key: {eq: $key}}) { nodes { id } } }"""
CREATE = """mutation Create($input: IssueCreateInput!) {
  issueCreate(input: $input) { success issue { id } } }"""
EDIT = """mutation Edit($id: String!, $input: IssueUpdateInput!) {
  issueUpdate(id: $id, input: $input) { success } }"""
STATE = "query State($id: String!) { issue(id: $id) { state { type } } }"


def linear_push(url: str, key: str, team: str, folder: str) -> None:
    import httpx

    with httpx.Client(headers={"Authorization": key}, timeout=60) as http:

        def ask(query: str, **variables: Any) -> Any:
            answer = http.post(url, json={"query": query, "variables": variables})
            return answer.json()["data"]

        team_id = ask(TEAM_ID, key=team)["teams"]["nodes"][0]["id"]
        for item in read_items(folder):
            found = ask(FIND, team=team, title=item.title)["issues"]["nodes"]
            if not found:
                fields = {"teamId": team_id, "title": item.title, "description": item.body}
                ask(CREATE, input=fields)
            elif found[0]["description"] != item.body:
                ask(EDIT, id=found[0]["id"], input={"description": item.body})


def linear_status(url: str, key: str, ids: Sequence[str]) -> int:
    """Fetch every issue by id; returns how many are completed or canceled."""
    import httpx

    with httpx.Client(headers={"Authorization": key}, timeout=60) as http:
        done = 0
        for issue_id in ids:
            answer = http.post(url, json={"query": STATE, "variables": {"id": issue_id}})
            done += answer.json()["data"]["issue"]["state"]["type"] in ("completed", "canceled")
        return done


def folder_of(root: str) -> str:
    return str(Path(root) / "postmortems")


# --- GitLab -----------------------------------------------------------------------------


def gitlab_client(url: str, token: str) -> Any:
    import gitlab

    return gitlab.Gitlab(url, private_token=token, per_page=100)


def gitlab_push(url: str, token: str, path: str, folder: str) -> None:
    """For each item: search the project's issues by title; create when nothing is
    found, edit the description when it differs."""
    project = gitlab_client(url, token).projects.get(path, lazy=True)
    for item in read_items(folder):
        found = project.issues.list(search=item.title, per_page=1, get_all=False,
                                    **{"in": "title"})  # fmt: skip
        if not found:
            project.issues.create({"title": item.title, "description": item.body,
                                   "labels": ["action-item"]})  # fmt: skip
        elif found[0].description != item.body:
            project.issues.update(found[0].iid, {"description": item.body})


def gitlab_status(url: str, token: str, path: str, iids: Sequence[int]) -> int:
    """Fetch every issue by iid; returns how many are closed."""
    project = gitlab_client(url, token).projects.get(path, lazy=True)
    return sum(project.issues.get(iid).state == "closed" for iid in iids)

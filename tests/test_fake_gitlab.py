"""The fake GitLab itself, driven by plain python-gitlab (and raw HTTP where python-gitlab
hides what GitLab sends: pagination headers, error bodies, rate-limit headers)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone

import gitlab
import pytest
import requests

from tests.fakes import gitlab_spec
from tests.fakes.gitlab import GUEST, FakeGitLab
from tests.fakes.gitlab_epics import license_epics
from tests.fakes.server import DropAfterCommit, Latency, Status

PATH = "acme/platform/ops"


def client(fake: FakeGitLab, token: str | None = None) -> gitlab.Gitlab:
    return gitlab.Gitlab(fake.url, private_token=token or fake.token, per_page=100,
                         retry_transient_errors=False)  # fmt: skip


@pytest.fixture
def gl(fake_gitlab: FakeGitLab) -> Iterator[gitlab.Gitlab]:
    g = client(fake_gitlab)
    yield g
    g.session.close()


def raw(fake: FakeGitLab, path: str, method: str = "GET", **kwargs: object) -> requests.Response:
    headers = {"PRIVATE-TOKEN": fake.token}
    return requests.request(method, fake.api_url + path, headers=headers, timeout=5, **kwargs)  # type: ignore[arg-type]


def test_the_description_is_built_from_the_vendor_subset() -> None:
    assert gitlab_spec.build() == gitlab_spec.TARGET.read_text(encoding="utf-8")
    paths = json.loads(gitlab_spec.TARGET.read_text())["paths"]
    assert "/projects/{id}/issues" in paths  # basePath /api/v4 moved into servers


def test_create_get_and_update_an_issue(fake_gitlab: FakeGitLab, gl: gitlab.Gitlab) -> None:
    alice = fake_gitlab.add_user("alice")
    project = gl.projects.get(PATH)
    issue = project.issues.create({
        "title": "Add an index", "description": "text", "labels": ["pmsync", "priority::P1"],
        "assignee_ids": [alice.id], "due_date": "2024-07-01", "confidential": True,
    })  # fmt: skip
    assert issue.iid == 1 and issue.state == "opened" and issue.due_date == "2024-07-01"
    assert issue.labels == ["pmsync", "priority::P1"] and issue.confidential is True
    assert [a["username"] for a in issue.assignees] == ["alice"]
    assert issue.web_url.endswith("/acme/platform/ops/-/issues/1")
    assert fake_gitlab.label_names() == ["pmsync", "priority::P1"]  # created on the fly
    project.issues.update(1, {"state_event": "close", "due_date": ""})
    again = project.issues.get(1)
    assert again.state == "closed" and again.closed_at and again.due_date is None


def test_project_by_path_or_id_and_unknown_project(fake_gitlab: FakeGitLab,
                                                   gl: gitlab.Gitlab) -> None:  # fmt: skip
    project = gl.projects.get(PATH)
    assert gl.projects.get(project.id).path_with_namespace == PATH
    assert project.permissions["project_access"]["access_level"] == 30
    with pytest.raises(gitlab.GitlabGetError) as caught:
        gl.projects.get("acme/nope")
    assert caught.value.response_code == 404
    assert raw(fake_gitlab, "/projects/acme%2Fnope").json() == {"message": "404 Project Not Found"}


def test_wrong_token_and_read_only_scope(fake_gitlab: FakeGitLab) -> None:
    with pytest.raises(gitlab.GitlabAuthenticationError):
        client(fake_gitlab, "glpat-wrong").auth()
    fake_gitlab.scopes = {"read_api"}
    project = client(fake_gitlab).projects.get(PATH)  # reads still work
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        project.issues.create({"title": "x"})
    assert caught.value.response_code == 403
    assert json.loads(caught.value.response_body)["scope"] == "api"


def test_a_guest_loses_labels_and_assignees_and_cannot_create_labels(
    fake_gitlab: FakeGitLab, gl: gitlab.Gitlab
) -> None:
    fake_gitlab.add_project(PATH, access=GUEST)
    project = gl.projects.get(PATH)
    issue = project.issues.create({"title": "t", "labels": ["pmsync"], "due_date": "2024-01-02"})
    assert issue.labels == [] and issue.due_date is None  # silently dropped, as GitLab does
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        project.labels.create({"name": "pmsync", "color": "#6699cc"})
    assert caught.value.response_code == 403


def test_validation_errors_are_shaped_like_gitlabs(fake_gitlab: FakeGitLab) -> None:
    long = raw(fake_gitlab, "/projects/acme%2Fplatform%2Fops/issues", "POST",
               json={"title": "x" * 300})  # fmt: skip
    assert long.status_code == 400
    assert long.json() == {"message": {"title": ["is too long (maximum is 255 characters)"]}}
    raw(fake_gitlab, "/projects/acme%2Fplatform%2Fops/labels", "POST",
        json={"name": "pmsync", "color": "#6699cc"})  # fmt: skip
    again = raw(fake_gitlab, "/projects/acme%2Fplatform%2Fops/labels", "POST",
                json={"name": "PMSYNC", "color": "#6699cc"})  # fmt: skip
    assert again.status_code == 409 and again.json() == {"message": "Label already exists"}
    missing = raw(fake_gitlab, "/projects/acme%2Fplatform%2Fops/issues/99")
    assert missing.status_code == 404 and missing.json() == {"message": "404 Not found"}


def test_offset_pagination_headers(fake_gitlab: FakeGitLab, gl: gitlab.Gitlab) -> None:
    for n in range(5):
        fake_gitlab.add_issue(f"issue {n}", labels=["pmsync"])
    first = raw(fake_gitlab, "/projects/acme%2Fplatform%2Fops/issues?per_page=2&sort=asc")
    assert [i["iid"] for i in first.json()] == [1, 2]
    h = first.headers
    assert (h["X-Page"], h["X-Next-Page"], h["X-Total"], h["X-Total-Pages"]) == ("1", "2", "5", "3")
    assert 'rel="next"' in h["Link"] and "page=2" in h["Link"]
    last = raw(fake_gitlab, "/projects/acme%2Fplatform%2Fops/issues?per_page=2&page=3")
    assert last.headers["X-Next-Page"] == "" and 'rel="next"' not in last.headers["Link"]
    listed = gl.projects.get(PATH, lazy=True).issues.list(per_page=2, iterator=True)
    assert sorted(i.iid for i in listed) == [1, 2, 3, 4, 5]
    assert (
        fake_gitlab.count("GET", "/projects/acme%2Fplatform%2Fops/issues") == 5
    )  # 2 raw + 3 pages


def test_keyset_pagination_follows_the_link(fake_gitlab: FakeGitLab, gl: gitlab.Gitlab) -> None:
    for n in range(5):
        fake_gitlab.add_issue(f"issue {n}")
    issues = gl.projects.get(PATH, lazy=True).issues.list(
        pagination="keyset", order_by="created_at", sort="asc", per_page=2, iterator=True
    )
    assert [i.iid for i in issues] == [1, 2, 3, 4, 5]
    page = raw(fake_gitlab, "/projects/acme%2Fplatform%2Fops/issues?pagination=keyset&per_page=2")
    assert "X-Total" not in page.headers and "cursor=" in page.headers["Link"]


def test_filters_labels_and_updated_after(fake_gitlab: FakeGitLab, gl: gitlab.Gitlab) -> None:
    clock = [datetime(2024, 5, 1, tzinfo=timezone.utc)]
    fake_gitlab.clock = lambda: clock[0]
    fake_gitlab.add_issue("old", labels=["pmsync"])
    fake_gitlab.add_issue("other")
    clock[0] += timedelta(days=2)
    fake_gitlab.add_issue("new", labels=["pmsync", "bug"])
    project = gl.projects.get(PATH, lazy=True)
    tracked = project.issues.list(labels=["pmsync"], state="all", get_all=True)
    assert sorted(i.title for i in tracked) == ["new", "old"]
    recent = project.issues.list(labels=["pmsync"], updated_after="2024-05-02T00:00:00Z",
                                 get_all=True)  # fmt: skip
    assert [i.title for i in recent] == ["new"]
    fake_gitlab.edit_issue(1, state="closed")
    assert [i.title for i in project.issues.list(state="closed", get_all=True)] == ["old"]


def test_notes_users_and_current_user(fake_gitlab: FakeGitLab, gl: gitlab.Gitlab) -> None:
    fake_gitlab.add_user("bob", "Bob B")
    gl.auth()
    assert gl.user is not None and gl.user.username == "pmsync-bot"
    assert [u.name for u in gl.users.list(username="bob")] == ["Bob B"]
    assert gl.users.list(username="nobody") == []
    fake_gitlab.add_issue("t")
    note = gl.projects.get(PATH, lazy=True).issues.get(1, lazy=True).notes.create({"body": "bye"})
    assert note.body == "bye" and fake_gitlab.issue(1).notes[0].body == "bye"


def test_moved_and_deleted_issues(fake_gitlab: FakeGitLab, gl: gitlab.Gitlab) -> None:
    fake_gitlab.add_issue("a")
    fake_gitlab.add_issue("b")
    new = fake_gitlab.move_issue(1, "acme/elsewhere")
    fake_gitlab.delete_issue(2)
    project = gl.projects.get(PATH, lazy=True)
    old = project.issues.get(1)
    assert old.state == "closed" and old.moved_to_id == new.id
    with pytest.raises(gitlab.GitlabGetError):
        project.issues.get(2)


def test_rate_limit_headers_and_429(fake_gitlab: FakeGitLab, gl: gitlab.Gitlab) -> None:
    fake_gitlab.create_limit = 2
    project = gl.projects.get(PATH, lazy=True)
    for n in range(2):
        project.issues.create({"title": f"t{n}"})
    answer = raw(fake_gitlab, "/projects/acme%2Fplatform%2Fops/issues", "POST", json={"title": "x"})
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) > 0
    for name in ("Limit", "Observed", "Remaining", "Reset", "ResetTime"):
        assert f"RateLimit-{name}" in answer.headers
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        project.issues.create({"title": "y"}, obey_rate_limit=False)
    assert caught.value.response_code == 429 and len(fake_gitlab.issues()) == 2


def test_faults_through_python_gitlab(fake_gitlab: FakeGitLab, gl: gitlab.Gitlab) -> None:
    project = gl.projects.get(PATH, lazy=True)
    fake_gitlab.inject("POST", r"/issues$", Status(502))
    with pytest.raises(gitlab.GitlabCreateError):
        project.issues.create({"title": "a"})
    assert fake_gitlab.issues() == []  # a 502 before the backend: nothing landed
    fake_gitlab.inject("POST", r"/issues$", DropAfterCommit())
    with pytest.raises(requests.ConnectionError):
        project.issues.create({"title": "b"})
    assert [i.title for i in fake_gitlab.issues()] == ["b"]  # the write landed anyway
    fake_gitlab.inject("POST", r"/issues$", Status(500, commit=True))
    with pytest.raises(gitlab.GitlabCreateError):
        project.issues.create({"title": "c"})
    assert len(fake_gitlab.issues()) == 2
    fake_gitlab.inject("GET", r"/issues", Latency(0.05))
    assert len(project.issues.list(get_all=True)) == 2
    assert fake_gitlab.count("POST") == 3 and fake_gitlab.count("GET") == 1


def test_requests_are_validated(fake_gitlab: FakeGitLab) -> None:
    bad = raw(fake_gitlab, "/projects/acme%2Fplatform%2Fops/issues", "POST",
              json={"title": "t", "confidential": "very"})  # fmt: skip
    assert bad.status_code == 500
    assert any("confidential" in e for e in fake_gitlab.validation_errors)
    fake_gitlab.validation_errors.clear()


def test_issue_json_matches_the_vendor_issue_entity(fake_gitlab: FakeGitLab,
                                                    gl: gitlab.Gitlab) -> None:  # fmt: skip
    fake_gitlab.add_issue(
        "t", labels=["pmsync"], due_date=date(2024, 1, 2), assignees=["pmsync-bot"]
    )
    gl.projects.get(PATH, lazy=True).issues.get(1)
    gl.projects.get(PATH, lazy=True).issues.list(get_all=True)
    assert fake_gitlab.validation_errors == []


def test_ratelimit_counts_the_current_minute(fake_gitlab: FakeGitLab) -> None:
    clock = [datetime(2024, 5, 1, 10, 0, 30, tzinfo=timezone.utc)]
    fake_gitlab.clock = lambda: clock[0]
    fake_gitlab.requests_limit = 3
    seen = [raw(fake_gitlab, "/user").headers["RateLimit-Remaining"] for _ in range(4)]
    assert seen == ["2", "1", "0", "0"]
    clock[0] += timedelta(minutes=1)
    assert raw(fake_gitlab, "/user").headers["RateLimit-Remaining"] == "2"


def test_group_epics_by_python_gitlab_s_own_managers(
    fake_gitlab: FakeGitLab, gl: gitlab.Gitlab
) -> None:
    """python-gitlab's GroupEpic managers (their paths, the epic's id for its notes, the
    labels as a comma-separated string) against the fake: they agree with epics.py."""
    group = gl.groups.get("acme/platform", lazy=True)
    with pytest.raises(gitlab.exceptions.GitlabListError) as refused:
        group.epics.list(get_all=False)
    assert refused.value.response_code == 403  # GitLab Free: no epics
    assert raw(fake_gitlab, "/groups/pmsync-bot/epics").status_code == 404  # no such group
    license_epics(fake_gitlab)
    epic = group.epics.create({"title": "Postmortem: outage", "labels": "pmsync,sev1"})
    assert epic.references["full"] == "acme/platform&1" and epic.labels == ["pmsync", "sev1"]
    issue = gl.projects.get(PATH, lazy=True).issues.create({"title": "Fix", "epic_id": epic.id})
    assert issue.epic_iid == epic.iid and issue.epic["id"] == epic.id
    epic.notes.create({"body": "closing"})
    epic.state_event = "close"
    epic.save()
    found = group.epics.get(epic.iid)
    assert found.state == "closed" and [n.body for n in found.notes.list()] == ["closing"]
    assert [e.iid for e in group.epics.list(labels="pmsync", state="all", get_all=True)] == [1]
    assert group.epics.list(labels="other", get_all=True) == []
    stray = {"title": "Fix", "epic_id": epic.id + 1000}
    assert raw(fake_gitlab, "/projects/acme%2Fplatform%2Fops/issues", "POST",
               json=stray).status_code == 404  # fmt: skip
    assert fake_gitlab.validation_errors == []

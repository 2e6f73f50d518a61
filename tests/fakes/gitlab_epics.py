"""Group epics on the fake GitLab (docs.gitlab.com/api/epics/, notes on epics from
docs.gitlab.com/api/notes/#epics), and an issue's place in one (`epic_id`).

As GitLab does:
- every group on a project's path (`acme`, `acme/platform` for `acme/platform/ops`) is a
  group; epics are a licensed feature, off by default here (GitLab Free): a group whose
  licence lacks them answers `403 Forbidden` on every epic endpoint; a namespace that is
  no group answers `404 Group Not Found`;
- an epic is addressed by its group and iid; its notes by its global id (`epic_id`);
- the listing holds the group's epics and, unless `include_descendant_groups=false`,
  its subgroups' (GitLab's default); `labels` (comma-separated) must all be present;
- creating or editing an epic needs the Planner role or more in the group: a member of
  the project alone (`Group.access` 0) reads a public group's epics and is refused (403);
- a label the group lacks is created with the epic, or dropped silently where the user
  may not create labels (`Group.creates_labels`);
- labels are a comma-separated string (an array is taken too); an issue's `epic_id`
  must name an epic of its project's group or an ancestor (else 404); it moves the
  issue from any epic it was in, and the issue shows `epic` and `epic_iid`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tests.fakes.server import FakeRequest, FakeResponse

if TYPE_CHECKING:
    from tests.fakes.gitlab import FakeGitLab, Issue, Note, Project

GROUP = "/groups/{group}"
EPICS = GROUP + "/epics"
EPIC = EPICS + "/{epic_iid}"
EPIC_NOTES = EPICS + "/{epic_id}/notes"
_ids = itertools.count(9000)
PLANNER = 15  # the least role that creates and edits epics (Reporter's rights on them)


@dataclass
class Epic:
    id: int
    iid: int
    group: str  # the group's full path
    title: str
    description: str | None
    author: str
    created_at: datetime
    updated_at: datetime
    state: str = "opened"
    closed_at: datetime | None = None
    labels: list[str] = field(default_factory=list)
    confidential: bool = False
    notes: list[Note] = field(default_factory=list)


@dataclass
class Group:
    path: str
    id: int = field(default_factory=lambda: next(_ids))
    epics_licensed: bool = False
    access: int = 30  # the token user's role in the group (Developer); 0: not a member
    labels: set[str] = field(default_factory=set)  # lower-case names the group has
    creates_labels: bool = True  # False: a label the group lacks is dropped, not created
    epics: dict[int, Epic] = field(default_factory=dict)
    next_iid: int = 1


def routes(fake: FakeGitLab) -> list[tuple[str, str, Any]]:
    return [
        ("GET", EPICS, lambda req: _guard(fake, req, _list)),
        ("POST", EPICS, lambda req: _guard(fake, req, _create)),
        ("GET", EPIC, lambda req: _guard(fake, req, _get)),
        ("PUT", EPIC, lambda req: _guard(fake, req, _edit)),
        ("GET", EPIC_NOTES, lambda req: _guard(fake, req, _list_notes)),
        ("POST", EPIC_NOTES, lambda req: _guard(fake, req, _create_note)),
    ]


# --- test helpers -------------------------------------------------------------------------


def add_groups(fake: FakeGitLab, project_path: str) -> None:
    """The groups a project's path names (all but its last part)."""
    parts = project_path.split("/")[:-1]
    for n in range(1, len(parts) + 1):
        path = "/".join(parts[:n])
        fake.groups.setdefault(path.lower(), Group(path))


def license_epics(fake: FakeGitLab, group: str = "acme/platform", on: bool = True) -> None:
    """Premium or Ultimate for `group` (on), or GitLab Free (off)."""
    with fake.lock:
        fake.groups[group.lower()].epics_licensed = on


def epics(fake: FakeGitLab, group: str = "acme/platform") -> list[Epic]:
    with fake.lock:
        return list(fake.groups[group.lower()].epics.values())


def issues_in(fake: FakeGitLab, epic: Epic, path: str | None = None) -> list[int]:
    """The iids of the project's issues in `epic`, oldest first."""
    with fake.lock:
        return [i.iid for i in fake.project(path).issues.values() if i.epic_id == epic.id]


def find_epic(fake: FakeGitLab, epic_id: int) -> Epic | None:
    return next((e for g in fake.groups.values() for e in g.epics.values() if e.id == epic_id),
                None)  # fmt: skip


def epic_problem(fake: FakeGitLab, project: Project, data: dict[str, Any]) -> FakeResponse | None:
    """An issue's `epic_id` naming no epic of the project's groups: refused."""
    from tests.fakes.gitlab import error

    if not data.get("epic_id"):
        return None
    epic = find_epic(fake, int(data["epic_id"]))
    ancestors = {g.lower() for g in _ancestors(project.path)}
    if epic is None or epic.group.lower() not in ancestors:
        return error(404, "404 Epic Not Found")
    if not fake.groups[epic.group.lower()].epics_licensed:
        return error(403, "403 Forbidden")
    return None


def issue_fields(fake: FakeGitLab, issue: Issue) -> dict[str, Any]:
    """What an issue shows of its epic (GitLab Premium's issue entity)."""
    epic = find_epic(fake, issue.epic_id) if issue.epic_id else None
    if epic is None:
        return {"epic": None, "epic_iid": None}
    group = fake.groups[epic.group.lower()]
    summary = {"id": epic.id, "iid": epic.iid, "title": epic.title, "group_id": group.id,
               "url": f"/groups/{epic.group}/-/epics/{epic.iid}"}  # fmt: skip
    return {"epic": summary, "epic_iid": epic.iid}


def _ancestors(project_path: str) -> list[str]:
    parts = project_path.split("/")[:-1]
    return ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]


# --- rendering --------------------------------------------------------------------------


def epic_json(fake: FakeGitLab, epic: Epic) -> dict[str, Any]:
    from tests.fakes.gitlab import stamp

    group = fake.groups[epic.group.lower()]
    api = f"{fake.api_url}/groups/{group.id}"
    return {
        "id": epic.id, "iid": epic.iid, "group_id": group.id, "parent_id": None,
        "parent_iid": None, "title": epic.title, "description": epic.description,
        "state": epic.state, "confidential": epic.confidential,
        "web_url": f"{fake.url}/groups/{epic.group}/-/epics/{epic.iid}",
        "reference": f"&{epic.iid}",
        "references": {"short": f"&{epic.iid}", "relative": f"&{epic.iid}",
                       "full": f"{epic.group}&{epic.iid}"},
        "author": fake.user_json(epic.author), "start_date": None, "due_date": None,
        "created_at": stamp(epic.created_at), "updated_at": stamp(epic.updated_at),
        "closed_at": stamp(epic.closed_at), "labels": list(epic.labels),
        "upvotes": 0, "downvotes": 0, "color": "#1068bf",
        "_links": {"self": f"{api}/epics/{epic.iid}",
                   "epic_issues": f"{api}/epics/{epic.iid}/issues",
                   "group": api, "parent": None},
    }  # fmt: skip


def epic_note_json(fake: FakeGitLab, epic: Epic, note: Note) -> dict[str, Any]:
    from tests.fakes.gitlab import stamp

    return {
        "id": note.id, "type": None, "body": note.body,
        "author": fake.user_json(note.author), "created_at": stamp(note.created_at),
        "updated_at": stamp(note.created_at), "system": False, "noteable_id": epic.id,
        "noteable_type": "Epic", "noteable_iid": epic.iid, "internal": False,
        "resolvable": False, "confidential": False,
    }  # fmt: skip


# --- handlers ---------------------------------------------------------------------------


def _guard(fake: FakeGitLab, req: FakeRequest, handler: Any) -> FakeResponse:
    """The group (by id or path), 404 if none; 403 where its licence has no epics."""
    from tests.fakes.gitlab import error

    key = req.path_params["group"]
    group = next((g for g in fake.groups.values() if key.lower() in (str(g.id), g.path.lower())),
                 None)  # fmt: skip
    if group is None:
        return error(404, "404 Group Not Found")
    if not group.epics_licensed:
        return error(403, "403 Forbidden")
    if req.method != "GET" and group.access < PLANNER:  # a project member only: reads
        return error(403, "403 Forbidden")
    response: FakeResponse = handler(fake, req, group)
    return response


def _found(req: FakeRequest, group: Group) -> Epic | FakeResponse:
    from tests.fakes.gitlab import error

    epic = group.epics.get(int(req.path_params["epic_iid"]))
    return epic if epic is not None else error(404, "404 Not found")


def _list(fake: FakeGitLab, req: FakeRequest, group: Group) -> FakeResponse:
    from tests.fakes.gitlab import _names, parse_stamp

    p = req.params
    wanted = {n.lower() for n in _names(p.get("labels"))}
    mine = p.get("include_descendant_groups") == "false"
    found = [
        e for g in fake.groups.values()
        if g is group or (not mine and g.path.lower().startswith(group.path.lower() + "/"))
        for e in g.epics.values()
        if (p.get("state", "all") in ("all", e.state))
        and wanted <= {n.lower() for n in e.labels}
        and not (p.get("updated_after") and e.updated_at < parse_stamp(p["updated_after"]))
    ]  # fmt: skip
    key = "updated_at" if p.get("order_by") == "updated_at" else "created_at"
    found.sort(key=lambda e: (getattr(e, key), e.id), reverse=p.get("sort") != "asc")
    return fake._page(req, found, lambda epic: epic_json(fake, epic))


def _create(fake: FakeGitLab, req: FakeRequest, group: Group) -> FakeResponse:
    from tests.fakes.gitlab import _names, _title_problem

    data = req.json() or {}
    if problem := _title_problem(data.get("title")):
        return problem
    now = fake.now()
    epic = Epic(next(_ids), group.next_iid, group.path, data["title"], data.get("description"),
                fake.login, now, now, labels=_known(group, _names(data.get("labels"))),
                confidential=bool(data.get("confidential")))  # fmt: skip
    group.epics[epic.iid] = epic
    group.next_iid += 1
    return FakeResponse(201, epic_json(fake, epic))


def _known(group: Group, names: list[str]) -> list[str]:
    """Labels the group has, or creates (GitLab creates a missing group label where the
    user may; otherwise it drops it without an error)."""
    if group.creates_labels:
        group.labels |= {n.lower() for n in names}
    return [n for n in names if n.lower() in group.labels]


def _get(fake: FakeGitLab, req: FakeRequest, group: Group) -> FakeResponse:
    epic = _found(req, group)
    return epic if isinstance(epic, FakeResponse) else FakeResponse(200, epic_json(fake, epic))


def _edit(fake: FakeGitLab, req: FakeRequest, group: Group) -> FakeResponse:
    from tests.fakes.gitlab import _names, _title_problem

    epic, data = _found(req, group), req.json() or {}
    if isinstance(epic, FakeResponse):
        return epic
    if "title" in data and (problem := _title_problem(data["title"])):
        return problem
    for name in ("title", "description"):
        if name in data:
            setattr(epic, name, data[name])
    if "labels" in data:
        epic.labels = _names(data["labels"])
    epic.labels += [n for n in _names(data.get("add_labels")) if n not in epic.labels]
    epic.labels = [n for n in epic.labels if n not in _names(data.get("remove_labels"))]
    event = data.get("state_event")
    if event == "close" and epic.state != "closed":
        epic.state, epic.closed_at = "closed", fake.now()
    elif event == "reopen" and epic.state != "opened":
        epic.state, epic.closed_at = "opened", None
    epic.updated_at = fake.now()
    return FakeResponse(200, epic_json(fake, epic))


def _by_id(req: FakeRequest, group: Group) -> Epic | FakeResponse:
    from tests.fakes.gitlab import error

    wanted = int(req.path_params["epic_id"])
    epic = next((e for e in group.epics.values() if e.id == wanted), None)
    return epic if epic is not None else error(404, "404 Not found")


def _list_notes(fake: FakeGitLab, req: FakeRequest, group: Group) -> FakeResponse:
    epic = _by_id(req, group)
    if isinstance(epic, FakeResponse):
        return epic
    notes = list(epic.notes)
    if req.params.get("sort", "desc") == "desc":
        notes.reverse()
    return fake._page(req, notes, lambda note: epic_note_json(fake, epic, note))


def _create_note(fake: FakeGitLab, req: FakeRequest, group: Group) -> FakeResponse:
    from tests.fakes.gitlab import Note, _ids, error

    epic = _by_id(req, group)
    if isinstance(epic, FakeResponse):
        return epic
    body = (req.json() or {}).get("body") or ""
    if not body.strip():
        return error(400, {"note": ["can't be blank"]})
    note = Note(next(_ids), body, fake.login, fake.now())
    epic.notes.append(note)
    epic.updated_at = note.created_at
    return FakeResponse(201, epic_note_json(fake, epic, note))

"""Postmortem parents as GitLab group epics (`gitlab.parent_kind`), end to end against the
fake GitLab with epics licensed in the project's group (acme/platform): items created in
their epic, existing ones put in it by one PUT, found again after a lost state or a lost
answer, closed when done; and the fallbacks: a group without epics (a parent issue with
related links under `auto`, a one-line error under `epic`)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pmsync.adapters.base import RetryPolicy, read_marker
from pmsync.adapters.gitlab import GitLabConfig
from pmsync.adapters.gitlab.doctor import diagnose
from pmsync.adapters.gitlab.values import is_epic_key, parse_epic_key, parse_key
from pmsync.cli import app
from pmsync.commands import push_command
from tests.docgen import write_postmortems
from tests.fakes.gitlab import FakeGitLab
from tests.fakes.gitlab_epics import epics, issues_in, license_epics
from tests.fakes.gitlab_links import linked_to
from tests.fakes.server import DropAfterCommit
from tests.workspace import Workspace, actions, make_workspace

ITEMS, DOCS = 60, 3
PATH = "acme/platform/ops"
EPICS = r"^/groups/acme%2Fplatform/epics"
TODAY = date(2024, 9, 1)


def workspace(tmp_path: Path, fake: FakeGitLab, **gitlab: object) -> Workspace:
    ws = make_workspace(tmp_path, fake.env(), limits={"intent_grace": 0}, tracker="gitlab",
                        gitlab=fake.config(creates_per_minute=0, **gitlab))  # fmt: skip
    for path in ws.postmortems.glob("*.md"):
        path.unlink()
    write_postmortems(ws.postmortems, ITEMS)
    return ws


@pytest.fixture
def ws(tmp_path: Path, fake_gitlab: FakeGitLab) -> Workspace:
    license_epics(fake_gitlab)
    return workspace(tmp_path, fake_gitlab)


def sent(fake: FakeGitLab, method: str, pattern: str) -> int:
    found = re.compile(pattern)
    return sum(1 for r in fake.requests if r.method == method and found.search(r.path))


def in_epics(fake: FakeGitLab) -> int:
    return sum(len(issues_in(fake, epic)) for epic in epics(fake))


def test_items_are_created_in_their_postmortem_epic_at_no_request_more(
    ws: Workspace, fake_gitlab: FakeGitLab
) -> None:
    ws.configure(defaults={"parent": True})
    assert actions(ws.push()) == {"create": ITEMS}
    made = epics(fake_gitlab)
    assert len(made) == DOCS and in_epics(fake_gitlab) == ITEMS
    for epic in made:
        assert (read_marker(epic.description) or ("",))[0].startswith("pm-")
        assert "- [ ] [" in str(epic.description) and "pmsync" in epic.labels
    assert sent(fake_gitlab, "POST", EPICS + "$") == DOCS  # one create per parent
    assert sent(fake_gitlab, "POST", r"/issues$") == ITEMS
    assert sent(fake_gitlab, "PUT", r"/issues/\d+$") == 0  # no link request per item
    assert sent(fake_gitlab, "POST", r"/links$") == 0
    assert fake_gitlab.issues()[0].labels and not linked_to(fake_gitlab, PATH, 1)
    fake_gitlab.reset_log()
    assert actions(ws.push()) == {"unchanged": ITEMS} and fake_gitlab.requests == []


def test_turning_parents_on_later_puts_the_existing_issues_in_the_epic_one_put_each(
    ws: Workspace, fake_gitlab: FakeGitLab
) -> None:
    ws.push()
    ws.configure(defaults={"parent": True})
    fake_gitlab.reset_log()
    assert actions(ws.push()) == {"unchanged": ITEMS}
    assert len(epics(fake_gitlab)) == DOCS and in_epics(fake_gitlab) == ITEMS
    assert len(fake_gitlab.issues()) == ITEMS  # no item recreated, no parent issue
    assert sent(fake_gitlab, "PUT", r"/issues/\d+$") == ITEMS
    assert sent(fake_gitlab, "GET", EPICS + "$") == 1  # the one probe of the group
    fake_gitlab.reset_log()
    assert actions(ws.push()) == {"unchanged": ITEMS} and fake_gitlab.requests == []


def test_a_lost_state_finds_the_epics_and_makes_no_second(
    ws: Workspace, fake_gitlab: FakeGitLab
) -> None:
    ws.configure(defaults={"parent": True})
    ws.push()
    ws.rebuild()  # the epics found by their marker, their children by the issues' `epic`
    assert len(ws.state().parents) == DOCS
    assert all(r.issue and "&" in r.issue.key for r in ws.state().parents.values())
    fake_gitlab.reset_log()
    assert actions(ws.push()) == {"unchanged": ITEMS} and fake_gitlab.requests == []
    for path in ws.state_file().parent.glob("state.json*"):
        path.unlink()  # no state at all: listing the issues and the group's epics
    fake_gitlab.reset_log()
    assert actions(ws.push()) == {"unchanged": ITEMS}
    assert sent(fake_gitlab, "PUT", r"/issues/\d+$") == 0  # none put in its epic again
    assert len(epics(fake_gitlab)) == DOCS and in_epics(fake_gitlab) == ITEMS
    assert len(fake_gitlab.issues()) == ITEMS


def test_a_lost_answer_to_an_epic_create_leaves_exactly_one_epic(
    ws: Workspace, fake_gitlab: FakeGitLab
) -> None:
    ws.push()
    ws.configure(defaults={"parent": True})
    fake_gitlab.inject("POST", EPICS + "$", DropAfterCommit(), times=1)
    ws.push()  # the epic landed, its answer did not: an intent is left open
    [intent] = [r for r in ws.state().parents.values() if r.issue is None]
    assert intent.intent is not None
    ws.push()
    assert len(epics(fake_gitlab)) == DOCS and in_epics(fake_gitlab) == ITEMS
    assert all(r.issue and r.intent is None for r in ws.state().parents.values())


def test_status_closes_the_epic_when_its_items_are_closed_and_reopens_it(
    ws: Workspace, fake_gitlab: FakeGitLab
) -> None:
    ws.configure(defaults={"parent": True})
    ws.push()
    epic = epics(fake_gitlab)[0]
    kids = issues_in(fake_gitlab, epic)
    for iid in kids:
        fake_gitlab.edit_issue(iid, state="closed")
    ws.status(TODAY)
    assert epic.state == "closed" and "- [x]" in str(epic.description)
    assert any("every action item" in note.body for note in epic.notes)
    fake_gitlab.edit_issue(kids[0], state="opened")
    ws.status(TODAY)
    assert epic.state == "opened" and "is open again" in epic.notes[-1].body


def test_people_s_text_around_the_epic_s_block_is_kept(
    ws: Workspace, fake_gitlab: FakeGitLab
) -> None:
    ws.configure(defaults={"parent": True})
    ws.push()
    epic = epics(fake_gitlab)[0]
    epic.description = f"Owner: SRE team\n\n{epic.description}"
    fake_gitlab.edit_issue(issues_in(fake_gitlab, epic)[0], state="closed")
    ws.status(TODAY)
    assert str(epic.description).startswith("Owner: SRE team\n\n")
    assert "(1 of" in str(epic.description)


# --- a group without epics ----------------------------------------------------------------


def test_auto_without_epics_makes_a_parent_issue_with_related_links(
    tmp_path: Path, fake_gitlab: FakeGitLab
) -> None:
    ws = workspace(tmp_path, fake_gitlab)  # the group's licence has no epics (GitLab Free)
    ws.configure(defaults={"parent": True})
    assert actions(ws.push()) == {"create": ITEMS}
    assert len(fake_gitlab.issues()) == ITEMS + DOCS
    parents = [r.issue.key for r in ws.state().parents.values() if r.issue]
    assert len(parents) == DOCS and all("#" in key for key in parents)
    linked = sum(len(linked_to(fake_gitlab, PATH, int(k.rsplit("#", 1)[1]))) for k in parents)
    assert linked == ITEMS
    assert sent(fake_gitlab, "GET", EPICS) <= 2  # the probe (and the lost-state listing)


def test_parent_kind_epic_without_epics_is_one_line_and_exit_2(
    tmp_path: Path, fake_gitlab: FakeGitLab
) -> None:
    ws = workspace(tmp_path, fake_gitlab, parent_kind="epic")
    ws.configure(defaults={"parent": True})
    config = str(ws.root / "pmsync.yaml")
    result = CliRunner().invoke(app, ["push", "--config", config], env=ws.env)
    assert result.exit_code == 2, result.output
    [line] = result.output.strip().splitlines()
    assert "gitlab.parent_kind is epic" in line and "acme/platform" in line
    assert fake_gitlab.issues() == [] and "Traceback" not in result.output


def test_parent_kind_issue_never_asks_for_epics(tmp_path: Path, fake_gitlab: FakeGitLab) -> None:
    license_epics(fake_gitlab)
    ws = workspace(tmp_path, fake_gitlab, parent_kind="issue")
    ws.configure(defaults={"parent": True})
    ws.push()
    assert epics(fake_gitlab) == [] and sent(fake_gitlab, "GET", r"^/groups/") == 0
    assert len(fake_gitlab.issues()) == ITEMS + DOCS


@pytest.mark.parametrize(("licensed", "kind", "says"), [
    (True, "auto", "group epics in acme/platform"),
    (False, "auto", "parent issues with related links"),
    (False, "epic", "no epics"),
])  # fmt: skip
def test_doctor_says_which_kind_of_parent_a_push_makes(
    fake_gitlab: FakeGitLab, licensed: bool, kind: str, says: str
) -> None:
    license_epics(fake_gitlab, on=licensed)
    config = GitLabConfig(**fake_gitlab.config(parent_kind=kind))
    found = diagnose(config, fake_gitlab.env(), RetryPolicy(attempts=1, sleep=lambda s: None))
    [line] = [d for d in found if d.what.startswith("GitLab parents")]
    assert says in line.what and line.ok == (licensed or kind == "auto")
    assert len(fake_gitlab.requests) <= 5


def test_a_parent_issue_made_before_epics_keeps_its_kind_and_new_items_are_linked_to_it(
    tmp_path: Path, fake_gitlab: FakeGitLab
) -> None:
    ws = workspace(tmp_path, fake_gitlab)  # GitLab Free: parent issues, related links
    ws.configure(defaults={"parent": True})
    ws.push()
    license_epics(fake_gitlab)  # the group moves to Premium
    new = "- **Add a canary stage (incident 0, step 99)**: make sure it cannot recur.\n"
    doc = ws.doc("incident-00000.md")
    doc.write_text(doc.read_text() + new)
    assert actions(ws.push()) == {"create": 1, "unchanged": ITEMS}
    assert epics(fake_gitlab) == []  # an existing parent keeps its kind
    [parent] = [r.issue for key, r in ws.state().parents.items() if "00000" in key]
    assert parent is not None and "#" in parent.key
    kids = linked_to(fake_gitlab, PATH, int(parent.key.rsplit("#", 1)[1]))
    assert len(kids) == ITEMS // DOCS + 1 and max(kids) == len(fake_gitlab.issues())


@pytest.mark.parametrize("kind", ["auto", "epic"])
def test_a_project_member_who_may_not_create_epics(
    tmp_path: Path, fake_gitlab: FakeGitLab, kind: str
) -> None:
    license_epics(fake_gitlab)
    fake_gitlab.groups["acme/platform"].access = 0  # a member of the project alone
    ws = workspace(tmp_path, fake_gitlab, parent_kind=kind)
    ws.configure(defaults={"parent": True})
    if kind == "epic":
        config = str(ws.root / "pmsync.yaml")
        result = CliRunner().invoke(app, ["push", "--config", config], env=ws.env)
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
        assert "Reporter role (or Planner) in the group" in result.output
        return
    said: list[str] = []
    result = push_command(ws.config(), [], prune=False, report=lambda o: None, env=ws.env,
                          announce=said.append)  # fmt: skip
    assert actions(result) == {"create": ITEMS} and epics(fake_gitlab) == []
    assert len(fake_gitlab.issues()) == ITEMS + DOCS  # parent issues instead
    assert sum("a parent issue instead" in line for line in said) == 1  # then known: no epic


def test_the_group_asked_is_the_one_of_the_project_being_pushed(
    tmp_path: Path, fake_gitlab: FakeGitLab
) -> None:
    license_epics(fake_gitlab)  # acme/platform has epics; acme/other (gitlab.project) none
    fake_gitlab.add_project("acme/other/ops")
    ws = workspace(tmp_path, fake_gitlab)
    ws.configure(gitlab=fake_gitlab.config(project="acme/other/ops", creates_per_minute=0),
                 defaults={"parent": True})  # fmt: skip
    for doc in ws.postmortems.glob("*.md"):
        doc.write_text(f"---\ngitlab_project: {PATH}\n---\n{doc.read_text()}")
    assert actions(ws.push()) == {"create": ITEMS}
    assert len(epics(fake_gitlab)) == DOCS and in_epics(fake_gitlab) == ITEMS
    assert sent(fake_gitlab, "PUT", r"/issues/\d+$") == 0  # created in them at once
    assert sent(fake_gitlab, "GET", r"^/groups/acme%2Fother/") == 0


def test_epic_keys_and_issue_keys_are_told_apart() -> None:
    assert is_epic_key("acme&5") and is_epic_key("acme/platform&12")
    assert not is_epic_key("acme/platform/ops#5")
    assert parse_epic_key("acme/platform&12") == ("acme/platform", 12)
    assert parse_key("acme/platform/ops#5") == ("acme/platform/ops", 5)
    with pytest.raises(ValueError):
        parse_key("acme/platform&12")
    with pytest.raises(ValueError):
        parse_epic_key("acme/platform/ops#5")


def test_a_tracking_label_gitlab_dropped_from_an_epic_is_said(
    ws: Workspace, fake_gitlab: FakeGitLab
) -> None:
    fake_gitlab.groups["acme/platform"].creates_labels = False  # and has no `pmsync` label
    ws.configure(defaults={"parent": True})
    said: list[str] = []
    push_command(ws.config(), [], prune=False, report=lambda o: None, env=ws.env,
                 announce=said.append)  # fmt: skip
    assert all("pmsync" not in epic.labels for epic in epics(fake_gitlab))
    dropped = [line for line in said if "dropped the label 'pmsync'" in line]
    assert len(dropped) == DOCS and "create it in group acme/platform" in dropped[0]

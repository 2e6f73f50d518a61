"""Parent issues under faults: a fault on a parent's create or on a child's link, then a
clean run; every tracker. After it: one parent per postmortem, recorded with no intent
left, every item its child, and the items themselves neither duplicated nor lost (the
cells of test_faults.py, with `defaults.parent` on). `bench/fault_matrix.py` prints
these rows too."""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.github import FakeGitHub
from tests.fakes.github_sub_issues import children_of as github_children
from tests.fakes.gitlab import FakeGitLab
from tests.fakes.gitlab_epics import epics, issues_in, license_epics
from tests.fakes.gitlab_links import linked_to
from tests.fakes.jira import FakeJira
from tests.fakes.jira_hierarchy import children_of as jira_children
from tests.fakes.linear import FakeLinear
from tests.fakes.server import FakeServer
from tests.test_crash import kill_on_create, start_push
from tests.test_faults import (
    GITLAB_PROJECT,
    ITEMS,
    REPO,
    Cell,
    Run,
    fault_of,
    item_ids,
    make_run,
    postmortem,
    request_target,
    tally,
)

# Where a parent's create and a child's link go, per tracker (method, target regex). On a
# first push Jira and Linear create the parent first, in the endpoint items use too.
PARENT_TARGETS: dict[str, dict[str, tuple[str, str]]] = {
    "github": {
        "parent create": ("POST", r"^/repos/acme/ops/issues$"),
        "link": ("POST", r"^/repos/acme/ops/issues/\d+/sub_issues$"),
    },
    "jira": {
        "parent create": ("POST", r"^/rest/api/3/issue/bulk$"),
        "link": ("PUT", r"^/rest/api/3/issue/[^/?]+$"),
    },
    "linear": {
        "parent create": ("POST", r"^/graphql#issueBatchCreate$"),
        "link": ("POST", r"^/graphql#issueUpdate$"),
    },
    "gitlab": {
        "parent create": ("POST", r"^/projects/acme%2Fplatform%2Fops/issues$"),
        "link": ("POST", r"^/projects/acme%2Fplatform%2Fops/issues/\d+/links$"),
    },
    # GitLab with epics licensed in the project's group: the parent is a group epic, an
    # item joins it by its `epic_id` (in its create on a first push, else one PUT)
    "gitlab-epic": {
        "parent create": ("POST", r"^/groups/acme%2Fplatform/epics$"),
        "link": ("PUT", r"^/projects/acme%2Fplatform%2Fops/issues/\d+$"),
    },
}
EPIC_VARIANT = "gitlab-epic"
# "turned on": the postmortem was pushed without a parent, then `parent: true` (the only
# create is the parent's); "first push": parent and items in one run.
SCENES = ("turned on", "first push")
PARENT_FAULTS = ("502", "502-after-commit", "429", "drop-before", "drop-after-commit",
                 "503-outage")  # fmt: skip


def parent_cells() -> Iterator[tuple[str, str, str]]:
    for tracker in ("github", "jira", "linear", "gitlab", EPIC_VARIANT):
        for fault in PARENT_FAULTS:
            for step in ("parent create", "link"):
                for scene in SCENES:
                    if (
                        step == "link"
                        and scene == "first push"
                        and tracker in ("jira", "linear", EPIC_VARIANT)
                    ):
                        continue  # linked in the create: no link request to hit
                    yield tracker, fault, f"{step}, {scene}"


def fake_of(tracker: str) -> str:
    """The fake a parent row runs on: GitLab's for its epic variant."""
    return "gitlab" if tracker == EPIC_VARIANT else tracker


def run_parent_cell(run: Run, cell: Cell) -> Cell:
    step, scene = cell.step.split(", ")
    if cell.tracker == EPIC_VARIANT:
        license_epics(run.fake)  # type: ignore[arg-type]
    text = postmortem(ITEMS)
    run.write(text)
    if scene == "turned on":
        run.push()
    set_parent(run)
    start = len(run.fake.requests)
    method, path = PARENT_TARGETS[cell.tracker][step]
    times = None if cell.fault == "503-outage" else 1
    fault = "ratelimited" if cell.tracker == "linear" and cell.fault == "429" else cell.fault
    run.fake.inject(method, path, fault_of(fault, cell.tracker), times=times)
    run.push()
    if not hit(run, start, method, path):
        cell.notes.append("the fault was never met")
    run.fake.clear_faults()
    run.push()
    cell.runs += 3 if scene == "turned on" else 2
    result = tally(run, item_ids(text))
    cell.duplicates, cell.lost = result.duplicates, result.lost
    cell.notes.extend(parent_problems(run))
    return cell


def set_parent(run: Run) -> None:
    import yaml

    path = run.root / "pmsync.yaml"
    config = yaml.safe_load(path.read_text())
    config["defaults"] = {"parent": True}
    path.write_text(yaml.safe_dump(config))


def hit(run: Run, start: int, method: str, path: str) -> bool:
    pattern = re.compile(path)
    return any(
        r.method == method and pattern.search(request_target(r).rstrip("?"))
        for r in run.fake.requests[start:]
    )


def parent_problems(run: Run) -> list[str]:
    """One parent, recorded with no intent, every item its child: else what is wrong."""
    parents = run.issues_by_item()
    keys = [k for item, found in parents.items() if item.startswith("pm-") for k in found]
    [record] = run.state().parents.values() or [None]  # type: ignore[list-item]
    problems = []
    if len(keys) != 1:
        problems.append(f"{len(keys)} parent issues")
    elif record is None or record.issue is None or record.intent is not None:
        problems.append("parent not recorded")
    elif record.issue.key != keys[0]:
        problems.append("the recorded parent is not the one in the tracker")
    elif len(children(run.fake, keys[0])) != ITEMS:
        problems.append(f"{len(children(run.fake, keys[0]))} of {ITEMS} items linked")
    return problems


def children(fake: FakeServer, key: str) -> list[object]:
    if isinstance(fake, FakeGitHub):
        return list(github_children(fake, REPO, int(key.rsplit("#", 1)[1])))
    if isinstance(fake, FakeGitLab) and "&" in key:
        group, iid = key.rsplit("&", 1)
        [epic] = [e for e in epics(fake, group) if e.iid == int(iid)]
        return list(issues_in(fake, epic, GITLAB_PROJECT))
    if isinstance(fake, FakeGitLab):
        return list(linked_to(fake, GITLAB_PROJECT, int(key.rsplit("#", 1)[1])))
    if isinstance(fake, FakeLinear):
        return list(fake.children(key))
    assert isinstance(fake, FakeJira)
    return list(jira_children(fake, key))


@pytest.mark.parametrize(
    ("tracker", "fault", "step"),
    [pytest.param(t, f, s, id=f"{t}-{f}-{s}") for t, f, s in parent_cells()],
)
def test_parent_fault_matrix(
    tmp_path: Path, request: pytest.FixtureRequest, tracker: str, fault: str, step: str
) -> None:
    fake: FakeServer = request.getfixturevalue(f"fake_{fake_of(tracker)}")
    run = make_run(tmp_path, fake_of(tracker), fake)
    cell = run_parent_cell(run, Cell(tracker, fault, step))
    assert (cell.duplicates, cell.lost, cell.notes) == (0, 0, [])


# --- SIGKILL while the parent is created -----------------------------------------------

PARENT_CRASHES = [
    (t, a) for t in ("github", "jira", "linear", "gitlab", EPIC_VARIANT) for a in (False, True)
]


@pytest.mark.parametrize(
    ("tracker", "after_commit"),
    [pytest.param(t, a, id=f"{t}{'-after-commit' if a else ''}") for t, a in PARENT_CRASHES],
)
def test_sigkill_at_the_parent_create_then_rerun_makes_one_parent(
    tmp_path: Path, request: pytest.FixtureRequest, tracker: str, after_commit: bool
) -> None:
    fake: FakeServer = request.getfixturevalue(f"fake_{fake_of(tracker)}")
    run = make_run(tmp_path, fake_of(tracker), fake)
    cell = crash_at_parent(run, after_commit, epics=tracker == EPIC_VARIANT)
    assert (cell.duplicates, cell.lost, cell.notes) == (0, 0, [])


def crash_at_parent(run: Run, after_commit: bool, *, epics: bool = False) -> Cell:
    """pmsync is killed (SIGKILL) at its parent's create, before or after the tracker
    committed it; the next push finds or creates exactly one parent and links every item.
    `epics`: on GitLab with epics licensed, where the parent's create is the epic's."""
    text = postmortem(ITEMS)
    run.write(text)
    run.push()
    set_parent(run)
    target = None
    if epics:
        license_epics(run.fake)  # type: ignore[arg-type]
        target = ("POST", "/groups/acme%2Fplatform/epics")
    with kill_on_create(run.fake, 0, after_commit=after_commit, target=target) as victim:
        victim.append(start_push(run))
        victim[0].communicate(timeout=60)
    run.push()
    where = "parent create" + (" + commit" if after_commit else "")
    cell = Cell(run.tracker, "SIGKILL", where, 3)
    if victim[0].returncode != -signal.SIGKILL:
        cell.notes.append("not killed")
    result = tally(run, item_ids(text))
    cell.duplicates, cell.lost = result.duplicates, result.lost
    cell.notes.extend(parent_problems(run))
    return cell

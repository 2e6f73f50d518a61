"""Two CI runs' state files merge record by record (`pmsync state merge`, git's merge
driver), and the example workflows never leave git a conflict on the state file."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import yaml

from pmsync.state.merge import merge_states
from pmsync.state.store import ItemRecord, Status, SyncState, load_state
from tests.fakes.github import FakeGitHub
from tests.workspace import Workspace, make_workspace

REPO = "acme/ops"
ROOT = Path(__file__).resolve().parent.parent
PMSYNC = Path(sys.executable).parent / "pmsync"


def git(root: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def repository(tmp_path: Path, fake: FakeGitHub) -> Workspace:
    settings = {"github": {"repo": REPO, "api_url": fake.api_url, "writes_per_minute": 0}}
    ws = make_workspace(tmp_path, {"GITHUB_TOKEN": fake.token}, **settings)
    ws.push()
    git(ws.root, "init", "-q", "-b", "main")
    git(ws.root, "config", "merge.pmsync-state.driver", f"{PMSYNC} state merge %O %A %B")
    git(ws.root, "add", "-A")
    git(ws.root, "commit", "-qm", "first push")
    return ws


def test_git_merges_two_diverged_states_without_losing_a_record(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    ws = repository(tmp_path, fake_github)
    assert git(ws.root, "status", "--porcelain") == ""  # scratch files are git-ignored
    # The nightly run: an issue closed in the tracker, recorded by status.
    git(ws.root, "switch", "-qc", "nightly")
    closed = fake_github.issues(REPO)[0]
    fake_github.close_issue(REPO, closed.number)
    ws.status(date(2024, 8, 1))
    git(ws.root, "commit", "-qam", "status")
    # Meanwhile on main, the push run: a new item pushed.
    git(ws.root, "switch", "-q", "main")
    learning = "continuous learning.\n"
    ws.edit(
        "web-stack-orders-index.md", learning, learning + "6. **Add a canary:** before deploys.\n"
    )
    ws.push()
    git(ws.root, "commit", "-qam", "push")
    git(ws.root, "merge", "-q", "--no-edit", "nightly")
    merged = ws.state()
    titles = [record.title for record in merged.items.values()]
    statuses = [r.status.state for r in merged.items.values() if r.status is not None]
    assert "Add a canary" in titles and len(merged.items) == 40
    assert statuses.count("closed") == 1 and len(merged.history) == 1
    assert git(ws.root, "status", "--porcelain") == ""


def record(title: str, state: str = "open", day: int = 1) -> ItemRecord:
    seen = f"2024-08-{day:02d}T05:00:00Z"
    status = Status.model_validate({"state": state, "last_seen": seen})
    return ItemRecord(doc="d", title=title, status=status)


def test_a_record_both_sides_changed_keeps_each_sides_news() -> None:
    base = SyncState(items={"a": record("A"), "b": record("B"), "c": record("C")})
    ours = base.model_copy(deep=True)
    theirs = base.model_copy(deep=True)
    ours.items["a"].title = "A, reworded"
    theirs.items["a"].status = record("A", "closed", day=2).status
    del ours.items["b"]  # pruned on our side, untouched on theirs: stays gone
    del theirs.items["c"]  # dropped on theirs but changed on ours: kept
    ours.items["c"].content_hash = "new"
    merged = merge_states(base, ours, theirs)
    assert sorted(merged.items) == ["a", "c"]
    assert merged.items["a"].title == "A, reworded"
    assert merged.items["a"].status is not None and merged.items["a"].status.state == "closed"
    assert merged.items["c"].content_hash == "new"


def test_a_broken_side_is_a_conflict_not_a_guess(tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours.json", tmp_path / "theirs.json"
    ours.write_text("{}\n")
    theirs.write_text("{ torn")
    done = subprocess.run(
        [str(PMSYNC), "state", "merge", str(tmp_path / "none"), str(ours), str(theirs)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert load_state(ours).items == {}


def workflow_script(name: str) -> str:
    data = yaml.safe_load((ROOT / "examples" / "workflows" / name).read_text())
    return "\n".join(step.get("run", "") for job in data["jobs"].values() for step in job["steps"])


def test_the_workflows_merge_the_state_file_with_the_driver() -> None:
    assert shutil.which("git")
    for name in ("pmsync-push.yml", "pmsync-nightly.yml"):
        script = workflow_script(name)
        driver = script.find("merge.pmsync-state.driver")
        assert 0 <= driver < script.find("pull --quiet --rebase"), name
    # The nightly pull request carries the write-back alone, never the state file: a
    # pull request GitHub merges would conflict with the push run's commits.
    nightly = workflow_script("pmsync-nightly.yml")
    pull_request = nightly[nightly.find('switch --quiet -C "$BRANCH"') :]
    assert re.search(r"git add -A -- \. ':\(exclude\)\.pmsync'", pull_request)

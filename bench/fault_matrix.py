"""The fault × step matrix of tests/test_faults.py and tests/test_parent_faults.py (and
the SIGKILL crashes of tests/test_crash.py), run against the fake trackers (GitHub, Jira,
Linear, GitLab), as a table: per tracker and fault, the steps tried, the pmsync runs
made, duplicate issues found and items lost. Plus Jira's lagging search index (`search
lag`: a re-run after a lost bulk answer, two clones pushing in turn).

Run from the project root: `python bench/fault_matrix.py [--no-crash]`.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.github import FakeGitHub  # noqa: E402
from tests.fakes.gitlab import FakeGitLab  # noqa: E402
from tests.fakes.jira import FakeJira  # noqa: E402
from tests.fakes.linear import FakeLinear  # noqa: E402
from tests.fakes.server import DropAfterCommit, FakeServer  # noqa: E402
from tests.test_crash import CRASHES, JIRA_ITEMS, crash_then_rerun  # noqa: E402
from tests.test_faults import (  # noqa: E402
    ITEMS,
    Cell,
    cells,
    edit_cells,
    item_ids,
    make_run,
    postmortem,
    run_cell,
    run_edit_cell,
    scenario_stale_state,
    stale_cells,
    tally,
)
from tests.test_parent_faults import (  # noqa: E402
    EPIC_VARIANT,
    PARENT_CRASHES,
    crash_at_parent,
    fake_of,
    parent_cells,
    run_parent_cell,
)

Row = tuple[str, str]  # tracker, fault


def matrix(fakes: dict[str, FakeServer], scratch: Path) -> list[Cell]:
    done = []
    for n, (tracker, fault, step) in enumerate(cells()):
        fake = fakes[tracker]
        fake.reset()  # type: ignore[attr-defined]
        run = make_run(scratch / f"cell-{n}", tracker, fake)
        done.append(run_cell(run, Cell(tracker, fault, step)))
    # edit-then-fault rows: an ordinary edit (reword, retitle), then a fault on its write
    for n, (tracker, fault, step) in enumerate(edit_cells()):
        fake = fakes[tracker]
        fake.reset()  # type: ignore[attr-defined]
        run = make_run(scratch / f"edit-{n}", tracker, fake)
        cell = run_edit_cell(run, Cell(tracker, fault, step))
        cell.fault, cell.step = f"edit: {step}", fault  # one table row per edit
        done.append(cell)
    # a state file one save behind (a restored state.json.bak, a lost CI commit-back)
    for n, (tracker, way) in enumerate(stale_cells()):
        fakes[tracker].reset()  # type: ignore[attr-defined]
        run = make_run(scratch / f"stale-{n}", tracker, fakes[tracker])
        cell = Cell(tracker, "stale state", way)
        result = tally(run, scenario_stale_state(run, cell))
        cell.duplicates, cell.lost = result.duplicates, result.lost
        done.append(cell)
    # parent rows (defaults.parent): a fault on a parent's create or a child's link
    for n, (tracker, fault, step) in enumerate(parent_cells()):
        fake = fakes[fake_of(tracker)]  # GitLab's twice: parent issues, then group epics
        fake.reset()  # type: ignore[attr-defined]
        run = make_run(scratch / f"parent-{n}", fake_of(tracker), fake)
        cell = run_parent_cell(run, Cell(tracker, fault, step))
        cell.fault, cell.step = f"parent: {step}", fault
        done.append(cell)
    return done


def crashes(fakes: dict[str, FakeServer], scratch: Path) -> list[Cell]:
    done = []
    for n, (tracker, k, after_commit) in enumerate(CRASHES):
        fake = fakes[tracker]
        fake.reset()  # type: ignore[attr-defined]
        batched = tracker in ("jira", "linear")  # as tests/test_crash.py: 3 batches of 50
        items = JIRA_ITEMS if batched else ITEMS
        run = make_run(scratch / f"crash-{n}", tracker, fake)
        crash_then_rerun(run, k, after_commit=after_commit, items=items)
        run.push()
        result = tally(run, item_ids(postmortem(items)))
        unit = "bulk creates of 50" if batched else "creates"
        where = f"after {k} {unit}" + (" + commit" if after_commit else "")
        done.append(Cell(tracker, "SIGKILL", where, 2, result.duplicates, result.lost))
    for n, (tracker, after_commit) in enumerate(PARENT_CRASHES):
        fake = fakes[fake_of(tracker)]
        fake.reset()  # type: ignore[attr-defined]
        run = make_run(scratch / f"parent-crash-{n}", fake_of(tracker), fake)
        cell = crash_at_parent(run, after_commit, epics=tracker == EPIC_VARIANT)
        cell.tracker = tracker
        done.append(cell)
    return done


LAG = 10_000  # requests: Jira's search index sees nothing created during a cell


def search_lag(jira: FakeJira, scratch: Path) -> list[Cell]:
    """Jira's index lagging behind creates (as on Cloud): a lost bulk answer re-run at
    once (the intent grace already over), and two clones pushing one after the other."""
    text = postmortem(JIRA_ITEMS)
    expected = item_ids(text)
    jira.reset()
    jira.search_lag = LAG
    run = make_run(scratch / "lag-rerun", "jira", jira)
    run.write(text)
    jira.inject("POST", r"/issue/bulk$", DropAfterCommit())
    run.push()
    run.push()
    rerun = tally(run, expected)
    jira.reset()
    jira.search_lag = LAG
    first, second = (make_run(scratch / f"lag-clone-{n}", "jira", jira) for n in (1, 2))
    for clone in (first, second):
        clone.write(text)
        clone.push()
    clones = tally(second, expected)
    return [
        Cell("jira", "search lag", "lost bulk answer, re-run", 2, rerun.duplicates, rerun.lost),
        Cell("jira", "search lag", "two clones in turn", 2, clones.duplicates, clones.lost),
    ]


def table(done: list[Cell]) -> str:
    rows: dict[Row, list[Cell]] = defaultdict(list)
    for cell in done:
        rows[(cell.tracker, cell.fault)].append(cell)
    lines = [
        "| tracker | fault | steps | runs | duplicate issues | items lost |",
        "|---|---|---|---:|---:|---:|",
    ]
    for (tracker, fault), group in rows.items():
        steps = ", ".join(c.step for c in group)
        runs = sum(c.runs for c in group)
        dups, lost = sum(c.duplicates for c in group), sum(c.lost for c in group)
        lines.append(f"| {tracker} | {fault} | {steps} | {runs} | {dups} | {lost} |")
    total = (sum(c.runs for c in done), sum(c.duplicates for c in done), sum(c.lost for c in done))
    lines.append(f"| **all** | {len(rows)} faults | {len(done)} cells | {total[0]} | "
                 f"{total[1]} | {total[2]} |")  # fmt: skip
    notes = [f"- {c.tracker} {c.fault} {c.step}: {'; '.join(c.notes)}" for c in done if c.notes]
    return "\n".join(lines + notes)


def main() -> int:
    started = time.perf_counter()
    with (
        FakeGitHub() as github,
        FakeJira() as jira,
        FakeLinear() as linear,
        FakeGitLab() as gitlab,
        tempfile.TemporaryDirectory() as tmp,
    ):
        fakes: dict[str, FakeServer] = {
            "github": github,
            "jira": jira,
            "linear": linear,
            "gitlab": gitlab,
        }
        done = matrix(fakes, Path(tmp))
        done += search_lag(jira, Path(tmp))
        if "--no-crash" not in sys.argv:
            done += crashes(fakes, Path(tmp))
        invalid = [
            *github.validation_errors,
            *jira.validation_errors,
            *linear.validation_errors,
            *gitlab.validation_errors,
        ]
    print(table(done))
    print(f"\n{len(done)} cells in {time.perf_counter() - started:.1f} s; "
          f"fake validation errors: {len(invalid)}")  # fmt: skip
    return 1 if any(c.duplicates or c.lost or c.notes for c in done) or invalid else 0


if __name__ == "__main__":
    raise SystemExit(main())

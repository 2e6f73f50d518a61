"""What parent issues cost (`defaults.parent`): requests per tracker, measured against
the fakes beside the same push without parents.

Run from the project root: `.venv/bin/python -m bench.parents [--sizes 100,1000]
[--trackers github,jira,linear,gitlab,gitlab-epic] [--per-doc 20]` (`gitlab-epic`: GitLab
with epics licensed in the project's group, parents as group epics). Phases, per tracker
and size:

- *first push*: a fresh container, parents on; "parent part" is its requests minus those
  of the same push with parents off (measured on a second fresh container);
- *no change*: push again (target: 0);
- *turned on later*: parents switched on for postmortems already pushed without them;
- *status, 1% closed*: every hundredth item's issue closed in the tracker, then status
  (target: at most one checklist update per parent whose items changed, plus the reads).

Bounds of the parent part: GitHub and GitLab one create per parent and one link request
per item; Jira and Linear create the parents 50 a request before their items, name the
parent in the items' bulk create (no link request) and update each parent's checklist
once the items exist. GitLab with epics: one probe of the group's epics, one create per
parent, the items created in their epic (`epic_id`, no link request), one checklist update
per parent; a first push also lists the group's epics (a lost state's search). Turned on
later: the creates, and one link request per item (GitLab epics: one PUT each, and the
probe).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bench.run import SIDES, GitLabSide, Side, started
from pmsync.commands import push_command, status_command
from pmsync.config import load_config
from tests.docgen import write_postmortems
from tests.fakes.gitlab_epics import license_epics

LINKS_PER_ITEM = {"github": 1, "gitlab": 1, "jira": 0, "linear": 0, "gitlab-epic": 0}
BATCHED = ("jira", "linear")  # parents created 50 a request
# Requests beside creates and links: GitLab asks the group for its epics once; a first
# push (no baseline) also lists them, as a lost state's search.
PROBES = {"gitlab-epic": 1}
FIRST_LISTINGS = {"gitlab-epic": 1}


class GitLabEpicSide(GitLabSide):
    """GitLab with epics licensed in the project's group (Premium): parents are epics."""

    name = "gitlab-epic"

    def __init__(self) -> None:
        super().__init__()
        license_epics(self.lab)


PARENT_SIDES: dict[str, Any] = {**SIDES, "gitlab-epic": GitLabEpicSide}


def workspace(root: Path, side: Side, n: int, per_doc: int, parent: bool) -> Path:
    write_postmortems(root / "postmortems", n, per_doc=per_doc)
    config = {"postmortems": ["postmortems/**/*.md"], **side.settings(),
              "defaults": {"parent": parent}}  # fmt: skip
    (root / "pmsync.yaml").write_text(yaml.safe_dump(config))
    return root


def set_parent(root: Path, on: bool) -> None:
    config = yaml.safe_load((root / "pmsync.yaml").read_text())
    config["defaults"] = {"parent": on}
    (root / "pmsync.yaml").write_text(yaml.safe_dump(config))


def counted(side: Side, run: Any) -> tuple[int, float]:
    side.fake.reset_log()
    started_at = time.perf_counter()
    run()
    return len(side.fake.requests), time.perf_counter() - started_at


def push(root: Path, side: Side) -> None:
    config = load_config(root / "pmsync.yaml")
    push_command(config, [], prune=False, report=lambda o: None, env=side.env())


def status(root: Path, side: Side) -> None:
    config = load_config(root / "pmsync.yaml")
    status_command(config, [], refresh=True, write=False, today=date(2024, 9, 1), env=side.env())


def bench(tracker: str, n: int, per_doc: int) -> list[str]:
    docs = math.ceil(n / per_doc)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        probe = PROBES.get(tracker, 0)
        with started(PARENT_SIDES[tracker](), 0.0) as plain:
            base = workspace(Path(tmp) / "plain", plain, n, per_doc, parent=False)
            without, _ = counted(plain, lambda: push(base, plain))
            later, wall = counted(plain, lambda: set_parent(base, True) or push(base, plain))
            rows.append(row(tracker, n, "turned on later", later,
                            _creates(tracker, docs) + n + probe, wall))  # fmt: skip
        with started(PARENT_SIDES[tracker](), 0.0) as side:
            root = workspace(Path(tmp) / "parents", side, n, per_doc, parent=True)
            first, wall = counted(side, lambda: push(root, side))
            links = n if LINKS_PER_ITEM[tracker] else docs  # else: a checklist update each
            bound = _creates(tracker, docs) + links + probe + FIRST_LISTINGS.get(tracker, 0)
            rows.append(row(tracker, n, f"first push (without parents: {without})", first,
                            without + bound, wall, part=first - without))  # fmt: skip
            again, wall = counted(side, lambda: push(root, side))
            rows.append(row(tracker, n, "no change", again, 0, wall))
            counted(side, lambda: status(root, side))
            side.change(100)
            moved, wall = counted(side, lambda: status(root, side))
            rows.append(row(tracker, n, "status, 1% closed", moved, None, wall))
    return rows


def _creates(tracker: str, docs: int) -> int:
    """Requests to create `docs` parents: one each, or 50 a bulk (Jira, Linear)."""
    return math.ceil(docs / 50) if tracker in BATCHED else docs


def row(tracker: str, n: int, phase: str, requests: int, bound: int | None, wall: float,
        part: int | None = None) -> str:  # fmt: skip
    shown = f"{requests:,}" + (f" (parent part {part:,})" if part is not None else "")
    target = "–" if bound is None else f"{bound:,}"
    return f"| {tracker} | {n:,} | {phase} | {shown} | {target} | {wall:.2f} |"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--trackers", default="github,jira,linear,gitlab")
    parser.add_argument("--per-doc", type=int, default=20)
    args = parser.parse_args(argv)
    print("| tracker | items | phase | requests | bound | wall s (no latency) |")
    print("|---|---:|---|---|---:|---:|")
    for tracker in args.trackers.split(","):
        for n in (int(s) for s in args.sizes.split(",")):
            for line in bench(tracker, n, args.per_doc):
                print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Sync benchmark: requests, wall time and peak memory of push and status at scale,
beside the lower bound and a naive client measured in the same run.

Run from the project root (2 to 10 minutes for the default sizes):

    .venv/bin/python -m bench.run [--sizes 10,100,1000,5000] [--latency 0.05]
                                  [--trackers github,jira,linear,gitlab] [--per-doc 20]
                                  [--no-naive]

pmsync runs with `github.writes_per_minute: 0` (pacing off; the default 80 writes a
minute would make 5,000 creates take an hour by design) and `github.parallel_creates:
8`. The fakes serve from this process with `--latency` seconds added to every request;
each phase runs in a fresh process (bench/measure.py). The naive script runs against
its own fake without latency, and its wall time is estimated as the time measured plus
one round trip per request: it sends one request at a time, so each adds exactly one
latency. Results and their reading: bench/README.md.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench import naive
from bench.measure import Measured, in_child, pmsync_push, pmsync_status
from tests.docgen import write_postmortems
from tests.fakes.github import FakeGitHub
from tests.fakes.github_search import enable_search
from tests.fakes.gitlab import FakeGitLab
from tests.fakes.jira import FakeJira
from tests.fakes.linear import API_KEY, FakeLinear, operation_target
from tests.fakes.server import FakeServer

REPO = "acme/ops"
PHASES = ("first push", "no change", "10% edited", "first status", "1% changed")
SLACK = 5  # the "small constant" of the target: requests <= 1.05 × bound + SLACK
EDIT_OLD, EDIT_NEW = "make sure it cannot recur.", "make sure it cannot recur, and test it."


@dataclass
class Row:
    tracker: str
    items: int
    phase: str
    requests: int
    setup: int  # one-time per repository: label and milestone lookups and creates
    bound: int
    pm: Measured
    naive_requests: int | None = None
    naive_wall: float | None = None

    @property
    def within(self) -> bool:
        return self.requests - self.setup <= 1.05 * self.bound + SLACK


# --- trackers ------------------------------------------------------------------------------


class Side:
    """One tracker: the fake pmsync talks to, the naive script's fake, and the bounds."""

    name: str
    fake: FakeServer
    naive_fake: FakeServer

    def settings(self) -> dict[str, Any]: ...
    def env(self) -> dict[str, str]: ...
    def change(self, every: int) -> int: ...
    def naive_push(self, root: str) -> Measured: ...
    def naive_status(self) -> Measured: ...
    def setup(self) -> int: ...
    def first_push_bound(self, n: int) -> int: ...

    status_page = 100  # issues a status listing page holds


class GitHubSide(Side):
    name = "github"

    def __init__(self) -> None:
        self.fake = self.gh = FakeGitHub(spec_path=None)
        self.naive_fake = self.naive_gh = FakeGitHub(spec_path=None)
        enable_search(self.naive_gh)

    def settings(self) -> dict[str, Any]:
        return {"github": {"repo": REPO, "api_url": self.gh.api_url, "writes_per_minute": 0,
                           "parallel_creates": 8}}  # fmt: skip

    def env(self) -> dict[str, str]:
        return {"GITHUB_TOKEN": self.gh.token}

    def change(self, every: int) -> int:
        for fake in (self.gh, self.naive_gh):
            for issue in fake.issues(REPO)[::every]:
                fake.close_issue(REPO, issue.number)
        return len(self.gh.issues(REPO)[::every])

    def naive_push(self, root: str) -> Measured:
        args = (self.naive_gh.api_url, self.naive_gh.token, REPO, naive.folder_of(root))
        return in_child(naive.github_push, *args)

    def naive_status(self) -> Measured:
        numbers = [i.number for i in self.naive_gh.issues(REPO)]
        args = (self.naive_gh.api_url, self.naive_gh.token, REPO, numbers)
        return in_child(naive.github_status, *args)

    def setup(self) -> int:
        return sum(bool(re.search(r"/(labels|milestones)\b", r.path)) for r in self.gh.requests)

    def first_push_bound(self, n: int) -> int:
        return n


class JiraSide(Side):
    name = "jira"

    def __init__(self) -> None:
        self.fake = self.jira = FakeJira(spec_path=None)
        self.naive_fake = self.naive_jira = FakeJira(spec_path=None)

    def settings(self) -> dict[str, Any]:
        return {"tracker": "jira", "jira": self.jira.config()}

    def env(self) -> dict[str, str]:
        return self.jira.env()

    def change(self, every: int) -> int:
        for fake in (self.jira, self.naive_jira):
            for issue in fake.issues()[::every]:
                fake.transition(issue["key"], "Done")
        return len(self.jira.issues()[::every])

    def naive_push(self, root: str) -> Measured:
        fake = self.naive_jira
        args = (fake.api_url, fake.env(), fake.project_keys[0], naive.folder_of(root))
        return in_child(naive.jira_push, *args)

    def naive_status(self) -> Measured:
        keys = [i["key"] for i in self.naive_jira.issues()]
        return in_child(naive.jira_status, self.naive_jira.api_url, self.naive_jira.env(), keys)

    def setup(self) -> int:
        paths = ("/serverInfo", "/myself", "/project/", "/field")
        return sum(any(p in r.path for p in paths) for r in self.jira.requests)

    def first_push_bound(self, n: int) -> int:
        return math.ceil(n / 50)


class LinearSide(Side):
    name = "linear"
    status_page = 250
    SETUP_OPS = ("#teams", "#issueLabels", "#issueLabelCreate", "#users", "#projects")

    def __init__(self) -> None:
        self.fake = self.linear = FakeLinear()
        self.naive_fake = self.naive_linear = FakeLinear()
        for fake in (self.linear, self.naive_linear):
            # the hourly budgets are not what is measured here: the naive script alone
            # sends two requests an item
            fake.requests_limit, fake.complexity_limit = 10**9, 10**12

    def settings(self) -> dict[str, Any]:
        return {"tracker": "linear", "linear": self.linear.config()}

    def env(self) -> dict[str, str]:
        return self.linear.env()

    def change(self, every: int) -> int:
        for fake in (self.linear, self.naive_linear):
            for issue in fake.issues()[::every]:
                fake.edit(issue["identifier"], state="Done")
        return len(self.linear.issues()[::every])

    def naive_push(self, root: str) -> Measured:
        url = self.naive_linear.url + "/graphql"
        return in_child(naive.linear_push, url, API_KEY, "OPS", naive.folder_of(root))

    def naive_status(self) -> Measured:
        ids = [i["id"] for i in self.naive_linear.issues()]
        return in_child(naive.linear_status, self.naive_linear.url + "/graphql", API_KEY, ids)

    def setup(self) -> int:
        targets = [operation_target(r.body) for r in self.linear.requests]
        return sum(any(t.endswith(op) for op in self.SETUP_OPS) for t in targets)

    def first_push_bound(self, n: int) -> int:
        return math.ceil(n / 50)


class GitLabSide(Side):
    name = "gitlab"

    def __init__(self) -> None:
        self.fake = self.lab = FakeGitLab(spec_path=None)
        self.naive_fake = self.naive_lab = FakeGitLab(spec_path=None)
        for fake in (self.lab, self.naive_lab):
            fake.create_limit = 10**9  # the benchmark measures requests, not GitLab's limit

    def settings(self) -> dict[str, Any]:
        return {"tracker": "gitlab", "gitlab": self.lab.config(creates_per_minute=0)}

    def env(self) -> dict[str, str]:
        return self.lab.env()

    def change(self, every: int) -> int:
        for fake in (self.lab, self.naive_lab):
            for issue in fake.issues()[::every]:
                fake.edit_issue(issue.iid, state="closed")
        return len(self.lab.issues()[::every])

    def naive_push(self, root: str) -> Measured:
        fake = self.naive_lab
        path = fake.initial_projects[0]
        return in_child(naive.gitlab_push, fake.url, fake.token, path, naive.folder_of(root))

    def naive_status(self) -> Measured:
        fake = self.naive_lab
        iids = [i.iid for i in fake.issues()]
        return in_child(naive.gitlab_status, fake.url, fake.token, fake.initial_projects[0], iids)

    def setup(self) -> int:
        return sum(r.path == "/users" or r.path.count("/") == 2 for r in self.lab.requests)

    def first_push_bound(self, n: int) -> int:
        return n


SIDES: dict[str, Callable[[], Side]] = {
    "github": GitHubSide,
    "jira": JiraSide,
    "linear": LinearSide,
    "gitlab": GitLabSide,
}


@contextmanager
def started(side: Side, latency: float) -> Iterator[Side]:
    with side.fake, side.naive_fake:
        side.fake.latency = latency
        yield side


# --- one size on one tracker -----------------------------------------------------------------


def edit_items(folder: Path, every: int = 10) -> int:
    """Reword the text (not the title) of every `every`-th item: one update each."""
    count = index = 0
    for path in sorted(folder.glob("*.md")):
        lines = path.read_text().splitlines(keepends=True)
        for n, line in enumerate(lines):
            if line.startswith("- **"):
                if index % every == 0:
                    lines[n] = line.replace(EDIT_OLD, EDIT_NEW)
                    count += 1
                index += 1
        path.write_text("".join(lines))
    return count


class Run:
    def __init__(self, side: Side, n: int, root: Path, with_naive: bool, latency: float):
        self.side, self.n, self.root, self.with_naive = side, n, root, with_naive
        self.latency = latency
        self.rows: list[Row] = []

    def phase(self, name: str, bound: int, push: bool, emit: Callable[[Row], None]) -> None:
        side = self.side
        side.fake.reset_log()
        args = (str(self.root), side.env())
        pm = in_child(pmsync_push, *args) if push else in_child(pmsync_status, *args)
        row = Row(side.name, self.n, name, len(side.fake.requests), side.setup(), bound, pm)
        if self.with_naive:
            side.naive_fake.reset_log()
            measured = side.naive_push(str(self.root)) if push else side.naive_status()
            row.naive_requests = len(side.naive_fake.requests)
            row.naive_wall = measured.wall + row.naive_requests * self.latency
        self.rows.append(row)
        emit(row)

    def all_phases(self, emit: Callable[[Row], None]) -> None:
        n, side = self.n, self.side
        self.phase(PHASES[0], side.first_push_bound(n), True, emit)
        self.phase(PHASES[1], 0, True, emit)
        edited = edit_items(self.root / "postmortems")
        self.phase(PHASES[2], edited, True, emit)
        self.phase(PHASES[3], math.ceil(n / side.status_page), False, emit)
        changed = side.change(100)
        self.phase(PHASES[4], max(1, math.ceil(changed / side.status_page)), False, emit)


def bench_one(
    tracker: str, n: int, args: argparse.Namespace, emit: Callable[[Row], None]
) -> list[Row]:
    with started(SIDES[tracker](), args.latency) as side, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_postmortems(root / "postmortems", n, per_doc=args.per_doc)
        config = {"postmortems": ["postmortems/**/*.md"], **side.settings()}
        (root / "pmsync.yaml").write_text(yaml.safe_dump(config))
        run = Run(side, n, root, not args.no_naive, args.latency)
        run.all_phases(emit)
        return run.rows


# --- output ---------------------------------------------------------------------------------

HEADER = (
    "| tracker | items | phase | requests (setup) | lower bound | naive requests "
    "| wall s | naive wall s (est.) | peak RSS MB | within 5% + 5 |"
)


def format_row(row: Row) -> str:
    naive_req = f"{row.naive_requests:,}" if row.naive_requests is not None else "–"
    naive_wall = f"{row.naive_wall:.1f}" if row.naive_wall is not None else "–"
    requests = f"{row.requests:,}" + (f" ({row.setup})" if row.setup else "")
    return (
        f"| {row.tracker} | {row.items:,} | {row.phase} | {requests} | {row.bound:,} "
        f"| {naive_req} | {row.pm.wall:.2f} | {naive_wall} | {row.pm.peak_mb:.0f} "
        f"| {'yes' if row.within else 'NO'} |"
    )


def status_verdicts(rows: list[Row]) -> Iterator[str]:
    """The status targets at the largest size: ≥ 50× fewer requests than the naive
    script, under 5 s; and peak memory under 200 MB everywhere."""
    largest = max(r.items for r in rows)
    for row in rows:
        if row.items == largest and "status" in row.phase and row.naive_requests:
            ratio = row.naive_requests / max(1, row.requests)
            yield (
                f"{row.tracker} {row.phase}, {largest:,} items: {ratio:,.0f}× fewer requests "
                f"than naive ({'met' if ratio >= 50 else 'MISSED'}), {row.pm.wall:.2f} s "
                f"({'met' if row.pm.wall < 5 else 'MISSED'} < 5 s)"
            )
    peak = max(rows, key=lambda r: r.pm.peak_mb)
    yield (
        f"peak RSS {peak.pm.peak_mb:.0f} MB ({peak.tracker}, {peak.items:,} items, "
        f"{peak.phase}; {'met' if peak.pm.peak_mb < 200 else 'MISSED'} < 200 MB); "
        f"RSS after imports, before any phase: {min(r.pm.base_mb for r in rows):.0f} MB"
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,1000,5000")
    parser.add_argument("--trackers", default="github,jira,linear,gitlab")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--per-doc", type=int, default=20, help="action items per postmortem")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive baseline")
    parser.add_argument("--verbose", action="store_true", help="show what each phase did")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    print(f"latency {args.latency * 1000:.0f} ms a request; {args.per_doc} items a postmortem\n")
    print(HEADER)
    print("|" + "---|" * HEADER.count(" | ") + "---|")

    def emit(row: Row) -> None:
        print(format_row(row) + (f" {row.pm.detail}" if args.verbose else ""), flush=True)

    rows = [
        row
        for tracker in args.trackers.split(",")
        for n in sizes
        for row in bench_one(tracker, n, args, emit)
    ]
    print()
    for line in status_verdicts(rows):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

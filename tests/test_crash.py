"""Crashes, concurrent runs and damaged state files, with real processes.

`pmsync push` runs as a subprocess (the console script) against a fake tracker living in
this process, so the fake keeps its state when the client dies. The kill is
deterministic: the fake's create handler itself sends SIGKILL to the client when the
(k+1)-th create arrives — before committing it, or right after (a crash that also loses
the response). The re-run must end with exactly one issue per item and a complete state.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import filelock
import pytest

from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.fakes.jira import FakeJira
from tests.fakes.linear import FakeLinear, operation_target
from tests.fakes.server import FakeRequest, FakeResponse, FakeServer, Latency
from tests.test_faults import (
    ITEMS,
    Run,
    Tally,
    item_ids,
    make_run,
    postmortem,
    tally,
)

PMSYNC = str(Path(sys.executable).with_name("pmsync"))
JIRA_ITEMS = 120  # three bulk creates of at most 50
CREATE = {
    "github": ("POST", "/repos/acme/ops/issues"),
    "jira": ("POST", "/rest/api/3/issue/bulk"),
    "linear": ("POST", "/graphql"),  # one endpoint: creates are told apart by operation
    "gitlab": ("POST", "/projects/acme%2Fplatform%2Fops/issues"),
}


@pytest.fixture
def tracker_fake(request: pytest.FixtureRequest) -> FakeServer:
    fake: FakeServer = request.getfixturevalue(f"fake_{request.param}")
    return fake


def tracker_of(fake: FakeServer) -> str:
    return {FakeGitHub: "github", FakeJira: "jira", FakeLinear: "linear", FakeGitLab: "gitlab"}[
        type(fake)
    ]


def is_create(fake: FakeServer, req: FakeRequest) -> bool:
    if isinstance(fake, FakeLinear):
        return operation_target(req.body).endswith("#issueBatchCreate")
    return True


def start_push(run: Run, *args: str) -> subprocess.Popen[str]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(run.root), **run.env}
    return subprocess.Popen(
        [PMSYNC, "push", "--config", str(run.root / "pmsync.yaml"), *args],
        cwd=run.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def run_push(run: Run, *args: str) -> subprocess.CompletedProcess[str]:
    proc = start_push(run, *args)
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@contextmanager
def kill_on_create(
    fake: FakeServer, k: int, *, after_commit: bool, target: tuple[str, str] | None = None
) -> Iterator[list[subprocess.Popen[str]]]:
    """Wrap the fake's create route (or the route of `target`, method and path): the
    (k+1)-th create kills the client (SIGKILL)."""
    method, path = target or CREATE[tracker_of(fake)]
    found = fake.match(method, path)
    assert found is not None
    route = found[0]
    original, seen, victim = route.handler, itertools.count(), []

    def handler(req: FakeRequest) -> FakeResponse:
        if not is_create(fake, req) or next(seen) != k:
            return original(req)
        resp = original(req) if after_commit else FakeResponse(503, validate=False)
        os.kill(victim[0].pid, signal.SIGKILL)
        victim[0].wait()
        return resp

    route.handler = handler
    try:
        yield victim
    finally:
        route.handler = original


def crash_then_rerun(run: Run, k: int, *, after_commit: bool, items: int) -> int:
    """Push in a subprocess killed at the (k+1)-th create; return its exit status."""
    text = postmortem(items)
    run.write(text)
    with kill_on_create(run.fake, k, after_commit=after_commit) as victim:
        victim.append(start_push(run))
        victim[0].communicate(timeout=60)
    return victim[0].returncode


CRASHES = [
    ("github", 0, False), ("github", 1, False), ("github", ITEMS // 2, False),
    ("github", ITEMS - 1, False), ("github", 2, True), ("github", ITEMS - 1, True),
    ("jira", 0, False), ("jira", 1, False), ("jira", 2, False), ("jira", 1, True),
    ("linear", 0, False), ("linear", 1, False), ("linear", 2, False), ("linear", 1, True),
    ("gitlab", 0, False), ("gitlab", ITEMS // 2, False), ("gitlab", 2, True),
    ("gitlab", ITEMS - 1, True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("tracker_fake", "k", "after_commit"),
    [pytest.param(t, k, a, id=f"{t}-k{k}{'-after-commit' if a else ''}") for t, k, a in CRASHES],
    indirect=["tracker_fake"],
)
def test_sigkill_after_k_creates_then_rerun_converges(
    tmp_path: Path, tracker_fake: FakeServer, k: int, after_commit: bool
) -> None:
    tracker = tracker_of(tracker_fake)
    items = JIRA_ITEMS if tracker in ("jira", "linear") else ITEMS  # batch creators
    run = make_run(tmp_path, tracker, tracker_fake)
    status = crash_then_rerun(run, k, after_commit=after_commit, items=items)
    assert status == -signal.SIGKILL
    committed = sum(len(v) for v in run.issues_by_item().values())
    per_create = 50 if tracker in ("jira", "linear") else 1
    assert committed == min(items, (k + after_commit) * per_create)
    start = len(tracker_fake.requests)
    rerun = run.push()
    assert {o.action for o in rerun.outcomes} <= {"create", "unchanged"}
    creates = sum(o.action == "create" for o in rerun.outcomes)
    assert creates == items - committed  # what had landed is recorded, not re-created
    assert tally(run, item_ids(postmortem(items))) == Tally(0, 0)
    assert len(tracker_fake.requests) > start


# --- concurrent runs ----------------------------------------------------------------


def test_two_pushes_in_parallel_processes_create_each_issue_once(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    run = make_run(tmp_path, "github", fake_github)
    text = postmortem(ITEMS)
    run.write(text)
    # Long enough that the second process starts (slowly, on a loaded machine) while the
    # first still holds the lock.
    fake_github.inject("POST", r"^/repos/acme/ops/issues$", Latency(0.6), times=None)
    first = start_push(run)
    wait_for(lambda: fake_github.count("POST") > 0)  # the first holds the lock
    second = start_push(run)
    results = [p.communicate(timeout=60) for p in (first, second)]
    assert (first.returncode, second.returncode) == (0, 0)
    assert "is locked by another pmsync run: waiting up to 60s" in results[1][1]
    assert fake_github.count("POST", "/repos/acme/ops/issues") == ITEMS
    assert tally(run, item_ids(text)) == Tally(0, 0)


def test_two_pushes_in_threads_never_interleave(tmp_path: Path, fake_jira: FakeJira) -> None:
    run = make_run(tmp_path, "jira", fake_jira)
    text = postmortem(ITEMS)
    run.write(text)
    fake_jira.inject("POST", r"^/rest/api/3/issue/bulk$", Latency(0.2), times=None)
    threads = [threading.Thread(target=run.push) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert fake_jira.count("POST", "/rest/api/3/issue/bulk") == 1
    assert tally(run, item_ids(text)) == Tally(0, 0)
    assert len(run.announced) == 1 and "is locked by another pmsync run" in run.announced[0]


def test_lock_timeout_is_a_clear_one_line_error(tmp_path: Path, fake_github: FakeGitHub) -> None:
    run = make_run(tmp_path, "github", fake_github, limits={"lock_timeout": 0.3})
    run.write(postmortem(ITEMS))
    state = run.state_file()
    state.parent.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(str(state.with_name("state.json.lock"))):
        result = run_push(run)
    assert result.returncode == 2 and fake_github.requests == []
    waiting, error = result.stderr.splitlines()  # what it waits for, then why it stopped
    assert "is locked by another pmsync run: waiting up to 0.3s" in waiting
    assert error == (
        f"pmsync: {state}: another pmsync run holds the lock (0.3s waited); try again when "
        "it finishes, or raise limits.lock_timeout"
    )
    assert "limits.lock_timeout" in result.stderr


def wait_for(condition: object, timeout: float = 20) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


# --- damaged state ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tracker_fake", "damage"),
    [("github", "garbage"), ("jira", "truncated"), ("github", "empty"), ("jira", "wrong-shape")],
    indirect=["tracker_fake"],
)
def test_damaged_state_is_named_kept_and_rebuilt(
    tmp_path: Path, tracker_fake: FakeServer, damage: str
) -> None:
    tracker = tracker_of(tracker_fake)
    run = make_run(tmp_path, tracker, tracker_fake)
    run.write(postmortem(ITEMS - 1))
    run.push()
    text = postmortem(ITEMS)
    run.write(text)
    run.push()  # a second save: the first good copy becomes state.json.bak
    state, backup = run.state_file(), run.state_file().with_name("state.json.bak")
    good_backup = backup.read_bytes()
    state.write_bytes(damaged(state.read_bytes(), damage))
    start = len(tracker_fake.requests)
    result = run_push(run)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and str(state) in result.stderr
    assert "state file is damaged" in result.stderr and "pmsync state rebuild" in result.stderr
    assert backup.read_bytes() == good_backup and len(tracker_fake.requests) == start
    rebuilt = subprocess.run(
        [PMSYNC, "state", "rebuild", "--config", str(run.root / "pmsync.yaml")],
        cwd=run.root, env={"PATH": os.environ["PATH"], **run.env}, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert f"{ITEMS} items found" in rebuilt.stderr
    assert backup.read_bytes() == good_backup  # a damaged file never replaces the good copy
    assert tally(run, item_ids(text)) == Tally(0, 0)
    assert {o.action for o in run.push().outcomes} == {"unchanged"}


def damaged(data: bytes, damage: str) -> bytes:
    return {
        "garbage": b"\x00\xff not json {{{",
        "truncated": data[: len(data) // 2],
        "empty": b"",
        "wrong-shape": b'{"version": 1, "items": [1, 2, 3]}',
    }[damage]

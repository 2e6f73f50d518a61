"""GitHub Actions workflows that run `pmsync push`: each must be serialised by a
`concurrency:` group (on the workflow or on the job).

Two pushes at the same moment (two merges a second apart, a manual run beside the
scheduled one) both find no issue for a new item and both create one: pmsync holds no
lock in the tracker (see the README, "In CI"). Within one clone the state file's lock
serialises runs; across CI runs only the workflow can. So `pmsync check` reports such a
workflow, and `pmsync push` refuses to run from one (`refusal`).

A job pushes when a step runs `pmsync push` or uses the pmsync action with
`command: push` (its default).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_PUSH_RUN = re.compile(r"\bpmsync\s+push\b")
FIX = (
    "add `concurrency: {group: pmsync-push, cancel-in-progress: false}` to the workflow "
    "(two runs at once would create every new item's issue twice)"
)


@dataclass(frozen=True)
class Unguarded:
    path: Path
    line: int
    job: str

    def message(self) -> str:
        return f"job '{self.job}' runs pmsync push without a concurrency group: {FIX}"


def workflow_files(root: Path) -> list[Path]:
    """The workflows of the repository holding `root` (the config's folder)."""
    for folder in (root, *root.parents):
        workflows = folder / ".github" / "workflows"
        if workflows.is_dir():
            return sorted(p for p in workflows.iterdir() if p.suffix in (".yml", ".yaml"))
        if (folder / ".git").exists():
            return []
    return []


def unguarded_jobs(path: Path) -> Iterator[Unguarded]:
    """The jobs of one workflow file that push with no concurrency group over them; a
    file that is not readable YAML is not this check's business (actionlint's)."""
    try:
        text = path.read_text(encoding="utf-8")
        node, workflow = yaml.compose(text, Loader=yaml.SafeLoader), yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return
    if node is None or not isinstance(workflow, dict) or _has_key(workflow, "concurrency"):
        return
    jobs = workflow.get("jobs")
    if not isinstance(jobs, dict):
        return
    for name, job in jobs.items():
        if isinstance(job, dict) and pushes(job) and not _has_key(job, "concurrency"):
            yield Unguarded(path, _job_line(node, str(name)), str(name))


def pushes(job: Mapping[str, Any]) -> bool:
    steps = job.get("steps")
    return isinstance(steps, list) and any(_step_pushes(s) for s in steps if isinstance(s, dict))


def _step_pushes(step: Mapping[str, Any]) -> bool:
    if isinstance(step.get("run"), str) and _PUSH_RUN.search(step["run"]):
        return True
    uses = step.get("uses")
    if not isinstance(uses, str) or "pmsync" not in uses.split("@")[0].lower():
        return False
    given = step.get("with")
    command = given.get("command", "push") if isinstance(given, dict) else "push"
    return str(command).strip() == "push"


def _has_key(mapping: Mapping[str, Any], key: str) -> bool:
    return mapping.get(key) not in (None, "", {})


def _job_line(node: yaml.Node, job: str) -> int:
    for key, value in getattr(node, "value", []):
        if getattr(key, "value", None) == "jobs":
            for job_key, _ in getattr(value, "value", []):
                if getattr(job_key, "value", None) == job:
                    return int(job_key.start_mark.line) + 1
    return 1


def refusal(env: Mapping[str, str]) -> str | None:
    """Under GitHub Actions: why this push must not run (its job pushes with no
    concurrency group), else None. A workflow pmsync cannot read (not checked out)
    is not refused: nothing is known about it."""
    if env.get("GITHUB_ACTIONS") != "true":
        return None
    ref, workspace, job = (env.get(k, "") for k in ("GITHUB_WORKFLOW_REF", "GITHUB_WORKSPACE",
                                                     "GITHUB_JOB"))  # fmt: skip
    relative = ref.split("@", 1)[0].split("/", 2)[-1] if ref.count("/") >= 2 else ""
    if not (relative and workspace and job):
        return None
    path = Path(workspace) / relative
    for found in unguarded_jobs(path) if path.is_file() else ():
        if found.job == job:
            return f"{relative}:{found.line}: {found.message()}"
    return None

"""A postmortem repository in a temp folder, pointed at a fake tracker, driven through
the same functions the CLI calls."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from pmsync.commands import (
    PlanResult,
    PushResult,
    StatusResult,
    plan_command,
    push_command,
    rebuild_command,
    status_command,
)
from pmsync.config import Config, load_config
from pmsync.state.store import SyncState, load_state

EXAMPLES = Path(__file__).parent.parent / "examples" / "postmortems"


@dataclass
class Workspace:
    root: Path
    env: dict[str, str]
    settings: dict[str, Any] = field(default_factory=dict)
    announced: list[str] = field(default_factory=list)  # what commands said on stderr

    @property
    def postmortems(self) -> Path:
        return self.root / "postmortems"

    def configure(self, **settings: Any) -> None:
        self.settings.update(settings)
        (self.root / "pmsync.yaml").write_text(yaml.safe_dump(self.settings))

    def config(self) -> Config:
        return load_config(self.root / "pmsync.yaml")

    def state(self) -> SyncState:
        return load_state(self.config().state_path())

    def state_file(self) -> Path:
        return self.config().state_path()

    def plan(self) -> PlanResult:
        return plan_command(self.config(), [])

    def push(self, *, prune: bool = False) -> PushResult:
        return push_command(self.config(), [], prune=prune, report=lambda o: None, env=self.env)

    def status(
        self, today: date, *, refresh: bool = True, write: bool = False, full: bool = False
    ) -> StatusResult:
        return status_command(
            self.config(), [], refresh=refresh, write=write, today=today, full=full,
            env=self.env, announce=self.announced.append,
        )  # fmt: skip

    def rebuild(self) -> tuple[int, list[str]]:
        return rebuild_command(self.config(), [], env=self.env)

    def doc(self, name: str) -> Path:
        return self.postmortems / name

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.doc(name)
        text = path.read_text()
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new, 1))


def make_workspace(root: Path, env: dict[str, str], **settings: Any) -> Workspace:
    shutil.copytree(EXAMPLES, root / "postmortems")
    workspace = Workspace(root, env)
    workspace.configure(postmortems=["postmortems/**/*.md"], **settings)
    return workspace


def actions(result: PushResult) -> dict[str, int]:
    counts: dict[str, int] = {}
    for outcome in result.outcomes:
        counts[outcome.action] = counts.get(outcome.action, 0) + 1
    return counts

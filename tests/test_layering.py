"""The core never imports a tracker library; the CLI starts fast."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pmsync.adapters import TRACKERS
from tests.tracker_names import places

ROOT = Path(__file__).resolve().parent.parent


def loaded_modules(code: str) -> set[str]:
    script = f"{code}\nimport sys\nprint(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_cli_and_core_do_not_load_tracker_libraries() -> None:
    code = (
        "import pmsync.cli, pmsync.commands, pmsync.plan.planner, pmsync.sync.engine, "
        "pmsync.status.refresh"
    )
    modules = loaded_modules(code)
    assert not {"github", "jira", "gitlab", "httpx", "requests"} & modules


def test_model_and_errors_import_nothing_from_pmsync() -> None:
    for module in ("pmsync.model", "pmsync.errors"):
        loaded = {m for m in loaded_modules(f"import {module}") if m.startswith("pmsync.")}
        assert loaded == {module}


def test_the_core_names_no_tracker() -> None:
    assert list(places()) == []


def test_every_adapter_folder_is_registered_and_packaged() -> None:
    folders = {p.parent.name for p in (ROOT / "adapters").glob("*/__init__.py")}
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert folders == set(TRACKERS)
    assert all(f'"pmsync.adapters.{name}"' in pyproject for name in folders)

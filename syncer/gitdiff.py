"""`--changed-since REF`: the postmortems a merge touched, from git.

Committed changes only (`git diff REF HEAD`): CI on merge sees a clean checkout, and a
local run should give the same answer whatever is uncommitted. Deleted files are left out
(there is nothing to parse); renamed ones count under their new name.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from pmsync.errors import InputError
from pmsync.parse.files import SUFFIXES

GIT_TIMEOUT = 60.0


def changed_since(ref: str, paths: list[str], cwd: Path | None = None) -> list[str]:
    """Markdown files among `paths` (files or folders; none: the whole repository) that
    were added, modified or renamed between `ref` and HEAD. Paths are relative to `cwd`."""
    where = Path.cwd() if cwd is None else cwd
    top = _toplevel(ref, where)
    _require_ref(ref, where)
    # -z: names verbatim (no C-quoting of unusual characters); -M: a rename is one change.
    diff = ["diff", "--name-only", "-z", "-M", "--diff-filter=AMR", ref, "HEAD", "--", *paths]
    names = _git(diff, where, ref)
    found = (n for n in names.split("\0") if n and Path(n).suffix.lower() in SUFFIXES)
    return sorted({os.path.relpath(top / n, where.resolve()) for n in found})


def _toplevel(ref: str, cwd: Path) -> Path:
    try:
        return Path(_git(["rev-parse", "--show-toplevel"], cwd, ref).strip())
    except InputError:
        raise InputError(f"--changed-since {ref}: {cwd} is not inside a git repository") from None


def _require_ref(ref: str, cwd: Path) -> None:
    # A ref starting with "-" would be read by git as an option.
    if not ref or ref.startswith("-"):
        raise InputError(f"--changed-since {ref!r}: not a git revision")
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd, ref)
    except InputError:
        raise InputError(
            f"--changed-since {ref}: unknown git revision in {cwd} (in CI, fetch enough "
            "history, e.g. actions/checkout with fetch-depth: 0)"
        ) from None


def _git(args: list[str], cwd: Path, ref: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            timeout=GIT_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InputError(f"--changed-since {ref}: cannot run git ({exc})") from None
    if done.returncode != 0:
        reason = _first_line(done.stderr) or f"git {args[0]} failed"
        raise InputError(f"--changed-since {ref}: {reason}")
    return done.stdout


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")

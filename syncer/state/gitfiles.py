"""The git files pmsync writes beside its state file on first use: a `.gitignore` for its
scratch files and a `.gitattributes` naming the state file's merge driver.

A team commits the state file and nothing else of pmsync's: the previous copy (`.bak`),
the lock, the intent journal and temp files change on every run, and a `git add -A` in a
nightly job must not pick them up. Files a team already has are never rewritten.
"""

from __future__ import annotations

from pathlib import Path

MERGE_DRIVER = "pmsync-state"
SCRATCH_SUFFIXES = (".bak", ".lock", ".journal", "*.tmp")


def ignore_text(state_name: str) -> str:
    lines = [f"/{state_name}{suffix}" for suffix in SCRATCH_SUFFIXES]
    return "# Written by pmsync: its scratch files, never committed.\n" + "\n".join(lines) + "\n"


def attributes_text(state_name: str) -> str:
    return (
        "# Written by pmsync: merge two runs' state files record by record. Enable with\n"
        f'# git config merge.{MERGE_DRIVER}.driver "pmsync state merge %O %A %B"\n'
        f"/{state_name} merge={MERGE_DRIVER}\n"
    )


def write_git_files(state_path: Path) -> None:
    """Create `.gitignore` and `.gitattributes` beside the state file when missing."""
    for name, text in ((".gitignore", ignore_text), (".gitattributes", attributes_text)):
        target = state_path.with_name(name)
        if not target.exists():
            target.write_text(text(state_path.name), encoding="utf-8")

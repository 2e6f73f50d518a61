"""Count the places in the core (`syncer/`) that name a tracker in code.

The measure of issue 13: identifiers, attribute names, imported module paths and short
string constants (no whitespace) that contain a tracker's name. Not counted: docstrings,
comments, prose messages, and GitHub Actions' own interface (its environment variables
and workflow commands), which is the CI runner's, not a tracker's.

    python -m tests.tracker_names        # prints each place and the total
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "syncer"
TRACKER_NAMES = ("github", "jira", "gitlab", "linear")
NAMES = re.compile("|".join(TRACKER_NAMES), re.IGNORECASE)
ACTIONS = re.compile(
    r"^(?:GITHUB_(?:ACTIONS|OUTPUT|STEP_SUMMARY|WORKFLOW_REF|WORKSPACE|JOB)|github_annotation"
    r"|\.github)$"  # the runner's variables; its workflows folder (pmsync.workflows)
)


def docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def words(node: ast.AST, skip: set[int]) -> Iterator[str]:
    """The identifiers and short string constants `node` itself holds."""
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Attribute | ast.keyword):
        yield node.attr if isinstance(node, ast.Attribute) else (node.arg or "")
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        yield node.name
    elif isinstance(node, ast.arg):
        yield node.arg
    elif isinstance(node, ast.alias):
        yield node.name
        yield node.asname or ""
    elif isinstance(node, ast.ImportFrom):
        yield node.module or ""
    elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
        yield "" if re.search(r"\s", node.value) else node.value  # prose is not counted


def places(root: Path = CORE) -> Iterator[tuple[str, int, str]]:
    """(file, line, word) of each place in the core that names a tracker."""
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = docstrings(tree)
        for node in ast.walk(tree):
            for word in words(node, skip):
                if word and NAMES.search(word) and not ACTIONS.match(word):
                    yield path.relative_to(root.parent).as_posix(), getattr(node, "lineno", 0), word


def main() -> int:
    found = list(places())
    for file, line, word in found:
        print(f"{file}:{line}: {word}")
    print(f"{len(found)} places in {len({f for f, _, _ in found})} modules")
    return 0


if __name__ == "__main__":
    sys.exit(main())

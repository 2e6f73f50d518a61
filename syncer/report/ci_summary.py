"""The GitHub Action's job summary and outputs, from `pmsync push --json`.

    python -m pmsync.report.ci_summary PUSH_JSON_FILE

appends a Markdown table of the issues created and updated to $GITHUB_STEP_SUMMARY and
`created=`, `updated=`, `failed=` lines to $GITHUB_OUTPUT. Outside GitHub Actions (either
variable unset) the summary goes to standard output and the counts are not written.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

OUTPUTS = ("created", "updated", "failed")
SHOWN_ACTIONS = {"create": "created", "update": "updated"}


def summary_markdown(push_json: Mapping[str, Any]) -> str:
    """A heading, the counts, the table of created and updated issues, and failures."""
    summary = push_json.get("summary") or {}
    items = [i for i in push_json.get("items") or [] if isinstance(i, dict)]
    parts = ["### pmsync push", "", _counts_line(summary), ""]
    shown = [i for i in items if i.get("action") in SHOWN_ACTIONS]
    if shown:
        parts += [*_issue_table(shown), ""]
    failed = [i for i in items if i.get("action") == "fail"]
    if failed:
        parts += ["**Failed**", "", *(_failure_line(i) for i in failed), ""]
    return "\n".join(parts)


def _counts_line(summary: Mapping[str, Any]) -> str:
    names = ("created", "updated", "unchanged", "adopted", "removed", "failed")
    return ", ".join(f"{int(summary.get(name) or 0)} {name}" for name in names)


def _issue_table(items: list[dict[str, Any]]) -> list[str]:
    rows = ["| | Issue | Action item | Postmortem |", "| --- | --- | --- | --- |"]
    for item in items:
        cells = (
            SHOWN_ACTIONS[item["action"]],
            _issue_link(item.get("issue")),
            _cell(item.get("title")),
            _cell(item.get("doc")),
        )
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def _issue_link(issue: Any) -> str:
    if not isinstance(issue, dict):
        return ""
    key, url = _cell(issue.get("key")), str(issue.get("url") or "")
    return f"[{key}]({url})" if url else key


def _failure_line(item: Mapping[str, Any]) -> str:
    return f"- {_cell(item.get('title'))} ({_cell(item.get('doc'))}): {_cell(item.get('error'))}"


def _cell(value: Any) -> str:
    # A table cell is one line, and a `|` inside it would start a new cell.
    text = " ".join(str(value or "").split())
    return text.replace("\\", "\\\\").replace("|", "\\|")


def output_lines(push_json: Mapping[str, Any]) -> str:
    summary = push_json.get("summary") or {}
    return "".join(f"{name}={int(summary.get(name) or 0)}\n" for name in OUTPUTS)


def load_push_json(path: Path) -> dict[str, Any]:
    """The push result; an empty or unreadable file (pmsync stopped before printing any
    JSON, say on a config error) counts as nothing done."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _append(path: str, text: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] = os.environ) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m pmsync.report.ci_summary PUSH_JSON_FILE", file=sys.stderr)
        return 2
    push_json = load_push_json(Path(args[0]))
    if not push_json:
        print(f"pmsync: {args[0]}: no push result to summarise", file=sys.stderr)
    markdown = summary_markdown(push_json)
    if env.get("GITHUB_STEP_SUMMARY"):
        _append(env["GITHUB_STEP_SUMMARY"], markdown + "\n")
    else:
        sys.stdout.write(markdown + "\n")
    if env.get("GITHUB_OUTPUT"):
        _append(env["GITHUB_OUTPUT"], output_lines(push_json))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

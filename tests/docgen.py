"""Synthetic postmortems for scale tests and benchmarks: plausible, distinct items."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

VERBS = ("Add", "Fix", "Document", "Automate", "Review", "Alert on", "Load-test", "Rotate")
THINGS = (
    "connection pool limits",
    "replica lag",
    "TLS certificates",
    "queue depth",
    "disk pressure",
    "DNS failover",
    "cache stampedes",
    "deploy rollbacks",
)


def postmortem(number: int, items: int, day: date = date(2024, 6, 1)) -> str:
    """One postmortem with `items` action items, every third with a written due date."""
    lines = [
        f"# Incident {number}: checkout latency",
        "",
        f"Start: {day:%B} {day.day}, {day.year}, 10:00 UTC",
        "",
        "## Action items",
        "",
    ]
    for index in range(items):
        verb, thing = VERBS[index % len(VERBS)], THINGS[(index // len(VERBS)) % len(THINGS)]
        due = day + timedelta(days=7 + index % 30)
        tail = f" Due: {due.isoformat()}" if index % 3 == 0 else ""
        lines.append(
            f"- **{verb} {thing} (incident {number}, step {index})**: "
            f"make sure it cannot recur.{tail}"
        )
    return "\n".join(lines) + "\n"


def write_postmortems(folder: Path, total_items: int, per_doc: int = 20) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range((total_items + per_doc - 1) // per_doc):
        count = min(per_doc, total_items - number * per_doc)
        path = folder / f"incident-{number:05d}.md"
        path.write_text(postmortem(number, count))
        paths.append(path)
    return paths

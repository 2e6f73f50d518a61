"""Time and peak memory to parse (and draft) postmortems built to make text patterns
go quadratic: one long line of `[`, `[a](`, `http://`, `<a `, backticks, spaces… inside
an action item, a heading and a table cell.

Each case runs in a fresh process under a time limit (default 60 s), so a slow case is
reported as "> limit" instead of stalling the run. Run from the project root:
`python bench/hostile_lines.py [KB ...] [--limit SECONDS]` (default sizes: 100 and 400 KB).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# name → one line's repeated unit
UNITS = {
    "brackets": "[",
    "link opens": "[a](",
    "image opens": "![",
    "urls": "http://",
    "browse urls": "https://x/browse/",
    "tags": "<a ",
    "backticks": "`",
    "spaces": " ",
    "owner meta": "[owner:",
    "due meta": "(due ",
    "write-back links": "([",
    "issue refs": "acme/ops#1 ",
    "jira links": "[OPS-1](https://x/browse/OPS-1) ",
    "link texts": "[issue](",
}
# where the line goes
PLACES = {
    "item": "# Outage\n\n## Action items\n\n- Fix {line}\n- Add alerts\n",
    "heading": "# Outage\n\n## Action items {line}\n\n- Fix it\n",
    "table": "# Outage\n\n## Action items\n\n| Action | Owner |\n|---|---|\n| Fix {line} | @a |\n",
}

CHILD = """
import json, sys, time, tracemalloc
from pmsync.config import Config
from pmsync.plan.drafts import build_draft
from pmsync.parse.postmortem import parse_postmortem
text = sys.stdin.read()
tracemalloc.start()
start = time.perf_counter()
doc = parse_postmortem(text, "postmortems/hostile.md")
for item in doc.items:
    build_draft(item, doc, Config(), item.id)
seconds = time.perf_counter() - start
peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({"seconds": seconds, "peak": peak, "items": len(doc.items)}))
"""


def measure(text: str, limit: float) -> dict[str, float] | None:
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD], input=text, capture_output=True, text=True,
            timeout=limit, cwd=ROOT, check=True,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return None
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> int:
    args = sys.argv[1:]
    limit = 60.0
    if "--limit" in args:
        at = args.index("--limit")
        limit = float(args[at + 1])
        del args[at : at + 2]
    sizes = [int(a) for a in args] or [100, 400]
    print(f"{'case':<18} {'place':<8} {'KB':>5} {'seconds':>9} {'peak MB':>8} items")
    for kb in sizes:
        for name, unit in UNITS.items():
            line = unit * (kb * 1024 // len(unit))
            for place, template in PLACES.items():
                result = measure(template.format(line=line), limit)
                if result is None:
                    print(f"{name:<18} {place:<8} {kb:>5} {'> ' + str(int(limit)):>9}")
                    continue
                print(
                    f"{name:<18} {place:<8} {kb:>5} {result['seconds']:>9.2f} "
                    f"{result['peak'] / 2**20:>8.1f} {int(result['items'])}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())

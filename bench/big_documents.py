"""Time and peak memory to parse documents built to be big (issue 20, point 19): a
generated postmortem of 400,000 items under `parser.max_items` 2,000, a 50 MB one made
of pasted logs, and a 384-byte YAML alias bomb in front matter.

Each case runs in a fresh process (peak memory is the process's own: `ru_maxrss`, and
`tracemalloc`'s peak of what the parser allocated). Run from the project root:
`python bench/big_documents.py [--tracemalloc]`. The figures are in bench/README.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, resource, sys, time, tracemalloc
from pmsync.parse.postmortem import parse_postmortem
text = sys.stdin.read()
if sys.argv[1] == "1":
    tracemalloc.start()
start, cpu = time.perf_counter(), time.process_time()
doc = parse_postmortem(text, "postmortems/big.md", max_items=2000)
print(json.dumps({
    "seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu,
    "traced": tracemalloc.get_traced_memory()[1], "rss": resource.getrusage(
        resource.RUSAGE_SELF).ru_maxrss * 1024, "items": len(doc.items), "whole": doc.whole,
    "warnings": [w.message for w in doc.warnings][-1:],
}))
"""


def items(count: int) -> str:
    lines = (f"- Fix the thing number {n} (owner: @ann)\n" for n in range(count))
    return "# Outage\n\nDate: 2024-06-01\n\n## Action items\n\n" + "".join(lines)


def logs(megabytes: int) -> str:
    log = "2024-06-01T10:00:00Z worker-7 ERROR connection reset by peer; retrying\n" * 40
    block = f"```\n{log}```\n\nA paragraph of the timeline.\n\n"
    body = block * (megabytes * 2**20 // len(block))
    return f"# Outage\n\n{body}## Action items\n\n- Fix the retry loop\n"


def alias_bomb() -> str:
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"{name}: &{name} [{','.join([f'*{prev}'] * 9)}]")
    return "---\n" + "\n".join(rows) + "\n---\n# Outage\n\n## Action items\n\n- Fix it\n"


CASES = {
    "400,000 items, max_items 2,000": lambda: items(400_000),
    "50 MB of pasted logs": lambda: logs(50),
    "YAML alias bomb (front matter)": alias_bomb,
}


def main() -> int:
    traced = "1" if "--tracemalloc" in sys.argv else "0"
    print(f"{'case':<32} {'input':>9} {'seconds':>8} {'cpu s':>6} {'peak RSS':>9} items")
    for name, build in CASES.items():
        text = build()
        done = subprocess.run(
            [sys.executable, "-c", CHILD, traced], input=text, capture_output=True, text=True,
            cwd=ROOT, check=True, timeout=600,
        )  # fmt: skip
        result = json.loads(done.stdout)
        size = f"{len(text.encode()) / 2**20:.1f} MB" if len(text) > 2**20 else f"{len(text)} B"
        peak = result["traced"] if traced == "1" else result["rss"]
        print(
            f"{name:<32} {size:>9} {result['seconds']:>8.2f} {result['cpu']:>6.2f} "
            f"{peak / 2**20:>7.0f} MB {result['items']}  {'; '.join(result['warnings'])}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

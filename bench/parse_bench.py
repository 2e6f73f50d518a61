"""Parser throughput: documents per second over 1,000 documents.

The documents are the examples and, when present, ../shared/corpus/docs, repeated; then,
on a second line, the HTML fixtures (Confluence and Google Docs exports) the same way.
Run from the project root: `python bench/parse_bench.py [N]`.
"""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

from pmsync.parse.postmortem import parse_postmortem

ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the clone, or beside the folder of worktrees (/work/wt/NAME).
SHARED = next((p / "shared" for p in ROOT.parents[:2] if (p / "shared").is_dir()), ROOT)
SOURCES = (ROOT / "examples" / "postmortems", SHARED / "corpus" / "docs")
HTML = ROOT / "tests" / "fixtures" / "docs"


def load_documents(
    folders: tuple[Path, ...] = SOURCES, glob: str = "*.md"
) -> list[tuple[str, str]]:
    paths = [p for folder in folders if folder.is_dir() for p in sorted(folder.glob(glob))]
    return [(str(p), p.read_text(encoding="utf-8", errors="replace")) for p in paths]


def main() -> int:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    documents = load_documents()
    if not documents:
        print("no documents found", file=sys.stderr)
        return 1
    measure(documents, total, "")
    html = load_documents((HTML,), "*.html")
    if html:
        measure(html, total, "HTML ")
    return 0


def measure(documents: list[tuple[str, str]], total: int, kind: str) -> None:
    batch = list(itertools.islice(itertools.cycle(documents), total))
    parse_postmortem(*reversed(batch[0]))  # warm up: compiled patterns, caches
    start, cpu_start = time.perf_counter(), time.process_time()
    for path, text in batch:
        parse_postmortem(text, path)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    # CPU time too: on a shared machine wall time also counts other processes' work.
    print(
        f"{total} {kind}documents ({len(documents)} distinct) in {elapsed:.2f} s: "
        f"{total / elapsed:.0f} documents/s ({total / cpu:.0f}/s of CPU time)"
    )


if __name__ == "__main__":
    sys.exit(main())

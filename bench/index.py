"""Benchmark of the workspace index: `python bench/index.py [PATH ...]`.

For each tree (default: this interpreter's standard library and its site-packages), in a fresh
process so that memory figures are its own:
- cold: build an index into an empty temporary database;
- warm: open the same database again and build (everything reused after hash checks);
- one changed file: an editor buffer edit (update_document, incremental re-parse) and a file
  changed on disk (refresh_paths), p50/p95 over 100 files chosen with a fixed seed. The trees
  are never written to: disk changes happen in a scratch folder added as a second root;
- queries: search_symbols p50/p95 over a fixed set of queries;
- peak resident memory of the indexing process and of its largest parse worker.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lsp_server.index import WorkspaceIndex

SAMPLE_FILES = 100
QUERIES = [
    "path",
    "get",
    "Parser",
    "read_file",
    "init",
    "json",
    "HTTP",
    "cfg",
    "xyzzy",
    "tmpl",
    "open",
    "Error",
]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure_tree(tree: Path) -> dict:
    scratch = Path(tempfile.mkdtemp(prefix="infill-bench-"))
    try:
        db_path = scratch / "index.sqlite3"
        disk_root = scratch / "changed"
        disk_root.mkdir()
        roots = [tree, disk_root]

        started = time.perf_counter()
        index = WorkspaceIndex(roots, db_path=db_path)
        cold = index.build()
        cold_seconds = time.perf_counter() - started
        index.close()

        started = time.perf_counter()
        index = WorkspaceIndex(roots, db_path=db_path)
        warm = index.build()
        warm_seconds = time.perf_counter() - started

        sample = random.Random(0).sample(index.files(), min(SAMPLE_FILES, len(index.files())))
        buffer_ms, disk_ms = [], []
        for number, path in enumerate(sample):
            text = path.read_text(encoding="utf-8", errors="replace")
            index.update_document(path, text)  # the editor opens the file (full parse, untimed)
            edited = text + "\n"
            started = time.perf_counter()
            index.update_document(path, edited)  # one keystroke: incremental re-parse + re-index
            buffer_ms.append((time.perf_counter() - started) * 1000)
            index.close_document(path)  # untimed: back to the file on disk

            copy = disk_root / f"changed_{number}{path.suffix}"
            copy.write_text(text, encoding="utf-8")
            index.refresh_paths([copy])
            copy.write_text(edited, encoding="utf-8")
            started = time.perf_counter()
            index.refresh_paths([copy])  # the same file changed on disk
            disk_ms.append((time.perf_counter() - started) * 1000)

        search_ms = []
        for _ in range(5):
            for query in QUERIES:
                started = time.perf_counter()
                index.search_symbols(query, limit=100)
                search_ms.append((time.perf_counter() - started) * 1000)
        index.close()

        own_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        worker_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        return {
            "tree": str(tree),
            "files": cold.files,
            "megabytes": cold.bytes_parsed / 1e6,
            "symbols": cold.symbols,
            "languages": cold.files_per_language,
            "cold_s": cold_seconds,
            "files_per_s": cold.parsed / cold_seconds,
            "mb_per_s": cold.bytes_parsed / 1e6 / cold_seconds,
            "warm_s": warm_seconds,
            "warm_reused": warm.reused,
            "buffer_p50_ms": percentile(buffer_ms, 0.5),
            "buffer_p95_ms": percentile(buffer_ms, 0.95),
            "disk_p50_ms": percentile(disk_ms, 0.5),
            "disk_p95_ms": percentile(disk_ms, 0.95),
            "search_p50_ms": percentile(search_ms, 0.5),
            "search_p95_ms": percentile(search_ms, 0.95),
            "rss_mb": own_kib / 1024,
            "worker_rss_mb": worker_kib / 1024,
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def print_table(rows: list[dict]) -> None:
    columns = [
        ("tree", "{}"),
        ("files", "{:d}"),
        ("MB", "{:.1f}"),
        ("symbols", "{:d}"),
        ("cold s", "{:.2f}"),
        ("files/s", "{:.0f}"),
        ("MB/s", "{:.1f}"),
        ("warm s", "{:.2f}"),
        ("edit p50/p95 ms", "{}"),
        ("disk p50/p95 ms", "{}"),
        ("search p50/p95 ms", "{}"),
        ("RSS MB (worker)", "{}"),
    ]
    lines = []
    for row in rows:
        values = [
            row["tree"],
            row["files"],
            row["megabytes"],
            row["symbols"],
            row["cold_s"],
            row["files_per_s"],
            row["mb_per_s"],
            row["warm_s"],
            f"{row['buffer_p50_ms']:.1f} / {row['buffer_p95_ms']:.1f}",
            f"{row['disk_p50_ms']:.1f} / {row['disk_p95_ms']:.1f}",
            f"{row['search_p50_ms']:.1f} / {row['search_p95_ms']:.1f}",
            f"{row['rss_mb']:.0f} ({row['worker_rss_mb']:.0f})",
        ]
        lines.append([fmt.format(value) for (_, fmt), value in zip(columns, values, strict=True)])
    headers = [name for name, _ in columns]
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---" for _ in headers) + "|")
    for line in lines:
        print("| " + " | ".join(line) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="trees to index (default: stdlib and site-packages)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one tree, print JSON
    arguments = parser.parse_args()
    if arguments.one:
        print(json.dumps(measure_tree(Path(arguments.one))))
        return 0
    paths = arguments.paths or [sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"]]
    rows = []
    for path in paths:
        print(f"indexing {path} ...", file=sys.stderr)
        output = subprocess.run(
            [sys.executable, __file__, "--one", str(Path(path).resolve())],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        rows.append(json.loads(output.strip().splitlines()[-1]))
    print_table(rows)
    for row in rows:
        print(f"{row['tree']}: {row['languages']}; warm build reused {row['warm_reused']} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())

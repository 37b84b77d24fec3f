"""Benchmark of the workspace index: `python bench/index.py [PATH ...]` or `--synthetic 1000,10000,100000`.

For each tree (default: this interpreter's standard library and its site-packages), in a fresh
process so that memory figures are its own:
- cold: build an index into an empty temporary database;
- warm: open the same database again and build (everything reused after hash checks);
- one changed file: an editor buffer edit (update_document, incremental re-parse) and a file
  changed on disk (refresh_paths), p50/p95 over 100 files chosen with a fixed seed. The trees
  are never written to: disk changes happen in a scratch folder added as a second root;
- queries: search_symbols p50/p95 over a fixed set of queries;
- peak resident memory of the indexing process and of its largest parse worker.

`--synthetic SIZES` measures the same on generated workspaces of each size (bench/_synthetic.py:
Python, TypeScript and Go files of about 10 KB on average, plus one 50 MB file that must be
skipped), to show how time and memory grow with the number of files. Then, on one size
(`--responsiveness-files`, default the largest), the real server's completion and hover
latency while it indexes, against the same requests once indexing is over
(bench/_responsiveness.py). The workspace is generated in a temporary folder and deleted
afterwards; `--workdir DIR` generates it there instead and keeps it for the next run.
Goals: peak RSS at most 1 GB at 100,000 files; p95 while indexing at most 2x quiet.
"""

from __future__ import annotations

import argparse
import asyncio
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
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the bench helpers, also under `infill bench`

import _synthetic

from lsp_server.index import WorkspaceIndex

SAMPLE_FILES = 100
NO_FILE_LIMIT = sys.maxsize  # the benchmark measures every file, past index.maxFiles too
RSS_GOAL_MB = 1024
RSS_GOAL_FILES = 100_000
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


def measure_tree(tree: Path, expect_skipped: Path | None = None) -> dict:
    """`expect_skipped`: a file too large to index; the result says whether it was indexed anyway."""
    scratch = Path(tempfile.mkdtemp(prefix="infill-bench-"))
    try:
        db_path = scratch / "index.sqlite3"
        disk_root = scratch / "changed"
        disk_root.mkdir()
        roots = [tree, disk_root]

        started = time.perf_counter()
        index = WorkspaceIndex(roots, db_path=db_path, max_files=NO_FILE_LIMIT)
        cold = index.build()
        cold_seconds = time.perf_counter() - started
        cold_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        database_mb = database_size(db_path) / 1e6
        expected_skipped_indexed = expect_skipped is not None and index.file(expect_skipped) is not None
        index.close()

        started = time.perf_counter()
        index = WorkspaceIndex(roots, db_path=db_path, max_files=NO_FILE_LIMIT)
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
            "cold_rss_mb": cold_rss_kib / 1024,
            "worker_rss_mb": worker_kib / 1024,
            "skipped": cold.skipped,
            "database_mb": database_mb,
            "expected_skipped_indexed": expected_skipped_indexed,
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def database_size(db_path: Path) -> int:
    """The database with its write-ahead log and other side files."""
    return sum(path.stat().st_size for path in db_path.parent.glob(db_path.name + "*"))


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


def measure_in_subprocess(tree: Path, expect_skipped: Path | None = None) -> dict:
    """measure_tree in a fresh process, so that the memory figures are this tree's alone."""
    command = [sys.executable, __file__, "--one", str(tree.resolve())]
    if expect_skipped is not None:
        command += ["--expect-skipped", str(expect_skipped)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


# --- synthetic workspaces ---


def parse_sizes(text: str) -> list[int]:
    """Sizes as typed, e.g. "1000,10k,100_000" -> [1000, 10000, 100000]."""
    sizes = []
    for part in text.replace("_", "").split(","):
        part = part.strip().lower()
        sizes.append(int(float(part[:-1]) * 1000) if part.endswith("k") else int(part))
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive file counts, not {text!r}")
    return sizes


def run_synthetic(arguments: argparse.Namespace) -> int:
    sizes = sorted(set(arguments.synthetic))
    busy_files = max(sizes) if arguments.responsiveness_files is None else arguments.responsiveness_files
    if arguments.workdir:
        root, temporary = Path(arguments.workdir).resolve(), False
    else:
        root, temporary = Path(tempfile.mkdtemp(prefix="infill-synthetic-")).resolve(), True
    rows: list[dict] = []
    busy = None
    try:
        # Sizes in ascending order: each workspace is the previous one plus new files.
        for size in sorted(set(sizes) | ({busy_files} if busy_files else set())):
            generate(root, size, arguments.seed)
            if size in sizes:
                print(f"indexing {size} synthetic files ...", file=sys.stderr)
                rows.append(measure_in_subprocess(root, root / _synthetic.BIG_FILE_NAME))
            if size == busy_files:
                busy = measure_busy_server(root, size, arguments)
    finally:
        if temporary:
            shutil.rmtree(root, ignore_errors=True)
    print_synthetic_table(rows)
    print_growth(rows)
    print_big_file(rows)
    if busy is not None:
        # Imported here: the measuring subprocesses must not load the LSP client's modules.
        from _responsiveness import print_responsiveness

        print_responsiveness(busy, busy_files)
        print_server_memory_goal(busy.server_peak_rss_mb, busy_files)
    return 0


def generate(root: Path, size: int, seed: int) -> None:
    started = time.perf_counter()
    written = _synthetic.ensure_workspace(root, size, seed)
    if written:
        print(f"generated {written} files in {time.perf_counter() - started:.1f} s ({root})", file=sys.stderr)


def measure_busy_server(root: Path, size: int, arguments: argparse.Namespace):
    from _responsiveness import measure_responsiveness

    print(f"measuring the server's responsiveness while it indexes {size} files ...", file=sys.stderr)
    python_files = (
        root / _synthetic.relative_path(number) for number in range(size) if _synthetic.language_of(number) == "python"
    )
    return asyncio.run(
        measure_responsiveness(root, python_files, arguments.requests, arguments.model, _synthetic.BIG_FILE_MARKER)
    )


def print_synthetic_table(rows: list[dict]) -> None:
    headers = [
        "files",
        "MB",
        "symbols",
        "cold s",
        "files/s",
        "MB/s",
        "peak RSS MB cold (worker)",
        "database MB",
        "warm s",
        "edit p50/p95 ms",
        "disk p50/p95 ms",
        "workspace/symbol p50/p95 ms",
    ]
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---" for _ in headers) + "|")
    for row in rows:
        values = [
            f"{row['files']:d}",
            f"{row['megabytes']:.1f}",
            f"{row['symbols']:d}",
            f"{row['cold_s']:.2f}",
            f"{row['files_per_s']:.0f}",
            f"{row['mb_per_s']:.1f}",
            f"{row['cold_rss_mb']:.0f} ({row['worker_rss_mb']:.0f})",
            f"{row['database_mb']:.0f}",
            f"{row['warm_s']:.2f}",
            f"{row['buffer_p50_ms']:.1f} / {row['buffer_p95_ms']:.1f}",
            f"{row['disk_p50_ms']:.1f} / {row['disk_p95_ms']:.1f}",
            f"{row['search_p50_ms']:.1f} / {row['search_p95_ms']:.1f}",
        ]
        print("| " + " | ".join(values) + " |")


def linear_fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares intercept and slope."""
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread if spread else 0.0
    return mean_y - slope * mean_x, slope


def print_growth(rows: list[dict]) -> None:
    """Per-file cost at each size (flat when growth is linear), and the memory goal."""
    print("\n| files | cold s per 1,000 files | MB parsed per s | symbols per file |")
    print("|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['files']} | {row['cold_s'] / row['files'] * 1000:.2f} | {row['mb_per_s']:.1f} "
            f"| {row['symbols'] / row['files']:.0f} |"
        )
    at_goal = [row for row in rows if row["files"] >= RSS_GOAL_FILES]
    if at_goal:
        rss = at_goal[0]["cold_rss_mb"]
        verdict = "met" if rss <= RSS_GOAL_MB else "NOT met"
        print(f"peak RSS at {at_goal[0]['files']} files: {rss:.0f} MB (goal: at most {RSS_GOAL_MB} MB at ", end="")
        print(f"{RSS_GOAL_FILES} files: {verdict})")
    elif len(rows) >= 2:
        intercept, slope = linear_fit([row["files"] for row in rows], [row["cold_rss_mb"] for row in rows])
        projected = intercept + slope * RSS_GOAL_FILES
        print(
            f"peak RSS grows {slope * 1000:.1f} MB per 1,000 files from {intercept:.0f} MB: "
            f"{projected:.0f} MB projected at {RSS_GOAL_FILES} files (goal: at most {RSS_GOAL_MB} MB; "
            f"measure it with --synthetic {RSS_GOAL_FILES})"
        )


def print_server_memory_goal(peak_mb: float | None, files: int) -> None:
    if peak_mb is None or files < RSS_GOAL_FILES:
        return
    verdict = "met" if peak_mb <= RSS_GOAL_MB else "NOT met"
    print(f"server peak RSS at {files} files: {peak_mb:.0f} MB (goal: at most {RSS_GOAL_MB} MB: {verdict})")


def print_big_file(rows: list[dict]) -> None:
    mb = _synthetic.BIG_FILE_BYTES // 1_000_000
    for row in rows:
        state = "INDEXED (it should not be)" if row["expected_skipped_indexed"] else "skipped, not indexed"
        print(
            f"{row['files']} files: the {mb} MB file {state}; {row['skipped']} file(s) skipped as too large, "
            f"build finished, peak RSS {row['cold_rss_mb']:.0f} MB"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="trees to index (default: stdlib and site-packages)")
    parser.add_argument(
        "--synthetic", type=parse_sizes, metavar="N[,N...]", help="generated workspaces of these sizes instead"
    )
    parser.add_argument("--workdir", help="generate the synthetic workspace here and keep it (default: a temp folder)")
    parser.add_argument("--seed", type=int, default=0, help="synthetic workspace seed")
    parser.add_argument(
        "--responsiveness-files",
        type=int,
        help="workspace size for the server responsiveness run (default: the largest size; 0: skip it)",
    )
    parser.add_argument("--requests", type=int, default=200, help="completion + hover pairs in the quiet phase")
    parser.add_argument("--model", help="GGUF for the responsiveness run (default: the embedded model)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one tree, print JSON
    parser.add_argument("--expect-skipped", help=argparse.SUPPRESS)  # internal, with --one
    arguments = parser.parse_args()
    if arguments.one:
        expect_skipped = Path(arguments.expect_skipped) if arguments.expect_skipped else None
        print(json.dumps(measure_tree(Path(arguments.one), expect_skipped)))
        return 0
    if arguments.synthetic:
        return run_synthetic(arguments)
    paths = arguments.paths or [sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"]]
    rows = []
    for path in paths:
        print(f"indexing {path} ...", file=sys.stderr)
        rows.append(measure_in_subprocess(Path(path)))
    print_table(rows)
    for row in rows:
        print(f"{row['tree']}: {row['languages']}; warm build reused {row['warm_reused']} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`infill index PATH`: index a folder from the command line and report what was found.

Progress goes to stderr as a bar; the summary (files and symbols per language, time, peak
memory) goes to stdout.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path
from typing import TextIO

from .workspace import DEFAULT_MAX_FILES, WorkspaceIndex


class ProgressBar:
    """A one-line progress bar on a terminal, redrawn at most every 0.1 s; elsewhere (a log,
    a pipe) plain lines."""

    def __init__(self, stream: TextIO | None = None, width: int = 30):
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self._last_draw = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        on_terminal = self.stream.isatty()
        # A log file gets a line every 5 s (and the last one), not carriage returns.
        interval = 0.1 if on_terminal else 5.0
        if done < total and now - self._last_draw < interval:
            return
        self._last_draw = now
        filled = self.width * done // total if total else self.width
        line = f"Indexing [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} files"
        self.stream.write(f"\r{line}" if on_terminal else f"{line}\n")
        if on_terminal and done >= total:
            self.stream.write("\n")
        self.stream.flush()


def peak_memory_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest worker process, in MiB."""
    # ru_maxrss is in KiB on Linux (bytes on macOS, where this overstates by 1024).
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def run_index_command(path: str, db_path: str | None = None, max_files: int = DEFAULT_MAX_FILES) -> int:
    folder = Path(path)
    if not folder.is_dir():
        print(f"infill index: {path} is not a folder", file=sys.stderr)
        return 2
    if max_files < 1:
        print(f"infill index: --max-files must be at least 1, not {max_files}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    with WorkspaceIndex([folder], db_path=Path(db_path) if db_path else None, max_files=max_files) as index:
        stats = index.build(progress=ProgressBar())
        database = index.db_path
    seconds = time.perf_counter() - started
    own_mb, worker_mb = peak_memory_mb()

    print(f"{'language':<12} {'files':>8} {'symbols':>9}")
    for language, files in stats.files_per_language.items():
        print(f"{language:<12} {files:>8} {stats.symbols_per_language.get(language, 0):>9}")
    print(f"{'total':<12} {stats.files:>8} {stats.symbols:>9}")
    print(
        f"parsed {stats.parsed} files ({stats.bytes_parsed / 1e6:.1f} MB), reused {stats.reused}, "
        f"removed {stats.removed}, skipped {stats.skipped}"
    )
    if stats.capped:
        print(f"stopped at --max-files {max_files}: {stats.over_limit} more files not indexed")
    print(f"time {seconds:.2f} s; peak memory {own_mb:.0f} MiB (largest worker {worker_mb:.0f} MiB)")
    print(f"database {database}")
    return 0

"""Pulling a registry model for the editor: progress as bytes so far, and a stop that keeps
the .part file, so that the next pull resumes it (download.py sends the Range request).

download() reports each block to a progress bar (update/close); the bar here passes the
bytes so far on at most every PROGRESS_INTERVAL_SECONDS and, once the stop is asked for,
raises PullCancelled from update(): the download ends at its next block and its .part stays.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ..modelfiles.command import recorded_hash_file, remove_if_empty
from ..modelfiles.download import DownloadError, DownloadResult, download
from ..modelfiles.registry import ModelEntry, cached_file

PROGRESS_INTERVAL_SECONDS = 0.2
MB = 1_000_000

# (bytes so far, the whole file's bytes or None when the server did not say); on the download thread
ProgressReport = Callable[[int, int | None], None]


class PullCancelled(Exception):
    """The user stopped the download; the .part file is kept."""


class PullProgressBar:
    """download()'s progress bar: throttled reports, and the stop."""

    def __init__(
        self,
        total: int | None,
        initial: int,
        report: ProgressReport,
        stop: threading.Event,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.done = initial
        self.report = report
        self.stop = stop
        self.clock = clock
        self.last = clock()
        report(initial, total)

    def update(self, n: int) -> None:
        self.done += n
        if self.stop.is_set():
            raise PullCancelled()
        now = self.clock()
        if now - self.last >= PROGRESS_INTERVAL_SECONDS or self.done == self.total:
            self.last = now
            self.report(self.done, self.total)

    def close(self) -> None:
        """Nothing to release; the caller reports the end."""


def progress_text(done: int, total: int | None) -> tuple[str, int | None]:
    """("3.2 of 14.5 MB", 22): the message and percentage of a progress report."""
    if not total:
        return f"{_mb(done, done)} MB", None
    return f"{_mb(done, total)} of {_mb(total, total)} MB", min(100, int(100 * done / total))


def _mb(n: int, scale: int) -> str:
    """Megabytes, with one decimal for files under 100 MB (a test model moves in tenths)."""
    return f"{n / MB:.1f}" if scale < 100 * MB else f"{n / MB:.0f}"


def pull_registry_model(
    entry: ModelEntry, report: ProgressReport, stop: threading.Event, timeout: float = 30.0
) -> DownloadResult:
    """Download entry into the models folder as `infill models pull` does (resume, checksum,
    atomic rename, the hash recorded for `infill models verify`). Blocking: run it on a thread.
    Raises PullCancelled when `stop` is set, DownloadError when the download fails."""
    dest = cached_file(entry)

    def bar(total: int | None, initial: int) -> PullProgressBar:
        if stop.is_set():
            raise PullCancelled()
        return PullProgressBar(total, initial, report, stop)

    try:
        result = download(entry.url, dest, entry.sha256, bar, timeout=timeout)
    except (DownloadError, PullCancelled):
        remove_if_empty(dest.parent)  # a refused pull leaves no empty folder; a .part stays
        raise
    recorded_hash_file(dest).write_text(result.sha256 + "\n")
    return result

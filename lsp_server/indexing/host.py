"""Runs the workspace index for the server: build in the background, keep it current.

All index work happens on one dedicated thread, so a parse never blocks the
protocol loop. Editor changes are coalesced per file: typing fast re-parses a
file once per pause, not once per keystroke.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..index import IndexStats, WorkspaceIndex
from ..index.priority import lower_this_thread
from ..index.workspace import DEFAULT_MAX_FILES

log = logging.getLogger(__name__)

# How long a buffer must be quiet before it is re-parsed.
EDIT_SETTLE_SECONDS = 0.15


class IndexHost:
    def __init__(self) -> None:
        self.index: WorkspaceIndex | None = None
        self.stats: IndexStats | None = None
        self.building = False
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="infill-index", initializer=lower_this_thread
        )
        self._pending: dict[Path, str] = {}
        self._flush_handle: asyncio.TimerHandle | None = None
        self._stop = False

    async def start(
        self,
        roots: list[Path],
        progress: Callable[[int, int], None] | None = None,
        db_path: Path | None = None,
        max_file_bytes: int = 1_000_000,
        max_files: int = DEFAULT_MAX_FILES,
    ) -> IndexStats | None:
        """Open (or create) the index of roots and bring it up to date."""
        if not roots:
            return None
        loop = asyncio.get_running_loop()
        self.building = True

        def build() -> IndexStats:
            self.index = WorkspaceIndex(roots, db_path=db_path, max_file_bytes=max_file_bytes, max_files=max_files)
            return self.index.build(progress=progress, should_stop=lambda: self._stop)

        try:
            started = time.perf_counter()
            self.stats = await loop.run_in_executor(self._executor, build)
            log.info("indexed %d files in %.2fs", self.stats.files, time.perf_counter() - started)
            settle_the_heap()
        finally:
            self.building = False
        await loop.run_in_executor(self._executor, self._start_watching)
        return self.stats

    def _start_watching(self) -> None:
        if self.index is not None and not self._stop:
            try:
                self.index.start_watching()
            except Exception as exc:  # the index still answers; changes arrive via LSP
                log.warning("file watching is off: %s", exc)

    def document_changed(self, path: Path, text: str) -> None:
        """An editor buffer changed: re-parse it once the user pauses."""
        self._pending[path] = text
        loop = asyncio.get_running_loop()
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        self._flush_handle = loop.call_later(EDIT_SETTLE_SECONDS, self._flush)

    def _flush(self) -> None:
        pending, self._pending = self._pending, {}
        if self.index is None or not pending or self._stop:
            return
        index = self.index

        def apply() -> None:
            for path, text in pending.items():
                index.update_document(path, text)

        self._executor.submit(apply)

    async def flush_now(self) -> None:
        """Apply pending edits and wait for them (used before answering from the index)."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        self._flush()
        await asyncio.get_running_loop().run_in_executor(self._executor, lambda: None)

    async def files_changed(self, paths: list[Path]) -> None:
        """Files changed on disk (workspace/didChangeWatchedFiles)."""
        if self.index is not None:
            index = self.index
            await asyncio.get_running_loop().run_in_executor(self._executor, lambda: index.refresh_paths(paths))

    def document_closed(self, path: Path) -> None:
        self._pending.pop(path, None)
        if self.index is not None:
            index = self.index
            self._executor.submit(lambda: index.close_document(path))

    def shutdown(self) -> None:
        self._stop = True
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        index = self.index

        def close() -> None:
            if index is not None:
                index.stop_watching()
                index.close()

        self._executor.submit(close)
        self._executor.shutdown(wait=False)


def settle_the_heap() -> None:
    """After the index is built, most objects the server has will live as long as it does.
    A full garbage collection walks them all, and one that started inside a completion's
    context gathering cost it tens of milliseconds; frozen, they are left out of every
    collection to come (reference counting still frees them when they go)."""
    gc.collect()
    gc.freeze()

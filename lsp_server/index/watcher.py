"""Watching the workspace folders for changes on disk (watchdog), in debounced batches.

Editors and tools change files in bursts (save = write + rename, git checkout = thousands of
files), so events are collected and handed over as one batch once the folder has been quiet
for `quiet_seconds`, or after `max_delay_seconds` during a long burst. Only events that can
change the index count: created, modified, moved and deleted (inotify also reports opened
and closed files, which are dropped).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

log = logging.getLogger(__name__)

RELEVANT_EVENT_TYPES = frozenset({"created", "modified", "moved", "deleted"})


class FileWatcher(FileSystemEventHandler):
    def __init__(
        self,
        roots: list[Path],
        on_batch: Callable[[list[Path]], None],
        ignore: Callable[[Path], bool] = lambda path: False,
        quiet_seconds: float = 0.2,
        max_delay_seconds: float = 2.0,
    ):
        self.roots = roots
        self.on_batch = on_batch
        self.ignore = ignore
        self.quiet_seconds = quiet_seconds
        self.max_delay_seconds = max_delay_seconds
        self._pending: set[Path] = set()
        self._first_event_at = 0.0
        self._last_event_at = 0.0
        self._condition = threading.Condition()
        self._stopping = False
        self._observer = Observer()
        self._flusher = threading.Thread(target=self._flush_loop, name="index-watcher-flush", daemon=True)

    def start(self) -> None:
        for root in self.roots:
            self._observer.schedule(self, str(root), recursive=True)
        self._observer.start()
        self._flusher.start()

    def stop(self) -> None:
        self._observer.stop()
        with self._condition:
            self._stopping = True
            self._condition.notify()
        if self._observer.is_alive():
            self._observer.join(timeout=5)
        if self._flusher.is_alive():
            self._flusher.join(timeout=5)

    # Called on watchdog's thread.
    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in RELEVANT_EVENT_TYPES:
            return
        if event.is_directory and event.event_type == "modified":
            return  # a folder's mtime changes with every file in it; the file events say more
        raw_paths = [event.src_path, getattr(event, "dest_path", "")]  # str or bytes, as watchdog got them
        changed = [Path(p.decode() if isinstance(p, bytes) else p) for p in raw_paths if p]
        paths = [path for path in changed if not self.ignore(path)]
        if not paths:
            return
        with self._condition:
            now = time.monotonic()
            if not self._pending:
                self._first_event_at = now
            self._last_event_at = now
            self._pending.update(paths)
            self._condition.notify()

    def _flush_loop(self) -> None:
        while True:
            with self._condition:
                while not self._pending and not self._stopping:
                    self._condition.wait()
                if self._stopping:
                    return
                # Wait for a quiet moment, but not longer than max_delay since the first event.
                while not self._stopping:
                    now = time.monotonic()
                    quiet_at = self._last_event_at + self.quiet_seconds
                    deadline = min(quiet_at, self._first_event_at + self.max_delay_seconds)
                    if now >= deadline:
                        break
                    self._condition.wait(deadline - now)
                if self._stopping:
                    return
                batch = sorted(self._pending)
                self._pending.clear()
            try:
                self.on_batch(batch)
            except Exception:  # one failed batch must not stop the watcher
                log.exception("updating the index for %d changed paths failed", len(batch))

"""Generated one-sentence summaries of symbols that have no docstring, keyed by content hash.

The server answers a hover at once with what the index has, asks the model for a summary in
the background (see summaries.py), and stores it here: the next hover on the same
unchanged symbol shows it instantly. An edit changes the symbol's content hash, so a stale
summary is never shown. Kept in memory, and in a JSON file when given a path.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path

log = logging.getLogger(__name__)


class SummaryCache:
    def __init__(self, path: Path | None = None, capacity: int = 5000):
        self.path = path
        self.capacity = capacity
        self._items: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        if path is not None:
            self._load(path)

    def get(self, content_hash: str) -> str | None:
        with self._lock:
            summary = self._items.get(content_hash)
            if summary is not None:
                self._items.move_to_end(content_hash)
            return summary

    def put(self, content_hash: str, summary: str) -> None:
        summary = " ".join(summary.split())
        if not summary:
            return
        with self._lock:
            self._items[content_hash] = summary
            self._items.move_to_end(content_hash)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        if self.path is not None:
            self._save(self.path)

    def __contains__(self, content_hash: str) -> bool:
        return self.get(content_hash) is not None

    def __len__(self) -> int:
        return len(self._items)

    def _load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                self._items.update((str(k), str(v)) for k, v in data.items())
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as error:
            log.warning("ignoring unreadable summary cache %s: %s", path, error)

    def _save(self, path: Path) -> None:
        with self._lock:
            data = dict(self._items)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(path.name + ".tmp")
            temporary.write_text(json.dumps(data), encoding="utf-8")
            os.replace(temporary, path)
        except OSError as error:
            log.warning("cannot write summary cache %s: %s", path, error)

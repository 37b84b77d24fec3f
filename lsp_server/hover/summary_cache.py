"""Generated one-sentence summaries of symbols that have no docstring, keyed by content hash.

The server answers a hover at once with what the index has, asks the model for a summary in
the background (see summaries.py), and stores it here: the next hover on the same
unchanged symbol shows it instantly. An edit changes the symbol's content hash, so a stale
summary is never shown. Kept in memory, and in a JSON file when given a path.

The file is replaced whole on each write (a temporary file in the same folder, then a rename),
so a crash at any moment leaves the previous version or the new one, never a truncated file.
It is user-only (0600, in folders created 0700) like the index it sits next to.
"""

from __future__ import annotations

import contextlib
import glob
import json
import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path

from ..index.store import PRIVATE_FILE_MODE, create_private_folder

log = logging.getLogger(__name__)

# A write takes milliseconds: a temporary file this old was left by a writer that crashed.
STALE_TEMPORARY_SECONDS = 600


class SummaryCache:
    def __init__(self, path: Path | None = None, capacity: int = 5000):
        self.path = path
        self.capacity = capacity
        self._items: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        self._save_lock = threading.Lock()  # saves in order: an older snapshot never replaces a newer one
        if path is not None:
            self._load(path)
            _remove_stale_temporaries(path)

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
        with self._save_lock:
            with self._lock:
                data = json.dumps(dict(self._items))
            try:
                create_private_folder(path.parent)
                _write_atomically(path, data.encode("utf-8"))
            except OSError as error:
                log.warning("cannot write summary cache %s: %s", path, error)


def _temporary_pattern(path: Path) -> tuple[str, str]:
    return f"{path.name}.", ".tmp"


def _write_atomically(path: Path, data: bytes) -> None:
    """Write a user-only temporary file next to path, then rename it over path."""
    prefix, suffix = _temporary_pattern(path)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), PRIVATE_FILE_MODE)  # mkstemp's 0600 is narrowed by the umask
            out.write(data)
            out.flush()
            os.fsync(out.fileno())  # the data reaches the disk before the rename does
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _remove_stale_temporaries(path: Path) -> None:
    """Delete temporary files that writers killed mid-write left behind."""
    prefix, suffix = _temporary_pattern(path)
    cutoff = time.time() - STALE_TEMPORARY_SECONDS
    for leftover in path.parent.glob(glob.escape(prefix) + "*" + suffix):
        with contextlib.suppress(OSError):  # gone already, or not ours
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()

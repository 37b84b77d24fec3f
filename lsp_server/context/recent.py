"""Recently edited and opened ranges of files, a small ring buffer the server feeds.

The server calls `note_edit` on didChange (with the line of the change) and `note_open` on
didOpen. Each entry keeps the text of a few lines around the spot as it was then; a newer
entry for an overlapping range of the same file replaces the older one, and the oldest entry
falls out when the buffer is full. Thread-safe: the server feeds it from the event loop while
completions read it on the model thread.
"""

from __future__ import annotations

import threading
from collections import deque
from pathlib import Path


def _line_span(source: str, first: int, last: int) -> tuple[str, int]:
    """Lines first..last (inclusive, 0-based) of source and the index of the last one present.

    Walks newlines with str.find (C speed) instead of splitting the whole text, so a keystroke
    in a large file does not copy it line by line."""
    start = 0
    for _ in range(first):
        newline = source.find("\n", start)
        if newline < 0:
            return "", first - 1
        start = newline + 1
    end, line = start, first
    while True:
        newline = source.find("\n", end)
        if newline < 0:
            return source[start:], line
        if line == last:
            return source[start:newline], line
        end, line = newline + 1, line + 1


class RecentRange:
    """A few lines of a file as they were when it was edited or opened.

    The server notes ranges on every keystroke, so the lines are cut out of the (immutable)
    document text only when context gathering reads them."""

    __slots__ = ("path", "start_line", "_last_line", "_source", "_text", "language")

    def __init__(self, path: Path, start_line: int, last_line: int, source: str, language: str = ""):
        self.path, self.start_line, self._last_line = path, start_line, last_line
        self._source: str | None = source
        self._text: str | None = None
        self.language = language

    def _cut(self) -> None:
        source = self._source  # read once: another thread may cut at the same time
        if source is not None:
            self._text, self._last_line = _line_span(source, self.start_line, self._last_line)
            self._source = None  # drop the reference to the whole document

    @property
    def text(self) -> str:
        self._cut()
        text = self._text
        assert text is not None, "_cut sets the text before it drops the source"
        return text

    @property
    def end_line(self) -> int:
        """Inclusive."""
        self._cut()
        return self._last_line

    def overlaps(self, other: RecentRange) -> bool:
        return self.path == other.path and self.start_line <= other._last_line and other.start_line <= self._last_line


class RecentEdits:
    def __init__(self, capacity: int = 16, radius: int = 8, open_lines: int = 24):
        """`radius`: lines kept on each side of an edit; `open_lines`: lines kept from the top
        of an opened file (its imports and first definitions)."""
        self.capacity = capacity
        self.radius = radius
        self.open_lines = open_lines
        self._ranges: deque[RecentRange] = deque()
        self._lock = threading.Lock()

    def note_edit(self, path: Path, text: str, line: int, language: str = "") -> None:
        line = max(0, line)
        self._add(RecentRange(Path(path), max(0, line - self.radius), line + self.radius, text, language))

    def note_open(self, path: Path, text: str, language: str = "") -> None:
        self._add(RecentRange(Path(path), 0, self.open_lines - 1, text, language))

    def forget(self, path: Path) -> None:
        """A file was deleted or renamed away."""
        with self._lock:
            self._ranges = deque(r for r in self._ranges if r.path != Path(path))

    def _add(self, item: RecentRange) -> None:
        with self._lock:
            kept = deque(r for r in self._ranges if not r.overlaps(item))
            kept.append(item)
            while len(kept) > self.capacity:
                kept.popleft()
            self._ranges = kept

    def ranges(self) -> list[RecentRange]:
        """Newest first; ranges with nothing but blank lines are left out."""
        with self._lock:
            items = list(reversed(self._ranges))
        return [item for item in items if item.text.strip()]

    def key(self) -> tuple:
        """Where the ranges are (not their text): equal keys, same candidate ranges. Typing on
        one line keeps the key, since a new edit next to the last one replaces it in place."""
        with self._lock:
            return tuple((r.path, r.start_line) for r in self._ranges)

    def __len__(self) -> int:
        return len(self._ranges)

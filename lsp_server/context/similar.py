"""Chunks of other files that look like the code around the cursor.

Similarity is the Jaccard index of identifier sets: cheap, language-independent and good at
finding code that uses the same names (the sibling of the function being written, another
caller of the same API). Each file's chunk token sets are computed once and remembered by the
file's content hash, so a search only pays for set intersections. A large file's sets take a
few milliseconds: they are computed chunk by chunk, and a search out of time stops between two
chunks and goes on from there the next time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from ..index import Chunk, FileEntry
from .identifiers import token_set

_CACHED_FILES = 512
MIN_SIMILARITY = 0.08  # below this a chunk shares little more than common words


class ChunkTokens:
    def __init__(self) -> None:
        # path -> (content hash, the token sets of its first chunks: all of them once complete)
        self._cache: OrderedDict[Path, tuple[str, list[tuple[Chunk, frozenset[str]]]]] = OrderedDict()

    def of(self, entry: FileEntry, expired: Callable[[], bool] = lambda: False) -> list[tuple[Chunk, frozenset[str]]]:
        """The token sets of the file's chunks; fewer when `expired()` said stop first (asked
        between two chunks)."""
        cached = self._cache.get(entry.path)
        if cached is None or cached[0] != entry.hash:
            cached = (entry.hash, [])
            self._cache[entry.path] = cached
            if len(self._cache) > _CACHED_FILES:
                self._cache.popitem(last=False)
        self._cache.move_to_end(entry.path)
        features = cached[1]
        for chunk in entry.chunks[len(features) :]:
            if expired():
                break
            features.append((chunk, token_set(chunk.text)))
        return features


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def similar_chunks(
    query: frozenset[str],
    entries: list[FileEntry],
    tokens: ChunkTokens,
    limit: int = 8,
    expired: Callable[[], bool] = lambda: False,
) -> list[tuple[float, Chunk]]:
    """The chunks of `entries` most similar to the query tokens, best first (of the chunks
    whose token sets were ready or made before `expired()` said stop)."""
    scored: list[tuple[float, Chunk]] = []
    for entry in entries:
        for chunk, chunk_tokens in tokens.of(entry, expired):
            score = jaccard(query, chunk_tokens)
            if score >= MIN_SIMILARITY:
                scored.append((score, chunk))
    scored.sort(key=lambda item: -item[0])
    return scored[:limit]

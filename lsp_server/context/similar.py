"""Chunks of other files that look like the code around the cursor.

Similarity is the Jaccard index of identifier sets: cheap, language-independent and good at
finding code that uses the same names (the sibling of the function being written, another
caller of the same API). Each file's chunk token sets are computed once and remembered by the
file's content hash, so a search only pays for set intersections.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from ..index import Chunk, FileEntry
from .identifiers import token_set

_CACHED_FILES = 512
MIN_SIMILARITY = 0.08  # below this a chunk shares little more than common words


class ChunkTokens:
    def __init__(self) -> None:
        self._cache: OrderedDict[Path, tuple[str, list[tuple[Chunk, frozenset[str]]]]] = OrderedDict()

    def of(self, entry: FileEntry) -> list[tuple[Chunk, frozenset[str]]]:
        cached = self._cache.get(entry.path)
        if cached is not None and cached[0] == entry.hash:
            self._cache.move_to_end(entry.path)
            return cached[1]
        features = [(chunk, token_set(chunk.text)) for chunk in entry.chunks]
        self._cache[entry.path] = (entry.hash, features)
        if len(self._cache) > _CACHED_FILES:
            self._cache.popitem(last=False)
        return features


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def similar_chunks(
    query: frozenset[str], entries: list[FileEntry], tokens: ChunkTokens, limit: int = 8
) -> list[tuple[float, Chunk]]:
    """The chunks of `entries` most similar to the query tokens, best first."""
    scored: list[tuple[float, Chunk]] = []
    for entry in entries:
        for chunk, chunk_tokens in tokens.of(entry):
            score = jaccard(query, chunk_tokens)
            if score >= MIN_SIMILARITY:
                scored.append((score, chunk))
    scored.sort(key=lambda item: -item[0])
    return scored[:limit]

"""Chunk token sets are made chunk by chunk: a search out of time stops between two chunks,
uses what is ready, and the next search goes on from there; a changed file starts over."""

from __future__ import annotations

from pathlib import Path

from lsp_server.context.similar import ChunkTokens, similar_chunks
from lsp_server.index.model import Chunk, FileEntry

PATH = Path("/work/lib.py")


def entry(texts: list[str], content_hash: str = "h1") -> FileEntry:
    chunks = [Chunk(PATH, i * 10, i * 10 + 9, text) for i, text in enumerate(texts)]
    return FileEntry(PATH, "python", 100, 1, content_hash, [], [], chunks)


def after(calls: int):
    """An `expired` that says stop from its `calls`-th question on."""
    asked = []

    def expired() -> bool:
        asked.append(1)
        return len(asked) > calls

    return expired


def test_out_of_time_the_sets_stop_between_two_chunks_and_go_on_later():
    tokens = ChunkTokens()
    file = entry(["def alpha(): pass", "def beta(): pass", "def gamma(): pass"])
    assert [chunk.text for chunk, _ in tokens.of(file, after(2))] == ["def alpha(): pass", "def beta(): pass"]
    assert len(tokens.of(file, lambda: True)) == 2  # no time: what is ready
    everything = tokens.of(file)
    assert [chunk.text for chunk, _ in everything][2] == "def gamma(): pass" and "gamma" in everything[2][1]


def test_a_changed_file_starts_over():
    tokens = ChunkTokens()
    tokens.of(entry(["def alpha(): pass", "def beta(): pass"]))
    changed = tokens.of(entry(["def delta(): pass"], content_hash="h2"))
    assert [chunk.text for chunk, _ in changed] == ["def delta(): pass"]


def test_the_search_uses_the_chunks_that_are_ready():
    tokens = ChunkTokens()
    file = entry(["def parse_header(line): return line", "def parse_body(text): return text"])
    query = frozenset({"parse_body", "text", "return"})
    assert [chunk.text for _, chunk in similar_chunks(query, [file], tokens, expired=after(1))] == []
    found = similar_chunks(query, [file], tokens)
    assert found and found[0][1].text == "def parse_body(text): return text"

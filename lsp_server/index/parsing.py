"""Reading and parsing one file: the unit of work of a build, small enough to run in a worker process.

Also the helpers for open editor buffers: a tree-sitter edit computed from the old and new
text, so that a changed buffer is re-parsed incrementally.
"""

from __future__ import annotations

import hashlib
import os
from typing import NamedTuple

from tree_sitter import Tree

from .extract import Extraction, extract
from .languages import LANGUAGES_BY_NAME, LanguageSpec, language_for_source, parser_for

BINARY_SNIFF_BYTES = 8_192


class ParsedFile(NamedTuple):
    path: str
    language: str
    status: str  # "parsed", "unchanged" (hash equals the known one, nothing parsed) or "skipped"
    size: int = 0
    mtime_ns: int = 0
    hash: str = ""
    extraction: Extraction | None = None
    reason: str = ""  # why a file was skipped: "too large", "binary", "unreadable: ...", "vanished"


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def looks_binary(data: bytes) -> bool:
    """A NUL byte near the start is the same test git uses to call a file binary."""
    return b"\0" in data[:BINARY_SNIFF_BYTES]


def read_source(path: str, max_file_bytes: int) -> tuple[bytes | None, os.stat_result | None, str]:
    """The bytes and stat of a file, or None and the reason it cannot be indexed."""
    try:
        with open(path, "rb") as handle:
            stat = os.fstat(handle.fileno())
            if stat.st_size > max_file_bytes:
                return None, stat, "too large"
            data = handle.read(max_file_bytes + 1)
    except FileNotFoundError:
        return None, None, "vanished"  # deleted between the directory walk and now
    except OSError as error:  # permissions, a directory named like a file, I/O errors
        return None, None, f"unreadable: {error.strerror or error}"
    if len(data) > max_file_bytes:
        return None, stat, "too large"  # grew while we were reading it
    if looks_binary(data):
        return None, stat, "binary"
    return data, stat, ""


def index_file(path: str, language: str, max_file_bytes: int, known_hash: str = "") -> ParsedFile:
    """Read, hash and parse one file; skip the parse when its hash equals known_hash."""
    data, stat, reason = read_source(path, max_file_bytes)
    if data is None:
        return ParsedFile(path, language, "skipped", reason=reason)
    assert stat is not None, "read_source returns the stat with every data it returns"
    digest = content_hash(data)
    if digest == known_hash:
        return ParsedFile(path, language, "unchanged", stat.st_size, stat.st_mtime_ns, digest)
    spec = language_for_source(path, data) or LANGUAGES_BY_NAME[language]
    extraction = extract(parse_source(data, spec), data, spec)
    return ParsedFile(path, spec.name, "parsed", stat.st_size, stat.st_mtime_ns, digest, extraction)


def index_files(batch: list[tuple[str, str, str]], max_file_bytes: int) -> list[ParsedFile]:
    """index_file over a batch of (path, language, known_hash): one round trip to a worker."""
    return [index_file(path, language, max_file_bytes, known_hash) for path, language, known_hash in batch]


def parse_source(source: bytes, spec: LanguageSpec, old_tree: Tree | None = None) -> Tree:
    return parser_for(spec).parse(source, old_tree) if old_tree is not None else parser_for(spec).parse(source)


def _common_prefix_length(a: bytes, b: bytes) -> int:
    """Binary search with slice comparisons: each comparison is a memcmp, not a Python loop."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix_length(a: bytes, b: bytes, limit: int) -> int:
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle :] == b[len(b) - middle :]:
            low = middle
        else:
            high = middle - 1
    return low


def _point_at(data: bytes, byte_offset: int) -> tuple[int, int]:
    """(row, byte column) of a byte offset, as tree-sitter counts them."""
    row = data.count(b"\n", 0, byte_offset)
    return row, byte_offset - (data.rfind(b"\n", 0, byte_offset) + 1)


def reparse_incrementally(old_tree: Tree, old_source: bytes, new_source: bytes, spec: LanguageSpec) -> Tree:
    """Describe the change from old_source to new_source as one edit and re-parse with the old tree.

    One edit spans from the first to the last differing byte, which is exact for the usual
    editor change (one insertion, deletion or replacement) and still correct for any other.
    """
    prefix = _common_prefix_length(old_source, new_source)
    suffix = _common_suffix_length(old_source, new_source, min(len(old_source), len(new_source)) - prefix)
    old_end, new_end = len(old_source) - suffix, len(new_source) - suffix
    old_tree.edit(
        start_byte=prefix,
        old_end_byte=old_end,
        new_end_byte=new_end,
        start_point=_point_at(old_source, prefix),
        old_end_point=_point_at(old_source, old_end),
        new_end_point=_point_at(new_source, new_end),
    )
    return parse_source(new_source, spec, old_tree)

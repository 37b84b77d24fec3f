"""The records the index hands out: symbols, imports, retrieval chunks, files, build stats.

Symbols, imports and chunks are NamedTuples: they are immutable, cheap to create by the
thousand, pickle compactly between processes and map one-to-one onto database rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple


class Symbol(NamedTuple):
    """A named definition in a source file.

    Lines are 0-based; columns count code points in the line (not UTF-8 bytes, not UTF-16
    units). The range covers the whole definition, decorators/attributes included.
    `qualified_name` is qualified within the file ("Greeter.shout", "Point::new"); `parent` is
    the qualified name of the enclosing class/struct/module symbol, or None at top level.
    `content_hash` is a hash of the symbol's source text, stable while the text is unchanged.
    """

    kind: str  # function, method, class, struct, interface, enum, trait, type, module, variable, constant, field, macro
    name: str
    qualified_name: str
    signature: str  # the definition's head: text up to its body
    doc: str  # docstring or leading doc comment without comment markers; "" when none
    start_line: int
    start_column: int
    end_line: int
    end_column: int
    parent: str | None
    content_hash: str
    path: Path
    language: str


class Import(NamedTuple):
    """One binding made by an import statement.

    `import os.path as osp` -> Import("os.path", None, "osp"); `from a import b as c` ->
    Import("a", "b", "c"); wildcard imports have name "*"; `#include <x.h>` -> Import("x.h", None, None).
    One statement that imports several names gives one Import per name.
    """

    module: str
    name: str | None
    alias: str | None
    line: int


class Chunk(NamedTuple):
    """A piece of a file cut along syntax boundaries, for retrieval (lines inclusive, 0-based)."""

    path: Path
    start_line: int
    end_line: int
    text: str


@dataclass(frozen=True)
class FileEntry:
    """Everything the index knows about one file."""

    path: Path
    language: str
    size: int
    mtime_ns: int  # 0 when the entry came from an unsaved editor buffer
    hash: str
    symbols: list[Symbol]
    imports: list[Import]
    chunks: list[Chunk]

    @property
    def mtime(self) -> float:
        """Modification time in seconds, as os.stat reports it."""
        return self.mtime_ns / 1e9


@dataclass
class IndexStats:
    """What one build() did."""

    files: int = 0  # files in the index after the build
    parsed: int = 0  # files parsed in this build
    reused: int = 0  # files taken from the database unchanged
    removed: int = 0  # entries dropped because their file is gone or now ignored
    skipped: int = 0  # candidate files not indexed: binary, too large, unreadable, vanished
    symbols: int = 0  # symbols in the index after the build
    files_per_language: dict[str, int] = field(default_factory=dict)
    symbols_per_language: dict[str, int] = field(default_factory=dict)
    bytes_parsed: int = 0
    seconds: float = 0.0
    stopped: bool = False  # should_stop() asked to end early; the index is partial
    over_limit: int = 0  # files found past max_files (in walk order) and not indexed

    @property
    def capped(self) -> bool:
        """The workspace has more files than max_files: only the first ones are indexed."""
        return self.over_limit > 0

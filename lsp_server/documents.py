"""Reading source files from disk safely: size limit, binary check, any encoding.

Used by the command line and for documents the editor has not opened. Text
that is not valid UTF-8 is decoded with replacement characters rather than
refused: a Latin-1 file still gets completions.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pygls.uris import to_fs_path

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


class DocumentError(ValueError):
    """A file that cannot be used as a source document; the message says why."""


def looks_binary(head: bytes) -> bool:
    return b"\x00" in head


def read_source_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DocumentError(f"file not found: {path}") from None
    except OSError as exc:
        raise DocumentError(f"cannot read {path}: {exc.strerror}") from None
    if not path.is_file():
        raise DocumentError(f"not a regular file: {path}")
    if size > max_bytes:
        raise DocumentError(f"file too large ({size} bytes, limit {max_bytes}): {path}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read {path}: {exc.strerror}") from None
    if looks_binary(data[:8192]):
        raise DocumentError(f"binary file, not source text: {path}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        log.warning("%s is not valid UTF-8 (%s); decoding with replacement characters", path, exc.reason)
        return data.decode("utf-8", errors="replace")


def is_inside(path: Path, roots: list[Path]) -> bool:
    """Whether path (resolved, symlinks followed) lies inside one of roots."""
    try:
        resolved = path.resolve()
    except OSError:
        return False
    return any(resolved.is_relative_to(root.resolve()) for root in roots)


def file_path(uri: str) -> Path | None:
    """The file a `file:` URI names; None for other schemes (untitled buffers and the like)."""
    fs_path = to_fs_path(uri) if uri.startswith("file:") else None
    return Path(fs_path) if fs_path else None

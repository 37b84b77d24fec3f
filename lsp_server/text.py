"""Positions in text, in the three units that meet in Infill.

LSP columns count UTF-16 code units, Python strings index code points and
tree-sitter counts UTF-8 bytes. Every conversion lives here so that a
character outside the Basic Multilingual Plane (an emoji: 2 UTF-16 units,
1 code point, 4 bytes) is handled the same way everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cursor:
    """A clamped cursor in a document: line index and code-point column."""

    line: int
    column: int  # code points
    offset: int  # code points from the start of the document


def utf16_length(text: str) -> int:
    """Number of UTF-16 code units of text."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", errors="surrogatepass")) // 2


def utf16_to_codepoint_column(line_text: str, utf16_column: int) -> int:
    """Code-point column for a UTF-16 column, clamped to the line's end.

    A column that falls inside a surrogate pair is moved to the character's start.
    """
    if line_text.isascii():
        return min(utf16_column, len(line_text))
    units = line_text.encode("utf-16-le", errors="surrogatepass")[: 2 * utf16_column]
    # A half surrogate pair at the cut is dropped by "ignore": the column moves left.
    return len(units.decode("utf-16-le", errors="ignore"))


def codepoint_to_utf16_column(line_text: str, column: int) -> int:
    return utf16_length(line_text[:column])


def split_lines(text: str) -> list[str]:
    """Lines without their terminators; a trailing newline gives a last empty line,
    as in LSP, where the position after the final newline is valid."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _line_bounds(text: str, line: int) -> tuple[int, int] | None:
    """(start, end) code-point offsets of a line without its terminator, or None
    when the document has fewer lines. Runs at C speed via str.find, so a cursor
    in a 10 MB document costs milliseconds, not seconds."""
    if "\r" in text:
        starts = _starts_with_cr(text)
        if line >= len(starts):
            return None
        start = starts[line]
        end = starts[line + 1] if line + 1 < len(starts) else len(text)
        while end > start and text[end - 1] in "\r\n":
            end -= 1
        return start, end
    start = 0
    for _ in range(line):
        newline = text.find("\n", start)
        if newline < 0:
            return None
        start = newline + 1
    end = text.find("\n", start)
    return start, (len(text) if end < 0 else end)


def _starts_with_cr(text: str) -> list[int]:
    starts = [0]
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            starts.append(i + 1)
        elif ch == "\r":
            if i + 1 < n and text[i + 1] == "\n":
                i += 1
            starts.append(i + 1)
        i += 1
    return starts


def line_text_at(text: str, line: int) -> str | None:
    bounds = _line_bounds(text, line)
    return None if bounds is None else text[bounds[0] : bounds[1]]


def cursor_from_lsp(text: str, line: int, utf16_column: int) -> Cursor | None:
    """Turn an LSP position into a Cursor.

    Returns None for a negative position or a line past the end of the document:
    the request is then invalid. A column past the end of its line is clamped to
    the line's end (editors send such positions in practice).
    """
    if line < 0 or utf16_column < 0:
        return None
    bounds = _line_bounds(text, line)
    if bounds is None:
        return None
    start, end = bounds
    column = utf16_to_codepoint_column(text[start:end], utf16_column)
    return Cursor(line=line, column=column, offset=start + column)


def count_lines(text: str) -> int:
    return len(split_lines(text))


def cursor_from_cli(text: str, line: int, column: int) -> Cursor:
    """The cursor at a 1-based line and column (in characters), as the command line takes them.

    Line and column are checked the same way: 0 or less, a line past the last one, or a
    column past the end of its line (its end itself, column length + 1, is valid) is a
    ValueError whose message says what is valid.
    """
    if line < 1 or column < 1:
        raise ValueError(f"line and column are 1-based: got line {line}, column {column}")
    line_text = line_text_at(text, line - 1)
    if line_text is None:
        raise ValueError(f"there is no line {line}: the file has {count_lines(text)} lines")
    if column > len(line_text) + 1:
        raise ValueError(f"there is no column {column} on line {line}: it has {len(line_text)} characters")
    cursor = cursor_from_lsp(text, line - 1, codepoint_to_utf16_column(line_text, column - 1))
    assert cursor is not None  # the line exists and the column is inside it
    return cursor


def tree_sitter_point(text: str, cursor: Cursor) -> tuple[int, int]:
    """(row, byte column) of a cursor, as tree-sitter expects."""
    line_text = line_text_at(text, cursor.line) or ""
    return cursor.line, len(line_text[: cursor.column].encode("utf-8", errors="surrogatepass"))

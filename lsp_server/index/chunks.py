"""Retrieval chunks: a file cut into pieces of at most MAX_CHUNK_LINES lines along syntax boundaries.

Top-level nodes (functions, classes, statements) are packed greedily into chunks. A node too
long for one chunk is opened up: its header, each member of its body and its closing lines
become separate units; a long node without members (a huge function) is cut into windows of
lines. Comments and the header of an opened-up node stay glued to what follows them.
"""

from __future__ import annotations

from tree_sitter import Node

MAX_CHUNK_LINES = 60
MAX_CHUNK_CHARS = 8_000  # a chunk from minified or generated code is cut at this size

COMMENT_TYPES = frozenset({"comment", "line_comment", "block_comment"})
# Fields under which a definition keeps its members, and wrappers around a definition.
_BODY_FIELDS = ("body",)
_WRAPPED_FIELDS = ("definition", "declaration")

ChunkRow = tuple[int, int, str]  # start_line, end_line (inclusive), text


Unit = tuple[int, int, bool]  # start_line, end_line, sticks_to_next (a comment or a header)


def syntax_chunks(root: Node, lines: list[str], max_lines: int = MAX_CHUNK_LINES) -> list[ChunkRow]:
    units: list[Unit] = []
    _collect_units(root.named_children, units, max_lines)
    chunks: list[ChunkRow] = []
    for start, end in _pack(_glue_comments(units), max_lines):
        text = "\n".join(lines[start : end + 1])
        if text.strip():
            chunks.append((start, end, text[:MAX_CHUNK_CHARS]))
    return chunks


def _collect_units(nodes: list[Node], units: list[Unit], max_lines: int) -> None:
    for node in nodes:
        start, end = node.start_point.row, node.end_point.row
        if end - start + 1 <= max_lines:
            units.append((start, end, node.type in COMMENT_TYPES))
            continue
        members = _members(node)
        if len(members) >= 2:
            first, last = members[0].start_point.row, members[-1].end_point.row
            if first > start:
                units.append((start, first - 1, True))  # the header: "class Foo(Base):", decorators
            _collect_units(members, units, max_lines)
            if end > last:
                units.append((last + 1, end, False))  # closing brace(s)
        else:
            for line in range(start, end + 1, max_lines):
                units.append((line, min(line + max_lines - 1, end), False))


def _members(node: Node) -> list[Node]:
    """The children of a definition's body (class members, namespace items), if it has one."""
    for field in _WRAPPED_FIELDS:
        wrapped = node.child_by_field_name(field)
        if wrapped is not None:
            node = wrapped
            break
    for field in _BODY_FIELDS:
        body = node.child_by_field_name(field)
        if body is not None:
            return body.named_children
    return []


def _glue_comments(units: list[Unit]) -> list[tuple[int, int]]:
    """Join each run of comment/header units to the unit right after it, when nothing separates
    them but at most one blank line; return plain (start, end) line ranges in file order."""
    ranges: list[tuple[int, int]] = []
    pending: tuple[int, int] | None = None
    for start, end, sticks_to_next in sorted(units):
        if pending is not None:
            if start <= pending[1] + 2:
                start = pending[0]
            else:
                ranges.append(pending)
            pending = None
        if sticks_to_next:
            pending = (start, end)
        else:
            ranges.append((start, end))
    if pending is not None:
        ranges.append(pending)
    return ranges


def _pack(ranges: list[tuple[int, int]], max_lines: int) -> list[tuple[int, int]]:
    """Greedily join consecutive ranges while the joined span stays within max_lines."""
    packed: list[tuple[int, int]] = []
    for start, end in ranges:
        if packed and start <= packed[-1][1]:  # two nodes on one line: keep them together
            packed[-1] = (packed[-1][0], max(end, packed[-1][1]))
        elif packed and end - packed[-1][0] + 1 <= max_lines:
            packed[-1] = (packed[-1][0], end)
        else:
            packed.append((start, end))
    return packed

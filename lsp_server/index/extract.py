"""Symbols, imports and retrieval chunks from one parsed file.

`extract(tree, source, spec)` runs the language's definitions and imports queries and returns
plain row tuples (see `Extraction`), so that worker processes can send them back cheaply and
the store can write them as they are.
"""

from __future__ import annotations

import hashlib
import inspect
import re
import textwrap
from typing import NamedTuple

from tree_sitter import Node, QueryCursor, Tree

from .chunks import COMMENT_TYPES, ChunkRow, syntax_chunks
from .imports import IMPORT_READERS, ImportRow
from .languages import LanguageSpec

# kind, name, qualified_name, signature, doc, start_line, start_column, end_line, end_column,
# parent, content_hash: the fields of model.Symbol before path and language.
SymbolRow = tuple[str, str, str, str, str, int, int, int, int, str | None, str]

# Symbols whose members get qualified names ("Greeter.shout") and whose functions are methods.
CONTAINER_KINDS = frozenset({"class", "struct", "interface", "enum", "trait", "impl", "module"})
TYPE_KINDS = CONTAINER_KINDS - {"module"}
FUNCTION_KINDS = frozenset({"function", "method"})
# Nodes that may sit between a doc comment and the definition it documents.
DOC_TRANSPARENT_TYPES = frozenset({"attribute_item", "decorator"})
FUNCTION_VALUE_TYPES = frozenset({"arrow_function", "function_expression", "function", "generator_function"})

MAX_SIGNATURE_CHARS = 1_000
MAX_DOC_CHARS = 4_000
_CONSTANT_NAME = re.compile(r"^_*[A-Z][A-Z0-9_]*$")


class Extraction(NamedTuple):
    symbols: list[SymbolRow]
    imports: list[ImportRow]
    chunks: list[ChunkRow]


def extract(tree: Tree, source: bytes, spec: LanguageSpec) -> Extraction:
    root = tree.root_node
    lines = source.decode("utf-8", "replace").split("\n")
    return Extraction(extract_symbols(root, source, spec), extract_imports(root, spec), syntax_chunks(root, lines))


def extract_imports(root: Node, spec: LanguageSpec) -> list[ImportRow]:
    reader = IMPORT_READERS[spec.name]
    rows: list[ImportRow] = []
    cursor = QueryCursor(spec.imports)
    cursor.set_max_start_depth(spec.imports_max_depth)
    for node in cursor.captures(root).get("import", ()):
        rows.extend(reader(node))
    rows.sort(key=lambda row: row[3])  # captures come grouped by pattern; keep file order
    return rows


class _Definition(NamedTuple):
    node: Node
    name_node: Node
    capture: str  # "definition.function", "scope.impl", ...


class _Scope(NamedTuple):
    start_byte: int
    end_byte: int
    kind: str
    qualified_name: str | None  # None for a function: what it contains is local, not indexed


def extract_symbols(root: Node, source: bytes, spec: LanguageSpec) -> list[SymbolRow]:
    definitions = _find_definitions(root, spec)
    separator = spec.scope_separator
    rows: list[SymbolRow] = []
    scopes: list[_Scope] = []  # enclosing containers and functions, innermost last
    instance_attributes: set[str] = set()  # "Class.name" of the Python instance attributes kept
    for node, name_node, capture in definitions:
        while scopes and not (scopes[-1].start_byte <= node.start_byte and node.end_byte <= scopes[-1].end_byte):
            scopes.pop()
        enclosing = scopes[-1] if scopes else None
        is_local = enclosing is not None and enclosing.qualified_name is None
        _, kind = capture.split(".", 1)
        name = _node_text(name_node)
        parent = enclosing.qualified_name if enclosing is not None else None
        if kind == "attribute":
            # `self.name = ...` in __init__ (see languages.py): a field of the class around the
            # method, once per name, unless the class body defines it already.
            owner = scopes[-2] if len(scopes) >= 2 and enclosing is not None and enclosing.kind == "method" else None
            if owner is None or owner.qualified_name is None:
                continue
            qualified_name = f"{owner.qualified_name}{separator}{name}"
            if qualified_name in instance_attributes:
                continue
            instance_attributes.add(qualified_name)
            rows.append(_symbol_row(node, "field", name, qualified_name, owner.qualified_name, source, spec))
            continue
        if kind == "field" and enclosing is None:
            continue  # a member of an anonymous struct or union: nothing names its owner

        if name_node.type in ("generic_type", "template_type"):
            name = name.split("<", 1)[0]  # impl Vec<T> -> Vec
        if name_node.type == "qualified_identifier":  # C++: double Circle::area() {...}
            scope_path, _, name = name.rpartition("::")
            parent = f"{parent}::{scope_path}" if parent else scope_path
            kind = "method"
        if kind == "method" and node.type == "method_declaration" and spec.name == "go":
            receiver = _go_receiver_type(node)
            parent = f"{parent}.{receiver}" if parent and receiver else receiver or parent
        kind = _refine_kind(kind, name, node, name_node, enclosing, spec)
        qualified_name = f"{parent}{separator}{name}" if parent else name

        if kind in FUNCTION_KINDS or is_local:
            scopes.append(_Scope(node.start_byte, node.end_byte, kind, None))
        elif kind in CONTAINER_KINDS:
            scopes.append(_Scope(node.start_byte, node.end_byte, kind, qualified_name))
        if is_local or capture.startswith("scope."):
            continue  # locals are not workspace symbols; an impl block only names a scope
        if kind == "field":
            instance_attributes.add(qualified_name)
        rows.append(_symbol_row(node, kind, name, qualified_name, parent, source, spec))
    return rows


def _find_definitions(root: Node, spec: LanguageSpec) -> list[_Definition]:
    """All definition matches in file order, outer before inner, one per (node, name)."""
    best: dict[tuple[int, int, int], tuple[int, _Definition]] = {}
    cursor = QueryCursor(spec.definitions)
    cursor.set_max_start_depth(spec.definitions_max_depth)
    for pattern_index, captures in cursor.matches(root):
        names = captures.get("name")
        if not names:
            continue
        for capture, nodes in captures.items():
            if capture == "name" or capture.startswith("_"):  # `_x`: a capture only predicates test
                continue
            node = nodes[0]
            key = (node.start_byte, node.end_byte, names[0].start_byte)
            if key not in best or best[key][0] > pattern_index:  # the earlier pattern is more specific
                best[key] = (pattern_index, _Definition(node, names[0], capture))
    ordered = sorted(best.items(), key=lambda item: (item[0][0], -item[0][1], item[0][2]))
    return [definition for _, (_, definition) in ordered]


def _refine_kind(
    kind: str, name: str, node: Node, name_node: Node, enclosing: _Scope | None, spec: LanguageSpec
) -> str:
    if kind == "function" and enclosing is not None and enclosing.kind in TYPE_KINDS:
        return "method"
    if kind in ("variable", "field"):
        if spec.name == "java" and _has_modifiers(node, "static", "final"):
            return "constant"
        declarator = name_node.parent
        value = declarator.child_by_field_name("value") if declarator is not None else None
        if value is not None and value.type in FUNCTION_VALUE_TYPES:
            return "function" if kind == "variable" else "method"
        if spec.name in ("python", "javascript", "typescript", "tsx") and _CONSTANT_NAME.match(name):
            return "constant"
    return kind


def _has_modifiers(node: Node, *wanted: str) -> bool:
    modifiers = next((child for child in node.children if child.type == "modifiers"), None)
    words = set(_node_text(modifiers).split()) if modifiers is not None else set()
    return all(word in words for word in wanted)


def _go_receiver_type(node: Node) -> str | None:
    """func (s *Server) Start() -> "Server"."""
    stack = [node.child_by_field_name("receiver")]
    while stack:
        current = stack.pop()
        if current is None:
            continue
        if current.type == "type_identifier":
            return _node_text(current)
        stack.extend(reversed(current.named_children))
    return None


def _symbol_row(
    node: Node,
    kind: str,
    name: str,
    qualified_name: str,
    parent: str | None,
    source: bytes,
    spec: LanguageSpec,
) -> SymbolRow:
    outer = _outer_node(node, spec.wrapper_types)
    start, end = outer.start_point, outer.end_point
    end_byte, end_row, end_column = outer.end_byte, end.row, end.column
    if end_column == 0 and end_row > start.row:  # "#define X 1\n" ends after its newline
        end_byte -= 1
        end_row -= 1
        end_column = end_byte - (source.rfind(b"\n", 0, end_byte) + 1)
    doc = _python_docstring(node) if spec.name == "python" else ""
    return (
        kind,
        name,
        qualified_name,
        _signature(node, outer, source, name),
        doc or _leading_comment(outer),
        start.row,
        _code_points(source, outer.start_byte, start.column),
        end_row,
        _code_points(source, end_byte, end_column),
        parent,
        hashlib.blake2b(source[outer.start_byte : outer.end_byte], digest_size=8).hexdigest(),
    )


def _outer_node(node: Node, wrapper_types: frozenset[str]) -> Node:
    """Climb through wrappers (export, decorators, template<...>) that hold only this definition."""
    while True:
        parent = node.parent
        if parent is None or parent.type not in wrapper_types:
            return node
        others = [
            c
            for c in parent.named_children
            if c != node
            and c.type not in COMMENT_TYPES
            and c.type not in DOC_TRANSPARENT_TYPES
            and c.type != "template_parameter_list"
        ]
        if others:
            return node
        node = parent


def _code_points(source: bytes, byte_offset: int, byte_column: int) -> int:
    """Convert a UTF-8 byte column to a column in code points."""
    prefix = source[byte_offset - byte_column : byte_offset]
    return byte_column if prefix.isascii() else len(prefix.decode("utf-8", "replace"))


def _node_text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


def _signature(node: Node, outer: Node, source: bytes, name: str) -> str:
    """The definition's head: its text up to the body, or its first line when it has no body.
    A C typedef of an unnamed struct has its name after the body: `typedef struct {...} CTX`."""
    if node.type == "type_definition":
        kind = node.child_by_field_name("type")
        if (
            kind is not None
            and kind.child_by_field_name("body") is not None
            and kind.child_by_field_name("name") is None
        ):
            keyword = _node_text(kind).split(None, 1)[0]  # struct, union, enum
            return f"typedef {keyword} {{...}} {name}"
    body = node.child_by_field_name("body")
    if body is not None and body.start_byte > node.start_byte:
        head = source[node.start_byte : body.start_byte]
    else:
        text = source[outer.start_byte : outer.end_byte]
        head = text.split(b"\n", 1)[0]
    signature = head.decode("utf-8", "replace").rstrip().rstrip("{:;=").rstrip()
    return signature[:MAX_SIGNATURE_CHARS]


def _python_docstring(node: Node) -> str:
    body = node.child_by_field_name("body")
    first = body.named_child(0) if body is not None and body.named_child_count else None
    if first is not None and first.type == "expression_statement" and first.named_child_count == 1:
        first = first.named_child(0)
    if first is None or first.type != "string":
        return ""
    literal = _node_text(first)
    literal = literal[
        min(i for i in (literal.find('"'), literal.find("'"), len(literal)) if i >= 0) :
    ]  # drop r/u/b prefix
    quote = literal[:3] if literal[:3] in ('"""', "'''") else literal[:1]
    inner = (
        literal[len(quote) : len(literal) - len(quote)]
        if literal.endswith(quote) and len(literal) >= 2 * len(quote)
        else literal[len(quote) :]
    )
    return inspect.cleandoc(inner)[:MAX_DOC_CHARS]


def _leading_comment(outer: Node) -> str:
    """The comment block right above a definition (no blank line between), without markers."""
    comments: list[Node] = []
    expected_row = outer.start_point.row
    node = outer.prev_named_sibling
    while node is not None:
        if node.type in DOC_TRANSPARENT_TYPES:  # #[derive(...)] between the doc and the item
            expected_row = node.start_point.row
            node = node.prev_named_sibling
            continue
        if node.type not in COMMENT_TYPES or node.end_point.row < expected_row - 1:
            break
        text = _node_text(node)
        if text.startswith(("//!", "/*!")):  # Rust inner docs describe the enclosing module
            break
        previous = node.prev_named_sibling
        if previous is not None and previous.end_point.row == node.start_point.row:
            break  # a trailing comment of the line above, not a doc comment
        comments.append(node)
        expected_row = node.start_point.row
        node = previous
    if not comments:
        return ""
    lines: list[str] = []
    for comment in reversed(comments):
        lines.extend(_comment_lines(_node_text(comment)))
    return textwrap.dedent("\n".join(lines)).strip("\n")[:MAX_DOC_CHARS]


_BLOCK_LINE_PREFIX = re.compile(r"^\s*\*? ?")
_LINE_COMMENT_PREFIX = re.compile(r"^\s*(?:///?!?|#+) ?")


def _comment_lines(text: str) -> list[str]:
    if text.startswith("/*"):
        body = text[2:-2] if text.endswith("*/") else text[2:]
        body = body.lstrip("*!")
        lines = [_BLOCK_LINE_PREFIX.sub("", line, count=1).rstrip() for line in body.split("\n")]
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        return lines
    return [_LINE_COMMENT_PREFIX.sub("", text.rstrip("\n"), count=1).rstrip()]

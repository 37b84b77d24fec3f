"""Readers that turn one import node into Import rows, one reader per language family.

Each reader takes the node captured as @import by the language's imports query and returns
rows (module, name, alias, line) in the field order of `model.Import`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tree_sitter import Node

ImportRow = tuple[str, str | None, str | None, int]


def _text(node: Node | None) -> str:
    if node is None:
        return ""
    text = node.text
    assert text is not None, "trees are parsed from bytes (parse_source), so every node has its text"
    return text.decode("utf-8", "replace")


def _unquote(text: str) -> str:
    return text.strip().strip("\"'`<>")


def python_imports(node: Node) -> Iterator[ImportRow]:
    line = node.start_point.row
    if node.type == "import_statement":  # import a.b, c as d
        for child in node.children_by_field_name("name"):
            if child.type == "aliased_import":
                yield (
                    _text(child.child_by_field_name("name")),
                    None,
                    _text(child.child_by_field_name("alias")),
                    line,
                )
            else:
                yield _text(child), None, None, line
        return
    if node.type == "future_import_statement":
        module = "__future__"
    else:  # from x import y as z; from . import y; from x import *
        module = _text(node.child_by_field_name("module_name"))
    names = node.children_by_field_name("name")
    for child in names:
        if child.type == "aliased_import":
            yield (
                module,
                _text(child.child_by_field_name("name")),
                _text(child.child_by_field_name("alias")),
                line,
            )
        else:
            yield module, _text(child), None, line
    if not names and any(child.type == "wildcard_import" for child in node.children):
        yield module, "*", None, line


def javascript_imports(node: Node) -> Iterator[ImportRow]:
    """ES module imports: default, namespace (* as x), named ({a, b as c}) and bare imports;
    and re-exports, which bind names the same way for the files importing this one."""
    line = node.start_point.row
    module = _unquote(_text(node.child_by_field_name("source")))
    if node.type == "export_statement":
        yield from _reexports(node, module, line)
        return
    clause = next((child for child in node.named_children if child.type == "import_clause"), None)
    if clause is None:
        yield module, None, None, line
        return
    for part in clause.named_children:
        if part.type == "identifier":
            yield module, "default", _text(part), line
        elif part.type == "namespace_import":
            alias = next((c for c in part.named_children if c.type == "identifier"), None)
            yield module, "*", _text(alias) or None, line
        elif part.type == "named_imports":
            for specifier in part.named_children:
                if specifier.type == "import_specifier":
                    alias = specifier.child_by_field_name("alias")
                    yield module, _text(specifier.child_by_field_name("name")), _text(alias) or None, line


def _reexports(node: Node, module: str, line: int) -> Iterator[ImportRow]:
    """`export * from "m"` -> (m, "*", None); `export * as ns from "m"` -> (m, "*", "ns");
    `export { a, b as c } from "m"` -> (m, "a", None), (m, "b", "c")."""
    clause = next((c for c in node.named_children if c.type in ("export_clause", "namespace_export")), None)
    if clause is None:
        yield module, "*", None, line
    elif clause.type == "namespace_export":
        alias = next((c for c in clause.named_children if c.type in ("identifier", "string")), None)
        yield module, "*", _unquote(_text(alias)) or None, line
    else:
        for specifier in clause.named_children:
            if specifier.type == "export_specifier":
                alias = specifier.child_by_field_name("alias")
                yield module, _text(specifier.child_by_field_name("name")), _text(alias) or None, line


def go_imports(node: Node) -> Iterator[ImportRow]:
    """One import_spec: "fmt", str "strings", _ "embed", . "x"."""
    alias = node.child_by_field_name("name")
    yield _unquote(_text(node.child_by_field_name("path"))), None, _text(alias) or None, node.start_point.row


def rust_imports(node: Node) -> Iterator[ImportRow]:
    """A use declaration, with nested lists: use a::{b, c::d as e, f::*};"""
    line = node.start_point.row

    def walk(tree: Node | None, prefix: str) -> Iterator[ImportRow]:
        if tree is None:
            return
        kind = tree.type
        if kind in ("scoped_identifier", "identifier", "crate", "self", "super", "metavariable"):
            path = _join(prefix, _text(tree))
            if kind == "self" or "::" not in path:
                yield path if kind != "self" else prefix, None, None, line
            else:
                module, name = path.rsplit("::", 1)
                yield module, name, None, line
        elif kind == "use_as_clause":
            for aliased_module, aliased_name, _alias, _line in walk(tree.child_by_field_name("path"), prefix):
                yield aliased_module, aliased_name, _text(tree.child_by_field_name("alias")), line
        elif kind == "scoped_use_list":
            inner = _join(prefix, _text(tree.child_by_field_name("path")))
            yield from walk(tree.child_by_field_name("list"), inner)
        elif kind == "use_list":
            for item in tree.named_children:
                yield from walk(item, prefix)
        elif kind == "use_wildcard":
            wildcard_path = next((c for c in tree.named_children), None)
            yield _join(prefix, _text(wildcard_path)), "*", None, line

    yield from walk(node.child_by_field_name("argument"), "")


def _join(prefix: str, path: str) -> str:
    return f"{prefix}::{path}" if prefix and path else prefix or path


def java_imports(node: Node) -> Iterator[ImportRow]:
    """import a.b.C; import a.b.*; import static a.B.m;"""
    path = next((c for c in node.named_children if c.type in ("scoped_identifier", "identifier")), None)
    text = _text(path)
    line = node.start_point.row
    if any(child.type == "asterisk" for child in node.children):
        yield text, "*", None, line
    elif "." in text:
        module, name = text.rsplit(".", 1)
        yield module, name, None, line
    else:
        yield text, None, None, line


def c_includes(node: Node) -> Iterator[ImportRow]:
    """#include <stdio.h> and #include "local.h" -> the header path."""
    yield _unquote(_text(node.child_by_field_name("path"))), None, None, node.start_point.row


IMPORT_READERS: dict[str, Callable[[Node], Iterator[ImportRow]]] = {
    "python": python_imports,
    "javascript": javascript_imports,
    "typescript": javascript_imports,
    "tsx": javascript_imports,
    "go": go_imports,
    "rust": rust_imports,
    "java": java_imports,
    "c": c_includes,
    "cpp": c_includes,
}

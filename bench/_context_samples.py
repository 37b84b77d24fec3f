"""Where `infill bench context` puts its cursors, and which definitions count as found there.

A sample is a cursor placed right before a use of a name that is defined in ANOTHER file of the
repository; the rest of the file (the name included) is hidden from the retriever. What the
right answer is comes from the code itself, not from the retriever's resolver (else a name the
resolver cannot follow would never be sampled): tree-sitter finds each use, and the index's
table of definitions by name says where that name is defined. Three kinds:

- "name": a bare name (`make_client(`), not defined in the file, defined at the top level of
  one to three other files. It must be announced before the cursor: bound by an import
  (Python, TypeScript/JavaScript, Rust, Java), or, where names need no import (Go and Java
  within a package, C through headers), defined in the same package or an included header
  and already used once above the cursor's line.
- "module attribute": `module.name` where `module` is bound by an import to a file or package
  of the repository (a Python module, `import * as ns`, a Go package), `name` a top-level
  definition of that file or package.
- "member": `x.name`, `self.name`, `Class.name`, `value->name`, where `x` is a plain identifier
  and `name` a member (method, field) defined in another file: in one or two places across
  the repository, or as a member of `Class`. For a variable (`x`, `self`), the class owning
  the member must be named above the cursor's line (an annotation, a constructor call, a base
  class): the file has said which class it is. Members that the language's own types have
  (`.append`, `.length`, `.toString`) are left out: their definition is not in the repository,
  and so are members defined only in test files when the cursor is not in one (mocks).

Any one of a sample's definitions shown by a chosen snippet counts as found.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tree_sitter import Node

from lsp_server.index import FileEntry, Symbol, WorkspaceIndex
from lsp_server.index.languages import language_for_source, parser_for

MAX_NAME_TARGETS = 3
MAX_MEMBER_TARGETS = 2
IDENTIFIER_TYPES = frozenset({"identifier", "type_identifier", "field_identifier", "property_identifier"})
# parent node type -> (field holding the member's name, field holding the base expression)
MEMBER_ACCESS = {
    "attribute": ("attribute", "object"),  # Python
    "member_expression": ("property", "object"),  # JavaScript, TypeScript
    "selector_expression": ("field", "operand"),  # Go
    "qualified_type": ("name", "package"),  # Go
    "method_invocation": ("name", "object"),  # Java
    "field_access": ("field", "object"),  # Java
    "scoped_identifier": ("name", "path"),  # Rust, C++
    "scoped_type_identifier": ("name", "path"),  # Rust
    "field_expression": ("field", "value"),  # Rust (C has "argument")
}
SKIPPED_STATEMENTS = frozenset(
    {
        "import_statement",
        "import_from_statement",
        "future_import_statement",
        "import_declaration",
        "import_spec",
        "use_declaration",
        "preproc_include",
        "package_clause",
        "package_declaration",
        "mod_item",
        "comment",
        "line_comment",
        "block_comment",
    }
)
SELF_NAMES = frozenset({"self", "this", "cls"})
CLASS_KINDS = frozenset({"class", "struct", "interface", "trait", "enum", "type"})
# Members of the languages' own types: uses of these mostly mean the library's member.
_PYTHON_BUILTIN_MEMBERS = frozenset(
    name
    for kind in (object, str, bytes, list, dict, set, frozenset, tuple, int, float, type, BaseException, property)
    for name in dir(kind)
) | {"read", "write", "close", "send", "open", "flush", "seek", "tell", "readline"}
_COMMON_MEMBERS = {
    "python": _PYTHON_BUILTIN_MEMBERS,
    "javascript": frozenset(
        "length push pop shift unshift slice splice map filter reduce forEach find findIndex some every "
        "includes indexOf join concat keys values entries has get set delete add clear size then catch "
        "finally call apply bind toString valueOf hasOwnProperty replace split trim startsWith endsWith "
        "toLowerCase toUpperCase charAt charCodeAt substring substr test exec match prototype constructor "
        "name message stack next done value".split()
    ),
    "go": frozenset("Error String Len Less Swap Read Write Close Lock Unlock Done Err Value".split()),
    "java": frozenset(
        "toString equals hashCode get put add remove size isEmpty contains iterator next hasNext length "
        "charAt append clear set getClass compareTo close run call keySet values entrySet".split()
    ),
    "rust": frozenset(
        "clone unwrap expect iter into len is_empty push pop as_ref as_mut map ok err get insert remove "
        "next fmt eq cmp partial_cmp hash from drop deref default to_string as_ptr".split()
    ),
    "c": frozenset(),
}
_COMMON_MEMBERS["typescript"] = _COMMON_MEMBERS["tsx"] = _COMMON_MEMBERS["javascript"]
_COMMON_MEMBERS["cpp"] = _COMMON_MEMBERS["c"]
# Languages whose names come into a file only through an import that names them.
_IMPORTING = frozenset({"python", "javascript", "typescript", "tsx", "rust"})


@dataclass
class Sample:
    path: Path
    offset: int  # code points into the file's text: the cursor, right before `name`
    name: str
    kind: str  # "name", "module attribute", "member"
    targets: list[Symbol]  # any one of them shown counts as found
    language: str
    base: str = ""  # what came before the `.` (members and module attributes)


class _Definitions:
    """The index's definitions by name, fetched once per name."""

    def __init__(self, index: WorkspaceIndex):
        self.index = index
        self._by_name: dict[str, list[Symbol]] = {}

    def __call__(self, name: str) -> list[Symbol]:
        found = self._by_name.get(name)
        if found is None:
            found = self._by_name[name] = self.index.definitions(name)
        return found


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


def _uses(root: Node) -> Iterator[tuple[Node, Node | None]]:
    """(identifier node, base expression or None) for every identifier outside imports and comments."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type in SKIPPED_STATEMENTS or (node.type == "export_statement" and node.child_by_field_name("source")):
            continue
        if node.type in IDENTIFIER_TYPES and node.child_count == 0:
            parent = node.parent
            base = None
            if parent is not None and parent.type in MEMBER_ACCESS:
                name_field, base_field = MEMBER_ACCESS[parent.type]
                if parent.child_by_field_name(name_field) == node:
                    base = parent.child_by_field_name(base_field) or parent.child_by_field_name("argument")
                    if base is None:
                        continue
                elif parent.type != "scoped_identifier":
                    continue  # the base itself: sampled as a name where it is one
            yield node, base
        stack.extend(reversed(node.children))


def _module_tail(module: str) -> str:
    """The last component of an import's module: "a.b" -> "b", "./x/y.js" -> "y", "x/v2" -> "x"."""
    parts = [part for part in module.replace("::", "/").replace(".", "/").split("/") if part]
    if len(parts) >= 2 and parts[-1] in ("js", "ts", "mjs", "cjs", "jsx", "tsx"):
        parts.pop()
    if len(parts) >= 2 and parts[-1][:1] == "v" and parts[-1][1:].isdigit():
        parts.pop()
    return parts[-1] if parts else ""


def _is_module_file(path: Path, tail: str) -> bool:
    """Whether a file belongs to the module or package named `tail` (by its file or folder name)."""
    stem = path.name.split(".")[0]
    if stem == tail:
        return True
    return path.parent.name == tail and (stem in ("__init__", "index", "mod") or path.suffix == ".go")


class _FileSampler:
    def __init__(self, entry: FileEntry, text: str, source: bytes, definitions: _Definitions, files: list[Path]):
        self.entry = entry
        self.text = text
        self.source = source
        self.definitions = definitions
        self.files = files
        self.own_names = {symbol.name for symbol in entry.symbols}
        self.line_offsets = [0]
        for line in text.split("\n"):
            self.line_offsets.append(self.line_offsets[-1] + len(line) + 1)
        self.byte_lines = source.split(b"\n")
        self._includes: set[str] | None = None

    def offset(self, node: Node) -> int:
        row, column = node.start_point
        return self.line_offsets[row] + len(self.byte_lines[row][:column].decode("utf-8", "replace"))

    def samples(self, root: Node) -> Iterator[Sample]:
        language = self.entry.language
        for node, base in _uses(root):
            name = _text(node)
            if len(name) < 2 or name in self.own_names:
                continue
            if base is None:
                targets = self._name_targets(name, node)
                kind, base_text = "name", ""
            else:
                base_text = _text(base)
                if base.type not in IDENTIFIER_TYPES | {"self", "this", "package_identifier", "crate", "super"}:
                    continue  # `a.b.name`, `f().name`: what they are needs more than a name
                kind, targets = self._attribute_targets(base_text, name)
            if not targets or any(target.path == self.entry.path for target in targets):
                continue
            sample = Sample(self.entry.path, self.offset(node), name, kind, targets, language, base_text)
            if kind == "member" and not base_text[:1].isupper() and not self._owner_announced(sample):
                continue
            yield sample

    # --- bare names ---

    def _name_targets(self, name: str, node: Node) -> list[Symbol]:
        found = [s for s in self.definitions(name) if s.parent is None]
        if not 1 <= len(found) <= MAX_NAME_TARGETS:
            return []
        language = self.entry.language
        if _bound_in_function(node, name):
            return []  # a local variable or parameter of that name: no other file's definition
        if self._imported(name):
            return found
        if language in _IMPORTING:
            return []
        # Names that need no import: the same package (Go, Java) or an included header (C, C++),
        # and already used above the cursor's line, so the file has said which one it wants.
        if language in ("c", "cpp"):
            includes = self._included_headers()
            visible = [s for s in found if s.path.name in includes]
        else:
            visible = [s for s in found if s.path.parent == self.entry.path.parent]
        line_start = self.line_offsets[node.start_point.row]
        if not visible or not _used_before(self.text, name, line_start):
            return []
        return visible

    def _imported(self, name: str) -> bool:
        """Whether an import of a module of this repository binds `name` (`from typing import
        Mapping` binds the library's, whatever the repository defines under that name)."""
        for item in self.entry.imports:
            named = item.alias == name or (item.name == name and not item.alias)
            wildcard = item.name == "*" and not item.alias and self.entry.language == "python"
            if (named or wildcard) and self._in_repository(item):
                return True
        return False

    def _in_repository(self, item) -> bool:
        """Whether an import names a module (or, in Java, a class) of this repository."""
        if item.module.startswith((".", "/", "crate::", "super::", "self::")):
            return True
        if self.entry.language == "rust" and item.module.split("::")[0] in ("std", "core"):
            return False  # Rust's standard crates, whatever modules the repository names alike
        if self.entry.language == "python":  # by the whole dotted path: `starlette.responses` is not `responses.py`
            module = item.module
            return self._python_module_here(module) or self._python_module_here(f"{module}.{item.name}")
        names = {_module_tail(item.module), item.name or ""} - {"", "*"}
        return any(_is_module_file(path, name) for path in self.files for name in names)

    def _python_module_here(self, dotted: str) -> bool:
        """Whether a file of the repository is the Python module `dotted` (`a.b`: `…/a/b.py`, `…/a/b/__init__.py`)."""
        tail = "/" + dotted.replace(".", "/")
        endings = tuple(tail + ending for ending in (".py", ".pyi", "/__init__.py", "/__init__.pyi"))
        return any(path.as_posix().endswith(endings) for path in self.files)

    def _included_headers(self) -> set[str]:
        """Base names of the headers this file includes, and those they include (3 levels)."""
        if self._includes is None:
            names: set[str] = set()
            frontier = [PurePosixPath(item.module).name for item in self.entry.imports]
            for _ in range(3):
                new = [name for name in frontier if name not in names]
                names.update(new)
                frontier = []
                for path in self.files:
                    if path.name in new and path.suffix in (".h", ".hh", ".hpp"):
                        entry = self.definitions.index.file(path)
                        if entry is not None:
                            frontier += [PurePosixPath(item.module).name for item in entry.imports]
            self._includes = names
        return self._includes

    # --- base.name ---

    def _attribute_targets(self, base: str, name: str) -> tuple[str, list[Symbol]]:
        every = self.definitions(name)
        module = self._module_binding(base)
        if module is not None:
            tail = _module_tail(module)
            found = [s for s in every if s.parent is None and _is_module_file(s.path, tail)]
            if found and len(found) <= MAX_NAME_TARGETS:
                return "module attribute", found
            return "", []
        if self._imports_external(base):
            return "", []  # `sys.stdout`, `os.path`: a library's module or class
        members = [s for s in every if s.parent is not None]
        if not self._is_test(self.entry.path):  # mocks in tests imitate a library's types
            members = [s for s in members if not self._is_test(s.path)]
        if base[:1].isupper() and base not in SELF_NAMES:
            owned = [s for s in members if _last_segment(s.parent or "") == base]
            if owned:
                return "member", owned[:MAX_NAME_TARGETS]
            # `Class.name` where the class is not the repository's, or is and has no such
            # member: another class's member of that name is no answer (`Buffer.from` is
            # Node's, not the repository's `Headers.from`). A capitalized variable (Go's
            # `DefaultClient.Do`) goes on as any variable.
            if all(s.kind in CLASS_KINDS for s in self.definitions(base)):
                return "", []
        if name in _COMMON_MEMBERS.get(self.entry.language, frozenset()):
            return "", []
        if 1 <= len(members) <= MAX_MEMBER_TARGETS and len(every) == len(members):
            return "member", members
        return "", []

    def _owner_announced(self, sample: Sample) -> bool:
        """For `x.name` on a variable: the class that owns `name` is named above the cursor's
        line (an annotation, a constructor call, a base class), so the file says which one."""
        line_start = self.text.rfind("\n", 0, sample.offset) + 1
        return any(_used_before(self.text, _last_segment(t.parent or ""), line_start) for t in sample.targets)

    def _is_test(self, path: Path) -> bool:
        for root in self.definitions.index.roots:
            if root in path.parents:
                return _is_test_file(path.relative_to(root))
        return _is_test_file(Path(path.name))

    def _imports_external(self, base: str) -> bool:
        """Whether an import binds `base` to something outside the repository."""
        for item in self.entry.imports:
            local = item.alias or (item.name if item.name not in (None, "*", "default") else None)
            local = local or _module_tail(item.module) if self.entry.language != "python" else local
            if self.entry.language == "python" and local is None:
                local = item.module.split(".")[0]
            if local == base:
                if self.entry.language == "python" and not item.module.startswith("."):
                    return not self._in_repository(item)
                return not self.definitions(base) and not any(
                    _is_module_file(path, _module_tail(item.name or item.module)) for path in self.files
                )
        return False

    def _module_binding(self, base: str) -> str | None:
        """The module an import binds to `base`, when that module is a file or package here."""
        language = self.entry.language
        for item in self.entry.imports:
            if language == "python":
                if item.name is None and (item.alias or item.module.split(".")[0]) == base:
                    module = item.module if item.alias else item.module.split(".")[0]
                    dotted = module
                elif item.name not in (None, "*") and (item.alias or item.name) == base:
                    module = item.name  # `from pkg import mod`: a module only when a file says so
                    dotted = f"{item.module}.{item.name}"
                else:
                    continue
                if not item.module.startswith(".") and not self._python_module_here(dotted):
                    continue  # `from starlette import routing` is not this repository's routing.py
            elif language in ("javascript", "typescript", "tsx"):
                if item.name != "*" or item.alias != base:
                    continue
                module = item.module
            elif language == "go":
                if (item.alias or _module_tail(item.module)) != base:
                    continue
                module = item.module
            elif language == "rust":
                if (item.alias or item.name or _module_tail(item.module)) != base:
                    continue
                module = f"{item.module}::{item.name}" if item.name else item.module
            else:
                return None
            tail = _module_tail(module)
            if any(_is_module_file(path, tail) for path in self.files):
                return module
        if language == "rust" and base[:1].islower():
            return base if any(_is_module_file(path, base) for path in self.files) else None
        return None


_TEST_SUFFIXES = ("_test.go", "_test.py", ".test.ts", ".test.js", ".spec.ts", ".spec.js", ".test.tsx", "Test.java")


def _is_test_file(path: Path) -> bool:
    name = path.name
    parts = set(path.parts[:-1])
    return name.startswith("test_") or name.endswith(_TEST_SUFFIXES) or bool(parts & {"__tests__", "tests", "test"})


# Where a function's locals are bound: Python and JavaScript/TypeScript (the languages whose
# names come through imports, which a local of the same name hides).
_FUNCTIONS = frozenset(
    {"function_definition", "lambda", "function_declaration", "function_expression", "arrow_function"}
    | {"method_definition", "generator_function_declaration"}
)
_PARAMETER_LISTS = frozenset({"parameters", "lambda_parameters", "formal_parameters", "as_pattern_target"})
# (node, field): the part of a statement or pattern that binds the names in it.
_BINDING_SLOTS = frozenset(
    {
        ("assignment", "left"),
        ("augmented_assignment", "left"),
        ("for_statement", "left"),
        ("for_in_clause", "left"),
        ("named_expression", "name"),
        ("default_parameter", "name"),
        ("typed_default_parameter", "name"),
        ("variable_declarator", "name"),
        ("for_in_statement", "left"),
        ("catch_clause", "parameter"),
        ("assignment_pattern", "left"),
        ("pair_pattern", "value"),
        ("required_parameter", "pattern"),
        ("optional_parameter", "pattern"),
    }
)
# Patterns a bound name may sit in, inside one of those parts.
_PATTERNS = frozenset(
    {"pattern_list", "tuple_pattern", "list_pattern", "list_splat_pattern", "dictionary_splat_pattern"}
    | {"typed_parameter", "object_pattern", "array_pattern", "rest_pattern", "parenthesized_expression"}
)


def _binds(node: Node) -> bool:
    """Whether this identifier is bound here (assigned, a parameter, a loop variable), not used."""
    child, parent = node, node.parent
    while parent is not None:
        if parent.type in _PARAMETER_LISTS:
            return True
        field = next((name for kind, name in _BINDING_SLOTS if kind == parent.type), None)
        if field is not None:
            return parent.child_by_field_name(field) == child
        if parent.type not in _PATTERNS or (parent.type == "typed_parameter" and child.type == "type"):
            return False
        child, parent = parent, parent.parent
    return False


def _bound_in_function(node: Node, name: str) -> bool:
    """Whether the function around `node` binds `name` itself: then the name is its local."""
    function = node.parent
    while function is not None and function.type not in _FUNCTIONS:
        function = function.parent
    if function is None:
        return False
    stack = [function]
    while stack:
        current = stack.pop()
        if current.type in ("identifier", "shorthand_property_identifier_pattern") and _text(current) == name:
            if _binds(current):
                return True
        stack.extend(current.children)
    return False


def _last_segment(qualified: str) -> str:
    return qualified.replace("::", ".").rsplit(".", 1)[-1]


def _used_before(text: str, name: str, end: int) -> bool:
    start = text.find(name, 0, end)
    while start >= 0:
        before = text[start - 1] if start else " "
        after = text[start + len(name)] if start + len(name) < len(text) else " "
        if not (before.isalnum() or before in "_$") and not (after.isalnum() or after in "_$"):
            return True
        start = text.find(name, start + 1, end)
    return False


def find_samples(index: WorkspaceIndex, limit: int, seed: int = 0) -> list[Sample]:
    """Up to `limit` samples, drawn at random (seeded) from every use in the repository."""
    definitions = _Definitions(index)
    files = index.files()
    found: list[Sample] = []
    for path in files:
        entry = index.file(path)
        if entry is None:
            continue
        source = path.read_bytes()
        spec = language_for_source(path, source)
        if spec is None:
            continue
        tree = parser_for(spec).parse(source)
        text = source.decode("utf-8", "replace")
        found.extend(_FileSampler(entry, text, source, definitions, files).samples(tree.root_node))
    random.Random(seed).shuffle(found)
    return found[:limit]

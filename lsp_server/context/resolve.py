"""Name resolution through a file's imports, using only what the workspace index knows.

`Resolver` answers these questions for code in one file:
- which workspace files does an import's module name refer to (`module_files`, modules.py)?
- which definitions does a name used in the file stand for (`resolve_name`)? In order: the
  file's own top-level definition; the import that binds it (followed through re-exports:
  `from .models import X` in an `__init__.py`, `export { X } from "./x"`, `pub use`); the
  modules the file imports wholesale (`from x import *`, `export * from`, `use a::*`,
  `import a.b.*`); the names a file sees without importing them (the other files of its Go or
  Java package, the headers a C file includes); finally, when asked, any workspace definition
  of that name, nearest first.
- which definition is `base.attr`, where base is an imported module, a class, or a variable of
  a known type (`resolve_attribute`, `class_members`, `resolve_type`)?
It is shared by context retrieval and hover. Module lookups are remembered per (folder,
module); a remembered file that the index no longer has is looked up again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from ..index import FileEntry, Import, Symbol, WorkspaceIndex
from .modules import JS_LANGUAGES, ModuleFinder
from .types import TypeHint, innermost_type, return_type

_MAX_CACHED_MODULES = 4096
_MAX_SAVED_ENTRIES = 256
_MAX_DEPTH = 4  # re-export and wildcard hops followed at most
# Kinds a name found by the workspace-wide fallback may have: local variables share names with
# fields and module variables all the time, so those are only trusted through an import.
FALLBACK_KINDS = frozenset(
    {"function", "class", "struct", "interface", "enum", "trait", "type", "macro", "constant", "method"}
)
# Languages whose wildcard imports also bring what the imported module itself imports
# (`from .x import *` in an `__init__.py`, `export * from`, `pub use a::*`).
_REEXPORTING = frozenset({"python", "javascript", "typescript", "tsx", "rust"})
CLASS_KINDS = frozenset({"class", "struct", "interface", "trait", "enum", "type"})
# Languages where a file sees names it does not import: its package's, or its headers'.
IMPLICIT_SCOPE = frozenset({"go", "java", "c", "cpp"})
_STRING = re.compile(r"""["']([A-Za-z_][\w]*)["']""")
_BASES = {
    "python": re.compile(r"^\s*class\s+\w+\s*\((.*)\)\s*$", re.DOTALL),
    "extends": re.compile(r"\b(?:extends|implements)\s+([^{]+)"),
}


class FileFacts:
    """Lookup tables over one FileEntry, built once per file version: what it binds by import,
    what it imports wholesale, its top-level definitions by name, and the members of each of
    its classes."""

    def __init__(self, entry: FileEntry):
        self.bindings: dict[str, Import] = {}
        self.wildcards: list[Import] = []
        for item in entry.imports:
            if item.name == "*" and not item.alias:  # `from x import *`: binds nothing by name
                self.wildcards.append(item)
                continue
            local = _local_name(item, entry.language)
            if local == ".":  # Go's dot import: the package's names, unqualified
                self.wildcards.append(item)
            elif local and local != "_":
                self.bindings[local] = item
        self.top_level: dict[str, Symbol] = {}
        self.members: dict[str, list[Symbol]] = {}
        for symbol in entry.symbols:
            if symbol.parent is None:
                known = self.top_level.get(symbol.name)
                # A class or function beats an assignment of the same name (`X = None` fallbacks).
                if known is None or (known.kind == "variable" and symbol.kind != "variable"):
                    self.top_level[symbol.name] = symbol
            else:
                self.members.setdefault(symbol.parent, []).append(symbol)
        self.exported: frozenset[str] | None = None  # Python `__all__`, read on demand


def _local_name(item: Import, language: str) -> str:
    """The name an import binds in the importing file ("" for none)."""
    if item.alias:
        return item.alias
    if item.name and item.name not in ("default", "*"):
        return item.name
    if language in ("c", "cpp") or item.name == "default":
        return ""  # an include binds no name; a default import without a name binds nothing
    if language == "go":
        parts = [part for part in item.module.split("/") if part]
        if len(parts) >= 2 and re.fullmatch(r"v\d+", parts[-1]):
            parts.pop()
        last = parts[-1] if parts else ""
        return re.split(r"[.]", last.removeprefix("go-"))[0] if last else ""
    if language == "rust":
        return item.module.split("::")[-1]
    return item.module.lstrip(".").split(".")[0].split("/")[-1]  # `import a.b` binds `a`


class Resolver:
    def __init__(self, index: WorkspaceIndex):
        self.index = index
        self.finder = ModuleFinder(index)
        self._modules: dict[tuple[str, str, str], tuple[Path, ...]] = {}  # (folder, language, module) -> files
        self._layout: int | None = None  # the index's layout_generation the module paths hold for
        self._entries: dict[Path, FileEntry | None] = {}  # per-request memo, see `begin`
        self._saved: dict[Path, FileEntry] = {}  # entries of files on disk, between requests
        self._facts: dict[tuple[Path, str], FileFacts] = {}
        self._names: dict[tuple[Path, str, str, bool], list[Symbol]] = {}  # per-request memo of resolve_name

    def begin(self, changed: Iterable[Path] = frozenset()) -> None:
        """Start of one request. `changed`: files the editor changed lately (their entries
        are fetched again even when the file on disk looks the same)."""
        self._entries = {}
        self._names = {}
        for path in changed:
            self._saved.pop(path, None)

    def invalidate(self, paths) -> None:
        """Forget remembered entries (the server calls this when the index changed them)."""
        for path in paths:
            self._saved.pop(Path(path), None)

    def fetched(self) -> list[FileEntry]:
        """The entries fetched in this request so far (the files the cursor's code relates to)."""
        return [entry for entry in self._entries.values() if entry is not None]

    def entry(self, path: Path) -> FileEntry | None:
        """The index's entry for a file. Fetching one from the index's database costs up to a
        millisecond for a large file, so entries of files on disk are remembered between
        requests while the file's modification time stays the same; entries of editor buffers
        (mtime 0) are fetched once per request."""
        if path in self._entries:
            return self._entries[path]
        entry = self._saved.get(path)
        if entry is not None and not _same_mtime(path, entry.mtime_ns):
            entry = None
        if entry is None:
            entry = self.index.file(path)
            if entry is not None and entry.mtime_ns:
                if len(self._saved) >= _MAX_SAVED_ENTRIES:
                    self._saved.pop(next(iter(self._saved)))
                self._saved[path] = entry
        self._entries[path] = entry
        return entry

    # --- modules ---

    def module_files(self, from_path: Path, module: str, language: str) -> tuple[Path, ...]:
        """The indexed files an import's module refers to (several for a Go or Java package);
        empty for a library or a builtin."""
        layout = getattr(self.index, "layout_generation", None)
        if layout != self._layout or len(self._modules) >= _MAX_CACHED_MODULES:
            self._modules.clear()  # files came or went: paths found before may be wrong now
            self._layout = layout
        key = (os.path.dirname(from_path), language, module)
        found = self._modules.get(key)
        if found is not None:
            return found
        found = self._modules[key] = tuple(self.finder.files(from_path, module, language))
        return found

    def module_file(self, from_path: Path, module: str, language: str) -> Path | None:
        """The indexed file an import's module refers to (the first of a package), or None."""
        files = self.module_files(from_path, module, language)
        return files[0] if files else None

    def module_entries(self, path: Path) -> list[FileEntry]:
        """A module's entries: the file's, or for a Go file the whole package's."""
        if path.suffix == ".go":
            return [e for e in (self.entry(p) for p in self.finder.package_files(path.parent, test=False)) if e]
        entry = self.entry(path)
        return [entry] if entry is not None else []

    # --- names ---

    def facts(self, entry: FileEntry) -> FileFacts:
        key = (entry.path, entry.hash)
        facts = self._facts.get(key)
        if facts is None:
            if len(self._facts) >= _MAX_SAVED_ENTRIES:
                self._facts.pop(next(iter(self._facts)))
            facts = self._facts[key] = FileFacts(entry)
        return facts

    def bindings(self, entry: FileEntry) -> dict[str, Import]:
        """Local name -> the import that binds it (`import a.b` binds `a`; aliases win)."""
        return self.facts(entry).bindings

    def resolve_import(self, entry: FileEntry, item: Import, depth: int = 0) -> tuple[Path | None, Symbol | None]:
        """What one import binds: (module file, the definition) — definition None for a module.
        A name the module only imports itself (a re-export in an `__init__.py` or an `index.ts`,
        a `pub use`) is followed through that module's own imports, a few steps at most."""
        path, symbol = self._resolve_import_once(entry, item)
        if symbol is None and path is not None and item.name not in (None, "*") and depth < _MAX_DEPTH:
            target = self.entry(path)
            if target is not None and target.path != entry.path and not self._is_module(path, entry, item):
                local = item.alias if item.name == "default" else item.name
                found = self._exported_by(target, local or "", depth + 1)
                if found is not None:
                    return found
        return path, symbol

    def _exported_by(self, module: FileEntry, name: str, depth: int) -> tuple[Path | None, Symbol | None] | None:
        """`name` as module `module` provides it through its own imports (a re-export), or
        through a module it imports wholesale."""
        facts = self.facts(module)
        forwarded = facts.bindings.get(name)
        if forwarded is not None:
            return self.resolve_import(module, forwarded, depth)
        if depth >= _MAX_DEPTH:
            return None
        reexports = module.language in _REEXPORTING
        for wildcard in facts.wildcards:
            for path in self.module_files(module.path, wildcard.module, module.language):
                symbol = self._top_level(path, name)
                if symbol is not None:
                    return path, symbol
                inner = self.entry(path) if reexports else None
                if inner is not None and inner.path != module.path:
                    found = self._exported_by(inner, name, depth + 1)
                    if found is not None and found[1] is not None:
                        return found
        return None

    def _is_module(self, path: Path, entry: FileEntry, item: Import) -> bool:
        """Whether the import resolved to a module itself (`from pkg import mod` -> pkg/mod.py,
        `use crate::a::b` -> b.rs), rather than to the module that should define the name."""
        if entry.language not in ("python", "rust"):
            return False
        return path.stem == item.name or (path.stem in ("__init__", "mod") and path.parent.name == item.name)

    def _resolve_import_once(self, entry: FileEntry, item: Import) -> tuple[Path | None, Symbol | None]:
        language = entry.language
        if language == "python" and item.name:
            # `from pkg import mod` may import a submodule rather than a name of pkg/__init__.py.
            path = self.module_file(entry.path, item.module, language)
            symbol = self._top_level(path, item.name) if path is not None else None
            if symbol is None:
                submodule = self.module_file(entry.path, _join_python(item.module, item.name), language)
                if submodule is not None:
                    return submodule, None
            return path, symbol
        if language == "rust" and item.name not in (None, "*"):
            path = self.module_file(entry.path, item.module, language)
            symbol = self._top_level(path, item.name or "") if path is not None else None
            if symbol is None:  # `use crate::a::b` where b is a module
                submodule = self.module_file(entry.path, f"{item.module}::{item.name}", language)
                if submodule is not None:
                    return submodule, None
            return path, symbol
        if language == "java" and item.name not in (None, "*"):
            files = self.module_files(entry.path, item.module, language)
            wanted = (item.name or "") + ".java"
            for path in files:  # the class's own file first, then the others of the package
                if path.name == wanted:
                    return path, self._top_level(path, item.name or "")
            for path in files:  # a static import: a member of the class `module` names
                owner = self._top_level(path, path.stem)
                if owner is not None:
                    for member in self.members(owner, item.name or ""):
                        return path, member
            return (files[0], None) if files else (None, None)
        path = self.module_file(entry.path, item.module, language)
        if path is None:
            return None, None
        if item.name in (None, "*"):  # the module itself (`import * as ns from "./x"`, a Go package)
            return path, None
        if item.name == "default":
            return path, self._default_export(path, item.alias or "")
        return path, self._top_level(path, item.name or "")

    def _default_export(self, path: Path, alias: str) -> Symbol | None:
        """What `export default` names in a JavaScript/TypeScript module."""
        entry = self.entry(path)
        if entry is None:
            return None
        top = self.facts(entry).top_level
        for symbol in top.values():
            if symbol.signature.startswith("export default"):
                return symbol
        for chunk in entry.chunks:
            match = re.search(r"\bexport\s+default\s+([A-Za-z_$][\w$]*)\s*;?\s*$", chunk.text, re.MULTILINE)
            if match and match.group(1) in top:
                return top[match.group(1)]
            match = re.search(r"\bexport\s*\{[^}]*\b([A-Za-z_$][\w$]*)\s+as\s+default\b", chunk.text)
            if match and match.group(1) in top:
                return top[match.group(1)]
        return top.get(alias)

    def _top_level(self, path: Path | None, name: str) -> Symbol | None:
        if path is None:
            return None
        entry = self.entry(path)
        return self.facts(entry).top_level.get(name) if entry is not None else None

    def resolve_name(self, entry: FileEntry, name: str, fallback: bool = True) -> list[Symbol]:
        """Definitions of a name used in a file: its own top-level definition, an import's
        target, what wildcard imports bring, what the file sees unimported (its package, its
        headers), then (when `fallback`) workspace definitions of that name, nearest first.
        Answers are remembered until the next `begin`."""
        key = (entry.path, entry.hash, name, fallback)
        found = self._names.get(key)
        if found is None:
            found = self._names[key] = self._resolve_name(entry, name, fallback)
        return found

    def _resolve_name(self, entry: FileEntry, name: str, fallback: bool) -> list[Symbol]:
        own = self._top_level(entry.path, name)
        if own is not None:
            return [own]
        facts = self.facts(entry)
        item = facts.bindings.get(name)
        if item is not None:
            _, symbol = self.resolve_import(entry, item)
            return [symbol] if symbol is not None else []
        wildcard = self._exported_by(entry, name, 1) if facts.wildcards else None
        if wildcard is not None and wildcard[1] is not None:
            return [wildcard[1]]
        if entry.language in IMPLICIT_SCOPE:
            visible = self.implicit_definitions(entry, name)
            if visible:
                return visible
        if not fallback:
            return []
        found = [
            symbol
            for symbol in self.index.definitions(name)
            if symbol.kind in FALLBACK_KINDS and symbol.parent is None and symbol.path != entry.path
        ]
        found.sort(key=lambda symbol: (symbol.language != entry.language, _distance(entry.path, symbol.path)))
        return found[:2]

    def implicit_definitions(self, entry: FileEntry, name: str) -> list[Symbol]:
        """Top-level definitions of `name` the file sees without an import: in the other
        files of its package (Go, Java: the same folder) or in the headers it includes (C, C++)."""
        if entry.language in ("c", "cpp"):
            headers = self.included_headers(entry)
            found = [s for s in self.index.definitions(name) if s.parent is None and s.path in headers]
            found.sort(key=lambda s: headers.index(s.path))
            return found[:2]
        folder = entry.path.parent
        test = entry.path.name.endswith("_test.go")
        found = [
            symbol
            for symbol in self.index.definitions(name)
            if symbol.parent is None
            and symbol.path.parent == folder
            and symbol.path != entry.path
            and symbol.language == entry.language
            and (test or not symbol.path.name.endswith("_test.go"))
        ]
        found.sort(key=lambda s: (s.path.stem != name, s.path))  # Java: the class's own file first
        return found[:2]

    def included_headers(self, entry: FileEntry, depth: int = 3) -> list[Path]:
        """The headers a C/C++ file includes, and those they include, nearest first."""
        found: list[Path] = []
        frontier = [entry]
        for _ in range(depth):
            next_frontier: list[FileEntry] = []
            for current in frontier:
                for item in current.imports:
                    for path in self.module_files(current.path, item.module, current.language):
                        if path not in found and path != entry.path:
                            found.append(path)
                            header = self.entry(path)
                            if header is not None:
                                next_frontier.append(header)
            frontier = next_frontier
            if not frontier:
                break
        return found

    def resolve_attribute(self, entry: FileEntry, base: str, attr: str) -> list[Symbol]:
        """`base.attr`: a name in an imported module, or a member of a class the index knows."""
        item = self.bindings(entry).get(base)
        if item is not None:
            path, symbol = self.resolve_import(entry, item)
            if symbol is None and path is not None:  # base is a module
                if entry.language == "python" and item.name is None and item.alias is None and "." in item.module:
                    return []  # `import a.b` then `a.x`: a is the package, not a.b
                for module in self.module_entries(path):
                    member = self.facts(module).top_level.get(attr)
                    if member is not None:
                        return [member]
                target = self.entry(path)
                forwarded = self._exported_by(target, attr, 1) if target is not None else None
                return [forwarded[1]] if forwarded is not None and forwarded[1] is not None else []
            if symbol is not None:
                return self.members(symbol, attr)
        classes = self.resolve_name(entry, base) if base[:1].isupper() else []
        for symbol in classes:
            found = self.members(symbol, attr)
            if found:
                return found
        return []

    def members(self, owner: Symbol, attr: str) -> list[Symbol]:
        """The member `attr` of a class-like symbol (its own, else one it inherits)."""
        own = [symbol for symbol in self.own_members(owner) if symbol.name == attr]
        if own:
            return own
        for base in self.base_classes(owner):
            inherited = [symbol for symbol in self.own_members(base) if symbol.name == attr]
            if inherited:
                return inherited
        return []

    def own_members(self, owner: Symbol) -> list[Symbol]:
        """The members a class-like symbol defines itself (for Go, Rust and C++ also those
        defined in other files of its package, which hold its methods)."""
        entry = self.entry(owner.path)
        if entry is None:
            return []
        found = list(self.facts(entry).members.get(owner.qualified_name, ()))
        if owner.language == "go":
            for other in self.finder.package_files(owner.path.parent, test=owner.path.name.endswith("_test.go")):
                other_entry = self.entry(other) if other != owner.path else None
                if other_entry is not None:
                    found += self.facts(other_entry).members.get(owner.qualified_name, ())
        return found

    def base_classes(self, owner: Symbol, depth: int = 3) -> list[Symbol]:
        """The classes a class extends (and theirs), resolved in the file that defines it."""
        entry = self.entry(owner.path)
        if entry is None or depth <= 0:
            return []
        found: list[Symbol] = []
        for name in _base_names(owner):
            base = name.replace("::", ".").split(".")
            if len(base) >= 2:
                candidates = self.resolve_attribute(entry, base[-2], base[-1])
            else:
                candidates = self.resolve_name(entry, base[0], fallback=False)
            for symbol in candidates:
                if symbol.kind in CLASS_KINDS and symbol != owner and symbol not in found:
                    found.append(symbol)
                    found += [s for s in self.base_classes(symbol, depth - 1) if s not in found]
        return found

    # --- types ---

    def resolve_type(self, entry: FileEntry, hint: TypeHint) -> Symbol | None:
        """The class a `TypeHint` names: the type itself, or what the called function returns."""
        symbol = self._named(entry, hint.name)
        if not hint.call:
            return symbol if symbol is not None and symbol.kind in CLASS_KINDS else None
        if symbol is None:
            return None
        if symbol.kind in CLASS_KINDS:
            return symbol  # `Client(...)`: a constructor call
        if entry.language == "rust" and hint.name.count("::") and symbol.kind in ("function", "method"):
            owner = self._named(entry, hint.name.rsplit("::", 1)[0])
            if owner is not None and owner.kind in CLASS_KINDS:  # `Type::make()`
                returned = return_type(symbol.signature, symbol.name, symbol.language)
                if returned in ("Self", owner.name):
                    return owner
        returned = return_type(symbol.signature, symbol.name, symbol.language)
        if not returned:
            return None
        home = self.entry(symbol.path)
        if home is None:
            return None
        found = self._named(home, returned)
        return found if found is not None and found.kind in CLASS_KINDS else None

    def _named(self, entry: FileEntry, dotted: str) -> Symbol | None:
        parts = [part for part in re.split(r"\.|::", dotted) if part]
        if not parts:
            return None
        if len(parts) == 1:
            found = self.resolve_name(entry, parts[0], fallback=parts[0][:1].isupper())
            return found[0] if found else None
        found = self.resolve_attribute(entry, parts[-2], parts[-1])
        return found[0] if found else None

    def enclosing_class(self, entry: FileEntry, line: int) -> Symbol | None:
        """The class (or struct, or the type of an `impl` block or a Go method's receiver)
        around a line of the file."""
        best: Symbol | None = None
        for symbol in entry.symbols:
            if symbol.start_line <= line <= symbol.end_line:
                if symbol.kind in CLASS_KINDS and (best is None or symbol.start_line >= best.start_line):
                    best = symbol
        if best is not None:
            return best
        for symbol in entry.symbols:  # a method of an impl block or with a receiver
            if symbol.kind == "method" and symbol.parent and symbol.start_line <= line <= symbol.end_line:
                found = self.resolve_name(entry, re.split(r"\.|::", symbol.parent)[-1], fallback=False)
                if found:
                    return found[0]
        return None

    def exported_names(self, entry: FileEntry) -> frozenset[str] | None:
        """A Python module's `__all__` (the names `from module import *` brings), or None."""
        facts = self.facts(entry)
        if facts.exported is None:
            symbol = facts.top_level.get("__all__")
            if symbol is None:
                return None
            text = "\n".join(
                chunk.text
                for chunk in entry.chunks
                if chunk.start_line <= symbol.end_line and chunk.end_line >= symbol.start_line
            )
            facts.exported = frozenset(_STRING.findall(text))
        return facts.exported


def _base_names(owner: Symbol) -> list[str]:
    """The names of the classes a class's signature says it extends."""
    signature = owner.signature
    if owner.language == "python":
        match = _BASES["python"].match(signature)
        if not match:
            return []
        names = []
        for part in _split_top_level(match.group(1)):
            if "=" in part:
                continue  # metaclass=..., total=False
            name = innermost_type(part) if "[" in part else part.strip()
            if re.fullmatch(r"[A-Za-z_][\w.]*", name) and name not in ("object", "Generic", "Protocol"):
                names.append(name)
        return names
    if owner.language in JS_LANGUAGES or owner.language == "java":
        names = []
        for match in _BASES["extends"].finditer(signature):
            for part in _split_top_level(match.group(1).split(" implements ")[0]):
                name = re.sub(r"<.*", "", part).strip()
                if re.fullmatch(r"[A-Za-z_$][\w$.]*", name):
                    names.append(name)
        return names
    return []


def _split_top_level(text: str) -> list[str]:
    """Split at commas outside brackets."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char in "([{<":
            depth += 1
        elif char in ")]}>":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def _same_mtime(path: Path, mtime_ns: int) -> bool:
    try:
        return os.stat(path).st_mtime_ns == mtime_ns
    except OSError:
        return False


def _join_python(module: str, name: str) -> str:
    return module + name if module.endswith(".") else f"{module}.{name}"


def _distance(a: Path, b: Path) -> int:
    """How far apart two files are in the folder tree (0: same folder)."""
    common = len(os.path.commonpath([a.parent, b.parent]).split(os.sep))
    return len(a.parent.parts) + len(b.parent.parts) - 2 * common

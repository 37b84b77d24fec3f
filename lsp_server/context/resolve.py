"""Name resolution through a file's imports, using only what the workspace index knows.

`Resolver` answers these questions for code in one file:
- which workspace files does an import's module name refer to (`module_files`, modules.py)?
- which definitions does a name used in the file stand for (`resolve_name`)? In order: the
  file's own top-level definition; the import that binds it (followed through re-exports:
  `from .models import X` in an `__init__.py`, `export { X } from "./x"`, `pub use`); the
  modules the file imports wholesale (`from x import *`, `export * from`, `use a::*`,
  `import a.b.*`); the names a file sees without importing them (the other files of its Go or
  Java package, the headers a C file includes and, for a C file that others include, theirs);
  finally, when asked, any workspace definition of that name, nearest first. A Python module's
  `.pyi` stub answers for what the module itself lacks; a Rust path may go through an inline
  `mod x { ... }` of a file.
- which definition is `base.attr`, where base is an imported module or a class
  (`resolve_attribute`)? What a class has, its members, bases and the types its code names,
  `Resolver.classes` answers (classes.py).
It is shared by context retrieval and hover. Module lookups are remembered per (folder,
module); a remembered file that the index no longer has is looked up again. Within one request
(`begin`), answers to the questions asked many times (names, imports, members, a name's
definitions in the index) are remembered too.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from ..index import FileEntry, Import, Symbol, WorkspaceIndex
from .classes import CLASS_KINDS, ClassQueries
from .modules import ModuleFinder

_MAX_CACHED_MODULES = 4096
# A remembered entry's file is looked at again (os.stat) at most this often: the index's own
# change events forget entries at once (`invalidate`), the look is a safety net, and one stat
# per file per keystroke cost more than the rest of a request on a busy machine (each call
# gives up the interpreter lock and waits to get it back).
RECHECK_SECONDS = 2.0
_MAX_SAVED_ENTRIES = 512  # a Go package's files are all read for its types' methods
_MAX_DEPTH = 4  # re-export and wildcard hops followed at most
# Kinds a name found by the workspace-wide fallback may have: local variables share names with
# fields and module variables all the time, so those are only trusted through an import.
FALLBACK_KINDS = frozenset(
    {"function", "class", "struct", "interface", "enum", "trait", "type", "macro", "constant", "method"}
)
# Languages whose wildcard imports also bring what the imported module itself imports
# (`from .x import *` in an `__init__.py`, `export * from`, `pub use a::*`).
_REEXPORTING = frozenset({"python", "javascript", "typescript", "tsx", "rust"})
# Languages where a file sees names it does not import: its package's, or its headers'.
IMPLICIT_SCOPE = frozenset({"go", "java", "c", "cpp"})
_STRING = re.compile(r"""["']([A-Za-z_][\w]*)["']""")


_T = TypeVar("_T")
_UNKNOWN = object()  # a fact not read yet


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
                # Bound twice, the first import is the one meant: the other is a fallback
                # (`except ImportError:`) or another configuration's (`#[cfg(test)] use ...`).
                self.bindings.setdefault(local, item)
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
        self.default_export: Symbol | None | object = _UNKNOWN  # JS `export default`, read on demand
        self._capitalized: dict[str, list[str]] | None = None

    def capitalized_names(self, lowered: str) -> list[str]:
        """The capitalized names the file binds or defines that read `lowered` in lower case
        (`Client` for `client`), imported ones first."""
        if self._capitalized is None:
            self._capitalized = {}
            for name in [*self.bindings, *self.top_level]:
                if name[:1].isupper():
                    self._capitalized.setdefault(name.lower(), []).append(name)
        return self._capitalized.get(lowered, [])


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
        self.classes = ClassQueries(self)  # members, bases and types of classes
        # (folder, language, module) -> its files, in order and as a set (a Go package's many)
        self._modules: dict[tuple[str, str, str], tuple[tuple[Path, ...], frozenset[Path]]] = {}
        self._layout: int | None = None  # the index's layout_generation the module paths hold for
        self._entries: dict[Path, FileEntry | None] = {}  # per-request memo, see `begin`
        # entries of files on disk, between requests, with when their file was last looked at
        self._saved: dict[Path, tuple[FileEntry, float]] = {}
        self._facts: dict[tuple[Path, str], FileFacts] = {}
        # Answers of one request (`_remembered`), keyed by (question, its arguments...).
        self._memo: dict[tuple, Any] = {}
        self._includers_by_path: dict[Path, list[Path]] = {}  # file -> the files that include it
        self._includers_layout: int | None = None

    def begin(self, changed: Iterable[Path] = frozenset()) -> None:
        """Start of one request. `changed`: files the editor changed lately (their entries
        are fetched again even when the file on disk looks the same)."""
        self._entries = {}
        self._memo = {}
        for path in changed:
            self._saved.pop(path, None)

    def remembered(self, key: tuple, compute: Callable[[], _T]) -> _T:
        """The answer to a question asked before in this request, else `compute()`'s."""
        try:
            return self._memo[key]
        except KeyError:
            found = self._memo[key] = compute()
            return found

    def current(self, path: Path) -> FileEntry | None:
        """The entry of the file being edited, as the index has it now: an editor buffer's
        remembered one while the index holds the same version, a file's read again."""
        saved = self._saved.get(path)
        if saved is not None and saved[0].mtime_ns:
            del self._saved[path]
        return self.entry(path)

    def invalidate(self, paths) -> None:
        """Forget remembered entries (the server calls this when the index changed them)."""
        for path in paths:
            self._saved.pop(Path(path), None)

    def fetched(self) -> list[FileEntry]:
        """The entries fetched in this request so far (the files the cursor's code relates to)."""
        return [entry for entry in self._entries.values() if entry is not None]

    def entry(self, path: Path) -> FileEntry | None:
        """The index's entry for a file. Fetching one from the index's database costs up to a
        few milliseconds for a large file, so entries are remembered between requests: those
        of files on disk while the file's modification time stays the same, those of editor
        buffers (mtime 0) while the index holds the same version (its hash, asked from memory)."""
        if path in self._entries:
            return self._entries[path]
        saved = self._saved.pop(path, None)  # put back last: the least recently used go first
        entry, checked = saved if saved is not None else (None, 0.0)
        now = time.monotonic()
        if entry is not None and not entry.mtime_ns:
            entry = entry if self.index.file_hash(path) == entry.hash else None
        elif entry is not None and now - checked >= RECHECK_SECONDS:
            entry, checked = (entry, now) if _same_mtime(path, entry.mtime_ns) else (None, 0.0)
        if entry is None:
            entry, checked = self.index.file(path), now
        if entry is not None:
            if len(self._saved) >= _MAX_SAVED_ENTRIES:
                self._saved.pop(next(iter(self._saved)))
            self._saved[path] = (entry, checked)
        self._entries[path] = entry
        return entry

    # --- modules ---

    def module_files(self, from_path: Path, module: str, language: str) -> tuple[Path, ...]:
        """The indexed files an import's module refers to (several for a Go or Java package);
        empty for a library or a builtin."""
        return self._module(from_path, module, language)[0]

    def module_file_set(self, from_path: Path, module: str, language: str) -> frozenset[Path]:
        """`module_files` as a set."""
        return self._module(from_path, module, language)[1]

    def _module(self, from_path: Path, module: str, language: str) -> tuple[tuple[Path, ...], frozenset[Path]]:
        layout = getattr(self.index, "layout_generation", None)
        if layout != self._layout or len(self._modules) >= _MAX_CACHED_MODULES:
            self._modules.clear()  # files came or went: paths found before may be wrong now
            self._layout = layout
        key = (os.path.dirname(from_path), language, module)
        found = self._modules.get(key)
        if found is None:
            files = tuple(self.finder.files(from_path, module, language))
            found = self._modules[key] = (files, frozenset(files))
        return found

    def module_file(self, from_path: Path, module: str, language: str) -> Path | None:
        """The indexed file an import's module refers to (the first of a package), or None."""
        files = self.module_files(from_path, module, language)
        return files[0] if files else None

    def module_entries(self, path: Path) -> list[FileEntry]:
        """A module's entries: the file's, or for a Go file the whole package's."""
        if path.suffix == ".go":  # the same package's dozens of files, asked for once per request
            return list(self.remembered(("package", path.parent), lambda: self._package_entries(path.parent)))
        entry = self.entry(path)
        return [entry] if entry is not None else []

    def _package_entries(self, folder: Path) -> list[FileEntry]:
        return [entry for entry in map(self.entry, self.finder.package_files(folder, test=False)) if entry]

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
        a `pub use`) is followed through that module's own imports, a few steps at most.
        Answers are remembered until the next `begin`."""
        key = ("import", entry.path, entry.hash, item, depth)
        return self.remembered(key, lambda: self._resolve_import(entry, item, depth))

    def _resolve_import(self, entry: FileEntry, item: Import, depth: int) -> tuple[Path | None, Symbol | None]:
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
        # Most names asked about are locals, defined nowhere: no need to look through the
        # modules imported wholesale for them (an alias they re-export is still followed).
        defined = self.index.has_definition(name)
        for wildcard in facts.wildcards:
            files = self._wildcard_files(module, wildcard)
            if len(files) > 1:  # a package (Go, Java): one lookup by name, not one per file
                in_package = self.module_file_set(module.path, wildcard.module, module.language)
                definitions = self.top_level_definitions(name) if defined else []
                symbol = next((s for s in definitions if s.path in in_package), None)
                if symbol is not None:
                    return symbol.path, symbol
                continue
            for path in files:
                symbol = self._top_level(path, name) if defined else None
                if symbol is not None:
                    return path, symbol
                inner = self.entry(path) if reexports else None
                if inner is not None and inner.path != module.path:
                    found = self._exported_by(inner, name, depth + 1)
                    if found is not None and found[1] is not None:
                        return found
        return None

    def _wildcard_files(self, module: FileEntry, wildcard: Import) -> tuple[Path, ...]:
        if module.language == "rust":  # `use super::*` may name the file itself, or an inline module
            path, _inline = self.rust_module(module, wildcard)
            return (path,) if path is not None else ()
        return self.module_files(module.path, wildcard.module, module.language)

    def rust_module(self, entry: FileEntry, item: Import) -> tuple[Path | None, str]:
        """(file, inline module path in it: "" for the file's own items) of a Rust `use`'s
        module. `use super::*` inside `mod tests { ... }` names the file around it, and a path
        through an inline module (`crate::test::X` with `pub mod test { ... }` in lib.rs)
        names the file that declares that module. Remembered until the next `begin`."""
        return self.remembered(("rust module", entry.path, entry.hash, item), lambda: self._rust_module(entry, item))

    def _rust_module(self, entry: FileEntry, item: Import) -> tuple[Path | None, str]:
        parts = [part for part in item.module.split("::") if part]
        nesting = _inline_modules_around(entry, item.line) if parts[:1] in (["self"], ["super"]) else []
        if nesting:
            if parts[0] == "self":
                return entry.path, "::".join(nesting + parts[1:])
            while parts[:1] == ["super"] and nesting:
                parts.pop(0)
                nesting.pop()
            if parts[:1] != ["super"]:  # still inside the file
                return entry.path, "::".join(nesting + parts)
        path = self.module_file(entry.path, "::".join(parts), "rust") if parts else None
        if path is not None:
            return path, ""
        for cut in range(len(parts) - 1, 0, -1):
            outer = self.module_file(entry.path, "::".join(parts[:cut]), "rust")
            if outer is None:
                continue
            inner = "::".join(parts[cut:])
            outer_entry = self.entry(outer)
            if outer_entry is not None and any(
                symbol.kind == "module" and symbol.qualified_name == inner for symbol in outer_entry.symbols
            ):
                return outer, inner
            break
        return None, ""

    def _rust_item(self, path: Path | None, inline: str, name: str) -> Symbol | None:
        """An item of a Rust module: a file's top-level one, or one in an inline module."""
        if not inline:
            return self._top_level(path, name)
        entry = self.entry(path) if path is not None else None
        if entry is None:
            return None
        return next((member for member in self.facts(entry).members.get(inline, ()) if member.name == name), None)

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
            path, inline = self.rust_module(entry, item)
            symbol = self._rust_item(path, inline, item.name or "")
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
                    for member in self.classes.members(owner, item.name or ""):
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
        facts = self.facts(entry)
        if facts.default_export is _UNKNOWN:  # read once per file version: many imports ask
            facts.default_export = _find_default_export(entry, facts.top_level)
        found = facts.default_export
        return found if isinstance(found, Symbol) else facts.top_level.get(alias)

    def _top_level(self, path: Path | None, name: str) -> Symbol | None:
        if path is None:
            return None
        entry = self.entry(path)
        found = self.facts(entry).top_level.get(name) if entry is not None else None
        if path.suffix == ".py" and (found is None or found.kind == "class"):
            stub = self.stub_entry(path)
            declared = self.facts(stub).top_level.get(name) if stub is not None else None
            if found is None or (declared is not None and self._declares_more(declared, found)):
                return declared
        return found

    def _declares_more(self, stub_class: Symbol, module_class: Symbol) -> bool:
        """Whether a stub's class declares members its module's class lacks (written in C,
        or made at run time): the stub then tells more about it."""
        stub_entry, module_entry = self.entry(stub_class.path), self.entry(module_class.path)
        if stub_entry is None or module_entry is None:
            return False
        declared = {m.name for m in self.facts(stub_entry).members.get(stub_class.qualified_name, ())}
        defined = {m.name for m in self.facts(module_entry).members.get(module_class.qualified_name, ())}
        return bool(declared - defined)

    def stub_entry(self, path: Path) -> FileEntry | None:
        """The `.pyi` stub next to a Python module, when the index has one."""
        stub = path.with_suffix(".pyi")
        return self.entry(stub) if self.index.has_file(stub) else None

    def resolve_name(self, entry: FileEntry, name: str, fallback: bool = True) -> list[Symbol]:
        """Definitions of a name used in a file: its own top-level definition, an import's
        target, what wildcard imports bring, what the file sees unimported (its package, its
        headers), then (when `fallback`) workspace definitions of that name, nearest first.
        Answers are remembered until the next `begin`."""
        key = ("name", entry.path, entry.hash, name, fallback)
        return self.remembered(key, lambda: self._resolve_name(entry, name, fallback))

    def top_level_definitions(self, name: str) -> list[Symbol]:
        """The index's top-level definitions of a name, remembered until the next `begin` (a
        name is looked up in a package, then across the workspace, then as a class: one query)."""
        return self.remembered(("definitions", name), lambda: self.index.top_level_definitions(name))

    def _resolve_name(self, entry: FileEntry, name: str, fallback: bool) -> list[Symbol]:
        if fallback:  # what the file itself says first, as asked without the fallback
            scoped = self.resolve_name(entry, name, fallback=False)
            if scoped or name in self.facts(entry).bindings:  # an import of a library says enough
                return scoped
            return self._workspace_definitions(entry, name)
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
            return self.implicit_definitions(entry, name)
        return []

    def _workspace_definitions(self, entry: FileEntry, name: str) -> list[Symbol]:
        """Top-level definitions of `name` in other files, the file's language and nearest first."""
        found = [
            symbol
            for symbol in self.top_level_definitions(name)
            if symbol.kind in FALLBACK_KINDS and symbol.parent is None and symbol.path != entry.path
        ]
        found.sort(key=lambda symbol: (symbol.language != entry.language, _distance(entry.path, symbol.path)))
        return found[:2]

    def classes_named(self, entry: FileEntry, name: str, limit: int = 6) -> list[Symbol]:
        """Top-level classes of that name anywhere in the workspace, the file's language and
        the nearest first (types that need no import: TypeScript declarations, JSDoc)."""
        found = [s for s in self.top_level_definitions(name) if s.parent is None and s.kind in CLASS_KINDS]
        found.sort(key=lambda symbol: (symbol.language != entry.language, _distance(entry.path, symbol.path)))
        return found[:limit]

    def implicit_definitions(self, entry: FileEntry, name: str) -> list[Symbol]:
        """Top-level definitions of `name` the file sees without an import: in the other
        files of its package (Go, Java: the same folder) or in the headers it includes (C, C++)."""
        if entry.language in ("c", "cpp"):
            headers = self.included_headers(entry)
            found = [s for s in self.top_level_definitions(name) if s.parent is None and s.path in headers]
            found.sort(key=lambda s: headers.index(s.path))
            return found[:2]
        folder = entry.path.parent
        if not self.index.defines_in_folder(folder, name):
            return []  # most names are the function's own locals: no query for them
        test = entry.path.name.endswith("_test.go")
        found = [
            symbol
            for symbol in self.top_level_definitions(name)
            if symbol.parent is None
            and symbol.path.parent == folder
            and symbol.path != entry.path
            and symbol.language == entry.language
            and (test or not symbol.path.name.endswith("_test.go"))
        ]
        found.sort(key=lambda s: (s.path.stem != name, s.path))  # Java: the class's own file first
        return found[:2]

    def included_headers(self, entry: FileEntry, depth: int = 3) -> list[Path]:
        """The headers a C/C++ file includes, and those they include, nearest first; for a
        source file that other files include (`#include "impl.c"`), also those files and
        what they include. Remembered until the next `begin`."""
        return self.remembered(("headers", entry.path, entry.hash, depth), lambda: self._included_headers(entry, depth))

    def _included_headers(self, entry: FileEntry, depth: int) -> list[Path]:
        found: list[Path] = []
        frontier = [entry]
        if not entry.path.suffix.startswith(".h"):
            includers = [e for e in map(self.entry, self._includers(entry.path)) if e is not None]
            found += [includer.path for includer in includers]
            frontier += includers
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

    def _includers(self, path: Path) -> list[Path]:
        """The files that `#include` this one (a source file included by another, which then
        sees what that file defines and includes). Remembered while no file comes or goes."""
        layout = getattr(self.index, "layout_generation", None)
        if layout != self._includers_layout:
            self._includers_by_path.clear()
            self._includers_layout = layout
        found = self._includers_by_path.get(path)
        if found is None:
            found = [
                includer
                for includer, module in self.index.files_including(path.name)
                if includer != path and path in self.module_files(includer, module, "c")
            ][:4]
            self._includers_by_path[path] = found
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
                return self.classes.members(symbol, attr)
        classes = self.resolve_name(entry, base) if base[:1].isupper() else []
        for symbol in classes:
            found = self.classes.members(symbol, attr)
            if found:
                return found
        return []

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


_EXPORT_DEFAULT_NAME = re.compile(r"\bexport\s+default\s+([A-Za-z_$][\w$]*)\s*;?\s*$", re.MULTILINE)
_EXPORT_AS_DEFAULT = re.compile(r"\bexport\s*\{[^}]*\b([A-Za-z_$][\w$]*)\s+as\s+default\b")


def _find_default_export(entry: FileEntry, top: dict[str, Symbol]) -> Symbol | None:
    for symbol in top.values():
        if symbol.signature.startswith("export default"):
            return symbol
    for chunk in entry.chunks:
        if "default" not in chunk.text:
            continue
        for pattern in (_EXPORT_DEFAULT_NAME, _EXPORT_AS_DEFAULT):
            match = pattern.search(chunk.text)
            if match and match.group(1) in top:
                return top[match.group(1)]
    return None


def _inline_modules_around(entry: FileEntry, line: int) -> list[str]:
    """The names of the inline Rust modules (`mod tests { ... }`) around a line, outermost
    first. An unfinished one (the file cut at the cursor) parses as no module: an indented
    `use` is then taken to be one level deep in an unnamed one."""
    found = [
        symbol.name
        for symbol in entry.symbols
        if symbol.kind == "module" and symbol.start_line < line <= symbol.end_line
    ]
    if not found and _line_text(entry, line)[:1] in (" ", "\t"):
        found = [""]
    return found


def _line_text(entry: FileEntry, line: int) -> str:
    for chunk in entry.chunks:
        if chunk.start_line <= line <= chunk.end_line:
            lines = chunk.text.split("\n")
            return lines[line - chunk.start_line] if line - chunk.start_line < len(lines) else ""
    return ""


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

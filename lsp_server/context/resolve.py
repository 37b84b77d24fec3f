"""Name resolution through a file's imports, using only what the workspace index knows.

`Resolver` answers three questions for code in one file:
- which workspace file does an import's module name refer to (`module_file`)?
- which definitions does a name used in the file stand for (`resolve_name`)?
- which definition is `base.attr`, where base is an imported module or a known class
  (`resolve_attribute`)?
It is shared by context retrieval and hover. Module lookups are remembered per (folder,
module); a remembered file that the index no longer has is looked up again.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ..index import FileEntry, Import, Symbol, WorkspaceIndex

# Extensions tried for a relative JavaScript/TypeScript import, in order.
_JS_EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs")
_JS_LANGUAGES = frozenset({"javascript", "typescript", "tsx"})
_MAX_CACHED_MODULES = 4096
_MAX_SAVED_ENTRIES = 256
# Kinds a name found by the workspace-wide fallback may have: local variables share names with
# fields and module variables all the time, so those are only trusted through an import.
FALLBACK_KINDS = frozenset(
    {"function", "class", "struct", "interface", "enum", "trait", "type", "macro", "constant", "method"}
)


class FileFacts:
    """Lookup tables over one FileEntry, built once per file version: what it binds by import,
    its top-level definitions by name, and the members of each of its classes."""

    def __init__(self, entry: FileEntry):
        self.bindings: dict[str, Import] = {}
        for item in entry.imports:
            if item.name == "*" and not item.alias:  # `from x import *`: binds nothing by name
                continue
            if item.alias:
                local = item.alias
            elif item.name and item.name != "default":
                local = item.name
            else:  # `import a.b` binds `a`; a default import without alias binds nothing useful
                local = item.module.lstrip(".").split(".")[0].split("/")[-1]
            if local:
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


class Resolver:
    def __init__(self, index: WorkspaceIndex):
        self.index = index
        self._modules: dict[tuple[str, str], Path | None] = {}  # (folder, module) -> file
        self._entries: dict[Path, FileEntry | None] = {}  # per-request memo, see `begin`
        self._saved: dict[Path, FileEntry] = {}  # entries of files on disk, between requests
        self._facts: dict[tuple[Path, str], FileFacts] = {}

    def begin(self, changed: Iterable[Path] = frozenset()) -> None:
        """Start of one request. `changed`: files the editor changed lately (their entries
        are fetched again even when the file on disk looks the same)."""
        self._entries = {}
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

    def module_file(self, from_path: Path, module: str, language: str) -> Path | None:
        """The indexed file an import's module refers to, or None (a library, a builtin)."""
        key = (os.path.dirname(from_path), module)
        if key in self._modules:
            found = self._modules[key]
            if found is None or self.entry(found) is not None:
                return found
        if len(self._modules) >= _MAX_CACHED_MODULES:
            self._modules.clear()
        found = self._find_module(from_path, module, language)
        self._modules[key] = found
        return found

    def _find_module(self, from_path: Path, module: str, language: str) -> Path | None:
        for candidate in self._module_candidates(from_path, module, language):
            if self.entry(candidate) is not None:
                return candidate
        return None

    def _module_candidates(self, from_path: Path, module: str, language: str):
        if language == "python":
            dots = len(module) - len(module.lstrip("."))
            parts = [part for part in module[dots:].split(".") if part]
            if dots:  # relative: one dot is this package, each further dot one level up
                base = from_path.parent
                for _ in range(dots - 1):
                    base = base.parent
                bases = [base]
            else:  # absolute: under any folder above the file (the roots and src layouts)
                bases = [folder for folder in from_path.parents if self._within_roots(folder)]
            for base in bases:
                target = base.joinpath(*parts) if parts else base
                yield target.with_name(target.name + ".py") if parts else target / "__init__.py"
                yield target / "__init__.py"
                yield target.with_name(target.name + ".pyi") if parts else target / "__init__.pyi"
        elif language in _JS_LANGUAGES:
            if not module.startswith("."):
                return  # a package from node_modules
            target = Path(os.path.normpath(from_path.parent / module))
            stem = target
            if target.suffix in (".js", ".jsx", ".mjs", ".cjs"):  # TS ESM style: './x.js' is x.ts
                stem = target.with_suffix("")
            yield target
            for extension in _JS_EXTENSIONS:
                yield stem.with_name(stem.name + extension)
            for extension in _JS_EXTENSIONS:
                yield target / ("index" + extension)

    def _within_roots(self, folder: Path) -> bool:
        return any(folder == root.parent or root.parent in folder.parents for root in self.index.roots)

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
        A name the module only imports itself (a re-export in an `__init__.py` or an `index.ts`)
        is followed through that module's own imports, a few steps at most."""
        path, symbol = self._resolve_import_once(entry, item)
        if symbol is None and path is not None and item.name not in (None, "*") and depth < 3:
            target = self.entry(path)
            if (
                target is not None
                and target.path != entry.path
                and (item.name == "default" or not self._is_module(path, entry, item))
            ):
                local = item.alias if item.name == "default" else item.name
                forwarded = self.bindings(target).get(local or "")
                if forwarded is not None:
                    return self.resolve_import(target, forwarded, depth + 1)
        return path, symbol

    def _is_module(self, path: Path, entry: FileEntry, item: Import) -> bool:
        """Whether `from pkg import name` resolved to the submodule pkg/name.py itself."""
        return (
            entry.language == "python"
            and path.stem == item.name
            or (path.name.startswith("__init__.") and path.parent.name == item.name)
        )

    def _resolve_import_once(self, entry: FileEntry, item: Import) -> tuple[Path | None, Symbol | None]:
        path = self.module_file(entry.path, item.module, entry.language)
        if entry.language == "python" and item.name:
            # `from pkg import mod` may import a submodule rather than a name of pkg/__init__.py.
            submodule = self.module_file(entry.path, _join_python(item.module, item.name), entry.language)
            symbol = self._top_level(path, item.name) if path is not None else None
            if symbol is None and submodule is not None:
                return submodule, None
            return path, symbol
        if path is None:
            return None, None
        if item.name in (None, "*"):  # the module itself (`import * as ns from "./x"`)
            return path, None
        if item.name == "default":
            return path, self._top_level(path, item.alias or "") if item.alias else None
        return path, self._top_level(path, item.name)

    def _top_level(self, path: Path, name: str) -> Symbol | None:
        entry = self.entry(path)
        return self.facts(entry).top_level.get(name) if entry is not None else None

    def resolve_name(self, entry: FileEntry, name: str, fallback: bool = True) -> list[Symbol]:
        """Definitions of a name used in a file: its own top-level definition, an import's
        target, then (when `fallback`) workspace definitions of that name, nearest first."""
        own = self._top_level(entry.path, name)
        if own is not None:
            return [own]
        item = self.bindings(entry).get(name)
        if item is not None:
            _, symbol = self.resolve_import(entry, item)
            return [symbol] if symbol is not None else []
        if not fallback:
            return []
        found = [
            symbol
            for symbol in self.index.definitions(name)
            if symbol.kind in FALLBACK_KINDS and symbol.parent is None and symbol.path != entry.path
        ]
        found.sort(key=lambda symbol: (symbol.language != entry.language, _distance(entry.path, symbol.path)))
        return found[:2]

    def resolve_attribute(self, entry: FileEntry, base: str, attr: str) -> list[Symbol]:
        """`base.attr`: a name in an imported module, or a member of a class the index knows."""
        item = self.bindings(entry).get(base)
        if item is not None:
            path, symbol = self.resolve_import(entry, item)
            if symbol is None and path is not None:  # base is a module
                if entry.language == "python" and item.name is None and item.alias is None and "." in item.module:
                    return []  # `import a.b` then `a.x`: a is the package, not a.b
                member = self._top_level(path, attr)
                return [member] if member is not None else []
            if symbol is not None:
                return self.members(symbol, attr)
        classes = self.resolve_name(entry, base) if base[:1].isupper() else []
        for symbol in classes:
            found = self.members(symbol, attr)
            if found:
                return found
        return []

    def members(self, owner: Symbol, attr: str) -> list[Symbol]:
        """The member `attr` of a class-like symbol (looked up in the file that defines it)."""
        entry = self.entry(owner.path)
        if entry is None:
            return []
        return [symbol for symbol in self.facts(entry).members.get(owner.qualified_name, ()) if symbol.name == attr]


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

"""Which indexed files an import's module names, in each language the index parses.

Only the index's list of files is consulted (`WorkspaceIndex.has_file`, `files_in`,
`folders_named`: set lookups, no database query), plus two small configuration files read from
disk and remembered while unchanged: `go.mod` (the module path that prefixes a Go module's
import paths) and `tsconfig.json`/`jsconfig.json` (`compilerOptions.baseUrl` and `paths`).

- Python: `from .a import b` relative to the file's package, one more dot per level up;
  absolute names under any folder above the file (the workspace roots and src layouts).
- TypeScript/JavaScript: relative paths with or without extension (`./x.js` may be `x.ts`),
  folders with an `index` file, and `tsconfig` path aliases and `baseUrl`.
- Go: a package is a folder; its import path is the module path of `go.mod` plus the folder,
  or, without a `go.mod` that says so, the folder whose path ends with the import path.
- Java: `a.b.C` is `C.java` in the folder whose path ends with `a/b`; `a.b.*` all of it.
- Rust: `crate::a::b` from the crate root (the folder of `lib.rs`/`main.rs`), `self::` and
  `super::` from the file's own module; `a.rs` or `a/mod.rs`.
- C/C++: `#include "x/y.h"` next to the file, then in any folder above it, then anywhere in
  the workspace under a path ending with `x/y.h`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

from ..index import WorkspaceIndex

JS_LANGUAGES = frozenset({"javascript", "typescript", "tsx"})
# Extensions tried for a JavaScript/TypeScript module path, in order.
JS_EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
_JS_RUNTIME_SUFFIXES = (".js", ".jsx", ".mjs", ".cjs")  # TS ESM style: './x.js' is x.ts on disk
_RUST_ROOTS = ("lib.rs", "main.rs")
_MAX_CACHED = 4096
_GO_MODULE = re.compile(r"^\s*module\s+(\S+)", re.MULTILINE)
_JSON_COMMENT = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.DOTALL)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


class ModuleFinder:
    def __init__(self, index: WorkspaceIndex):
        self.index = index
        self._configs: dict[Path, tuple[int, object]] = {}  # config file -> (mtime_ns, parsed)
        self._packages: dict[tuple[Path, bool], list[Path]] = {}  # (folder, with tests) -> Go files
        self._packages_layout: int | None = None  # the index's layout_generation they hold for

    # --- the entry point ---

    def files(self, from_path: Path, module: str, language: str) -> list[Path]:
        """The indexed files `module` names when imported from `from_path`: one file, or the
        files of a package (Go; a Java `a.b.*`). Empty for a library or a builtin."""
        if language == "python":
            return self._first(self._python(from_path, module))
        if language in JS_LANGUAGES:
            return self._first(self._javascript(from_path, module))
        if language == "go":
            folder = self.go_package_folder(from_path, module)
            return self.package_files(folder, test=False) if folder is not None else []
        if language == "java":
            return self._java(from_path, module)
        if language == "rust":
            found = self.rust_module_file(from_path, module)
            return [found] if found is not None else []
        if language in ("c", "cpp"):
            return self._first(self._include(from_path, module))
        return []

    def _first(self, candidates: Iterator[Path]) -> list[Path]:
        for candidate in candidates:
            if self.index.has_file(candidate):
                return [Path(os.path.abspath(candidate))]
        return []

    def _within_roots(self, folder: Path) -> bool:
        return any(folder == root or root in folder.parents for root in self.index.roots)

    # --- Python ---

    def _python(self, from_path: Path, module: str) -> Iterator[Path]:
        dots = len(module) - len(module.lstrip("."))
        parts = [part for part in module[dots:].split(".") if part]
        if dots:  # relative: one dot is this package, each further dot one level up
            base = from_path.parent
            for _ in range(dots - 1):
                base = base.parent
            bases = [base]
        else:  # absolute: under any folder above the file (the roots and src layouts)
            bases = [
                folder
                for folder in from_path.parents
                if any(folder == root.parent or root.parent in folder.parents for root in self.index.roots)
            ]
        for base in bases:
            target = base.joinpath(*parts) if parts else base
            if parts:
                yield target.with_name(target.name + ".py")
                yield target / "__init__.py"
                yield target.with_name(target.name + ".pyi")
                yield target / "__init__.pyi"
            else:
                yield target / "__init__.py"
                yield target / "__init__.pyi"

    # --- TypeScript and JavaScript ---

    def _javascript(self, from_path: Path, module: str) -> Iterator[Path]:
        if module.startswith("."):
            yield from _js_candidates(Path(os.path.normpath(from_path.parent / module)))
            return
        config = self._tsconfig(from_path.parent)
        if config is None:
            return  # a package from node_modules
        base_url, paths = config
        for pattern, targets in paths:
            star = _match_alias(pattern, module)
            if star is None:
                continue
            for target in targets:
                yield from _js_candidates(Path(os.path.normpath(base_url / target.replace("*", star, 1))))
        yield from _js_candidates(Path(os.path.normpath(base_url / module)))

    def _tsconfig(self, folder: Path) -> tuple[Path, list[tuple[str, list[str]]]] | None:
        """(baseUrl, paths) of the nearest tsconfig.json or jsconfig.json above a folder
        (within the workspace), following `extends` to a relative file; None without one."""
        while self._within_roots(folder):
            for name in ("tsconfig.json", "jsconfig.json"):
                options = self._compiler_options(folder / name, depth=0)
                if options is not None:
                    config_folder, base_url, paths = options
                    base = (config_folder / base_url) if base_url is not None else config_folder
                    return base, paths
            if folder.parent == folder:
                break
            folder = folder.parent
        return None

    def _compiler_options(self, path: Path, depth: int) -> tuple[Path, str | None, list[tuple[str, list[str]]]] | None:
        data = self._read_config(path, _parse_jsonc)
        if not isinstance(data, dict):
            return None
        options = data.get("compilerOptions") if isinstance(data.get("compilerOptions"), dict) else {}
        assert isinstance(options, dict)
        base_url = options.get("baseUrl") if isinstance(options.get("baseUrl"), str) else None
        raw_paths = options.get("paths") if isinstance(options.get("paths"), dict) else None
        folder = path.parent
        parent = data.get("extends")
        if (base_url is None or raw_paths is None) and isinstance(parent, str) and parent.startswith(".") and depth < 3:
            parent_path = Path(os.path.normpath(folder / parent))
            if parent_path.suffix != ".json":
                parent_path = parent_path.with_name(parent_path.name + ".json")
            inherited = self._compiler_options(parent_path, depth + 1)
            if inherited is not None:  # what the parent sets is relative to the parent's folder
                parent_folder, parent_base, parent_paths = inherited
                if base_url is None and parent_base is not None:
                    base_url = os.path.relpath(parent_folder / parent_base, folder)
                if raw_paths is None and parent_paths:
                    if base_url is None:
                        base_url = os.path.relpath(parent_folder, folder)
                    return folder, base_url, parent_paths
        paths = [
            (pattern, [t for t in targets if isinstance(t, str)])
            for pattern, targets in (raw_paths or {}).items()
            if isinstance(pattern, str) and isinstance(targets, list)
        ]
        paths.sort(key=lambda item: -len(item[0].split("*")[0]))  # the longest prefix wins
        return folder, base_url, paths

    def _read_config(self, path: Path, parse) -> object:
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            return None
        cached = self._configs.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        try:
            parsed = parse(path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, ValueError):
            parsed = None
        if len(self._configs) >= _MAX_CACHED:
            self._configs.clear()
        self._configs[path] = (mtime, parsed)
        return parsed

    # --- Go ---

    def go_package_folder(self, from_path: Path, module: str) -> Path | None:
        """The folder of the Go package with this import path, or None (another module's)."""
        folder = from_path.parent
        while True:
            declared = self._read_config(folder / "go.mod", _go_module_path)
            if isinstance(declared, str):
                if module == declared or module.startswith(declared + "/"):
                    target = folder.joinpath(*module[len(declared) :].strip("/").split("/"))
                    return target if self.index.files_in(target) else None
                if declared != "std":
                    break  # the import belongs to another module; look for its folder by name
            if not self._within_roots(folder.parent) or folder.parent == folder:
                break
            folder = folder.parent
        return self._folder_by_suffix(module.split("/"), from_path, minimum=2)

    def package_files(self, folder: Path, test: bool) -> list[Path]:
        """The Go files of a package folder; its `_test.go` files only when `test`. Remembered
        while no file comes or goes: a package's methods are looked up in all its files, for
        many names per request."""
        layout = getattr(self.index, "layout_generation", None)
        if layout != self._packages_layout or len(self._packages) >= _MAX_CACHED:
            self._packages.clear()
            self._packages_layout = layout
        key = (folder, test)
        found = self._packages.get(key)
        if found is None:
            found = self._packages[key] = [
                path
                for path in self.index.files_in(folder)
                if path.suffix == ".go" and (test or not path.name.endswith("_test.go"))
            ]
        return list(found)

    def _folder_by_suffix(self, parts: list[str], from_path: Path, minimum: int) -> Path | None:
        """The indexed folder whose path ends with the most of `parts` (at least `minimum`
        of them, or all), the nearest to `from_path` on a tie."""
        parts = [part for part in parts if part]
        if not parts:
            return None
        best: tuple[int, int, Path] | None = None
        for folder in self.index.folders_named(parts[-1]):
            matched = 0
            for expected, actual in zip(reversed(parts), reversed(folder.parts), strict=False):
                if expected != actual:
                    break
                matched += 1
            if matched < min(minimum, len(parts)):
                continue
            key = (-matched, _distance(from_path.parent, folder), folder)
            if best is None or key < best:
                best = key
        return best[2] if best is not None else None

    # --- Java ---

    def _java(self, from_path: Path, module: str) -> list[Path]:
        """`module` is a package (`a.b`, with the class as the import's name) or, for a static
        import, a class (`a.b.C`). Returns the package's files; the caller picks the class."""
        parts = module.split(".")
        folder = self._folder_by_suffix(parts, from_path, minimum=len(parts))
        if folder is not None:
            return [path for path in self.index.files_in(folder) if path.suffix == ".java"]
        if len(parts) >= 2:  # a class: its file in the package folder
            folder = self._folder_by_suffix(parts[:-1], from_path, minimum=len(parts) - 1)
            if folder is not None and self.index.has_file(folder / (parts[-1] + ".java")):
                return [folder / (parts[-1] + ".java")]
        return []

    # --- Rust ---

    def rust_module_file(self, from_path: Path, module: str) -> Path | None:
        """The file of a Rust module path (`crate::a::b`, `super::x`, `self::y`, `a::b`)."""
        parts = [part for part in module.split("::") if part]
        if not parts:
            return None
        if parts[0] == "crate":
            folder = self.rust_crate_root(from_path)
            parts = parts[1:]
        elif parts[0] in ("self", "super"):
            folder = _rust_module_dir(from_path)
            while parts and parts[0] in ("self", "super"):
                if parts.pop(0) == "super":
                    folder = folder.parent
        else:  # `a::b`: a module of this crate in scope, or another crate's (not indexed)
            folder = self.rust_crate_root(from_path)
        if folder is None:
            return None
        if not parts:
            return self._rust_file_of_dir(folder)
        target = folder.joinpath(*parts)
        for candidate in (target.with_name(target.name + ".rs"), target / "mod.rs"):
            if self.index.has_file(candidate):
                return candidate
        return None

    def rust_crate_root(self, from_path: Path) -> Path | None:
        """The folder of the crate root (`lib.rs`/`main.rs`) above a Rust file."""
        for folder in from_path.parents:
            if any(self.index.has_file(folder / name) for name in _RUST_ROOTS):
                return folder
            if not self._within_roots(folder):
                break
        return None

    def _rust_file_of_dir(self, folder: Path) -> Path | None:
        for candidate in (
            folder / "mod.rs",
            folder / "lib.rs",
            folder / "main.rs",
            folder.with_name(folder.name + ".rs"),
        ):
            if self.index.has_file(candidate):
                return candidate
        return None

    # --- C and C++ ---

    def _include(self, from_path: Path, header: str) -> Iterator[Path]:
        relative = Path(header)
        if relative.is_absolute() or ".." in relative.parts:
            if not relative.is_absolute():
                yield Path(os.path.normpath(from_path.parent / relative))
            return
        yield from_path.parent / relative
        for folder in from_path.parents:
            if not self._within_roots(folder):
                break
            yield folder / relative
            yield folder / "include" / relative
        # Anywhere in the workspace under a path ending with the header's (an include path
        # given to the compiler), the nearest first.
        tail = relative.parts
        found = [path for path in self.index.files_named(relative.name) if path.parts[-len(tail) :] == tail]
        found.sort(key=lambda path: (_distance(from_path.parent, path.parent), path))
        yield from found


def _js_candidates(target: Path) -> Iterator[Path]:
    stem = target.with_suffix("") if target.suffix in _JS_RUNTIME_SUFFIXES else target
    yield target
    for extension in JS_EXTENSIONS:
        yield stem.with_name(stem.name + extension)
    for extension in JS_EXTENSIONS:
        yield target / ("index" + extension)


def _match_alias(pattern: str, module: str) -> str | None:
    """What `*` stands for when `module` matches a tsconfig `paths` pattern ("" if exact)."""
    if "*" not in pattern:
        return "" if pattern == module else None
    prefix, _, suffix = pattern.partition("*")
    if module.startswith(prefix) and module.endswith(suffix) and len(module) >= len(prefix) + len(suffix):
        return module[len(prefix) : len(module) - len(suffix)]
    return None


def _parse_jsonc(text: str) -> object:
    """JSON with comments and trailing commas, as tsconfig files are written."""
    without_comments = _JSON_COMMENT.sub(lambda m: m.group() if m.group().startswith('"') else "", text)
    return json.loads(_TRAILING_COMMA.sub(r"\1", without_comments))


def _go_module_path(text: str) -> str | None:
    match = _GO_MODULE.search(text)
    return match.group(1).strip('"') if match else None


def _rust_module_dir(path: Path) -> Path:
    """The folder holding a Rust file's submodules: its own folder for mod.rs/lib.rs/main.rs,
    else the folder named after the file."""
    return path.parent if path.name in ("mod.rs", *_RUST_ROOTS) else path.parent / path.stem


def _distance(a: Path, b: Path) -> int:
    """How far apart two folders are in the folder tree (0: the same folder)."""
    common = len(os.path.commonpath([a, b]).split(os.sep))
    return len(a.parts) + len(b.parts) - 2 * common

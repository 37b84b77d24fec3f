"""What a class has: its members (for Go and Rust also those that other files of its
package or crate give it), the classes it extends, and the classes that annotations, return
types and aliases name. Answers come from the index through a `Resolver`: its entries, its
per-file facts and its name resolution (imports, packages, headers)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..index import FileEntry, Symbol
from .modules import JS_LANGUAGES
from .types import TypeHint, innermost_type, member_type, return_type

if TYPE_CHECKING:
    from .resolve import Resolver

CLASS_KINDS = frozenset({"class", "struct", "interface", "trait", "enum", "type"})
# Languages whose types get members in other files: Go methods anywhere in the package, Rust
# `impl` blocks anywhere in the crate.
_MEMBERS_ELSEWHERE = frozenset({"go", "rust"})
_BASES = {
    "python": re.compile(r"^\s*class\s+\w+\s*\((.*)\)\s*:?\s*$", re.DOTALL),
    "extends": re.compile(r"\b(?:extends|implements)\s+([^{]+)"),
}
_ALIASED_KINDS = CLASS_KINDS | {"function"}
# A variable that only names another (`_PyFuture = Future`, `Alias: TypeAlias = mod.Klass`).
_ALIAS = re.compile(r"\s*[A-Za-z_$][\w$]*\s*(?::[^=]*)?=\s*([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)?)\s*;?\s*$")


class ClassQueries:
    """Members, bases and types of classes, through one resolver (per-request answers are
    remembered with the resolver's, until its next `begin`)."""

    def __init__(self, resolver: Resolver):
        self.resolver = resolver

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
        defined in other files of its package, which hold its methods). Remembered until the
        next `begin`."""
        key = ("own members", owner.path, owner.qualified_name)
        return list(self.resolver.remembered(key, lambda: self._find_own_members(owner)))

    def _find_own_members(self, owner: Symbol) -> list[Symbol]:
        entry = self.resolver.entry(owner.path)
        if entry is None:
            return []
        found = list(self.resolver.facts(entry).members.get(owner.qualified_name, ()))
        stub = self.resolver.stub_entry(owner.path) if owner.path.suffix == ".py" else None
        if stub is not None:  # what the module leaves undeclared (C-accelerated, dynamic), its stub says
            known = {member.name for member in found}
            found += [m for m in self.resolver.facts(stub).members.get(owner.qualified_name, ()) if m.name not in known]
        if owner.language in _MEMBERS_ELSEWHERE:
            found += [
                member
                for member in self.resolver.index.members_of(owner.qualified_name)
                if self._shares_scope(owner, member)
            ]
        return found

    def _shares_scope(self, owner: Symbol, member: Symbol) -> bool:
        """Whether a member defined in another file belongs to `owner`: in Go, a method in
        another file of its package (tests only for a test file's type); in Rust, an `impl`
        in another file of its crate."""
        if member.path == owner.path or member.language != owner.language:
            return False
        if owner.language == "go":
            return member.path.parent == owner.path.parent and (
                owner.path.name.endswith("_test.go") or not member.path.name.endswith("_test.go")
            )
        root = self.resolver.finder.rust_crate_root(owner.path)
        return root is not None and root in member.path.parents

    def base_classes(self, owner: Symbol, depth: int = 3) -> list[Symbol]:
        """The classes a class extends (and theirs), resolved in the file that defines it."""
        entry = self.resolver.entry(owner.path)
        if entry is None or depth <= 0:
            return []
        found: list[Symbol] = []
        for name in _base_names(owner):
            base = name.replace("::", ".").split(".")
            if len(base) >= 2:
                candidates = self.resolver.resolve_attribute(entry, base[-2], base[-1])
            else:
                candidates = self.resolver.resolve_name(entry, base[0], fallback=False)
            for symbol in candidates:
                symbol = self.aliased(symbol) or symbol
                if symbol.kind in CLASS_KINDS and symbol != owner and symbol not in found:
                    found.append(symbol)
                    found += [s for s in self.base_classes(symbol, depth - 1) if s not in found]
        return found

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
        return self.returned_type(symbol)

    def returned_type(self, function: Symbol) -> Symbol | None:
        """The class a function or method says it returns, resolved where it is defined
        (`Self` and `this`: the method's own class)."""
        returned = return_type(function.signature, function.name, function.language)
        home = self.resolver.entry(function.path) if returned else None
        if home is None:
            return None
        if returned in ("Self", "this") and function.parent:
            returned = re.split(r"\.|::", function.parent)[-1]
        found = self._named(home, returned)
        return found if found is not None and found.kind in CLASS_KINDS else None

    def value_type(self, symbol: Symbol) -> Symbol | None:
        """The class of what a field, property or variable holds, as its own definition
        declares it (`client: Client`, `Client client;`, `self.client = Client()`); a class
        itself for a class. Resolved in the file that defines it."""
        if symbol.kind in CLASS_KINDS:
            return symbol
        if symbol.kind in ("function", "method", "module"):
            return None
        signature = symbol.signature
        if symbol.language == "python":
            signature = re.sub(r"^\s*(?:self|cls)\s*\.\s*", "", signature)
        hint = member_type(signature, symbol.name, symbol.language)
        home = self.resolver.entry(symbol.path) if hint is not None else None
        if hint is None or home is None:
            return None
        return self.resolve_type(home, hint)

    def _named(self, entry: FileEntry, dotted: str) -> Symbol | None:
        parts = [part for part in re.split(r"\.|::", dotted) if part]
        if not parts:
            return None
        if len(parts) == 1:
            found = self.resolver.resolve_name(entry, parts[0], fallback=parts[0][:1].isupper())
        else:
            found = self.resolver.resolve_attribute(entry, parts[-2], parts[-1])
        return (self.aliased(found[0]) or found[0]) if found else None

    def aliased(self, symbol: Symbol) -> Symbol | None:
        """The class or function a variable is another name for (`_PyFuture = Future`,
        `make_fn: Final = factory`, `Alias = mod.Klass`), resolved in the variable's file;
        None for anything else."""
        if symbol.kind not in ("variable", "constant"):
            return None
        return self.resolver.remembered(("aliased", symbol), lambda: self._aliased(symbol))

    def _aliased(self, symbol: Symbol) -> Symbol | None:
        match = _ALIAS.match(symbol.signature)
        entry = self.resolver.entry(symbol.path) if match is not None else None
        if match is None or entry is None or match.group(1) == symbol.name:
            return None
        parts = match.group(1).split(".")
        if len(parts) == 1:
            found = self.resolver.resolve_name(entry, parts[0], fallback=False)
        else:
            found = self.resolver.resolve_attribute(entry, parts[-2], parts[-1])
        return next((s for s in found if s.kind in _ALIASED_KINDS), None)

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
                found = self.resolver.resolve_name(entry, re.split(r"\.|::", symbol.parent)[-1], fallback=False)
                if found:
                    return found[0]
        return None


def _base_names(owner: Symbol) -> list[str]:
    """The names of the classes a class's signature says it extends."""
    signature = owner.signature
    if owner.language == "python":
        match = _BASES["python"].match(re.sub(r"#[^\n]*", "", signature))  # `class A(B):  # why`
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

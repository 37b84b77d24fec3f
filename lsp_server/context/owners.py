"""What class a variable at the cursor holds: the owner of the members after `value.`.

The cursor's text says it most of the time (an annotation, a constructor, JSDoc, another
variable's member: types.py reads those); else the method's own class (`self`, `this`, a Go
receiver, an open Rust `impl`), a class named like the variable (`client` -> `Client`), the
declared type of a variable or field the file sees, or (for the variable at the cursor only)
the one class the file defines, imports from or names (even in a comment) that declares most
of the members the code uses on it. Each answer is kept
for the rest of the request (`CursorFacts.types`).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..index import FileEntry, Symbol
from .affinity import NO_WORDS, CursorWords, Sequels
from .identifiers import AttributesUsed
from .modules import JS_LANGUAGES
from .resolve import CLASS_KINDS, Resolver
from .snippets import name_parts
from .types import SEARCH_CHARS, TypeHint, variable_types

SELF_NAMES = frozenset({"self", "this", "cls", "Self"})
MAX_TYPE_HINTS = 4  # bindings above the cursor tried for a variable's type, nearest first
FIELD_SEARCH_WINDOWS = 6  # windows of SEARCH_CHARS further up searched for a field's declaration
STUB_SUFFIXES = (".pyi", ".d.ts")  # declaration files: their classes list every member
MAX_MEMBERS_LOOKED_UP = 8  # members used on a variable looked up to find its class
EXACT_AFFINITY = 3  # `name_affinity` of a variable named exactly like the class
SIGNATURE_CONTEXT_CHARS = 1500  # around a long function's start: its doc comment and parameters


@dataclass
class CursorFacts:
    """What the steps read about the cursor, computed once per gathering."""

    text: str
    offset: int
    line: int
    attributes: AttributesUsed  # base -> attributes used on it above the cursor
    words: frozenset[str]  # lower-case names and name parts near the cursor
    types: dict[str, Symbol | None] = field(default_factory=dict)  # variable -> its class, once found
    used: Counter = field(default_factory=Counter)  # identifier -> its uses in the text before the cursor
    writing: CursorWords = NO_WORDS  # the words of the cursor's line and the enclosing definition's head
    sequels: Sequels | None = None  # what came next where the file wrote the same, once asked for


class OwnerFinder:
    """The class of a variable at a cursor, through one resolver."""

    def __init__(self, resolver: Resolver):
        self.resolver = resolver

    def type_of(self, entry: FileEntry, cursor: CursorFacts, base: str, thorough: bool = False) -> Symbol | None:
        """The class of `base` at the cursor: the class around the cursor for `self` (or what
        a JSDoc `@this` says), else what the code above says of the variable, else a class
        named like it (`client` -> `Client`) that the file can see, else the declared type of
        a variable the file sees (a module's, a package's, a header's). `thorough` (the base
        at the cursor, not the many near it) also reads a long function's parameters and
        compares classes with the members used. Remembered per request."""
        if base in cursor.types:
            return cursor.types[base]
        cursor.types[base] = None  # `a = b.x` and `b = a.y` must not send this round in circles
        owner: Symbol | None = None
        if base in SELF_NAMES:
            owner = self.resolver.classes.enclosing_class(entry, cursor.line)
            if owner is None and entry.language == "rust":
                owner = self._open_impl_type(entry, cursor)
            if owner is None and entry.language in JS_LANGUAGES:
                owner = self._hinted_type(entry, cursor, base, thorough)
        elif not base[:1].isupper():
            owner = self._receiver_type(entry, cursor, base) if entry.language == "go" else None
            if owner is None:
                owner = self._hinted_type(entry, cursor, base, thorough)
            if owner is None:
                owner = self._class_named_like(entry, base)
            if owner is None:
                owner = self._visible_variable_type(entry, base)
            if owner is None:
                owner = self._field_type(entry, cursor, base, thorough)
            if owner is None and thorough:
                owner = self._class_by_members_used(entry, cursor, base)
        cursor.types[base] = owner
        return owner

    def _open_impl_type(self, entry: FileEntry, cursor: CursorFacts) -> Symbol | None:
        """The type of the Rust `impl` block the cursor is in when the block is unfinished
        (the index then has no symbol for it): the last `impl` line above, if no closing
        brace at the start of a line follows it."""
        name = _open_rust_impl(cursor.text, cursor.offset)
        found = self.resolver.resolve_name(entry, name, fallback=False) if name else []
        return found[0] if found and found[0].kind in CLASS_KINDS else None

    def _receiver_type(self, entry: FileEntry, cursor: CursorFacts, base: str) -> Symbol | None:
        """The type of a Go method's receiver (`func (s *Server) ...`) when `base` names it,
        however long the method is."""
        receiver = _go_receiver(cursor.text, cursor.offset)
        if receiver is None or receiver[0] != base:
            return None
        found = self.resolver.resolve_name(entry, receiver[1], fallback=False)
        return found[0] if found and found[0].kind in CLASS_KINDS else None

    def _hinted_type(self, entry: FileEntry, cursor: CursorFacts, base: str, thorough: bool) -> Symbol | None:
        """The class the nearest binding above the cursor that names one gives `base`."""
        hints: Iterator[TypeHint] = itertools.islice(
            variable_types(cursor.text, cursor.offset, base, entry.language), MAX_TYPE_HINTS
        )
        if thorough:
            hints = itertools.chain(hints, self._parameter_hints(entry, cursor, base))
        for hint in hints:
            owner = self._resolve_hint(entry, cursor, hint, base, thorough)
            if owner is not None:
                return owner
        return None

    def _parameter_hints(self, entry: FileEntry, cursor: CursorFacts, base: str) -> Iterator[TypeHint]:
        """What the enclosing function's parameters and doc comment say of `base`, when the
        function starts above the text `variable_types` searches (a long function)."""
        function = _enclosing_function(entry, cursor.line)
        start: int | None
        if function is not None:
            start = _line_start(cursor.text, cursor.offset, cursor.line - function.start_line)
        else:  # an unfinished function may not parse as one: the last function head above
            start = _last_function_head(cursor.text, cursor.offset)
        if start is None or cursor.offset - start + SIGNATURE_CONTEXT_CHARS <= SEARCH_CHARS:
            return  # its doc comment and parameters were searched already
        head = cursor.text[max(0, start - SIGNATURE_CONTEXT_CHARS) : start + SIGNATURE_CONTEXT_CHARS]
        yield from itertools.islice(variable_types(head, len(head), base, entry.language), 2)

    def _resolve_hint(
        self, entry: FileEntry, cursor: CursorFacts, hint: TypeHint, base: str, thorough: bool
    ) -> Symbol | None:
        """A `TypeHint`'s class; `other.member` hints through the type of `other`."""
        holder, _, attr = hint.name.rpartition(".")
        if not holder and not hint.call:
            return self._best_named_class(entry, hint.name, cursor.attributes.get(base, set()))
        if not holder or "." in holder or holder in self.resolver.bindings(entry) or holder[:1].isupper():
            if hint.member:
                targets = self.resolver.resolve_attribute(entry, holder, attr) if holder else []
                return next(filter(None, map(self.resolver.classes.value_type, targets)), None)
            return self.resolver.classes.resolve_type(entry, hint)
        owner = self.type_of(entry, cursor, holder, thorough)  # `v = variable.member` or `variable.method()`
        if owner is None:
            return None
        for member in self.resolver.classes.members(owner, attr):
            typed = (
                self.resolver.classes.returned_type(member) if hint.call else self.resolver.classes.value_type(member)
            )
            if typed is not None:
                return typed
        return None

    def _best_named_class(self, entry: FileEntry, name: str, used: set[str]) -> Symbol | None:
        """The class a type name stands for; of several that the file may mean (no import
        says which), the one with most of the members the code uses on the variable, and
        then the most derived (an internal interface that extends the public one)."""
        found = self.resolver.resolve_name(entry, name, fallback=False)
        if not found and name[:1].isupper():
            found = self.resolver.classes_named(entry, name)
        classes = [symbol for symbol in found if symbol.kind in CLASS_KINDS]
        if len(classes) <= 1:
            return classes[0] if classes else None

        def fit(owner: Symbol) -> tuple[int, int]:
            bases = self.resolver.classes.base_classes(owner)
            members = self.resolver.classes.own_members(owner) + [
                m for base in bases for m in self.resolver.classes.own_members(base)
            ]
            return len(used.intersection(member.name for member in members)), len(bases)

        return max(classes, key=fit)

    def _class_by_members_used(self, entry: FileEntry, cursor: CursorFacts, base: str) -> Symbol | None:
        """For a variable nothing above types (`for a in fields(cls)`, a parameter without an
        annotation): of the classes the file defines, imports from, or names (in code,
        comments or docstrings: "msg is a Message"), the one that declares most of the
        members the code uses on the variable, if one stands out; ties go to a class named
        like the variable (`fut` -> Future), then to the one the text names most, then to a
        stub. Else a class the text names exactly like the variable."""
        used = cursor.attributes.get(base, set())
        declaring = self._classes_declaring(entry, sorted(used)[:MAX_MEMBERS_LOOKED_UP]) if used else {}
        imported = self._imported_files(entry) if declaring else set()
        scored = sorted(
            (_fit(base, parent, members, path, cursor), path, parent)
            for (path, parent), members in declaring.items()
            if path == entry.path or path in imported or _short_name(parent) in cursor.used
        )
        if not scored:
            return self._class_named_in_text(entry, cursor, base)
        if len(scored) > 1 and scored[-2][0] == scored[-1][0]:
            return None
        _fitness, path, parent = scored[-1]
        return self._class_symbol(path, parent)

    def _classes_declaring(self, entry: FileEntry, names: list[str]) -> dict[tuple[Path, str], set[str]]:
        """(file, class) -> which of `names` the class declares as members, over the
        workspace's classes in the file's language."""
        declaring: dict[tuple[Path, str], set[str]] = {}
        for name in names:
            for member in self.resolver.index.definitions(name):
                if member.parent and member.language == entry.language:
                    declaring.setdefault((member.path, member.parent), set()).add(name)
        return declaring

    def _imported_files(self, entry: FileEntry) -> set[Path]:
        """The files the file imports from: modules it imports, and where the names it
        imports are defined."""
        files: set[Path] = set()
        for item in self.resolver.bindings(entry).values():
            path, symbol = self.resolver.resolve_import(entry, item)
            if symbol is not None:
                files.add(symbol.path)
            elif path is not None:
                files.add(path)
        return files

    def _class_symbol(self, path: Path, qualified_name: str) -> Symbol | None:
        home = self.resolver.entry(path)
        for symbol in home.symbols if home is not None else []:
            if symbol.qualified_name == qualified_name and symbol.kind in CLASS_KINDS:
                return symbol
        return None

    def _class_named_in_text(self, entry: FileEntry, cursor: CursorFacts, base: str) -> Symbol | None:
        """The class the text above the cursor names exactly like the variable, in any case
        (`transport` -> Transport, `prepared_request` -> PreparedRequest), wherever the
        workspace defines it."""
        wanted = base.replace("_", "").lower()
        if len(wanted) < 3:
            return None
        for name in cursor.used:
            if name[:1].isupper() and name.replace("_", "").lower() == wanted:
                found = self.resolver.classes_named(entry, name, limit=1)
                if found:
                    return found[0]
        return None

    def _visible_variable_type(self, entry: FileEntry, base: str) -> Symbol | None:
        """The declared type of a variable defined outside the function: the file's own, an
        imported one, its package's or its headers' (`extern struct config conf;`)."""
        for symbol in self.resolver.resolve_name(entry, base, fallback=False):
            if symbol.kind not in CLASS_KINDS:
                return self.resolver.classes.value_type(symbol)
        return None

    def _field_type(self, entry: FileEntry, cursor: CursorFacts, base: str, thorough: bool) -> Symbol | None:
        """The declared type of a field of the class around the cursor (`client.` or
        `this.client.` where the class declares `private final Client client;`). A class cut
        at the cursor parses as no class: then (for the base at the cursor) the declarations
        further up the text than `variable_types` searches, nearest first."""
        around = self.resolver.classes.enclosing_class(entry, cursor.line)
        for member in self.resolver.classes.members(around, base) if around is not None else []:
            typed = self.resolver.classes.value_type(member)
            if typed is not None:
                return typed
        if around is not None or not thorough:
            return None
        end = cursor.offset - SEARCH_CHARS
        for _ in range(FIELD_SEARCH_WINDOWS):
            if end <= 0:
                break
            for hint in itertools.islice(variable_types(cursor.text, end, base, entry.language), 2):
                owner = self._resolve_hint(entry, cursor, hint, base, thorough)
                if owner is not None:
                    return owner
            end -= SEARCH_CHARS
        return None

    def _class_named_like(self, entry: FileEntry, variable: str) -> Symbol | None:
        wanted = variable.lstrip("_").lower()
        if len(wanted) < 3:
            return None
        for name in self.resolver.facts(entry).capitalized_names(wanted):
            found = self.resolver.resolve_name(entry, name, fallback=False)
            if found and found[0].kind in CLASS_KINDS:
                return found[0]
        return None


def _enclosing_function(entry: FileEntry, line: int) -> Symbol | None:
    """The innermost function or method around a line of the file."""
    best: Symbol | None = None
    for symbol in entry.symbols:
        if symbol.kind in ("function", "method") and symbol.start_line <= line <= symbol.end_line:
            if best is None or symbol.start_line > best.start_line:
                best = symbol
    return best


_FUNCTION_HEAD = re.compile(
    r"^[ \t]*(?:(?:export|default|async|static|pub(?:\([^)\n]*\))?|public|private|protected)\s+)*"
    r"(?:function\b|def\s|fn\s|func\s)",
    re.MULTILINE,
)
FUNCTION_HEAD_SEARCH_CHARS = 40_000  # text above the cursor where a function head is looked for


def _last_function_head(text: str, end: int) -> int | None:
    """Where the last line that starts a function before `end` begins, or None."""
    starts = [match.start() for match in _FUNCTION_HEAD.finditer(text, max(0, end - FUNCTION_HEAD_SEARCH_CHARS), end)]
    return starts[-1] if starts else None


_GO_RECEIVER = re.compile(r"func\s*\(\s*([A-Za-z_]\w*)\s+\*?\s*([A-Za-z_]\w*)")


_RUST_IMPL = re.compile(r"impl\b\s*(?:<[^{]*?>\s*)?(?:[\w:]+(?:<[^{]*?>)?\s+for\s+)?(?:[\w]+::)*([A-Za-z_]\w*)")


def _open_rust_impl(text: str, offset: int) -> str | None:
    """The type name of the `impl` block still open at `offset`, from the text alone."""
    start = text.rfind("\nimpl", 0, offset) + 1
    if start == 0 and not text.startswith("impl"):
        return None
    if text.find("\n}", start, offset) >= 0:
        return None  # closed before the cursor
    match = _RUST_IMPL.match(text, start)
    return match.group(1) if match else None


def _go_receiver(text: str, offset: int) -> tuple[str, str] | None:
    """(receiver, its type) of the Go method the cursor is in: the last `func` line above it
    (Go functions do not nest; closures have no receiver)."""
    start = text.rfind("\nfunc", 0, offset) + 1
    if start == 0 and not text.startswith("func"):
        return None
    match = _GO_RECEIVER.match(text, start)
    return (match.group(1), match.group(2)) if match else None


def _line_start(text: str, offset: int, lines_up: int) -> int:
    """The offset where the line `lines_up` lines above the one at `offset` starts."""
    position = offset
    for _ in range(lines_up + 1):
        position = text.rfind("\n", 0, position)
        if position < 0:
            return 0
    return position + 1


def name_affinity(variable: str, class_name: str) -> int:
    """How much a variable's name reads like a class's: 3 when it is the name in lower case
    (`transport`, Transport), 2 when it is a word of the name or starts one (`fut`, Future;
    `parser`, FeedParser), 1 when it abbreviates one (`msg`, Message), else 0."""
    wanted = variable.strip("_").lower()
    if len(wanted) < 3:
        return 0
    if wanted == class_name.strip("_").lower():
        return EXACT_AFFINITY
    parts = name_parts(class_name)
    if any(part.startswith(wanted) for part in parts):
        return 2
    return 1 if any(part[0] == wanted[0] and _is_subsequence(wanted, part) for part in parts) else 0


def _is_subsequence(short: str, long: str) -> bool:
    letters = iter(long)
    return all(letter in letters for letter in short)


def _short_name(qualified_name: str) -> str:
    return qualified_name.rpartition(".")[2]


def _fit(base: str, parent: str, members: set[str], path: Path, cursor: CursorFacts) -> tuple[int, int, int, bool]:
    """How well a class fits a variable: the members used on it that the class declares,
    how its name reads like the variable's, how often the text names it, and whether it is
    a stub (of a class and its stub, the stub declares more)."""
    name = _short_name(parent)
    return len(members), name_affinity(base, name), cursor.used[name], path.name.endswith(STUB_SUFFIXES)

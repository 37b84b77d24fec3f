"""Snippets: pieces of other files offered to the model, and how a definition becomes one.

A definition snippet is the symbol's whole text when it is small, else its head: decorators,
signature and docstring (Python) or doc comment and signature (other languages), and for a
class the signatures of its members. It also has a brief form, the signature alone, that the
ranking shows for definitions ranked too low for their full text: a model gains most from
knowing what a name takes and returns, and a signature costs a tenth of a body. The text comes
from the index's chunks, so an unsaved editor buffer the index knows is shown as the editor
has it.
"""

from __future__ import annotations

import functools
import os
import re
import textwrap
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..index import FileEntry, Symbol
from .identifiers import last_use

SMALL_BODY_LINES = 12  # definitions up to this long are shown whole
COMPACT_BODY_LINES = 3  # the same, for compact snippets
MAX_DOC_LINES = 4  # lines of a docstring kept in a head
# Where a second definition of a name in one listing repeats the first (`@overload`s and their
# implementation, a getter and its setter); elsewhere it is another one worth its line (a Rust
# `from` per `From` impl, a Java overload's other parameters).
ONE_LINE_PER_NAME = frozenset(["python", "javascript", "typescript", "tsx"])
MAX_MEMBERS = 16  # member signatures listed under a class head
MAX_OUTLINE_LINE = 100  # characters of a signature in an outline
MAX_BRIEF_LINES = 4  # lines of a signature in a definition's brief form
_CACHED_FILES = 64

LINE_COMMENT = {
    "python": "#",
    "ruby": "#",
    "shell": "#",
    "bash": "#",
    "yaml": "#",
    "toml": "#",
    "lua": "--",
    "sql": "--",
    "haskell": "--",
}  # everything else: "//"


def line_comment(language: str) -> str:
    return LINE_COMMENT.get(language, "//")


@dataclass
class Snippet:
    """One piece of context: lines [start_line, end_line] (0-based, inclusive) of `path`."""

    path: Path
    start_line: int
    end_line: int
    text: str
    kind: str  # "definition", "outline", "similar", "recent"
    score: float
    language: str = ""
    name: str = ""  # the symbol a definition/outline snippet is about
    tokens: int = field(default=0, compare=False)  # set when the snippet is counted
    # Builds `text` when the snippet is chosen: most candidates are never shown, so their
    # text is not worth making.
    render: Callable[[], str] | None = field(default=None, repr=False, compare=False)
    # The brief form (a definition's signature alone), for when the full text is ranked out.
    brief: Callable[[], str] | None = field(default=None, repr=False, compare=False)
    whole: bool = True  # the text shows every line of the range (not a head, a listing or a cut)
    signature: str = ""  # a definition's first signature line, which a cut of its text must keep
    symbol_kind: str = ""  # a definition's kind of symbol: "function", "class", ...

    def materialize(self) -> str:
        if self.render is not None:
            self.text, self.render = self.render(), None
        return self.text

    def shorten(self) -> str:
        """Switch to the brief form; its text."""
        assert self.brief is not None
        self.text, self.render, self.brief, self.whole = self.brief(), None, None, False
        return self.text


class SourceLines:
    """Lines of indexed files rebuilt from their chunks, remembered by content hash."""

    def __init__(self) -> None:
        self._cache: OrderedDict[Path, tuple[str, dict[int, str]]] = OrderedDict()

    def of(self, entry: FileEntry) -> dict[int, str]:
        cached = self._cache.get(entry.path)
        if cached is not None and cached[0] == entry.hash:
            self._cache.move_to_end(entry.path)
            return cached[1]
        lines: dict[int, str] = {}
        for chunk in entry.chunks:
            for number, line in enumerate(chunk.text.split("\n"), chunk.start_line):
                lines[number] = line
        self._cache[entry.path] = (entry.hash, lines)
        if len(self._cache) > _CACHED_FILES:
            self._cache.popitem(last=False)
        return lines


def definition_text(
    symbol: Symbol,
    lines: dict[int, str],
    members: Sequence[Symbol] = (),
    compact: bool = False,
    used: frozenset[str] = frozenset(),
) -> str:
    """The text shown for a definition (see the module docstring). `compact`: only the
    signature and the first line of the doc (for names the cursor is not near). Of a class
    with more than `MAX_MEMBERS` members, those named in `used` (names the current file uses)
    are listed first."""
    span = symbol.end_line - symbol.start_line + 1
    body = [lines.get(number) for number in range(symbol.start_line, symbol.end_line + 1)]
    known_body = [line for line in body if line is not None]
    if span <= (COMPACT_BODY_LINES if compact else SMALL_BODY_LINES) and len(known_body) == len(body):
        return textwrap.dedent("\n".join(known_body))
    head = _head_lines(symbol, lines, doc_lines=1 if compact else MAX_DOC_LINES)
    if compact:
        return textwrap.dedent("\n".join(head))
    if symbol.kind in ("class", "struct", "interface", "trait", "enum") and members:
        indent = " " * 4
        for member in _most_used(members, used, MAX_MEMBERS):
            signature = member.signature.split("\n")[0].rstrip()
            head.append(indent + signature + (": ..." if symbol.language == "python" else ""))
    return textwrap.dedent("\n".join(head))


def _most_used(members: Sequence[Symbol], used: frozenset[str], limit: int) -> list[Symbol]:
    """At most `limit` members, those named in `used` first, each group in its given order."""
    if len(members) <= limit:
        return list(members)
    return sorted(members, key=lambda member: member.name not in used)[:limit]


def _head_lines(symbol: Symbol, lines: dict[int, str], doc_lines: int = MAX_DOC_LINES) -> list[str]:
    """Decorators, signature and docstring/doc comment of a symbol."""
    first_signature_line = symbol.signature.split("\n")[0].strip()
    signature_lines = symbol.signature.count("\n") + 1
    start = symbol.start_line
    head: list[str] = []
    if symbol.language != "python" and symbol.doc:
        marker = line_comment(symbol.language)
        head += [f"{marker} {line}".rstrip() for line in symbol.doc.split("\n")[:doc_lines]]
    # Where the signature starts (after decorators/attributes).
    signature_at = start
    for number in range(start, min(symbol.end_line, start + 20) + 1):
        line = lines.get(number)
        if line is not None and first_signature_line and first_signature_line[:40] in line:
            signature_at = number
            break
    for number in range(start, signature_at + signature_lines):
        line = lines.get(number)
        if line is None:
            return [symbol.signature]
        head.append(line)
    if symbol.language == "python" and symbol.doc:
        indent = " " * (symbol.start_column + 4)
        doc = symbol.doc.split("\n")
        kept = doc[:doc_lines] + (["..."] if len(doc) > doc_lines else [])
        head.append(indent + '"""' + ("\n" + indent).join(kept).rstrip() + '"""')
    return head


def definition_snippet(
    symbol: Symbol,
    entry: FileEntry,
    sources: SourceLines,
    score: float,
    members: Sequence[Symbol] = (),
    compact: bool = False,
    used: frozenset[str] = frozenset(),
) -> Snippet:
    """A definition's snippet; its text is made only if it is chosen. `members`: the symbols
    whose parent is this one (listed under a large class); `used`: names the current file uses."""

    def render() -> str:
        ordered = [s for s in members if s.kind != "field"] + [s for s in members if s.kind == "field"]
        return definition_text(symbol, sources.of(entry), ordered, compact, used)

    span = symbol.end_line - symbol.start_line + 1
    return Snippet(
        symbol.path,
        symbol.start_line,
        symbol.end_line,
        "",
        "definition",
        score,
        symbol.language,
        symbol.name,
        render=render,
        brief=lambda: signature_text(symbol),
        # What a cut must keep: the first line as written (`typedef struct {...} CTX` is
        # written `typedef struct {`).
        signature=symbol.signature.split("\n")[0].split(" {...}")[0].strip(),
        symbol_kind=symbol.kind,
        whole=span <= (COMPACT_BODY_LINES if compact else SMALL_BODY_LINES),
    )


def signature_text(symbol: Symbol) -> str:
    """A definition's brief form: its signature (up to `MAX_BRIEF_LINES` lines), marked as
    having a body where the language would otherwise read it as complete."""
    lines = symbol.signature.split("\n")
    text = "\n".join(line.rstrip() for line in lines[:MAX_BRIEF_LINES])
    if len(lines) > MAX_BRIEF_LINES:
        text += " ..."
    if symbol.language == "python" and symbol.kind not in ("variable", "field", "constant"):
        text += ": ..."
    return text


def outline_snippet(
    entry: FileEntry,
    score: float,
    prefer: frozenset[str] = frozenset(),
    limit: int = 40,
    words: frozenset[str] = frozenset(),
    used: frozenset[str] = frozenset(),
    typed: str = "",
) -> Snippet:
    """The top-level signatures of a module (for `module.` before the cursor), most likely
    first so that cutting it to fit the budget drops the least likely: names that start with
    what is `typed` after the dot, names in `prefer`
    (already used on this module), then names the current file uses (`used`), then names that
    share words with the code around the cursor (`words`, see `relevance`), then public
    classes and functions, then public variables, then private names; in file order within
    each group."""

    def render() -> str:
        symbols = [s for s in entry.symbols if s.parent is None and s.name != "__all__"]
        return "\n".join(_listing(symbols, prefer, words, limit, used, typed))

    end = max((s.end_line for s in entry.symbols), default=0)
    return Snippet(
        entry.path, 0, end, "", "outline", score, entry.language, entry.path.stem, render=render, whole=False
    )


def members_snippet(
    owner: Symbol,
    members: Sequence[Symbol],
    score: float,
    prefer: frozenset[str] = frozenset(),
    words: frozenset[str] = frozenset(),
    used: frozenset[str] = frozenset(),
    limit: int = 60,
    place: tuple[Path, int, int] | None = None,
    typed: str = "",
) -> Snippet:
    """A class's signature and the one-line signatures of its members (for `value.` before
    the cursor, where the value is of that class), ordered like `outline_snippet`. It is an
    outline: it lists, and does not keep the definition of one member from being shown whole.
    `place` (file, first and last line): where the members are, when not in the class's file
    (a Go type's methods in another file of its package). `typed`: what the user has typed of
    the member's name after the dot; members that start with it come first."""

    def render() -> str:
        head = owner.signature.split("\n")[0].rstrip()
        head = head.rstrip(":") + (":" if owner.language == "python" else " {")
        listed = [s for s in members if s.name not in ("__init__", "constructor") or s.name in prefer]
        constructors = [s for s in members if s.name in ("__init__", "constructor")]
        lines = _listing(constructors[:1] + listed, prefer | {"__init__", "constructor"}, words, limit, used, typed)
        return "\n".join([head] + ["    " + line for line in lines])

    path, start, end = place if place is not None else (owner.path, owner.start_line, owner.end_line)
    return Snippet(path, start, end, "", "outline", score, owner.language, owner.name, render=render, whole=False)


def relevance(name: str, words: frozenset[str]) -> int:
    """How much a name has to do with the code around the cursor: 2 when that code uses the
    name itself, 1 when they share a word (`get_user` and `user_id`), else 0."""
    if not words:
        return 0
    if name.lower() in words:
        return 2
    return 1 if any(part in words for part in name_parts(name)) else 0


@functools.lru_cache(maxsize=65_536)
def name_parts(name: str) -> tuple[str, ...]:
    """The lower-case words of an identifier: `getUserName`, `get_user_name` -> get, user, name."""
    spaced = _CAMEL.sub(" ", name.replace("_", " "))
    return tuple(part.lower() for part in spaced.split() if len(part) >= 3)


_GO_RECEIVER = re.compile(r"^func\s*\([^)]*\)\s*")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _listing(
    symbols: Sequence[Symbol],
    prefer: frozenset[str],
    words: frozenset[str],
    limit: int,
    used: frozenset[str] = frozenset(),
    typed: str = "",
) -> list[str]:
    typed = typed.lower()
    ordered = sorted(
        symbols,
        key=lambda s: (
            not s.name.lower().startswith(typed),  # what the user has typed of the name, first
            s.name not in prefer,
            s.name not in used,
            -relevance(s.name, words),
            s.name.startswith("_"),
            s.kind in ("variable", "field"),
            s.start_line,
        ),
    )
    lines: list[str] = []
    listed: set[str] = set()
    for symbol in ordered:
        if len(lines) == limit:
            break
        if symbol.name in listed and symbol.language in ONE_LINE_PER_NAME:
            continue
        listed.add(symbol.name)
        line = symbol.signature.split("\n")[0].rstrip().rstrip(":").rstrip("{").rstrip()
        if not names_itself(line, symbol.name):
            line = symbol.name  # `__slots__ = (` declares each of its names: the line names none
        if symbol.language == "go" and symbol.parent is not None:
            # Listed under `type T struct {`: the method set's form, without the receiver that
            # every line would repeat (a third of a line's tokens).
            line = _GO_RECEIVER.sub("", line)
        if len(line) > MAX_OUTLINE_LINE:
            line = line[:MAX_OUTLINE_LINE] + " ..."
        python_body = symbol.language == "python" and symbol.kind not in ("variable", "field", "constant")
        lines.append(line + (": ..." if python_body else ""))
    return lines


def names_itself(line: str, name: str) -> bool:
    """Whether a definition's line has its name as code (not only in a string: `__slots__ = ("data",)`)."""
    at = last_use(line, name, 0, len(line))
    while at >= 0:
        if line[at - 1 : at] not in ("'", '"') and line[at + len(name) : at + len(name) + 1] not in ("'", '"'):
            return True
        at = last_use(line, name, 0, at)
    return False


def relative_path(path: Path, roots: list[Path]) -> str:
    """The path shown to the model and the user: relative to the workspace root holding it."""
    text = str(path)
    for root in roots:
        prefix = str(root).rstrip(os.sep) + os.sep  # strings: `path.parents` costs ~80 µs a call
        if text.startswith(prefix):
            return text[len(prefix) :].replace(os.sep, "/")
    return path.name

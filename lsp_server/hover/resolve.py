"""What the name under the cursor stands for, and its hover text.

The identifier under the cursor is found with a regular expression on its line; `a.b` is read
from the text before it. Resolution, in order: an attribute (`module.name`, `Class.method`)
through the file's imports; a definition in the same file; an imported name; a Python builtin;
finally a unique top-level definition of that name elsewhere in the workspace.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..context.resolve import Resolver
from ..context.snippets import relative_path
from ..index import Symbol, WorkspaceIndex
from .builtins_doc import python_builtin
from .docstrings import docstring_markdown

_WORD = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_BASE_BEFORE = re.compile(r"([A-Za-z_$][A-Za-z0-9_$]*)\s*(?:\.|::)\s*$")
FENCE_LANGUAGES = {"tsx": "tsx", "cpp": "cpp", "c": "c"}  # default: the index's language name
MAX_DOC_CHARS = 4000
# The member that constructs a class, by language: its signature is what a caller writes.
# (C++ and Java constructors carry the class's own name; Rust's is `new` by convention.)
CONSTRUCTORS = {"python": ("__init__", "__new__"), "typescript": ("constructor",), "tsx": ("constructor",)}
CONSTRUCTORS["javascript"] = CONSTRUCTORS["typescript"]
CLASS_KINDS = ("class", "struct")


@dataclass
class HoverInfo:
    name: str
    signature: str
    doc: str
    language: str  # the fence language of the signature block
    symbol: Symbol | None = None  # None for builtins
    location: str = ""  # "relative/path.py:12" (1-based line), "" for builtins
    generated_summary: str = ""  # set by the server from SummaryCache when the doc is empty
    # Range of the hovered word in its line (code points), for the LSP Hover.range.
    start_column: int = 0
    end_column: int = 0

    def markdown(self) -> str:
        parts = [f"```{self.language}\n{self.signature.strip()}\n```"]
        if self.doc.strip():
            doc = self.doc.strip()
            doc = doc if len(doc) <= MAX_DOC_CHARS else doc[:MAX_DOC_CHARS] + " …"
            # Python docstrings are not Markdown; other languages' doc comments mostly are.
            parts.append(docstring_markdown(doc) if self.language == "python" else doc)
        elif self.generated_summary:
            parts.append(f"*Generated summary:* {self.generated_summary.strip()}")
        if self.location:
            parts.append(f"Defined in `{self.location}`")
        elif self.symbol is None:
            parts.append("*builtin*")
        return "\n\n".join(parts)


def word_at(line_text: str, column: int) -> tuple[str, int, int] | None:
    """The identifier covering `column` (or ending right at it), with its start and end."""
    for match in _WORD.finditer(line_text):
        if match.start() <= column <= match.end():
            return match.group(), match.start(), match.end()
    return None


def resolve_hover(
    index: WorkspaceIndex, path: Path, text: str, line: int, column: int, resolver: Resolver | None = None
) -> HoverInfo | None:
    """Hover for the identifier at (line, column) (0-based; column in code points) of `text`,
    the current content of `path`; None when it resolves to nothing known."""
    lines = text.split("\n")
    if not 0 <= line < len(lines):
        return None
    found = word_at(lines[line], column)
    if found is None:
        return None
    name, start, end = found
    path = Path(os.path.abspath(path))
    resolver = resolver or Resolver(index)
    resolver.begin()
    resolver.invalidate([path])
    entry = resolver.entry(path)
    language = entry.language if entry is not None else _language_of(path)

    symbol: Symbol | None = None
    base = _BASE_BEFORE.search(lines[line][:start])
    if entry is not None and base is not None:
        owner = base.group(1)
        if owner in ("self", "cls", "this"):
            symbol = _member_of_enclosing_class(resolver, entry, line, name)
        else:
            symbols = resolver.resolve_attribute(entry, owner, name)
            symbol = symbols[0] if symbols else None
        if symbol is None:
            return None  # an attribute of something unknown: better nothing than a wrong guess
    if symbol is None and entry is not None:
        symbols = resolver.resolve_name(entry, name, fallback=False)
        symbol = symbols[0] if symbols else None
    if symbol is None and language == "python" and base is None:
        builtin = python_builtin(name)
        if builtin is not None:
            return HoverInfo(name, builtin[0], builtin[1], "python", start_column=start, end_column=end)
    if symbol is None:
        candidates = [s for s in index.definitions(name) if s.parent is None]
        if len(candidates) != 1:
            return None
        symbol = candidates[0]
    location = f"{relative_path(symbol.path, index.roots)}:{symbol.start_line + 1}"
    signature, doc = symbol.signature, symbol.doc
    constructor = _constructor(resolver, symbol)
    if constructor is not None:
        # `class Request` alone does not say how to make one: show the constructor under it,
        # and its documentation when the class has none.
        signature = f"{signature.rstrip()}\n    {constructor.signature.strip()}"
        doc = doc or constructor.doc
    return HoverInfo(
        name,
        signature,
        doc,
        FENCE_LANGUAGES.get(symbol.language, symbol.language),
        symbol,
        location,
        start_column=start,
        end_column=end,
    )


def _constructor(resolver: Resolver, symbol: Symbol) -> Symbol | None:
    if symbol.kind not in CLASS_KINDS:
        return None
    rust_new = ("new",) if symbol.language == "rust" else ()
    for name in (*CONSTRUCTORS.get(symbol.language, ()), symbol.name, *rust_new):
        members = [m for m in resolver.classes.members(symbol, name) if m.kind in ("method", "function", "constructor")]
        if members:
            return members[0]
    return None


def _member_of_enclosing_class(resolver: Resolver, entry, line: int, name: str) -> Symbol | None:
    """`self.name` inside a class: the member of the innermost class around `line`."""
    classes = [s for s in entry.symbols if s.kind in ("class", "struct") and s.start_line <= line <= s.end_line]
    for owner in sorted(classes, key=lambda s: s.start_line, reverse=True):
        members = resolver.classes.members(owner, name)
        if members:
            return members[0]
    return None


def _language_of(path: Path) -> str:
    return {".py": "python", ".ts": "typescript", ".tsx": "tsx", ".js": "javascript"}.get(path.suffix, "")

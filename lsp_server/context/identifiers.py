"""Identifiers in source text: the words retrieval and resolution work with.

A plain regular expression, not a parser: it runs on every keystroke over a few dozen lines,
it works on half-typed code, and it is the same for every language. Keywords and very short
words carry no information about which definition is wanted, so they are left out.
"""

from __future__ import annotations

import functools
import re

IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
# `base.attr` pairs (Python, JS/TS, Go, Java, Rust paths with ::, C and C++ pointers with ->).
ATTRIBUTE = re.compile(r"([A-Za-z_$][A-Za-z0-9_$]*)\s*(?:\.|::|->)\s*([A-Za-z_$][A-Za-z0-9_$]*)")

KEYWORDS = frozenset(
    [
        "False",
        "None",
        "True",
        "and",
        "as",
        "assert",
        "async",
        "await",
        "break",
        "class",
        "continue",
        "def",
        "del",
        "elif",
        "else",
        "except",
        "finally",
        "for",
        "from",
        "global",
        "if",
        "import",
        "in",
        "is",
        "lambda",
        "nonlocal",
        "not",
        "or",
        "pass",
        "raise",
        "return",
        "try",
        "while",
        "with",
        "yield",
        "self",
        "cls",
        "match",
        "case",
        "print",
        "len",
        "str",
        "int",
        "float",
        "bool",
        "list",
        "dict",
        "set",
        "tuple",
        "object",
        "type",
        "abstract",
        "any",
        "boolean",
        "catch",
        "const",
        "constructor",
        "debugger",
        "declare",
        "default",
        "delete",
        "do",
        "enum",
        "export",
        "extends",
        "false",
        "function",
        "get",
        "implements",
        "instanceof",
        "interface",
        "let",
        "new",
        "null",
        "number",
        "of",
        "package",
        "private",
        "protected",
        "public",
        "readonly",
        "require",
        "static",
        "string",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "typeof",
        "undefined",
        "var",
        "void",
        "keyof",
        "infer",
        "never",
        "unknown",
        "func",
        "go",
        "chan",
        "defer",
        "fallthrough",
        "goto",
        "map",
        "range",
        "struct",
        "select",
        "fn",
        "impl",
        "mut",
        "pub",
        "use",
        "crate",
        "mod",
        "trait",
        "where",
        "loop",
        "move",
        "ref",
        "unsafe",
        "dyn",
        "final",
        "native",
        "synchronized",
        "throws",
        "transient",
        "volatile",
        "char",
        "short",
        "long",
        "double",
        "byte",
        "auto",
        "extern",
        "register",
        "signed",
        "unsigned",
        "sizeof",
        "typedef",
        "union",
        "inline",
        "template",
        "typename",
        "namespace",
        "using",
        "virtual",
        "nullptr",
        "operator",
        "friend",
        "explicit",
        "Self",
    ]
)


# Keywords in Python only: elsewhere ordinary names (Go's testify defines `func True`).
PYTHON_CONSTANTS = frozenset({"True", "False", "None"})


def is_interesting(word: str, language: str = "") -> bool:
    """Whether a word may name a definition; `language` "" means any (Python's keywords count)."""
    if len(word) < 2:
        return False
    if word in PYTHON_CONSTANTS:
        return language not in ("", "python")
    return word not in KEYWORDS


def is_word_char(text: str, position: int) -> bool:
    """Whether `text[position]` is part of an identifier (False outside the text)."""
    return 0 <= position < len(text) and (text[position].isalnum() or text[position] in "_$")


def last_use(text: str, name: str, start: int, end: int) -> int:
    """Where `name` was used last in `text[start:end]` as a whole word (`base`, not
    `database`); -1 if not there."""
    at = text.rfind(name, start, end)
    while at >= 0 and (is_word_char(text, at - 1) or is_word_char(text, at + len(name))):
        at = text.rfind(name, start, at)
    return at


def token_set(text: str) -> frozenset[str]:
    """The distinct interesting identifiers of a text (for Jaccard similarity)."""
    return frozenset(word for word in IDENTIFIER.findall(text) if is_interesting(word))


def names_near(text: str, offset: int, lines_before: int = 30, language: str = "") -> dict[str, float]:
    """Identifiers used in the `lines_before` lines before the cursor's line and in that line up
    to the cursor, each with a weight: higher for names nearer the cursor and used more often.
    The dictionary is ordered most relevant first."""
    start = offset
    for _ in range(lines_before + 1):
        newline = text.rfind("\n", 0, start)
        if newline < 0:
            start = 0
            break
        start = newline
    window = text[start:offset]
    weights: dict[str, float] = {}
    lines = window.split("\n")
    last = len(lines) - 1
    for number, line in enumerate(lines):
        closeness = 1.0 / (1.0 + (last - number) / 8.0)  # 1 on the cursor's line, 0.2 thirty lines up
        for word in IDENTIFIER.findall(line):
            if is_interesting(word, language):
                weights[word] = max(weights.get(word, 0.0), closeness) + 0.05
    return dict(sorted(weights.items(), key=lambda item: -item[1]))


def attribute_before_cursor(text: str, offset: int) -> tuple[str, str] | None:
    """`(base, partial)` when the cursor follows `base.` or `base.par` (an attribute being typed;
    also `base::`, and `base->` for a C or C++ pointer)."""
    line_start = text.rfind("\n", 0, offset) + 1
    match = re.search(r"([A-Za-z_$][A-Za-z0-9_$]*)\s*(?:\.|::|->)([A-Za-z0-9_$]*)$", text[line_start:offset])
    return (match.group(1), match.group(2)) if match else None


class AttributesUsed:
    """base -> the attributes used on it (`base.attr`) in `text[start:end]`, searched for each
    base when first asked: a few bases are asked about, and one search for a literal name is
    much faster than a pass that collects every pair."""

    def __init__(self, text: str, start: int, end: int):
        self.text, self.start, self.end = text, start, end
        self._found: dict[str, set[str]] = {}

    def get(self, base: str, default: object = None) -> set[str]:
        found = self._found.get(base)
        if found is None:
            found = self._found[base] = set()
            text = self.text
            for match in _attribute_of(base).finditer(text, self.start, self.end):
                at = match.start()
                if not is_word_char(text, at - 1):  # `base`, not `database`
                    found.add(match.group(1))
        return found


@functools.lru_cache(maxsize=4096)
def _attribute_of(base: str) -> re.Pattern[str]:
    return re.compile(re.escape(base) + r"(?:\.|->)([A-Za-z_$][\w$]*)")

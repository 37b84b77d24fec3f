"""What type a variable has, read from the code above the cursor, for `variable.` completions.

No type checker: the nearest line above the cursor that binds the variable says it, in the
forms that name a type outright:
- an annotation: `client: Client` (Python, TypeScript, Rust parameters and lets), `Client client`
  and `Client client = ...` (Java, C, C++), `c *Client` / `var c Client` (Go);
- a constructor: `c = Client(...)`, `new Client(...)`, `Client{...}`/`&Client{...}` (Go),
  `Client::new(...)`/`Client { ... }` (Rust);
- a call whose definition declares what it returns: `c = make_client()` with
  `def make_client() -> Client` (the caller then reads the return type off the signature);
- JSDoc in JavaScript: `@param {Client} c`, `/** @type {Client} */ let c`, `@this {Client}`;
- another variable's member: `c = other.client` (the caller reads the member's own type).
The result is a name to resolve (`TypeHint.name`, possibly dotted: `models.Client`) and whether
it is the type itself, a function whose return type is wanted, or a member whose type is.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import NamedTuple

_NAME = r"[A-Za-z_$][\w$]*"
_DOTTED = rf"{_NAME}(?:\s*(?:\.|::)\s*{_NAME})*"
SEARCH_CHARS = 6_000  # text above the cursor searched for the binding
# Wrappers whose argument is the interesting type: Optional[Client] -> Client.
_WRAPPERS = frozenset(
    "Optional Union Final ClassVar Annotated Type type Awaitable Coroutine Iterator Iterable Generator "
    "AsyncIterator Sequence List list Box Rc Arc RefCell Cell Option Result Vec Promise Readonly Partial "
    "Ref Mutex RwLock Pin".split()
)


class TypeHint(NamedTuple):
    name: str  # the type's name, or the called function's (dotted names kept: `mod.Client`)
    call: bool  # True: `name` is a function; its declared return type is the variable's type
    member: bool = False  # True: `name` is `variable.attribute`; that member's type is wanted


# Patterns for a variable's bindings are compiled once per language, not once per variable:
# the searched line is prefixed with the variable and a NUL (`_with_variable`), group `v`
# reads it back, and `(?P=v)` stands where the variable's name goes. Group `t` is the type or
# the callee; group `m` the binding, found as far right on the line as it occurs.
_V = "(?P=v)"
_PREFIX = r"(?P<v>[^\x00]+)\x00"
_LINE_START = r"(?<=\x00)"


def _rightmost(body: str) -> re.Pattern[str]:
    return re.compile(rf"{_PREFIX}.*(?P<m>{body})")


def _leftmost(body: str) -> re.Pattern[str]:
    return re.compile(rf"{_PREFIX}.*?(?P<m>{body})")


def _with_variable(variable: str, line: str) -> str:
    return f"{variable}\x00{line}"


_ANNOTATION = rf"(?<![\w$.]){_V}\s*\??\s*:\s*(?:&\s*(?:mut\s+)?)?(?P<t>{_DOTTED}(?:\s*\[[^\]\n]*\])?)"
_NEW = rf"(?<![\w$.]){_V}\s*(?::\s*[^=\n]+)?=\s*(?:await\s+)?new\s+(?P<t>{_DOTTED})"
_JSDOC_BRACED = r"\{\s*(?P<t>[^{}\n]*(?:\{[^{}\n]*\}[^{}\n]*)*)\}"
_JSDOC_PARAM = rf"@param\s*{_JSDOC_BRACED}\s*\[?{_V}\b"
_JSDOC_THIS = _rightmost(rf"@this\s*{_JSDOC_BRACED}")
_PATTERNS: dict[str, list[tuple[re.Pattern[str], bool]]] = {
    "python": [
        (_rightmost(_ANNOTATION), False),
        (_rightmost(rf"(?<![\w.]){_V}\s*=\s*(?:await\s+)?(?P<t>{_DOTTED})\s*\("), True),
        (_rightmost(rf"\bwith\s+(?:await\s+)?(?P<t>{_DOTTED})\s*\([^\n]*\bas\s+{_V}\b"), True),
    ],
    "javascript": [
        (_rightmost(_NEW), False),
        (_rightmost(_ANNOTATION), False),
        (_rightmost(rf"(?<![\w$.]){_V}\s*=\s*(?:await\s+)?(?P<t>{_DOTTED})\s*(?:<[^>\n]*>)?\s*\("), True),
        (_rightmost(_JSDOC_PARAM), False),
    ],
    "go": [
        (_rightmost(rf"(?<![\w.]){_V}\s*(?:,\s*{_NAME}\s*)*:?=\s*&?(?P<t>{_DOTTED})\s*\{{"), False),
        (_rightmost(rf"(?<![\w.]){_V}\s*(?:,\s*{_NAME}\s*)*:?=\s*(?P<t>{_DOTTED})\s*\("), True),
        (_rightmost(rf"\bvar\s+{_V}\s+\*?(?P<t>{_DOTTED})"), False),
        (_rightmost(rf"[(,]\s*{_V}\s+(?:\.\.\.)?\*?(?P<t>{_DOTTED})"), False),
    ],
    "rust": [
        (_rightmost(_ANNOTATION), False),
        (
            _rightmost(
                rf"\blet\s+(?:mut\s+)?{_V}\s*=\s*&?(?:mut\s+)?(?P<t>{_NAME})\s*(?:::\s*<[^>\n]*>)?\s*"
                r"(?:\{|::\s*(?:new|default|with_\w+|from\w*)\b)"
            ),
            False,
        ),
        (_rightmost(rf"\blet\s+(?:mut\s+)?{_V}\s*=\s*(?P<t>{_DOTTED})\s*\("), True),
    ],
    # Java, C, C++: the type stands before the name.
    "": [
        (_rightmost(_NEW), False),
        (
            _rightmost(
                rf"(?:{_LINE_START}|[(,;{{]|\bstruct\s|\bfinal\s)\s*(?:struct\s+)?(?P<t>{_DOTTED})"
                rf"\s*(?:<[^;=()\n]*>)?[\s*&]+{_V}\s*[=;,)\[]"
            ),
            False,
        ),
    ],
}
_PATTERNS["typescript"] = _PATTERNS["tsx"] = _PATTERNS["javascript"]


def _patterns(variable: str, language: str) -> list[tuple[re.Pattern[str], bool]]:
    """(pattern whose group `t` is a type or callee, is it a call) for one variable."""
    found = _PATTERNS.get(language, _PATTERNS[""])
    if variable == "this" and language in ("javascript", "typescript", "tsx"):
        found = [*found, (_JSDOC_THIS, False)]
    return found


# `/** @type {VNode} */` on the line before (or the start of) the declaration it types.
_JSDOC_TYPE = re.compile(r"@type\s*\{\s*([^{}\n]*)\}\s*\*/\s*$")
_JS_DECLARATION = re.compile(
    rf"{_PREFIX}\s*(?:(?:export\s+)?(?:let|const|var)\s+)?(?:{_V}\b|[^=\n]*,\s*{_V}\s*[,;=]|{_V}\s*[,;=])"
)
# Another variable's member: `c = vnode._component` (also in a chain: `a = b = vnode._component`).
_MEMBER_VALUE = _leftmost(rf"(?<![\w$.]){_V}\s*=\s*(?:[\w$.]+\s*=\s*)*(?P<t>{_NAME}\s*\.\s*{_NAME})\s*(?:[;,)\n]|$)")


def _jsdoc_type_before(lines: list[str], index: int, variable: str) -> TypeHint | None:
    """`/** @type {X} */` ending the line before a declaration of `variable`, or starting it."""
    line = lines[index]
    head, _, rest = line.partition("*/")
    if rest and "@type" in head:  # `/** @type {X} */ let v = ...` on one line
        line, comment = rest, head + "*/"
    elif index > 0:
        comment = lines[index - 1]
    else:
        return None
    match = _JSDOC_TYPE.search(comment)
    if match is None or not _JS_DECLARATION.match(_with_variable(variable, line)):
        return None
    name = innermost_type(_strip_import_types(match.group(1)))
    return TypeHint(name, False) if name else None


def _strip_import_types(annotation: str) -> str:
    """`import('./internal').VNode` (TypeScript's type imports in JSDoc) -> VNode."""
    return re.sub(r"import\(\s*['\"][^'\"]*['\"]\s*\)\s*\.\s*", "", annotation)


def variable_type(text: str, offset: int, variable: str, language: str) -> TypeHint | None:
    """The type of `variable` at `offset`, from its nearest binding above the cursor."""
    return next(variable_types(text, offset, variable, language), None)


def variable_types(text: str, offset: int, variable: str, language: str) -> Iterator[TypeHint]:
    """What the bindings of `variable` above the cursor say of its type, nearest first (a
    caller tries the next when one names nothing it can resolve). Only the lines that
    mention the variable are searched."""
    window = text[max(0, offset - SEARCH_CHARS) : offset]
    patterns = None
    lines = window.split("\n")
    javascript = language in ("javascript", "typescript", "tsx")
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if variable not in line:
            continue
        if patterns is None:
            patterns = _patterns(variable, language)
        best: tuple[int, TypeHint] | None = None
        prefixed = _with_variable(variable, line)
        for pattern, call in patterns:
            match = pattern.match(prefixed)
            if match is None:
                continue
            found = _strip_import_types(match.group("t")) if javascript else match.group("t")
            name = innermost_type(found) if not call else re.sub(r"\s+", "", found)
            if name and (best is None or match.start("m") > best[0]):
                best = (match.start("m"), TypeHint(name, call))
        if best is None:
            best = _member_binding(line, variable)
        if best is None and javascript:
            hint = _jsdoc_type_before(lines, index, variable)
            best = (0, hint) if hint is not None else None
        if best is not None:
            yield best[1]


def _member_binding(line: str, variable: str) -> tuple[int, TypeHint] | None:
    """`variable = other.member`: typed like that member (the caller resolves it)."""
    match = _MEMBER_VALUE.match(_with_variable(variable, line))
    if match is None:
        return None
    return match.start("m"), TypeHint(re.sub(r"\s+", "", match.group("t")), False, member=True)


_GO_FIELD = re.compile(rf"\s*({_NAME})\s+(?:\[\]|\*)*({_DOTTED})")


@functools.lru_cache(maxsize=4096)  # asked again for the same members on every request
def member_type(signature: str, name: str, language: str) -> TypeHint | None:
    """The type a member's own definition gives it: `client: Client`, `Client client;`,
    `client *Client` (Go), `self.client = Client(...)` (Python)."""
    if language == "go":
        match = _GO_FIELD.match(signature)
        return TypeHint(match.group(2), False) if match and match.group(1) == name else None
    text = signature if signature.rstrip().endswith((";", ")")) else signature + ";"
    hint = variable_type(text, len(text), name, language)
    return hint if hint is not None and not hint.member else None


@functools.lru_cache(maxsize=4096)
def innermost_type(annotation: str) -> str:
    """The class an annotation is about: `Optional[Client]` -> Client, `"Client"` -> Client,
    `Client | None` -> Client, `*Client` -> Client, `Box<Client>` -> Client."""
    names = re.findall(_DOTTED, annotation.replace('"', " ").replace("'", " "))
    for name in names:
        compact = re.sub(r"\s+", "", name)
        last = re.split(r"\.|::", compact)[-1]
        if last in _WRAPPERS or last in ("None", "null", "undefined", "mut", "const", "dyn", "impl"):
            continue
        return compact
    return ""


_RETURNS = {
    "python": re.compile(r"->\s*(.+?)\s*$", re.DOTALL),
    "rust": re.compile(r"->\s*(.+?)\s*(?:where\b.*)?$", re.DOTALL),
    "typescript": re.compile(r"\)\s*:\s*([^={]+?)\s*$", re.DOTALL),
    "go": re.compile(r"\)\s*\(?\s*\*?([\w.]+)[^()]*\)?\s*$", re.DOTALL),
}
_RETURNS["tsx"] = _RETURNS["javascript"] = _RETURNS["typescript"]


@functools.lru_cache(maxsize=4096)
def return_type(signature: str, name: str, language: str) -> str:
    """The type a function's signature says it returns ("" when it says none)."""
    pattern = _RETURNS.get(language)
    if pattern is not None:
        match = pattern.search(signature)
        return innermost_type(match.group(1)) if match else ""
    # Java, C, C++: the words before the name, minus modifiers.
    head = signature.split(name + "(", 1)[0] if name + "(" in signature else ""
    words = [w for w in re.findall(_DOTTED, head) if w not in _MODIFIERS]
    return innermost_type(words[-1]) if words else ""


_MODIFIERS = frozenset(
    "public private protected static final abstract synchronized native default const inline "
    "extern virtual unsigned signed struct void".split()
)

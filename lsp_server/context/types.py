"""What type a variable has, read from the code above the cursor, for `variable.` completions.

No type checker: the nearest line above the cursor that binds the variable says it, in the
forms that name a type outright:
- an annotation: `client: Client` (Python, TypeScript, Rust parameters and lets), `Client client`
  and `Client client = ...` (Java, C, C++), `c *Client` / `var c Client` (Go);
- a constructor: `c = Client(...)`, `new Client(...)`, `Client{...}`/`&Client{...}` (Go),
  `Client::new(...)`/`Client { ... }` (Rust);
- a call whose definition declares what it returns: `c = make_client()` with
  `def make_client() -> Client` (the caller then reads the return type off the signature).
The result is a name to resolve (`TypeHint.name`, possibly dotted: `models.Client`) and whether
it is the type itself or a function whose return type is wanted.
"""

from __future__ import annotations

import functools
import re
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


@functools.lru_cache(maxsize=2048)
def _patterns(variable: str, language: str) -> list[tuple[re.Pattern[str], bool]]:
    """(pattern whose group 1 is a type or callee, is it a call) for one variable."""
    v = re.escape(variable)
    annotation = rf"(?<![\w$.]){v}\s*\??\s*:\s*(?:&\s*(?:mut\s+)?)?({_DOTTED}(?:\s*\[[^\]\n]*\])?)"
    common = [
        (re.compile(rf"(?<![\w$.]){v}\s*(?::\s*[^=\n]+)?=\s*(?:await\s+)?new\s+({_DOTTED})"), False),
    ]
    if language == "python":
        return [
            (re.compile(annotation), False),
            (re.compile(rf"(?<![\w.]){v}\s*=\s*(?:await\s+)?({_DOTTED})\s*\("), True),
            (re.compile(rf"\bwith\s+(?:await\s+)?({_DOTTED})\s*\([^\n]*\bas\s+{v}\b"), True),
        ]
    if language in ("typescript", "tsx", "javascript"):
        return [
            *common,
            (re.compile(annotation), False),
            (re.compile(rf"(?<![\w$.]){v}\s*=\s*(?:await\s+)?({_DOTTED})\s*(?:<[^>\n]*>)?\s*\("), True),
        ]
    if language == "go":
        return [
            (re.compile(rf"(?<![\w.]){v}\s*(?:,\s*{_NAME}\s*)?:?=\s*&?({_DOTTED})\s*\{{"), False),
            (re.compile(rf"(?<![\w.]){v}\s*(?:,\s*{_NAME}\s*)?:?=\s*({_DOTTED})\s*\("), True),
            (re.compile(rf"\bvar\s+{v}\s+\*?({_DOTTED})"), False),
            (re.compile(rf"[(,]\s*{v}\s+(?:\.\.\.)?\*?({_DOTTED})"), False),
        ]
    if language == "rust":
        return [
            (re.compile(annotation), False),
            (
                re.compile(
                    rf"\blet\s+(?:mut\s+)?{v}\s*=\s*&?(?:mut\s+)?({_NAME})\s*(?:::\s*<[^>\n]*>)?\s*(?:\{{|::\s*(?:new|default|with_\w+|from\w*)\b)"
                ),
                False,
            ),
            (re.compile(rf"\blet\s+(?:mut\s+)?{v}\s*=\s*({_DOTTED})\s*\("), True),
        ]
    # Java, C, C++: the type stands before the name.
    return [
        *common,
        (
            re.compile(
                rf"(?:^|[(,;{{]|\bstruct\s|\bfinal\s)\s*(?:struct\s+)?({_DOTTED})\s*(?:<[^;=()\n]*>)?[\s*&]+{v}\s*[=;,)\[]",
                re.MULTILINE,
            ),
            False,
        ),
    ]


def variable_type(text: str, offset: int, variable: str, language: str) -> TypeHint | None:
    """The type of `variable` at `offset`, from its nearest binding above the cursor. Only
    the lines that mention the variable are searched, nearest first."""
    window = text[max(0, offset - SEARCH_CHARS) : offset]
    patterns = None
    for line in reversed(window.split("\n")):
        if variable not in line:
            continue
        if patterns is None:
            patterns = _patterns(variable, language)
        best: tuple[int, TypeHint] | None = None
        for pattern, call in patterns:
            for match in pattern.finditer(line):
                name = innermost_type(match.group(1)) if not call else re.sub(r"\s+", "", match.group(1))
                if name and (best is None or match.start() > best[0]):
                    best = (match.start(), TypeHint(name, call))
        if best is not None:
            return best[1]
    return None


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

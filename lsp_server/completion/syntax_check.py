"""A last check on an inline suggestion: does it break the syntax where it would be inserted?

The model sometimes writes a good line and then keeps going: a closer too many (`return x))`),
junk after a finished statement (`foo(x):`), a stray `}` that ends the enclosing function. Such a
suggestion is cut back to its longest prefix that breaks nothing, or dropped. The aim is to stop
suggestions that break code, not to demand finished code: when in doubt, a suggestion is kept.

The window. A window of whole lines around the cursor is parsed with the index's tree-sitter
grammar, the suggestion inserted at the cursor; only when that shows errors is it parsed as it
is too (the baseline, to compare with), and cut candidates then reuse the baseline's tree
(incremental parsing). The window starts at a line that starts a unit of code (a definition or
a statement, after a line that ends one) and encloses the cursor, at column 0 when one is within
MAX_LINES_ABOVE lines, and ends before the next unit at that level: typically one function, a
fraction of a millisecond to parse whatever the file's size. Block comments, docstrings and C's
`#if` lines are looked through, so that the window neither starts nor ends inside them.

What counts. The errors (ERROR and MISSING nodes) from the start of the cursor's line to the
window's end. An error outside the suggestion that the baseline has at the same place (start and
end, shifted past the suggestion) is not the suggestion's fault: the user is mid-statement, or
the code is broken there already. Of the others, these only say "not finished yet", and a
suggestion may be a prefix of what the user will write, so they are forgiven:
- a MISSING node after the written code (the suggestion and the rest of its line): `foo(a`;
- an ERROR that reaches the end of the written code when that code ends open: an unclosed
  bracket or string, a trailing operator, comma or dot, an operator keyword (`and`, `new`), a
  Python block header whose `:` or body is still to come;
- an ERROR that starts above the cursor's line and runs on past the written code, where the
  baseline was unfinished above the cursor already (a call's arguments over several lines);
- in `;` languages (C, C++, Java, Rust), errors that go once `;` is appended (`int x = 5`);
- in C and C++, an ERROR that is one identifier: a macro the parser cannot know.
Any other new error fails the suggestion. A suggestion that fails is cut: the text before its
first new error is tried first; beyond what passes, line ends and then the word and punctuation
boundaries of the first failing line are bisected, within MAX_CUT_PARSES parses and
MAX_CHECK_SECONDS.

Unchecked (passed unchanged): languages without a grammar here, a cursor in a block comment or
on a C directive line, a line too long to parse cheaply (minified code), a docstring or comment
too long to close within the window.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import tree_sitter

from ..index.languages import LANGUAGES_BY_NAME, LanguageSpec, language_for_path, language_for_source

SyntaxAction = Literal["kept", "cut", "dropped", "unchecked"]

# VS Code language ids -> the index's language names (the spec names are accepted as they are).
LANGUAGE_IDS = {
    "python": "python",
    "javascript": "javascript",
    "javascriptreact": "javascript",  # the JavaScript grammar parses JSX
    "typescript": "typescript",
    "typescriptreact": "tsx",
    "tsx": "tsx",
    "go": "go",
    "rust": "rust",
    "java": "java",
    "c": "c",
    "cpp": "cpp",
}
# Languages whose statements end with `;`: an unterminated statement is an ERROR there.
SEMICOLON_LANGUAGES = frozenset({"c", "cpp", "java", "rust"})

# The window: a unit start at least this many lines above the cursor will do, at most this many
# above and below, this many characters. (100 lines of clean code parse in 0.1-0.3 ms; code with
# errors costs several times that, in the parser's error recovery.)
WANTED_LINES_ABOVE = 40
MAX_LINES_ABOVE = 120
MAX_LINES_BELOW = 40
MAX_WINDOW_CHARS = 30_000
# Parses allowed for cutting a failing suggestion, beyond the check's own two; and the time after
# which cutting stops (counted from the check's start), with the longest prefix found so far.
MAX_CUT_PARSES = 8
MAX_CHECK_SECONDS = 0.005

OPENERS = "([{"
CLOSERS = {")": "(", "]": "[", "}": "{"}
# A line ending with one of these continues on the next line, in every language here.
CONTINUING_CHARS = frozenset(",([{=+-*/%&|^<>!~?.\\")
# Operator keywords after which an expression must follow.
CONTINUING_WORDS = frozenset(
    "and or not in is if elif else await yield new typeof instanceof as lambda throw raise "
    "with for while def class fn func let const var import from case match".split()
)
PYTHON_BLOCK_HEADER = re.compile(
    r"^\s*(?:async\s+)?(?:if|elif|else|for|while|def|class|with|try|except|finally|match|case)\b"
)
# A line that can start a unit of code (a definition, a statement), once its indentation is
# stripped; not a closer, not the second half of a statement (`else`). Python's are strict:
# docstrings start lines with words like `for` and `if` too.
PYTHON_STATEMENT_START = re.compile(
    r"(?:async\s+)?def\s+\w+\s*[(\[]|class\s+\w+\s*[(:\[]|@\w|import\s+\w|from\s+[\w.]+\s+import\b"
    r"|(?:if|for|while|with|try)\b.*:\s*(?:#.*)?$|[A-Za-z_][\w.]*\s*(?::[^=]*)?=[^=]"
)
STATEMENT_START = re.compile(r"(?!(?:else|catch|finally)\b)(?:[\w$@#]|//|/\*)")
# C's conditional directives: they cut across blocks, so the window search looks through them.
PREPROCESSOR_CONDITIONAL = re.compile(r"\s*#\s*(?:if|ifdef|ifndef|elif|else|endif)\b")
# An ERROR that is one identifier: in C and C++, most likely a macro (`static void API name(`).
LONE_IDENTIFIER = re.compile(rb"\s*[A-Za-z_]\w*\s*")
# Lines after which a C, C++, Java or Rust unit may start: a statement or block ended, a directive.
UNIT_ENDINGS = (";", "}", "{", ")", "*/")
WORD_CHAR = re.compile(r"\w")


@dataclass(frozen=True)
class SyntaxVerdict:
    text: str  # the suggestion to show: whole, cut, or "" when nothing of it is valid
    action: SyntaxAction


def spec_for(language_id: str, path: str | Path | None, text: str = "") -> LanguageSpec | None:
    """The grammar for a document: from its language id, or from its path when it has none.

    An unknown id means an unsupported language, even if the file's extension says otherwise.
    """
    if language_id:
        name = LANGUAGE_IDS.get(language_id)
        spec = LANGUAGES_BY_NAME.get(name) if name else None
        if spec is not None and spec.name == "c" and path is not None and str(path).lower().endswith(".h"):
            # A header that uses C++ syntax parses badly as C: the index makes the same choice.
            spec = language_for_source(path, _utf8(text[:65_536])) or spec
        return spec
    return language_for_path(path) if path is not None else None


# Parsers hold per-parse state: one per thread and language.
_local = threading.local()


def _parser(spec: LanguageSpec) -> tree_sitter.Parser:
    parsers: dict[str, tree_sitter.Parser] | None = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    parser = parsers.get(spec.name)
    if parser is None:
        parser = parsers[spec.name] = tree_sitter.Parser(spec.language)
    return parser


def check_suggestion(
    text: str, offset: int, suggestion: str, language_id: str, path: str | Path | None = None
) -> SyntaxVerdict:
    """The suggestion as it may be shown at `offset` (code points into `text`, the document
    without the suggestion): kept, cut to its longest valid prefix, dropped, or unchecked."""
    spec = spec_for(language_id, path, text)
    offset = max(0, min(offset, len(text)))
    if spec is None:
        return SyntaxVerdict(suggestion, "unchecked")
    if not suggestion.strip():
        return SyntaxVerdict(suggestion, "kept")  # nothing to parse
    layout = _Layout.of(spec.name)
    line_start = text.rfind("\n", 0, offset) + 1
    if layout.preprocessor and text[line_start:offset].lstrip().startswith("#"):
        return SyntaxVerdict(suggestion, "unchecked")  # a directive: its own small language
    window = _Window.around(text, offset, layout)
    if window is None:
        return SyntaxVerdict(suggestion, "unchecked")
    checker = _Checker(spec, layout, window)
    failed_at = checker.first_error(suggestion)
    if failed_at is None:
        return SyntaxVerdict(suggestion, "kept")
    cut = checker.longest_valid_prefix(suggestion, failed_at)
    return SyntaxVerdict(cut, "cut") if cut.strip() else SyntaxVerdict("", "dropped")


def indentation(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


@dataclass(frozen=True)
class _Layout:
    """How a language lays out units of code, as far as choosing a window goes."""

    python: bool
    semicolons: bool  # statements end with `;` (no automatic insertion)
    # A class member does not parse outside its class (JavaScript, TypeScript): look further up,
    # for a column-0 start.
    members_need_class: bool = False
    preprocessor: bool = False  # C and C++: directives and macros

    @staticmethod
    def of(language: str) -> _Layout:
        return _Layout(
            python=language == "python",
            semicolons=language in SEMICOLON_LANGUAGES,
            members_need_class=language in ("javascript", "typescript", "tsx"),
            preprocessor=language in ("c", "cpp"),
        )

    def skipped(self, line: str) -> bool:
        """Lines the window search looks through: C's conditional directives."""
        return self.preprocessor and bool(PREPROCESSOR_CONDITIONAL.match(line))

    def starts_unit(self, line: str) -> bool:
        pattern = PYTHON_STATEMENT_START if self.python else STATEMENT_START
        return bool(pattern.match(line.lstrip(" \t")))

    def unit_may_follow(self, line: str) -> bool:
        """Whether a line ends what it is (a unit may start on the next line): it does not go on
        with a trailing operator or an open bracket, and in `;` languages it ends a statement."""
        stripped = line.rstrip()
        if not self.python and stripped.endswith("{"):
            return True  # a class or namespace opens: its first member is a unit
        if stripped[-1:] in CONTINUING_CHARS - {"<", ">", "/"}:
            return False
        return not self.semicolons or stripped.endswith(UNIT_ENDINGS) or stripped.lstrip().startswith(("#", "//"))


@dataclass(frozen=True)
class _Window:
    """The lines parsed around the cursor, and the cursor's place in them."""

    before: str  # window text before the cursor
    after: str  # window text after the cursor
    line_start: int  # code points from the window's start to the cursor line's start
    line_suffix: str  # the cursor line after the cursor

    @staticmethod
    def around(text: str, offset: int, layout: _Layout) -> _Window | None:
        """The window, or None where checking is pointless: a minified line, a comment."""
        line_start = text.rfind("\n", 0, offset) + 1
        line_end = text.find("\n", offset)
        line_end = len(text) if line_end < 0 else line_end
        if line_end - line_start > MAX_WINDOW_CHARS // 2:
            return None
        line = text[line_start:line_end]
        cursor_indent = indentation(line) if line.strip() else offset - line_start
        if not layout.python:  # every other language here has /* block comments */
            lookback = max(0, offset - 100_000)
            if text.rfind("/*", lookback, offset) > text.rfind("*/", lookback, offset):
                return None  # the cursor is in a comment: prose, not code
        start, indent = _window_start(text, line_start, cursor_indent, layout)
        end, cut_short = _window_end(text, line_end, indent, layout)
        end = _close_multiline_tokens(text, start, end, layout)
        if end < 0:
            return None
        if line_start - start > MAX_WINDOW_CHARS // 2:  # long lines: fewer of them
            start = text.find("\n", line_start - MAX_WINDOW_CHARS // 2) + 1
        if end - line_end > MAX_WINDOW_CHARS // 2:
            end, cut_short = text.rfind("\n", 0, line_end + MAX_WINDOW_CHARS // 2), True
        after = text[offset:end]
        if cut_short and not layout.python:
            # A window cut inside a function leaves its `{` open: the parser would wrap the whole
            # function in an error, differently with each suggestion. Close what is open.
            depth = text.count("{", start, end) - text.count("}", start, end)
            after += "\n" + "}" * depth if depth > 0 else ""
        return _Window(text[start:offset], after, line_start - start, text[offset:line_end])


def _close_multiline_tokens(text: str, start: int, end: int, layout: _Layout) -> int:
    """The window's end moved past the close of a docstring or comment that it would cut
    (cut, the rest of the window would be parsed as code); -1 when that is too far."""
    for opener, closer in (('"""', '"""'), ("'''", "'''")) if layout.python else (("/*", "*/"),):
        if opener == closer:
            cut = text.count(opener, start, end) % 2 == 1
        else:
            cut = text.rfind(opener, start, end) > text.rfind(closer, start, end)
        if cut:
            close = text.find(closer, end)
            if close < 0 or close - start > MAX_WINDOW_CHARS:
                return -1
            end = text.find("\n", close)
            end = len(text) if end < 0 else end
    return end


def _window_start(text: str, line_start: int, cursor_indent: int, layout: _Layout) -> tuple[int, int]:
    """Where the window starts above the cursor, and that line's indentation: the least indented
    unit start that encloses the cursor (the nearest one at that indentation), looked for until
    one is at column 0 or WANTED_LINES_ABOVE lines up; the file's start when in reach."""
    best: tuple[int, int] | None = None
    lowest = cursor_indent  # a line indented deeper than one below it is in a block closed before
    pending: tuple[int, int] | None = None  # a unit start, taken if the line above lets it start
    in_comment = False  # in a /* block comment */ that starts above
    end = line_start
    for scanned in range(MAX_LINES_ABOVE):
        if end == 0:
            return 0, 0  # the whole top of the file fits
        if best is not None and scanned >= WANTED_LINES_ABOVE and not layout.members_need_class:
            if best[1] < cursor_indent:
                return best  # far enough up, and around the cursor's block
        start = text.rfind("\n", 0, end - 1) + 1
        line = text[start : end - 1]
        end = start
        if not line.strip() or layout.skipped(line):
            continue
        if pending is not None and layout.unit_may_follow(line):
            best = pending
            if best[1] == 0:
                return best
        pending = None
        if in_comment or _ends_block_comment(line, layout):  # comment lines are neither starts nor code
            in_comment = "/*" not in line
            continue
        indent = indentation(line)
        if indent <= lowest and (best is None or indent < best[1]) and layout.starts_unit(line):
            pending = (start, indent)
        lowest = min(lowest, indent)
    return best or (end, lowest)  # none found: as many lines as allowed


def _window_end(text: str, line_end: int, indent: int, layout: _Layout) -> tuple[int, bool]:
    """Where the window ends below the cursor: before the first line that leaves the start's
    block or starts its next sibling unit, within MAX_LINES_BELOW lines (else it is cut short,
    the second value). The next non-blank line is in unless it leaves the block: a stray `}` in
    a suggestion shows as an error on the block's own `}` there."""
    previous = ""  # the last line of code below the cursor's
    in_comment = False
    position = line_end
    for _ in range(MAX_LINES_BELOW):
        if position >= len(text):
            return position, False
        start = position + 1
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line = text[start:end]
        position = end
        if not line.strip() or layout.skipped(line):
            continue
        if in_comment:
            in_comment = "*/" not in line
            continue
        line_indent = indentation(line)
        if line_indent < indent or (
            previous and line_indent == indent and layout.starts_unit(line) and layout.unit_may_follow(previous)
        ):
            return start, False
        if not layout.python and line.rfind("/*") > line.rfind("*/"):
            in_comment = True
        else:
            previous = line
    return position, True


def _ends_block_comment(line: str, layout: _Layout) -> bool:
    """Whether a line ends a /* block comment */ that starts on a line above."""
    closed = line.find("*/")
    return not layout.python and closed >= 0 and not 0 <= line.find("/*") < closed


def _ends_open(code: str, python: bool, in_brackets: bool) -> bool:
    """Whether code (from the start of the cursor's line) ends unfinished: an unclosed bracket
    or string, a trailing operator, a Python block header without its `:` yet. A closer that
    does not match the bracket it would close is broken code, never unfinished. `in_brackets`:
    the code above is unfinished, so the line may be inside brackets opened there."""
    stack: list[str] = []
    quote = ""
    escaped = False
    header_colon = False  # a `:` outside brackets: a Python block header has it
    for char in code:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'`":
            quote = char
        elif char in OPENERS:
            stack.append(char)
        elif char in CLOSERS and stack:  # with no opener here, it may close one on a line above
            if stack.pop() != CLOSERS[char]:
                return False
        elif char == ":" and not stack:
            header_colon = True
        elif char == "\n":
            header_colon = False
    if stack or quote:
        return True
    last_line = code.rstrip().rsplit("\n", 1)[-1]
    stripped = last_line.rstrip()
    if not stripped:
        return False
    if python and PYTHON_BLOCK_HEADER.match(last_line):
        return not header_colon or stripped[-1] == ":"  # its `:` is still to come, or its body
    if stripped[-1] == ":":
        # In Python a `:` ends a block header, a lambda's parameters or a dict key (inside
        # brackets); anywhere else it is junk.
        return not python or in_brackets or "lambda" in last_line
    if stripped[-1] in CONTINUING_CHARS:
        return True
    words = re.findall(r"\w+", stripped[-12:])
    return bool(words) and stripped.endswith(words[-1]) and words[-1] in CONTINUING_WORDS


class _Checker:
    """Parses the window with a suggestion inserted and compares its errors with the baseline's.

    The baseline is parsed only when a suggestion shows errors: a good suggestion usually
    leaves none, and the baseline (the user mid-statement) is the costlier parse, its errors
    sending the parser into recovery."""

    def __init__(self, spec: LanguageSpec, layout: _Layout, window: _Window) -> None:
        self.parser = _parser(spec)
        self.layout = layout
        self.window = window
        self.before = _utf8(window.before)
        self.after = _utf8(window.after)
        self.cursor = len(self.before)
        self.region_start = len(_utf8(window.before[: window.line_start]))
        self.parses = 0
        self.deadline = time.perf_counter() + MAX_CHECK_SECONDS
        self.tree: tree_sitter.Tree | None = None  # the baseline's, once parsed
        # An error the suggestion leaves alone is found again at the same place, shifted past it.
        self.baseline: Counter[tuple[int, int, bool]] = Counter()
        self.open_above = False
        # Where the cursor is as tree-sitter counts: (row, byte column).
        self.point = (self.before.count(b"\n"), self.cursor - (self.before.rfind(b"\n") + 1))

    def _parse_baseline(self) -> None:
        tree = self.tree = self.parser.parse(self.before + self.after)
        # Where the code above the cursor's line ends (blank lines left out).
        code_above_end = len(_utf8(self.window.before[: self.window.line_start].rstrip()))
        baseline = _errors(tree.root_node, code_above_end)
        self.baseline = Counter(baseline)
        # Whether the code above the cursor's line is unfinished (a call's arguments, a dict over
        # several lines): an error runs from above to its end. What is unfinished on the
        # cursor's own line, `_ends_open` sees.
        self.open_above = any(start < self.region_start and end >= code_above_end for start, end, _ in baseline)

    def passes(self, suggestion: str) -> bool:
        """Whether inserting the suggestion adds no error near it, "not finished yet" ones aside."""
        return self.first_error(suggestion) is None

    def first_error(self, suggestion: str) -> int | None:
        """Where in the suggestion (code points) its first new error starts, 0 when that is
        before it; None when it passes."""
        at = self._first_new_error(suggestion)
        if at is None:
            return None
        # In a language of `;`-terminated statements an unfinished one is an ERROR, not a
        # MISSING `;`: try the statement with its `;`.
        stripped = suggestion.rstrip()
        if self.layout.semicolons and not self.window.line_suffix.strip() and stripped[-1:] not in ("", ";", "{", "}"):
            if self._first_new_error(stripped + ";") is None:
                return None
        return len(_utf8(suggestion)[: max(0, at - self.cursor)].decode("utf-8", "ignore"))

    def _first_new_error(self, suggestion: str) -> int | None:
        """The start (a byte in the window) of the first error the suggestion adds, if any."""
        inserted = _utf8(suggestion)
        cursor, size = self.cursor, len(inserted)
        self.parses += 1
        source = self.before + inserted + self.after
        errors = _errors(self._parse_with(inserted, source).root_node, self.region_start)
        if not errors:
            return None
        if self.tree is None:
            self._parse_baseline()
        # Where the written code ends: after the suggestion and the rest of its line.
        written_end = cursor + len(_utf8((suggestion + self.window.line_suffix).rstrip()))
        open_end: bool | None = None  # computed when needed: most suggestions have no error at all
        baseline = self.baseline.copy()
        first: int | None = None
        for start, end, missing in sorted(errors):
            if end <= cursor or start >= cursor + size:  # not in the suggestion: there before?
                shift = 0 if end <= cursor else size
                key = (start - shift, end - shift, missing)
                if baseline[key] > 0:
                    baseline[key] -= 1
                    continue
            if first is not None:
                continue  # the others only need to be matched with the baseline's
            if missing and start >= written_end:
                continue  # a token expected after the code: the user has not written it yet
            if self.layout.preprocessor and not missing and LONE_IDENTIFIER.fullmatch(source, start, end):
                continue  # a macro the parser cannot know
            if start < self.region_start and end > written_end and self.open_above:
                continue  # code unfinished above the cursor still runs on past the suggestion
            if end >= written_end:
                if open_end is None:
                    line = self.window.before[self.window.line_start :] + suggestion + self.window.line_suffix
                    open_end = _ends_open(line, self.layout.python, self.open_above)
                if open_end:
                    continue  # the suggestion's line ends unfinished
            first = start
        return first

    def _parse_with(self, inserted: bytes, source: bytes) -> tree_sitter.Tree:
        """The window parsed with `inserted` at the cursor, reusing the baseline's tree (once
        there is one) where the insertion leaves it alone: several times faster than afresh."""
        if self.tree is None:
            return self.parser.parse(source)
        row, column = self.point
        lines = inserted.count(b"\n")
        end_point = (row + lines, len(inserted) - inserted.rfind(b"\n") - 1) if lines else (row, column + len(inserted))
        edited = self.tree.copy()
        edited.edit(self.cursor, self.cursor, self.cursor + len(inserted), self.point, self.point, end_point)
        return self.parser.parse(source, edited)

    def longest_valid_prefix(self, suggestion: str, failed_at: int) -> str:
        """The longest prefix that passes. The text before the first error is tried first (one
        parse, often the answer); then, beyond what passed, line ends and the token boundaries
        of the first failing line are bisected, as text that breaks somewhere stays broken."""
        self.parses = 0
        passed = len(suggestion[:failed_at].rstrip())
        if not suggestion[:passed].strip() or not self._in_budget() or not self.passes(suggestion[:passed]):
            passed = 0
        line_ends, position = [], 0
        for line in suggestion.split("\n")[:-1]:
            position += len(line)
            if line.strip() and position > passed:
                line_ends.append(position)
            position += 1
        best, failing = self._bisect(suggestion, line_ends)
        best = max(best, passed)
        line_start = suggestion.rfind("\n", 0, failing) + 1
        tokens = [
            line_start + cut for cut in _token_boundaries(suggestion[line_start:failing]) if line_start + cut > best
        ]
        best = max(best, self._bisect(suggestion, tokens)[0])
        return suggestion[:best].rstrip()

    def _in_budget(self) -> bool:
        return self.parses < MAX_CUT_PARSES and time.perf_counter() < self.deadline

    def _bisect(self, suggestion: str, cuts: list[int]) -> tuple[int, int]:
        """(the longest cut that passes or 0, the shortest that fails or the whole length)."""
        low, high = -1, len(cuts)
        while high - low > 1 and self._in_budget():
            middle = (low + high) // 2
            if self.passes(suggestion[: cuts[middle]]):
                low = middle
            else:
                high = middle
        return (cuts[low] if low >= 0 else 0), (cuts[high] if high < len(cuts) else len(suggestion))


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _token_boundaries(line: str) -> list[int]:
    """Cut points inside a line after a word or a punctuation character, never after a space."""
    cuts = []
    for i in range(1, len(line)):
        previous, char = line[i - 1], line[i]
        if previous.isspace():
            continue
        if char.isspace() or not (WORD_CHAR.match(previous) and WORD_CHAR.match(char)):
            cuts.append(i)
    return cuts


def _errors(root: tree_sitter.Node, start: int) -> list[tuple[int, int, bool]]:
    """(start byte, end byte, is MISSING) of the error nodes that end at or after `start`; only
    subtrees that hold an error are visited."""
    found: list[tuple[int, int, bool]] = []
    stack = [root] if root.has_error else []
    while stack:
        node = stack.pop()
        if node.is_missing or node.is_error:
            found.append((node.start_byte, node.end_byte, node.is_missing))
        stack.extend(child for child in node.children if child.has_error and child.end_byte >= start)
    return found

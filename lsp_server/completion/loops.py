"""Where a completion falls into a loop: the rules that stop it and cut it.

Small code models decoding greedily repeat themselves: a phrase along a line
(`offset, offset, offset, …`), one character without end (`,3233333…`), or a few lines
written over and over. The engine calls `loop_start` after every token to end such a
generation early; post-processing calls it on each finished line to cut the text where the
repetition starts, keeping one copy. One function for both, so they agree.

The rules read text, not token ids: remote engines stream text. A line is split into
lexical tokens by a small regex (names, numbers, strings, tags, runs of one punctuation
character), so a repeat ignores spacing and does not depend on the model's tokenizer.

The rules and their thresholds:

- In a line, a unit of 1 to 12 tokens repeated three times in a row. Code writes a name
  twice in a row (`f(x, x, y)`), hardly ever three times (`y, y, y`). Units that open more
  brackets than they close nest rather than loop (`List[List[List[int]]]`): five copies.
  Units without a name fill tables: numbers, strings, punctuation, markup, and names that
  are values or types (None, int, Path.LINETO). They are a loop only once the copies run
  longer than a line is ever written (120 characters): `0x00, 0x00, …` and `[0, 0, 0]` are
  fine. One copy is kept, without the comma that would go on to the next.
- One character repeated past a plausible length: 32 for a letter or digit (`1000000` is
  fine, `3233333…` is not), 64 for 0, f and F (hex fills such as a zero address or an
  all-ones mask), 120 for punctuation and spaces (a separator line of 79 `=` is fine). Such
  a number, name or separator is made up: the whole token is dropped.
- Lines: a line equal to the one above it, as written (the same statement after the block
  it ends is fine), or a block of 2 to 4 lines written three times in a row, indentation
  aside (a loop on `if x:` and its body nests deeper each time). A cycle needs a name in
  it: closing brackets and table rows repeat legitimately.

A repeat must reach into the generated text: what the user typed before the cursor only
counts as a first copy. The last token of unfinished text is left out ("y" may grow into
"y_max"), so a loop is seen once a character follows its third copy.
"""

from __future__ import annotations

import re

MAX_UNIT = 12  # tokens in a unit that repeats along a line
COPIES = 3  # copies of a unit, or of a block of lines, that make a loop
NESTED_COPIES = 5  # copies of a unit that opens brackets: nesting three deep is common
MAX_LINE = 120  # characters; longer than any formatted line
MAX_PERIOD = 4  # lines in a block that repeats
# Characters repeated more than this many times in a row make a loop.
MAX_ALNUM_RUN = 32
MAX_FILL_RUN = 64  # for FILL characters
FILL = "0fF"
TYPED_CONTEXT = 200  # characters of the cursor's line prefix looked at: a unit's first copy fits
# Characters at the end of an unfinished line looked at: a loop is found as soon as it
# completes, and then it spans a line's length at most (a unit of names, much less).
LINE_TAIL = 2 * MAX_LINE

# Names that are values or types: they fill lists legitimately, (None, None, None) or
# tuple[float, float, float, float], so they count as literals rather than names. So do
# constants in capitals: [Path.LINETO, Path.LINETO, Path.LINETO].
LITERAL_NAMES = frozenset(
    {"None", "True", "False", "null", "nil", "true", "false", "undefined", "nullptr", "inf", "nan"}
    | {"int", "float", "str", "bool", "bytes", "double", "char", "_"}
)

TOKEN = re.compile(
    r"""
      [^\W\d]\w*(?:\.[^\W\d]\w*)*              # a name, dotted or not: x, self.x, Path.LINETO
    | \d[\w.]*                              # a number: 42, 0x00, 3.14, 1e10
    | "(?:[^"\\\n]|\\.)*" | '(?:[^'\\\n]|\\.)*'   # a string closed on this line
    | </[\w.:-]*> | (?<!\w)<[^\W\d][\w.:-]*     # a tag, not vector<int>: markup repeats, <td>0</td><td>0</td>
    | &\#?\w+;                               # an HTML entity is a character: &nbsp;&nbsp;&nbsp;
    | (?P<mark>[^\w\s])(?P=mark)*           # a run of one punctuation character: ))) or ====
    """,
    re.VERBOSE,
)
RUN = re.compile(rf"(.)\1{{{MAX_ALNUM_RUN},}}")  # candidates only: limits depend on the character

# A line's tokens are matched as one character each (same token, same character) so that a
# regex with back-references finds units repeated in a row. Literal tokens get characters
# below LITERAL_END, names characters from it on.
LITERAL_END = 0x10000
LITERAL = "[\u0100-\uffff]"
NAME_CHAR = "[\U00010000-\U0010ffff]"
# The earliest unit with a name in it repeated three times, shortest first.
UP_TO = f"{{0,{MAX_UNIT - 1}}}"
NAME_LOOP = re.compile(rf"({LITERAL}{UP_TO}{NAME_CHAR}.{UP_TO}?)\1\1", re.DOTALL)
LITERAL_LOOP = re.compile(rf"({LITERAL}{{1,{MAX_UNIT}}}?)\1\1")
OPENERS, CLOSERS = "([{<", ")]}>"


def loop_start(text: str, line_prefix: str = "", *, final: bool = False) -> int | None:
    """The index in text where its redundant repetition starts, or None if it has none:
    text[:index] keeps one copy (it is 0 when the loop continues what the user typed).

    text is a completion so far; its first line continues line_prefix, the text before the
    cursor on its line. Only the tail is looked at, the last line and the lines just above
    it, so that a call after every token is cheap: earlier loops would have stopped the
    generation already. final: text is finished, its last line and last token are complete
    (post-processing calls it so on each line in turn).
    """
    line_start = text.rfind("\n") + 1
    if line_start:
        line, typed = text[line_start:], 0
    else:
        line, typed = line_prefix + text, len(line_prefix)
    cuts = []
    in_line = _line_loop(line, typed, final)
    if in_line is not None:
        cuts.append(line_start + in_line - typed)
    lines = _line_cycle(text, line_prefix, final)
    if lines is not None:
        cuts.append(lines)
    return min(cuts, default=None)


def _line_loop(line: str, typed: int, final: bool) -> int | None:
    """Where the loop in one line starts, an index in line not before typed, or None.

    The first typed characters of line are the user's (the cursor's line prefix)."""
    skip = max(0, typed - TYPED_CONTEXT)  # a very long line: its start cannot be a first copy
    if not final:
        skip = max(skip, len(line) - LINE_TAIL)
    spans = [m.span() for m in TOKEN.finditer(line, skip)]
    cuts = []

    # A character run: drop the whole token it is in (or the spaces).
    for run in RUN.finditer(line, skip):
        char, start, end = run.group(1), run.start(), run.end()
        limit = MAX_FILL_RUN if char in FILL else MAX_ALNUM_RUN if char.isalnum() else MAX_LINE
        if end > typed and end - start > limit:
            cuts.append(next((a for a, b in spans if a <= start < b), start))
            break

    if not final and spans and spans[-1][1] == len(line):
        spans.pop()  # may still grow
    first = next((i for i, (_, end) in enumerate(spans) if end > typed), None)
    if first is not None:
        tokens = [line[a:b] for a, b in spans]
        codes = _encode(tokens)
        # A unit's second copy must end in the generated text, so it starts at most two
        # units before the first generated token.
        search_from = max(0, first - 2 * MAX_UNIT)
        for pattern, is_loop in ((NAME_LOOP, _name_unit_loops), (LITERAL_LOOP, _literal_unit_loops)):
            match = pattern.search(codes, search_from)
            while match:
                start, size = match.start(), len(match.group(1))
                copies = _copies(codes, start, size)
                next_start = start + 1
                if size <= MAX_UNIT and start + 2 * size > first:
                    if is_loop(tokens, spans, start, size, copies):
                        keep = start + size  # tokens up to one copy
                        if size > 1 and tokens[keep - 1] == ",":
                            keep -= 1  # "x, x, x, " keeps "x", not a list to go on with
                        cuts.append(spans[keep][0])
                        break
                    # The unit's rotations further on in this run are no loop either.
                    next_start += (copies - COPIES) * size
                match = pattern.search(codes, next_start)

    if not cuts:
        return None
    cut = max(min(cuts), typed)
    while cut > typed and line[cut - 1] in " \t":
        cut -= 1
    return cut


def _encode(tokens: list[str]) -> str:
    """One character per token: equal tokens, equal characters; names above LITERAL_END."""
    chars: dict[str, str] = {}
    for token in tokens:
        if token not in chars:
            chars[token] = chr(len(chars) + (LITERAL_END if _is_name(token) else 0x100))
    return "".join([chars[token] for token in tokens])


def _copies(codes: str, start: int, size: int) -> int:
    """How many times the unit at start repeats in a row (at least the three matched)."""
    unit, end = codes[start : start + size], start + COPIES * size
    while codes.startswith(unit, end):
        end += size
    return (end - start) // size


def _name_unit_loops(tokens: list[str], spans: list[tuple[int, int]], start: int, size: int, copies: int) -> bool:
    unit = "".join(tokens[start : start + size])
    nests = sum(map(unit.count, OPENERS)) > sum(map(unit.count, CLOSERS))
    return copies >= (NESTED_COPIES if nests else COPIES)


def _literal_unit_loops(tokens: list[str], spans: list[tuple[int, int]], start: int, size: int, copies: int) -> bool:
    return spans[start + copies * size - 1][1] - spans[start][0] > MAX_LINE


def _line_cycle(text: str, line_prefix: str, final: bool) -> int | None:
    """Where a cycle of lines that text ends in starts its second copy (the newline before
    it), or None. Only complete lines count: all of them when final, else all but the last."""
    window = COPIES * MAX_PERIOD + 1  # lines looked at, one of them possibly not complete
    pieces = text.rsplit("\n", window)
    starts = []
    end = len(text)
    for piece in reversed(pieces):
        starts.append(end - len(piece))
        end -= len(piece) + 1
    starts.reverse()
    if len(pieces) > window:
        del pieces[0], starts[0]  # the rest of the text before the window
    else:
        pieces[0] = line_prefix + pieces[0]
    if not final:
        pieces.pop()
    lines = [piece.rstrip() for piece in pieces]
    # A line twice in a row, as written: the same text at another indentation can be right
    # (a statement after the block that ends with it).
    if len(lines) >= 2 and lines[-1] == lines[-2] and _has_name(lines[-1]):
        return starts[len(lines) - 1] - 1
    # A block of 2 to 4 lines three times in a row, indentation aside: a model looping on
    # `if x:` and its body indents each copy deeper. One line at several indentations is
    # no such block (nested `end`s, closing tags).
    stripped = [line.strip() for line in lines]
    for period in range(2, MAX_PERIOD + 1):
        first = len(lines) - COPIES * period
        if first < 0:
            break
        block, unit = stripped[first:], stripped[first : first + period]
        if block[:-period] == block[period:] and len(set(unit)) > 1 and any(map(_has_name, unit)):
            return starts[first + period] - 1
    return None


def _is_name(token: str) -> bool:
    """A name that is not a value: neither in LITERAL_NAMES nor a constant in capitals."""
    last = token.rpartition(".")[2]
    return (token[0].isalpha() or token[0] == "_") and last not in LITERAL_NAMES and not last.isupper()


def _has_name(line: str) -> bool:
    return any(_is_name(token.group()) for token in TOKEN.finditer(line))

"""Which of many names the code at the cursor is about to use, from the words around it.

A file that imports eighty names uses a few at any one place, and the one that comes next
mostly shares a word with the line being written (`cookie_header = |` wants
`get_cookie_header`, `auth: |` wants `Auth`) or with the head of the function around the
cursor (`def gen_structure_counter(...) -> |` wants `MappingStructureFn`). A name's affinity
is the share of its words, weighted by how rare each word is among the candidates, that the
cursor's line, the enclosing head and (less) the lines just above use: a word that every
candidate has (`structure` in a serialization library) says little, a rare one says much.
More hints: a name that starts with what the user has typed of it (`get_coo|`); where a
condition starts (`if |`), a predicate (`is_x`, `hasX`); and where a line just above has the
cursor's line's shape (rows of a table), a name that starts as the one that line has at the
cursor's place; and a name that came next, earlier in the file, after the name used last
(code that repeats a sequence: hooks registered again, a table's rows written twice).
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from .identifiers import IDENTIFIER, is_interesting, is_word_char, last_use
from .snippets import name_parts

LINE_WEIGHT = 1.5  # all of a name's words on the cursor's line
HEADER_WEIGHT = 0.75  # all of them in the head of the definition around the cursor
NEAR_WEIGHT = 0.6  # all of them in the lines just above (`NEAR_LINES`)
NEAR_LINES = 12
PREDICATE_WEIGHT = 0.5  # `is_x`/`hasX` where a condition starts (`if |`, `and |`, `!|`)
PARALLEL_WEIGHT = 0.8  # the first word of the name a line above has where the cursor is
PARALLEL_LINES = 3  # lines above searched for one that starts like the cursor's line
FOLLOW_WEIGHT = 1.0  # a name that came after the one used last, each earlier time (share of them)
FOLLOW_USES = 8  # earlier uses of the name used last that are looked at, the latest first
FOLLOW_CHARS = 200  # how far after such a use the name that came next is looked for
TYPED_WEIGHT = 2.0  # a name that starts with what the user has typed of the name at the cursor
# Characters of the name being typed that count: its first two, once there are two (more rarely
# change which names come first). The server gathers once per word (provider.py's reuse key), so
# this counts where a word's first request comes with two or more of its characters typed.
TYPED_CHARS = 2

_CONDITION_BEFORE = re.compile(r"(?:\b(?:if|elif|while|not|and|or|assert)|&&|\|\||!|\ball\(|\bany\()\s*$")
# A bare name being typed at the cursor (not a member: `x.na|` is for the member listings).
_TYPED = re.compile(r"(?<![\w$.:>])([A-Za-z_$][\w$]+)$")
_PREDICATE = re.compile(r"_?(?:is|has|can|should|Is|Has|Can|Should)(?:_|[A-Z])")


def words_of(name: str) -> tuple[str, ...]:
    """A name's lower-case words; a short name is its own word."""
    return name_parts(name) or (name.lower(),)


@dataclass(frozen=True)
class CursorWords:
    line: frozenset[str]  # the words of the cursor's line, up to the cursor
    header: frozenset[str]  # the words of the head of the definition around the cursor
    condition: bool  # the cursor starts a condition
    near: frozenset[str] = frozenset()  # the names used in the lines just above the cursor's line
    parallel: str = ""  # the first word of the name at the cursor's place in a line above
    typed: str = ""  # `typed_start` of the name being typed (`get_coo|`: "ge")


NO_WORDS = CursorWords(frozenset(), frozenset(), False)


def cursor_words(text: str, offset: int, header: str) -> CursorWords:
    """The words the code at `offset` uses; `header`: the enclosing definition's head ("" if none)."""
    line_start = text.rfind("\n", 0, offset) + 1
    line = text[line_start:offset]
    above = _lines_above(text, line_start)
    near = frozenset(word for word in IDENTIFIER.findall(text, above, line_start) if is_interesting(word))
    condition = _CONDITION_BEFORE.search(line) is not None
    typed = _TYPED.search(line)
    return CursorWords(
        _words(line),
        _words(header),
        condition,
        near,
        _parallel_word(text, line_start, line),
        typed_start(typed.group(1)) if typed is not None else "",
    )


def _lines_above(text: str, line_start: int) -> int:
    """Where the `NEAR_LINES` lines above the line starting at `line_start` start."""
    above = line_start
    for _ in range(NEAR_LINES):
        if above <= 1:
            return 0
        above = text.rfind("\n", 0, above - 1) + 1
    return above


def typed_start(typed: str) -> str:
    """What counts of a name typed so far: its first `TYPED_CHARS` characters, lower case, or
    "" while there are fewer."""
    return typed[:TYPED_CHARS].lower() if len(typed) >= TYPED_CHARS else ""


def _parallel_word(text: str, line_start: int, line: str) -> str:
    """Lines written alike (entries of a table, arms of a dispatch) name alike things: where
    a line just above starts as the cursor's line does up to the cursor, the first word of
    the name it has there (`is` for `(is_mapping, ...)` above `(|`)."""
    if not line.strip():
        return ""
    # The cursor's line up to the cursor, any name standing for any name.
    shape = re.compile(
        "".join(_NAME if IDENTIFIER.fullmatch(part) else re.escape(part) for part in _PARTS.findall(line))
    )
    end = line_start - 1
    for _ in range(PARALLEL_LINES):
        if end <= 0:
            break
        start = text.rfind("\n", 0, end) + 1
        match = shape.match(text, start, end)
        if match is not None:
            name = IDENTIFIER.match(text, match.end(), end)
            return _first_word(name.group()) if name is not None else ""
        end = start - 1
    return ""


def _first_word(name: str) -> str:
    return _WORD_START.split(name.lstrip("_$"), maxsplit=1)[0].lower()


_WORD_START = re.compile(r"_|(?<=[a-z0-9])(?=[A-Z])")
_PARTS = re.compile(r"[A-Za-z_$][\w$]*|[^A-Za-z_$]+")
_NAME = r"[A-Za-z_$][\w$]*"


def _words(text: str) -> frozenset[str]:
    found: set[str] = set()
    for word in IDENTIFIER.findall(text):
        if is_interesting(word):
            found.update(words_of(word))
    return frozenset(found)


class NameAffinity:
    """Affinity of each of a set of candidate names with the code at the cursor (0 to
    the sum of the weights)."""

    def __init__(self, names: Iterable[str], cursor: CursorWords, followers: Mapping[str, float] | None = None):
        self.cursor = cursor
        self.followers = followers or {}  # `Sequels.shares`
        self.candidates = list(names)
        self.frequency: Counter = Counter()
        for name in self.candidates:
            self.frequency.update(set(words_of(name)))
        # The words of the other names used above: a candidate used there is a near name of
        # its own (and an import list above would give every candidate its own words).
        others = cursor.near - set(self.candidates)
        self.near_words = frozenset(word for name in others for word in words_of(name)) - cursor.line

    def _rarity(self, word: str) -> float:
        return math.log(1 + len(self.candidates) / max(1, self.frequency[word]))

    def __call__(self, name: str) -> float:
        words = set(words_of(name))
        score = 0.0
        cursor = self.cursor
        if words & (cursor.line | cursor.header | self.near_words):
            total = sum(self._rarity(word) for word in words)
            places = ((LINE_WEIGHT, cursor.line), (HEADER_WEIGHT, cursor.header), (NEAR_WEIGHT, self.near_words))
            for weight, around in places:
                score += weight * sum(self._rarity(word) for word in words & around) / total
        if self.cursor.condition and _PREDICATE.match(name):
            score += PREDICATE_WEIGHT
        if cursor.parallel and _first_word(name) == cursor.parallel:
            score += PARALLEL_WEIGHT
        if cursor.typed and name.lower().startswith(cursor.typed):
            score += TYPED_WEIGHT
        return score + FOLLOW_WEIGHT * self.followers.get(name, 0.0)


def names_that_followed(
    text: str, offset: int, candidates: Collection[str], skipped: list[tuple[int, int]]
) -> dict[str, float]:
    """Of `candidates`, those that came next after earlier uses of the candidate used last
    before the cursor (in the lines just above), each with the share of those uses it came
    after. `skipped`: sorted (start, end) spans not to look in (import statements, which list
    names in an order that says nothing)."""
    last = None
    for match in IDENTIFIER.finditer(text, _lines_above(text, text.rfind("\n", 0, offset) + 1), offset):
        if match.group() in candidates and not _within(skipped, match.start()):
            last = match
    if last is None:
        return {}
    name = last.group()
    counts: Counter = Counter()
    looked = 0
    start = last_use(text, name, 0, last.start())  # the latest first: the nearest repeat says most
    while start >= 0 and looked < FOLLOW_USES:
        if not _within(skipped, start):
            looked += 1
            end = start + len(name)
            for match in IDENTIFIER.finditer(text, end, min(offset, end + FOLLOW_CHARS)):
                if match.group() in candidates and match.group() != name:
                    counts[match.group()] += 1
                    break
        start = last_use(text, name, 0, start)
    if not looked:
        return {}
    return {follower: count / looked for follower, count in counts.items()}


def words_after_same_text(text: str, offset: int, skipped: list[tuple[int, int]]) -> list[str]:
    """The identifiers that came right after the text that ends at the cursor, where the file
    wrote that text before (its last `SAME_TOKENS` tokens, spaces aside: `: Any = ` before
    `Default(...)`, `lambda _: ` before `identity`), at most `FOLLOW_USES` of them, the nearest
    first; a place followed by no identifier gives "". `skipped`: as for `names_that_followed`."""
    tokens = [match.group() for match in _TOKEN.finditer(text, max(0, offset - 200), offset)][-SAME_TOKENS:]
    words = [at for at, token in enumerate(tokens) if is_word_char(token, 0)]
    if len(tokens) < SAME_TOKENS or not words:
        return []
    # Found by its identifier (rarer than `(` or `=`), from the cursor back.
    anchor = max(words, key=lambda at: len(tokens[at]))
    name = tokens[anchor]
    key_start = offset
    for token in reversed(tokens):
        key_start = text.rfind(token, 0, key_start)
    found: list[str] = []
    examined = 0
    start = last_use(text, name, 0, key_start)
    while start >= 0 and len(found) < FOLLOW_USES and examined < SAME_TEXT_PLACES:
        examined += 1
        end = _tokens_around(text, start, tokens, anchor)
        if end >= 0 and not _within(skipped, start):
            word = IDENTIFIER.match(text, _skip_spaces(text, end))
            found.append(word.group() if word is not None else "")
        start = last_use(text, name, 0, start)
    return found


def _tokens_around(text: str, start: int, tokens: list[str], anchor: int) -> int:
    """Where `tokens` end, when `tokens[anchor]` (a whole word) stands at `start` with the
    others around it (spaces between tokens aside); -1 when they are not there."""
    end = start + len(tokens[anchor])
    before = start
    for token in reversed(tokens[:anchor]):
        while before > 0 and text[before - 1].isspace():
            before -= 1
        if not text.startswith(token, before - len(token)) or (
            is_word_char(token, 0) and is_word_char(text, before - len(token) - 1)
        ):
            return -1
        before -= len(token)
    for token in tokens[anchor + 1 :]:
        end = _skip_spaces(text, end)
        if not text.startswith(token, end) or (is_word_char(token, 0) and is_word_char(text, end + len(token))):
            return -1
        end += len(token)
    return end


def _skip_spaces(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


SAME_TOKENS = 3  # tokens before the cursor that must match, for `words_after_same_text`
SAME_TEXT_PLACES = 400  # uses of the key's identifier looked at, the nearest first
_TOKEN = re.compile(r"[A-Za-z_$][\w$]*|\d+|\S")


class Sequels:
    """What came next where the file wrote the same before the cursor: found once per
    request, asked for each set of candidate names."""

    def __init__(self, text: str, offset: int, import_lines: Iterable[int]):
        self.text, self.offset = text, offset
        self.skipped = import_spans(text, import_lines)
        self._after_text: list[str] | None = None

    def shares(self, candidates: Collection[str]) -> dict[str, float]:
        """Each candidate's share of the places it came next, after the name used last and
        after the same text, summed (0 to 2)."""
        shares = names_that_followed(self.text, self.offset, candidates, self.skipped)
        if self._after_text is None:
            self._after_text = words_after_same_text(self.text, self.offset, self.skipped)
        for word, count in Counter(self._after_text).items():
            if word in candidates:
                shares[word] = shares.get(word, 0.0) + count / len(self._after_text)
        return shares


def import_spans(text: str, lines: Iterable[int]) -> list[tuple[int, int]]:
    """The (start, end) offsets of the import statements that start on `lines` (0-based): to
    the end of the line, or of the brackets the line opens (`from x import (` ... `)`)."""
    spans = []
    wanted = sorted(set(lines))
    starts = _line_starts(text, wanted[-1] if wanted else -1)
    for line in wanted:
        if line >= len(starts):
            continue
        start = starts[line]
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        opened = text.count("(", start, end) + text.count("{", start, end)
        closed = text.count(")", start, end) + text.count("}", start, end)
        if opened > closed:
            closer = ")" if text.rfind("(", start, end) > text.rfind("{", start, end) else "}"
            found = text.find(closer, end)
            end = len(text) if found < 0 else found
        spans.append((start, end))
    return spans


def _line_starts(text: str, last_line: int) -> list[int]:
    """The offsets of lines 0 to `last_line`."""
    starts = [0]
    position = text.find("\n")
    while position >= 0 and len(starts) <= last_line:
        starts.append(position + 1)
        position = text.find("\n", position + 1)
    return starts


def _within(spans: list[tuple[int, int]], position: int) -> bool:
    at = bisect.bisect_right(spans, (position, float("inf"))) - 1
    return at >= 0 and spans[at][0] <= position <= spans[at][1]

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
cursor's place.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from .identifiers import IDENTIFIER, is_interesting
from .snippets import name_parts

LINE_WEIGHT = 1.5  # all of a name's words on the cursor's line
HEADER_WEIGHT = 0.75  # all of them in the head of the definition around the cursor
NEAR_WEIGHT = 0.6  # all of them in the lines just above (`NEAR_LINES`)
NEAR_LINES = 12
PREDICATE_WEIGHT = 0.5  # `is_x`/`hasX` where a condition starts (`if |`, `and |`, `!|`)
PARALLEL_WEIGHT = 0.8  # the first word of the name a line above has where the cursor is
PARALLEL_LINES = 3  # lines above searched for one that starts like the cursor's line
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
    above = line_start
    for _ in range(NEAR_LINES):
        if above <= 1:
            above = 0
            break
        above = text.rfind("\n", 0, above - 1) + 1
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

    def __init__(self, names: Iterable[str], cursor: CursorWords):
        self.cursor = cursor
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
        return score

"""Tokenizing less while the user types: prompt text that has not changed keeps its token ids.

llama.cpp tokenizes code at about 0.5 ms per KB, and a completion prompt is a few KB that is
almost the same from one keystroke to the next: the text after the cursor does not change
while typing forward, and the text before it changes only on the cursor's line.

* `RecentTokenizations`: ids of the last few texts, by exact text (the suffix, snippets).
* `PrefixTokenizer`: the text before the cursor as (lines above, kept) + (the cursor's line,
  tokenized afresh). Splitting changes nothing only where the tokenizer's pre-tokenizer would
  cut anyway. BPE pre-tokenizers cut the whitespace before a line's first word so that its last
  character goes with what follows (`"\n   "`, `" return"`; `"\n"`, `"\n"`, `"def"` in GPT-2 and
  StarCoder), except that some (Qwen2, Llama 3) keep newlines with the punctuation before them
  (`"}\n\n"`, `"def"`). Both rules are tried on the first splits, against whole-text
  tokenization; the one that always agrees is used, and when none does (SentencePiece models
  add a space at the start of every text), the prompt is tokenized whole, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

CHECKED_SPLITS = 24  # splits compared with whole-text tokenization before they are trusted


class RecentTokenizations:
    """Token ids of the last few texts tokenized, by exact text."""

    def __init__(self, tokenize: Callable[[str], list[int]], size: int = 4) -> None:
        self._tokenize = tokenize
        self._recent: list[tuple[str, list[int]]] = []
        self._size = size

    def __call__(self, text: str) -> list[int]:
        for seen, ids in self._recent:
            if seen == text:
                return ids
        ids = self._tokenize(text)
        self._recent = [(text, ids)] + self._recent[: self._size - 1]
        return ids


# How to place the split before the first word of the cursor's line (see the module docstring).
SPLIT_RULES = ("before-last-space", "after-newlines")


def split_point(text: str, rule: str = "before-last-space") -> int | None:
    """Where `text` (ending at the cursor) can be cut before its last line, or None."""
    newline = text.rfind("\n")
    if newline < 0:
        return None
    line = text[newline + 1 :]
    word = len(line) - len(line.lstrip(" "))
    if word == len(line) or not line[word].isalpha():
        # Only spaces so far (the whitespace run is not finished), or a line that starts with a
        # digit or a symbol, which some pre-tokenizers (DeepSeek's) split from the space before.
        return None
    if word == 0 and rule == "after-newlines":
        return newline + 1
    return newline + word  # the last whitespace character starts the tail


class PrefixTokenizer:
    """Tokenizes texts that grow or change at their end, reusing the ids of their head."""

    def __init__(self, tokenize: Callable[[str], list[int]]) -> None:
        self._tokenize = tokenize
        self._whole = RecentTokenizations(tokenize)
        self._heads = RecentTokenizations(tokenize)
        self.rules = list(SPLIT_RULES)  # the rules not yet caught changing a tokenization
        self._checked = 0

    @property
    def splitting(self) -> bool:
        return bool(self.rules) and self._checked >= CHECKED_SPLITS

    def _split(self, text: str, rule: str) -> list[int] | None:
        at = split_point(text, rule)
        if not at:
            return None
        return self._heads(text[:at]) + self._tokenize(text[at:])

    def __call__(self, text: str) -> list[int]:
        if self.splitting:
            ids = self._split(text, self.rules[0])
            return ids if ids is not None else self._whole(text)
        whole = self._whole(text)
        if self.rules and split_point(text):
            self._checked += 1
            self.rules = [rule for rule in self.rules if self._split(text, rule) in (None, whole)]
            if not self.rules:
                log.info("this tokenizer changes tokens at line starts: prompts are tokenized whole")
        return whole

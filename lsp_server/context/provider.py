"""Cross-file context for one completion, as prompt token ids.

The completion service calls `CrossFileContext.prompt_tokens` on the model thread, after it
has cut the local window around the cursor: the snippets that overlap that window are left
out, the rest are ranked into the context budget and rendered in the model's repository
format (see prompt.py). Retrieval caches live in one `ContextRetriever` per workspace index.

While the user types, every keystroke asks for context again, and the answer would mostly be
the same: what drives it (the lines before the cursor's line, the names on that line and a
`name.` before the cursor, the recent-edit ranges, the index) changes once per word, not per
character. The last answer is kept under a key made of those inputs and reused; any change to
them, including the index re-parsing a buffer once typing pauses, gathers afresh. Reuse also
keeps the prompt's first tokens stable, so llama.cpp can reuse its KV cache for them.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from pathlib import Path

from ..index import WorkspaceIndex
from ..prompts.fim import FimTokens
from ..prompts.token_cache import RecentTokenizations
from .gather import LINES_BEFORE, ContextResult, ContextRetriever
from .prompt import ContextFile, context_files, render_context
from .recent import RecentEdits
from .snippets import relative_path

log = logging.getLogger(__name__)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME_DOT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\.\s*$")


class CrossFileContext:
    def __init__(self, index: Callable[[], WorkspaceIndex | None], recent: RecentEdits | None = None) -> None:
        self._index = index
        self.recent = recent if recent is not None else RecentEdits()
        self._retriever: ContextRetriever | None = None
        self._last: tuple[tuple, list[int], ContextResult] | None = None  # (key, tokens, result)
        self._tokens_memo: tuple[object, RecentTokenizations] | None = None  # snippet texts -> ids
        self._shown: list[ContextFile] = []  # the files of the last context rendered, in order

    def _retriever_for(self, index: WorkspaceIndex) -> ContextRetriever:
        if self._retriever is None or self._retriever.index is not index:
            self._retriever = ContextRetriever(index)
        return self._retriever

    def prompt_tokens(
        self,
        path: Path,
        text: str,
        offset: int,
        window_lines: tuple[int, int],
        budget_tokens: int,
        time_budget_ms: float,
        tokenize: Callable[[str], list[int]],
        fim: FimTokens,
        language: str = "",
        give_way: Callable[[], bool] | None = None,
    ) -> tuple[list[int], ContextResult | None]:
        """Token ids to put before the FIM prefix, and what was gathered (None: no index).
        `give_way()` True ends the work early, with no context (background work, when a
        completion waits for the thread)."""
        index = self._index()
        if index is None or budget_tokens <= 0:
            return [], None
        path = Path(os.path.abspath(path))
        key = (
            path,
            window_lines,
            budget_tokens,
            fim,
            language,
            id(getattr(tokenize, "__self__", tokenize)),
            id(index),
            index.generation,
            self.recent.key(),
            _query_key(text, offset),
        )
        if self._last is not None and self._last[0] == key:
            return self._last[1], self._last[2]
        tokens, result = self._gather(
            index, path, text, offset, window_lines, budget_tokens, time_budget_ms, tokenize, fim, language, give_way
        )
        if not result.timed_out:  # a partial answer is not worth repeating
            self._last = (key, tokens, result)
        return tokens, result

    def _gather(
        self, index, path, text, offset, window_lines, budget_tokens, time_budget_ms, tokenize, fim, language, give_way
    ) -> tuple[list[int], ContextResult]:
        result = self._retriever_for(index).gather(
            path,
            text,
            offset,
            budget_tokens,
            estimate_tokens,
            self.recent,
            time_budget_ms,
            window_lines,
            give_way=give_way,
        )
        if give_way is not None and give_way():
            return [], result  # the work is given up: rendering it would only hold the thread longer
        roots = list(index.roots)
        repo = roots[0].name if roots else ""
        tokenize = self._memo_for(tokenize)
        snippets = list(result.snippets)
        while snippets:
            tokens = render_context(
                snippets, fim, tokenize, relative_path(path, roots), repo, roots, language, self._shown
            )
            if len(tokens) <= budget_tokens:
                result.snippets = snippets
                self._shown = context_files(snippets, self._shown)
                return tokens, result
            snippets.pop()  # the estimate was short: leave out the least useful snippet
        result.snippets = []
        return [], result

    def _memo_for(self, tokenize: Callable[[str], list[int]]) -> RecentTokenizations:
        owner = getattr(tokenize, "__self__", tokenize)
        if self._tokens_memo is None or self._tokens_memo[0] is not owner:
            self._tokens_memo = (owner, RecentTokenizations(tokenize, size=64))
        return self._tokens_memo[1]


def estimate_tokens(text: str) -> int:
    """Tokens of code, estimated for ranking snippets into the budget without running the
    tokenizer on every candidate (llama.cpp needs ~0.5 ms per KB, and most candidates are never
    shown). Fitted on standard-library code with StarCoder's tokenizer: about 4.4 characters
    per token of text, and 2.2 tokens per line for its newline and indentation (within 15% for
    nine in ten 12-line chunks); the rendered prompt is checked against the budget anyway."""
    lines = text.split("\n")
    return int(sum(len(line.strip()) for line in lines) / 4.4 + 2.2 * len(lines)) + 1


def _query_key(text: str, offset: int) -> tuple:
    """What gathering looks at, reduced to what changes its answer: the lines before the
    cursor's line as they are, and of the cursor's line its names and the `name.` right before
    the cursor, without the identifier being typed. So typing a word, a space or an operator
    reuses the context; finishing a name or typing `.` after one gathers afresh. (What is
    typed of the word would rank the names that start with it first, but a context that
    changed at every word would change the prompt's start, and with it llama.cpp's cache of
    everything after: measured, half a millisecond more at the overhead's p50 on the embedded
    model, a whole prefill of the file on a large one. So the context gathered at a word's
    first request serves the whole word.)"""
    line_start = text.rfind("\n", 0, offset) + 1
    start = line_start
    for _ in range(LINES_BEFORE):
        if start == 0:
            break
        start = text.rfind("\n", 0, start - 1) + 1
    end = offset
    while end > line_start and (text[end - 1].isalnum() or text[end - 1] == "_"):
        end -= 1
    line = text[line_start:end]
    dotted = _NAME_DOT.search(line)
    return text[start:line_start], frozenset(_NAME.findall(line)), dotted.group(1) if dotted else None

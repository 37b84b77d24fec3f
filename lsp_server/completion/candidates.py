"""From the model's raw candidates to the suggestions shown: each one finished on its own, then
each text once.

With `completion.candidates` above 1 the engine returns several completions of one prompt
(engine/llama_cpp_parallel.py: distinct first tokens, then greedy; a remote server's `n`).
Every candidate goes through the same filters as a single completion (post-processing, the
syntax check, the confidence check with its own token scores, the finished-line rule); two that
end up the same after that (they differed only in what post-processing cut) are shown once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..engine.base import GenerationResult, TokenScore
from .after_accept import FINISHED_LINE_MIN_CONFIDENCE
from .confidence import judge, shown_scores
from .postprocess import CursorContext, postprocess
from .syntax_check import check_suggestion


@dataclass(frozen=True)
class SuggestionPlace:
    """Where suggestions go: what the filters look at."""

    text: str  # the document
    offset: int  # the cursor
    language_id: str
    path: Path | None
    ctx: CursorContext
    multiline: bool
    suffix_lines: list[str]  # the lines after the cursor's line
    max_lines: int


@dataclass(frozen=True)
class Finished:
    """One candidate after the filters."""

    text: str  # what to show: "" for nothing
    candidate: str  # after post-processing and the syntax check, before the confidence check
    scores: list[TokenScore] | None  # the scores of `candidate`'s tokens
    confidence: float | None
    threshold: float  # the confidence it was held to
    syntax_check: str  # kept, cut, dropped, or "" when there was nothing to check


def finish(
    raw: str, raw_scores: list[TokenScore] | None, place: SuggestionPlace, threshold: float, finished_line: bool
) -> Finished:
    """One raw completion through post-processing, the syntax check and the confidence check.
    `finished_line`: right after Tab finished a line, only a confident suggestion follows
    (after_accept.py), and none when the engine gives no confidence."""
    candidate = postprocess(raw, place.ctx, place.suffix_lines, place.multiline, place.max_lines)
    syntax = ""
    if candidate:
        # Never show text that breaks the code around it (syntax_check.py): cut it back or drop it.
        verdict = check_suggestion(place.text, place.offset, candidate, place.language_id, place.path)
        candidate, syntax = verdict.text, verdict.action
    scores = shown_scores(raw, candidate, raw_scores)
    threshold = held_to(threshold, finished_line)
    if finished_line and scores is None:
        candidate = ""
    judged = judge(candidate, scores, threshold)
    return Finished(judged.text, candidate, scores, judged.confidence, threshold, syntax)


def held_to(threshold: float, finished_line: bool) -> float:
    """The confidence a suggestion must have: `threshold`, or more right after Tab finished a
    line (after_accept.py)."""
    return max(threshold, FINISHED_LINE_MIN_CONFIDENCE) if finished_line else threshold


def finish_all(
    result: GenerationResult, place: SuggestionPlace, threshold: float, finished_line: bool
) -> list[Finished]:
    """The greedy completion, then its alternatives (those the engine finished), each filtered."""
    raws = [result] + [alt for alt in result.alternatives if alt.stopped_by != "cancelled"]
    return [finish(raw.text, raw.token_scores, place, threshold, finished_line) for raw in raws]


def distinct_texts(candidates: Sequence[Finished | str]) -> list[str]:
    """The texts to show, most probable first: none empty, none twice (texts that differ only
    in trailing blanks count as one)."""
    seen: set[str] = set()
    texts = []
    for one in candidates:
        text = one if isinstance(one, str) else one.text
        key = text.rstrip()
        if key and key not in seen:
            seen.add(key)
            texts.append(text)
    return texts

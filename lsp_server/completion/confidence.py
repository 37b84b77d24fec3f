"""How sure the model is of a suggestion, and the part of it worth showing.

A wrong suggestion costs the user more than none: they read it, then reject it or, worse,
accept it and fix it. The engine reports each generated token's log-probability
(engine/base.py TokenScore); from them:

- a suggestion's confidence is the probability of its least likely token (the model's
  weakest step; one unsure token is where greedy decoding usually goes wrong);
- below the threshold (`completion.minConfidence`, or the model's calibrated value), the
  suggestion is cut before its first unsure token, back to a token boundary that ends a word
  or an expression, so a prefix the model is sure of is still shown; nothing when none is.

Thresholds come from calibration on held-out code (`infill bench quality --calibrate` writes
models/calibration.json); a model without one gets DEFAULT_MIN_CONFIDENCE.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..engine.base import TokenScore

log = logging.getLogger(__name__)

CALIBRATION_FILE = Path(__file__).resolve().parents[2] / "models" / "calibration.json"
# For models nobody calibrated: only suggestions with a token below 5% are cut. Real code
# models are far better calibrated than the embedded one, so a low bar keeps most of them.
DEFAULT_MIN_CONFIDENCE = 0.05
# Where a text may end: after a word, a number, a closing bracket or a quote.
_ENDS_EXPRESSION = set(")]}'\"`")


@dataclass(frozen=True)
class Judged:
    """A suggestion after the confidence check."""

    text: str  # what to show: the whole suggestion, its confident start, or ""
    confidence: float | None  # of the whole suggestion; None when the engine gave no scores


def shown_scores(raw: str, shown: str, scores: Sequence[TokenScore] | None) -> list[TokenScore] | None:
    """The scores of the tokens that wrote `shown`, a piece of the raw model output that
    post-processing kept, with their ends made relative to `shown`; None when unknown."""
    if scores is None or not shown:
        return None
    start = raw.find(shown)
    if start < 0:  # post-processing rewrote the text (line endings): no token map
        return None
    stop = start + len(shown)
    kept = []
    previous_end = 0
    for score in scores:
        if score.end > start and previous_end < stop:
            kept.append(TokenScore(min(score.end, stop) - start, score.logprob))
        previous_end = score.end
    return kept or None


def confidence(scores: Sequence[TokenScore]) -> float:
    """Probability of the least likely token: 1.0 for an empty list."""
    return math.exp(min((s.logprob for s in scores), default=0.0))


def ends_word_or_expression(text: str) -> bool:
    stripped = text.rstrip()
    return bool(stripped) and (stripped[-1].isalnum() or stripped[-1] == "_" or stripped[-1] in _ENDS_EXPRESSION)


def confident_prefix(text: str, scores: Sequence[TokenScore], threshold: float) -> str:
    """The longest start of `text` written only by tokens at or above `threshold`, ending
    where a token ends and a word or expression ends; "" when there is none."""
    if threshold <= 0:
        return text
    floor = math.log(threshold)
    best = ""
    for score in scores:
        if score.logprob < floor:
            return best.rstrip()
        end = score.end
        next_char = text[end : end + 1]
        splits_word = _is_word_char(next_char) and _is_word_char(text[end - 1 : end])
        if ends_word_or_expression(text[:end]) and not splits_word:
            best = text[:end]
    return text


def _is_word_char(char: str) -> bool:
    return bool(char) and (char.isalnum() or char == "_")


def judge(text: str, scores: Sequence[TokenScore] | None, threshold: float) -> Judged:
    """The suggestion as it should be shown under the threshold."""
    if scores is None:
        return Judged(text, None)
    whole = confidence(scores)
    if whole >= threshold:
        return Judged(text, whole)
    return Judged(confident_prefix(text, scores, threshold), whole)


@functools.cache
def _calibration(path: Path) -> dict[str, float]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {str(name): float(entry["min_confidence"]) for name, entry in raw.get("models", {}).items()}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("ignoring %s: %s", path, exc)
        return {}


def calibrated_threshold(model_name: str | None, path: Path = CALIBRATION_FILE) -> float:
    """The calibrated minConfidence for a model (its GGUF file name, or a remote model's
    name), else the documented default."""
    if model_name is None:
        return DEFAULT_MIN_CONFIDENCE
    return _calibration(path).get(model_name, DEFAULT_MIN_CONFIDENCE)

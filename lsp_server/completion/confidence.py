"""How sure the model is of a suggestion, and the part of it worth showing.

A wrong suggestion costs the user more than none: they read it, then reject it or, worse,
accept it and fix it. The engine reports each generated token's log-probability
(engine/base.py TokenScore); from them:

- a suggestion's confidence is the probability the model gives to the whole of it, the
  product of its tokens' probabilities: the chance that it is exactly what the model would
  write, which is what a user accepting it with Tab needs;
- below the threshold (`completion.minConfidence`, or the model's calibrated value), the
  suggestion is cut to its longest run of whole lines that stays above it (a finished line
  ends a statement or an expression, so it can be accepted as it is), or nothing.

Cutting inside a line (after `self.items`, say) was measured too: it shows more suggestions,
but few of those partial ones are what the user goes on to write, so precision falls.

Thresholds come from calibration on held-out code (`infill bench quality --calibrate` writes
models/calibration.json); a model without one is not filtered (DEFAULT_MIN_CONFIDENCE).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..engine.base import TokenScore
from ..model_data import data_file

log = logging.getLogger(__name__)

CALIBRATION_FILE = data_file("calibration.json")
# A model nobody calibrated is not filtered: a threshold that was never measured for it would
# hide good suggestions as readily as bad ones. Calibrate it with `infill bench quality
# --calibrate --models embedded --model-path MODEL.gguf`.
DEFAULT_MIN_CONFIDENCE = 0.0


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
    """Probability of the whole text: the product of its tokens' probabilities (1.0 for none)."""
    return math.exp(sum(s.logprob for s in scores))


def confident_prefix(text: str, scores: Sequence[TokenScore], threshold: float) -> str:
    """The longest run of whole lines at the start of `text` whose probability stays at or
    above `threshold` (a token that spans a line end counts for the line before it); ""
    when even the first line falls below it."""
    if threshold <= 0:
        return text
    floor = math.log(threshold)
    cumulative = list(itertools.accumulate(s.logprob for s in scores))
    if cumulative and cumulative[-1] >= floor:
        return text
    starts = [0] + [s.end for s in scores[:-1]]  # where each token's text starts
    best = ""
    line_end = text.find("\n")
    while line_end >= 0:
        needed = bisect.bisect_left(starts, line_end)  # the tokens that wrote text[:line_end]
        if needed and cumulative[needed - 1] < floor:
            break
        if text[:line_end].strip():
            best = text[:line_end]
        line_end = text.find("\n", line_end + 1)
    return best.rstrip()


def logprob_floor(threshold: float) -> float | None:
    """The threshold as the least log-probability of a text (the engine's floor, see
    GenerationRequest.min_logprob); None when nothing is filtered."""
    return math.log(threshold) if threshold > 0 else None


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

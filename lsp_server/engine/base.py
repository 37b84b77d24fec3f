"""The Engine protocol every model backend implements.

An engine turns token ids into generated text. It knows nothing about LSP,
documents or prompts beyond token ids, which keeps it swappable (local GGUF,
remote OpenAI-compatible server) and testable on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from ..errors import EngineError
from ..prompts.vocabulary import FIM_ORDER_KEY, SpecialTokens, Vocabulary

__all__ = [
    "FIM_ORDER_KEY",
    "Engine",
    "EngineError",
    "GenerationRequest",
    "GenerationResult",
    "ProbabilityFloor",
    "SpecialTokens",
    "StopReason",
    "TokenScore",
    "scores_before",
]


# Why a generation ended: an end token, a stop text, the token limit, the caller's stop flag,
# the caller's "the text is complete" check, or a probability under the caller's floor.
StopReason = Literal["eos", "stop", "max_tokens", "cancelled", "complete", "unlikely"]


@dataclass
class GenerationRequest:
    prompt_tokens: list[int]
    max_tokens: int
    stop: list[str] = field(default_factory=list)
    stop_ids: frozenset[int] = frozenset()
    # Called once per generated token; returning True ends generation early.
    should_stop: Callable[[], bool] = lambda: False
    # Called with the text so far after each token; returning True ends generation
    # (used for "stop at end of block" without waiting for max_tokens).
    text_is_complete: Callable[[str], bool] = lambda text: False
    # Completions wanted from this one prompt (completion.candidates). The first is the greedy
    # one; an engine that cannot make more returns it alone (GenerationResult.alternatives empty).
    candidates: int = 1
    # Background work (a prefetch, a summary) that gives way to any job waiting for the model:
    # its prompt is decoded in small steps, so that it can give way within a millisecond or two.
    background: bool = False
    # The greedy candidate is known already (shown while typing, now in the cache), and was this
    # many tokens long: decode only the others, held to the length they would have had beside
    # it. The result's text is then empty and the others are its alternatives; an engine that
    # cannot leave the greedy one out returns it as well (the caller shows each text once).
    # None: decode it too.
    known_first_tokens: int | None = None
    # The least log-probability a completion may have and still be shown whole (the caller's
    # confidence check keeps only the whole lines written before the token that takes it below).
    # Past that token nothing more can be shown, so an engine that scores its tokens stops there
    # and cuts the text back to those lines (stop reason "unlikely"). None: no floor.
    min_logprob: float | None = None

    @property
    def first_known(self) -> bool:
        return self.known_first_tokens is not None


@dataclass(frozen=True)
class TokenScore:
    """One generated token: where its text ends in the result's text, and how sure the model
    was of it (natural log of its probability)."""

    end: int
    logprob: float


def scores_before(scores: list[TokenScore], cut: int) -> list[TokenScore]:
    """The scores of the tokens that wrote text[:cut]; a token cut in two keeps its score."""
    kept: list[TokenScore] = []
    for score in scores:
        start = kept[-1].end if kept else 0
        if start >= cut:
            break
        kept.append(TokenScore(min(score.end, cut), score.logprob))
    return kept


class ProbabilityFloor:
    """GenerationRequest.min_logprob applied as a completion's tokens arrive: the sum of their
    log-probabilities, and where to cut the text once it falls under the floor.

    Leading line ends do not count (post-processing may drop them, and their scores with
    them), so the sum never falls under what the confidence check adds up for the same text."""

    def __init__(self, floor: float | None) -> None:
        self.floor = floor
        self.total = 0.0

    def cut(self, text: str, start: int, logprob: float) -> int | None:
        """`text` once the token(s) that wrote text[start:] came, with their log-probability:
        None while the sum stays at or above the floor, else the end of the last line written
        before them, trailing blanks left out (0 when they are on the first line)."""
        if self.floor is None or not text.strip("\r\n"):
            return None
        self.total += logprob
        if self.total >= self.floor:
            return None
        # A token that starts with the line end belongs to the next line (confidence.py).
        return len(text[: max(text.rfind("\n", 0, start + 1), 0)].rstrip())


@dataclass
class GenerationResult:
    text: str
    prompt_tokens: int
    generated_tokens: int
    stopped_by: StopReason
    prefill_seconds: float = 0.0
    total_seconds: float = 0.0
    # Per token, in order, when the engine knows them (a remote server may not say).
    token_scores: list[TokenScore] | None = None
    # The other candidates when the request asked for more than one, most probable first; each
    # with its own text, stop reason and token scores (timings are the whole run's).
    alternatives: list[GenerationResult] = field(default_factory=list)
    # Prompt tokens the engine found in its cache from the previous request, not decoded again
    # (0 when it does not say: a remote server).
    cached_prompt_tokens: int = 0

    @property
    def tokens_per_second(self) -> float:
        decode = self.total_seconds - self.prefill_seconds
        if self.generated_tokens <= 1 or decode <= 0:
            return 0.0
        return (self.generated_tokens - 1) / decode


class Engine(Vocabulary, Protocol):
    """A loaded model. Not thread-safe: call it from one worker thread only."""

    n_ctx: int

    def tokenize_control(self, text: str) -> list[int]:
        """Token ids of Infill's own template text, control tokens parsed."""

    def detokenize(self, tokens: list[int], special: bool = False) -> str: ...

    def generate(self, request: GenerationRequest) -> GenerationResult: ...

    def chat_template(self) -> str | None:
        """The model's own chat template (Jinja text) if the GGUF carries one."""

    def close(self) -> None: ...

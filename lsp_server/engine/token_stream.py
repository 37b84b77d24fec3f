"""One completion as its tokens arrive, for the engines that decode token by token themselves
(llama.cpp, ONNX Runtime): end tokens, stop texts, the caller's "the text is complete" check,
the token limit, an alternative candidate's deadline, the probability floor, and each token's
score.

An engine says only how its text grows by one token (`_text_with`): llama.cpp's detokenizer
works on bytes with the tokens before for context, ONNX Runtime's vocabulary on the whole list.
"""

from __future__ import annotations

from collections.abc import Callable

from .base import GenerationRequest, GenerationResult, ProbabilityFloor, StopReason, TokenScore, scores_before


class TokenStream:
    def __init__(
        self,
        request: GenerationRequest,
        stop_ids: frozenset[int],
        is_end_of_generation: Callable[[int], bool],
        prompt_tokens: int,
        max_tokens: int,
    ) -> None:
        self._request = request
        self._stop_ids = stop_ids | request.stop_ids
        self._is_end = is_end_of_generation
        self._prompt_tokens = prompt_tokens
        self._max_tokens = max_tokens
        self.tokens: list[int] = []
        self.scores: list[TokenScore] = []
        self.text = ""
        self.stopped_by: StopReason = "max_tokens"
        self.started = False  # got a first token, even one that ended it
        self.deadline: int | None = None  # tokens after which an unfinished candidate is dropped
        self._floor = ProbabilityFloor(request.min_logprob)

    def _text_with(self, token: int) -> str:
        """The whole text once `token` (already in self.tokens) is added."""
        raise NotImplementedError

    def take(self, token: int, logprob: Callable[[], float]) -> bool:
        """Add the next token; False when the completion is over (the token may not be part
        of it: an end token is not). `logprob` is asked for only for tokens that are kept."""
        self.started = True
        if token in self._stop_ids or self._is_end(token):
            self.stopped_by = "eos"
            return False
        score = logprob()
        self.tokens.append(token)
        self.text = self._text_with(token)
        start = self.scores[-1].end if self.scores else 0
        self.scores.append(TokenScore(len(self.text), score))
        hit = first_stop(self.text, self._request.stop)
        if hit is not None:
            self.text = self.text[:hit]
            self.scores = scores_before(self.scores, hit)
            self.stopped_by = "stop"
            return False
        if self._request.text_is_complete(self.text):
            self.stopped_by = "complete"
            return False
        cut = self._floor.cut(self.text, start, score)
        if cut is not None:  # nothing after this token could be shown: its line start ends it
            self.text, self.scores = self.text[:cut], scores_before(self.scores, cut)
            self.stopped_by = "unlikely"
            return False
        if self.deadline is not None and len(self.tokens) >= self.deadline:
            self.stopped_by = "cancelled"  # an alternative not finished in time: not shown
            return False
        return len(self.tokens) < self._max_tokens

    def result(self, prefill_seconds: float, total_seconds: float, cached_prompt_tokens: int = 0) -> GenerationResult:
        return GenerationResult(
            text=self.text,
            prompt_tokens=self._prompt_tokens,
            generated_tokens=len(self.tokens),
            stopped_by=self.stopped_by,
            prefill_seconds=prefill_seconds,
            total_seconds=total_seconds,
            token_scores=self.scores,
            cached_prompt_tokens=cached_prompt_tokens,
        )


def first_stop(text: str, stops: list[str]) -> int | None:
    """Where the first of the stop texts starts in `text`, if one does."""
    positions = [i for s in stops if s and (i := text.find(s)) >= 0]
    return min(positions) if positions else None

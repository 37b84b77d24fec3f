"""The inline completion pipeline, free of LSP types.

document text + cursor -> cache lookup (or the prefetch of this very place, still running) ->
FIM prompt (token ids) within the latency budget -> engine on the model thread (newest request
per document wins; one or several candidates) -> post-processing, syntax and confidence checks
per candidate -> the distinct suggestions. Then, in the background, the completion that follows
the acceptance of the first suggestion (speculative.py), so that Tab is answered from the cache.
Every outcome carries its timings, so the server's own overhead (time outside the engine) can be
measured by the latency benchmark, and the latency budget (latency_budget.py) can adapt.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..context.provider import CrossFileContext
from ..engine.base import Engine, EngineError, GenerationRequest, TokenScore
from ..engine.host import EngineHost, Priority
from ..engine.worker import StopFlag, Superseded
from ..prompts.fim import FimPrompt, FimTokens, LineTokenCounter, build_fim_prompt, prepend_context
from ..prompts.token_cache import PrefixTokenizer
from ..settings import CompletionSettings, ContextSettings, Settings
from ..text import Cursor
from .after_accept import AcceptedSuggestions, finishes_line
from .cache import CachedCompletion, CacheHit, CacheKey, CompletionCache
from .candidates import SuggestionPlace, distinct_texts, finish_all, held_to
from .confidence import calibrated_threshold, logprob_floor
from .deadline import Deadline
from .latency_budget import BudgetStep, LatencyBudget
from .loops import loop_start
from .postprocess import CursorContext, block_finished, wants_multiline
from .speculative import Acceptance, Speculator, accepted_cursor, prefetch_key

log = logging.getLogger(__name__)

# Characters of text kept around the cursor before tokenizing: bounds the work on
# a huge document; the token budget then trims at line boundaries.
CHARS_PER_TOKEN_BOUND = 12
# ... plus this many characters, so that a tiny budget still sees whole lines.
WINDOW_SLACK_CHARS = 256
# Context tokens left unused beyond this go back to the local window (rebuilt once more).
UNUSED_CONTEXT_TOKENS = 64
# The local window keeps at least this share of the prompt budget, whatever context asks for.
MAX_CONTEXT_SHARE = 0.8

# What became of a request: a model answer, the cache's, one computed ahead of the request
# (prefetched after the previous suggestion was shown), an empty one after post-processing,
# or none (no model yet, completions off, a newer request, a document changed meanwhile, an
# engine failure).
OutcomeReason = Literal[
    "model", "cache", "prefetched", "empty", "not-ready", "disabled", "cancelled", "outdated", "error"
]


@dataclass
class CompletionRequest:
    uri: str
    text: str
    cursor: Cursor
    language_id: str = ""
    path: Path | None = None  # the document's file, for cross-file context
    # The user asked (LSP trigger kind Invoked; VS Code when cycling with Alt+]): every candidate
    # (completion.candidates). As they type, the first one alone comes back, and fast.
    explicit: bool = False
    # Decode the whole completion, past where it falls under the confidence bar, which the
    # editor's requests stop at: for `infill complete` and the doctor, which report what the
    # model wrote and how sure it was when nothing is shown.
    whole: bool = False


@dataclass
class CompletionOutcome:
    text: str
    reason: OutcomeReason
    multiline: bool = False
    total_ms: float = 0.0
    engine_ms: float = 0.0
    prompt_ms: float = 0.0
    prompt_tokens: int = 0
    prompt_tokens_cached: int = 0  # of them, found in the engine's cache (not decoded again)
    context_ms: float = 0.0  # gathering cross-file context (part of prompt_ms)
    context_tokens: int = 0
    context_snippets: list[str] = field(default_factory=list)  # "path:first-last (kind)"
    generated_tokens: int = 0
    tokens_per_second: float = 0.0
    prompt_token_ids: list[int] = field(default_factory=list, repr=False)
    message: str = ""
    # The confidence check: the suggestion before it, its tokens' scores, the result.
    candidate: str = ""
    candidate_scores: list[TokenScore] | None = field(default=None, repr=False)
    confidence: float | None = None
    min_confidence: float | None = None
    syntax_check: str = ""  # what the syntax check did: kept, cut, dropped, unchecked
    # Every suggestion shown, `text` first (several with completion.candidates), and the latency
    # budget the model ran under (None when no model ran).
    texts: list[str] = field(default_factory=list)
    budget: BudgetStep | None = None
    context_budget_tokens: int = 0  # the cross-file context budget of the prompt, at that step
    deadline_cut: bool = False  # generation stopped by the completion's deadline (deadline.py)

    @property
    def overhead_ms(self) -> float:
        """Time the server spent outside the engine's generate call."""
        return max(0.0, self.total_ms - self.engine_ms)

    def timings(self) -> dict[str, object]:
        return {
            "reason": self.reason,
            "totalMs": round(self.total_ms, 3),
            "engineMs": round(self.engine_ms, 3),
            "promptMs": round(self.prompt_ms, 3),
            "overheadMs": round(self.overhead_ms, 3),
            "promptTokens": self.prompt_tokens,
            "promptTokensCached": self.prompt_tokens_cached,
            "contextMs": round(self.context_ms, 3),
            "contextTokens": self.context_tokens,
            "contextSnippets": self.context_snippets,
            "generatedTokens": self.generated_tokens,
            "tokensPerSecond": round(self.tokens_per_second, 1),
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "minConfidence": self.min_confidence,
            "syntaxCheck": self.syntax_check,
            "deadlineCut": self.deadline_cut,
        }


def context_share(budget: int, context: ContextSettings) -> int:
    """Prompt tokens for cross-file snippets: the configured count or share of the budget,
    leaving the local window at least a fifth of it."""
    wanted = context.budget_tokens if context.budget_tokens is not None else int(budget * context.budget_fraction)
    return max(0, min(wanted, int(budget * MAX_CONTEXT_SHARE)))


def cursor_context(text: str, offset: int) -> CursorContext:
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    previous = ""
    search_end = line_start - 1
    while search_end > 0:
        start = text.rfind("\n", 0, search_end) + 1
        candidate = text[start:search_end]
        if candidate.strip():
            previous = candidate
            break
        search_end = start - 1
        if start == 0:
            break
    return CursorContext(text[line_start:offset], text[offset:line_end].rstrip("\r"), previous)


class CompletionService:
    def __init__(
        self,
        host: EngineHost,
        get_settings: Callable[[], Settings],
        context: CrossFileContext | None = None,
        prefetch: bool = False,
    ) -> None:
        self.host = host
        self.get_settings = get_settings
        self.context = context
        self.cache = CompletionCache()
        self._cache_engine: Engine | None = None  # the engine whose answers the cache holds
        # Per engine: token counts of lines, and token ids of unchanged prompt text (token_cache.py).
        self._tokenizer_caches: tuple[Engine, LineTokenCounter, PrefixTokenizer] | None = None
        self.last: CompletionOutcome | None = None
        self.last_prefetch: CompletionOutcome | None = None  # the last completion computed ahead
        self._last_prefetch_key: CacheKey | None = None
        self.in_flight = 0  # requests between arrival and answer
        self._tokens_seen = 0  # tokens generated by the current request, for reports on cancel
        self.accepted = AcceptedSuggestions()
        # Whether a shown suggestion's acceptance is computed ahead (the language server: yes; a
        # one-shot `infill complete` or the doctor's timed runs: no).
        self.prefetch = prefetch
        self.speculator = Speculator()
        self.budget = LatencyBudget()
        # Called with the new step when the latency budget changes step (the status line says so).
        self.on_budget_step: Callable[[BudgetStep], None] | None = None

    def _caches_for(self, engine: Engine) -> tuple[LineTokenCounter, PrefixTokenizer]:
        if self._tokenizer_caches is None or self._tokenizer_caches[0] is not engine:
            self._tokenizer_caches = (engine, LineTokenCounter(engine.tokenize), PrefixTokenizer(engine.tokenize))
        return self._tokenizer_caches[1], self._tokenizer_caches[2]

    def _count_token(self) -> bool:
        self._tokens_seen += 1
        return False

    async def complete(
        self, request: CompletionRequest, is_current: Callable[[], bool] = lambda: True
    ) -> CompletionOutcome:
        started = time.perf_counter()
        self.in_flight += 1
        self._tokens_seen = 0
        try:
            outcome = await self._complete(request, is_current, started)
        except asyncio.CancelledError:
            # $/cancelRequest: the model thread stops at its next token.
            self.last = CompletionOutcome(
                "",
                "cancelled",
                total_ms=(time.perf_counter() - started) * 1000,
                generated_tokens=self._tokens_seen,
            )
            raise
        finally:
            self.in_flight -= 1
        outcome.total_ms = (time.perf_counter() - started) * 1000
        self.last = outcome
        self.accepted.shown_all(request.uri, request.text, request.cursor.offset, outcome.texts)
        if outcome.reason in ("model", "empty") and not request.explicit:
            # The budget keeps typing fast; asking for every candidate is slower by design.
            self._record_time(outcome.total_ms, outcome.deadline_cut)
        if self.prefetch and outcome.text and self.get_settings().completion.prefetch:
            self._prefetch_after(request, outcome.text)
        return outcome

    def document_changed(self, uri: str, text: str) -> None:
        """A keystroke: a prefetch the document no longer leads to stops at once."""
        self.speculator.document_changed(uri, text)

    def close(self) -> None:
        self.speculator.cancel_all()

    async def _complete(
        self, request: CompletionRequest, is_current: Callable[[], bool], started: float
    ) -> CompletionOutcome:
        settings = self.get_settings()
        options = settings.completion
        if not options.enabled or request.language_id in options.disabled_languages:
            return CompletionOutcome("", "disabled")

        place = self._place(request, options)
        multiline = place.suggestion.multiline
        if self.host.engine is not self._cache_engine:  # a new model: the old answers are not its own
            self.cache.clear()
            self.speculator.cancel_all()
            self._cache_engine = self.host.engine
        wanted = options.candidates if request.explicit else 1
        hit = self.cache.lookup(place.key)
        cached = self._cached(place, hit, wanted)
        if cached is not None:
            return cached
        # Asked for more candidates than typing computed here (Alt+] after a suggestion was
        # shown): the first is known, only the others are decoded.
        known = hit.texts if hit is not None and hit.asked < wanted else None
        if await self.speculator.join(place.key):  # this very place is being prefetched: wait for it
            cached = self._cached(place, self.cache.lookup(place.key), wanted)
            if cached is not None:
                return cached if is_current() else CompletionOutcome("", "outdated", multiline)
        # The user went elsewhere than the prefetch expected: it would only hold up the model.
        self.speculator.cancel(request.uri)

        if options.debounce_ms:
            flag = self.host.worker.supersede(request.uri)
            await asyncio.sleep(options.debounce_ms / 1000)
            if flag.is_set():
                return CompletionOutcome("", "cancelled", multiline)
        else:
            flag = None

        if not self.host.ready():
            state = self.host.state
            return CompletionOutcome("", "not-ready", multiline, message=state.message)

        outcome = await self._run_model(
            request,
            place,
            settings,
            wanted,
            finished_line=self.accepted.finished_a_line(request.uri, request.text, request.cursor.offset),
            job_key=request.uri,
            flag=flag,
            is_current=is_current,
            # As typed, the suggestion must come in time; asked for, it may take what it needs.
            deadline=None if request.explicit else Deadline(started, options.latency_target_ms),
            known=known,
        )
        if outcome.reason in ("model", "empty"):
            self.cache.store(place.key, CachedCompletion(tuple(outcome.texts), wanted))
        return outcome

    def _place(self, request: CompletionRequest, options: CompletionSettings) -> _Place:
        """The text around the cursor that the prompt, the cache key and the filters use. Cut
        by the user's prompt budget (not the latency budget's), so that keys stay the same
        whatever the step."""
        window = options.prompt_budget_tokens * CHARS_PER_TOKEN_BOUND + WINDOW_SLACK_CHARS
        offset = request.cursor.offset
        prefix = request.text[max(0, offset - window) : offset]
        suffix = request.text[offset : offset + window]
        ctx = cursor_context(request.text, offset)
        suggestion = SuggestionPlace(
            request.text,
            offset,
            request.language_id,
            request.path,
            ctx,
            wants_multiline(ctx),
            suffix.split("\n")[1:],
            options.max_lines,
        )
        return _Place(CacheKey.of(request.uri, prefix, suffix), prefix, suffix, suggestion)

    def _cached(self, place: _Place, hit: CacheHit | None, wanted: int) -> CompletionOutcome | None:
        """The cache's answer (`hit`), unless it holds fewer candidates than the user asked for."""
        if hit is None or hit.asked < wanted:
            return None
        outcome = CompletionOutcome(hit.text, hit.reason, place.suggestion.multiline, texts=list(hit.texts))
        ahead = self.last_prefetch
        if hit.reason == "prefetched" and ahead is not None and self._last_prefetch_key == place.key:
            # What the prefetch's checks said, for infill/lastCompletion (the engine ran before).
            outcome.candidate, outcome.candidate_scores = ahead.candidate, ahead.candidate_scores
            outcome.confidence, outcome.min_confidence = ahead.confidence, ahead.min_confidence
            outcome.syntax_check, outcome.budget = ahead.syntax_check, ahead.budget
            outcome.context_budget_tokens = ahead.context_budget_tokens
        return outcome

    def _model_key(self) -> str:
        engine = self.host.engine
        return model_name(engine) or str(getattr(engine, "name", ""))

    def budget_step(self) -> BudgetStep:
        """The latency budget's current step for the loaded model."""
        options = self.get_settings().completion
        return self.budget.current(
            self._model_key(), options.max_tokens, options.prompt_budget_tokens, options.latency_target_ms
        )

    def _record_time(self, total_ms: float, cut: bool) -> None:
        target = self.get_settings().completion.latency_target_ms
        if self.budget.record(self._model_key(), total_ms, target, cut) and self.on_budget_step is not None:
            self.on_budget_step(self.budget_step())

    async def _run_model(
        self,
        request: CompletionRequest,
        place: _Place,
        settings: Settings,
        wanted: int,
        finished_line: bool,
        job_key: str,
        flag: StopFlag | None,
        is_current: Callable[[], bool],
        priority: Priority = "foreground",
        deadline: Deadline | None = None,
        known: tuple[str, ...] | None = None,
    ) -> CompletionOutcome:
        """Prompt, model, filters: the completion at `place`, `wanted` candidates of it
        (`known`: the suggestions already shown there, greedy first; only others are decoded)."""
        options = settings.completion
        step = self.budget_step()
        max_tokens = step.max_tokens
        multiline = place.suggestion.multiline
        ctx = place.suggestion.ctx
        built = _BuiltPrompt()
        foreground = priority == "foreground"

        def build(engine: Engine, fim: FimTokens, room: int) -> GenerationRequest:
            prompt_started = time.perf_counter()
            threshold = options.min_confidence
            built.threshold = calibrated_threshold(model_name(engine)) if threshold is None else threshold
            counter, tokenize = self._caches_for(engine)
            # Each extra candidate needs room of its own for its tokens in the context. Not when the
            # first is known (Alt+] after typing showed it): the prompt is then the typed request's,
            # whose KV cache llama.cpp still holds, and the others share the room it left.
            extra = 0 if known is not None else wanted - 1
            budget = min(step.prompt_budget_tokens, max(room // 2, room - extra * max_tokens))
            with_context = self.context is not None and settings.context.enabled and request.path is not None
            context_budget = step.context_tokens(context_share(budget, settings.context)) if with_context else 0
            built.context_budget = context_budget
            prompt = build_fim_prompt(
                tokenize,
                fim,
                place.prefix,
                place.suffix,
                budget - context_budget,
                options.suffix_fraction,
                count_line_tokens=counter,
            )
            if with_context and context_budget:
                # A prefetch's gathering stops as soon as a completion waits for the model thread.
                give_way = None if foreground else self.host.worker.jobs_waiting
                context_tokens = self._context_tokens(
                    request, prompt, context_budget, settings, engine, fim, built, give_way
                )
                if context_budget - len(context_tokens) > UNUSED_CONTEXT_TOKENS:
                    # Little context (or none): its unused share goes back to the local window.
                    prompt = build_fim_prompt(
                        tokenize,
                        fim,
                        place.prefix,
                        place.suffix,
                        budget - len(context_tokens),
                        options.suffix_fraction,
                        count_line_tokens=counter,
                    )
                prompt = prepend_context(prompt, fim, context_tokens)
            built.prompt = prompt
            built.ms = (time.perf_counter() - prompt_started) * 1000
            return GenerationRequest(
                prompt_tokens=prompt.tokens,
                max_tokens=max_tokens,
                stop=list(options.stop) + ([] if multiline else ["\n"]) + list(fim.stop_texts),
                stop_ids=fim.stop_ids,
                should_stop=self._count_token if foreground else lambda: False,
                # Stop at the end of the block, as soon as the model falls into a loop (loops.py),
                # or when the completion's time is up.
                text_is_complete=lambda text: (
                    (multiline and block_finished(text, ctx, options.max_lines))
                    or loop_start(text, ctx.line_prefix) is not None
                    or (deadline is not None and deadline.stops(text))
                ),
                candidates=wanted,
                # Tokens of the known first suggestion: the others are held to about its length.
                known_first_tokens=None if known is None else len(engine.tokenize(known[0] if known else "")),
                # What falls under the confidence check's bar is cut anyway: the engine stops there.
                min_logprob=None if request.whole else logprob_floor(held_to(built.threshold, finished_line)),
            )

        try:
            result = await self.host.generate(job_key, build, max_tokens, priority=priority, flag=flag)
        except Superseded:
            return CompletionOutcome("", "cancelled", multiline, budget=step)
        except EngineError as exc:  # e.g. a remote server that went down: no ghost text, a clear status
            log.warning("completion failed: %s", exc)
            return CompletionOutcome("", "error", multiline, message=str(exc), budget=step)
        prompt, report = built.prompt, built

        outcome = CompletionOutcome(
            "",
            "model",
            multiline,
            engine_ms=result.total_seconds * 1000,
            prompt_ms=built.ms,
            prompt_tokens=result.prompt_tokens,
            prompt_tokens_cached=result.cached_prompt_tokens,
            generated_tokens=result.generated_tokens + sum(a.generated_tokens for a in result.alternatives),
            tokens_per_second=result.tokens_per_second,
            prompt_token_ids=prompt.tokens if prompt is not None else [],
            context_ms=report.context_ms,
            context_tokens=report.context_tokens,
            context_snippets=report.snippets,
            budget=step,
            context_budget_tokens=report.context_budget,
            deadline_cut=deadline is not None and deadline.cut,
        )
        if result.stopped_by == "cancelled":
            outcome.reason = "cancelled"
            return outcome
        if not is_current():
            outcome.reason = "outdated"  # the document changed while the model ran
            return outcome
        # Right after Tab finished a line, more on it only when the model is sure (after_accept.py).
        finished = finish_all(result, place.suggestion, report.threshold, finished_line)
        first = finished[0]  # the greedy candidate (or the first other one): its check is reported
        outcome.texts = distinct_texts(finished) if known is None else distinct_texts([*known, *finished])
        outcome.text = outcome.texts[0] if outcome.texts else ""
        outcome.confidence, outcome.min_confidence = first.confidence, first.threshold
        outcome.candidate, outcome.candidate_scores = first.candidate, first.scores
        outcome.syntax_check = first.syntax_check
        if not outcome.text:
            outcome.reason = "empty"
        return outcome

    # -- speculative next completion ---------------------------------------------------------
    def _prefetch_after(self, request: CompletionRequest, suggestion: str) -> None:
        """Compute, in the background, the completion that follows the acceptance of the shown
        suggestion, unless the cache has it or it is being computed."""
        acceptance = Acceptance(request.uri, request.text, request.cursor.offset, suggestion)
        options = self.get_settings().completion
        key = self._accepted_key(acceptance, options)
        if self.cache.has(key) or self.speculator.running(key) or not self.host.ready():
            return
        self.speculator.start(acceptance, key, lambda flag: self._prefetch(request, acceptance, flag))

    def _accepted_key(self, acceptance: Acceptance, options: CompletionSettings) -> CacheKey:
        """The cache key of the accepted document, without building it (it may be large)."""
        window = options.prompt_budget_tokens * CHARS_PER_TOKEN_BOUND + WINDOW_SLACK_CHARS
        text, offset, suggestion = acceptance.text, acceptance.offset, acceptance.suggestion
        prefix = (text[max(0, offset - window) : offset] + suggestion)[-window:]
        return CacheKey.of(acceptance.uri, prefix, text[offset : offset + window])

    async def _prefetch(self, shown: CompletionRequest, acceptance: Acceptance, flag: StopFlag) -> None:
        await asyncio.sleep(0)  # the answer to the request goes out first
        accepted = CompletionRequest(
            shown.uri,
            acceptance.accepted_text,
            accepted_cursor(shown.cursor, acceptance.suggestion),
            shown.language_id,
            shown.path,
        )
        settings = self.get_settings()
        place = self._place(accepted, settings.completion)
        if flag.is_set() or not self.host.ready():
            return
        outcome = await self._run_model(
            accepted,
            place,
            settings,
            1,
            # Tab put the cursor after the whole suggestion: the finished-line rule applies there.
            finished_line=finishes_line(accepted.text, accepted.cursor.offset),
            job_key=prefetch_key(shown.uri),
            flag=flag,
            is_current=lambda: True,  # keyed by its own text: valid whenever that text comes
            priority="background",
        )
        self.last_prefetch, self._last_prefetch_key = outcome, place.key
        if outcome.reason in ("model", "empty") and self._cache_engine is self.host.engine:
            self.cache.store(place.key, CachedCompletion(tuple(outcome.texts), 1, "prefetch"))

    def _context_tokens(
        self,
        request: CompletionRequest,
        prompt: FimPrompt,
        budget: int,
        settings: Settings,
        engine: Engine,
        fim: FimTokens,
        report: _BuiltPrompt,
        give_way: Callable[[], bool] | None = None,
    ) -> list[int]:
        """Cross-file snippets for the prompt, leaving out what the local window shows
        (runs on the model thread)."""
        started = time.perf_counter()
        line = request.cursor.line
        window = (line - prompt.prefix_text.count("\n"), line + prompt.suffix_text.count("\n"))
        try:
            assert self.context is not None and request.path is not None  # checked by the caller
            tokens, gathered = self.context.prompt_tokens(
                request.path,
                request.text,
                request.cursor.offset,
                window,
                budget,
                settings.context.time_budget_ms,
                engine.tokenize,
                fim,
                request.language_id,
                give_way,
            )
        except Exception:  # context is a bonus: never lose the completion over it
            log.exception("cross-file context failed")
            return []
        report.context_ms = (time.perf_counter() - started) * 1000
        report.context_tokens = len(tokens)
        if gathered is not None:
            report.snippets = [
                f"{s.path.name}:{s.start_line + 1}-{s.end_line + 1} ({s.kind})" for s in gathered.snippets
            ]
        return tokens


def model_name(engine: Engine | None) -> str | None:
    """The name calibration files know a model by: its GGUF file's name, or a remote model's id."""
    path = getattr(engine, "path", None)
    if isinstance(path, Path):
        return path.name
    model_id = getattr(engine, "model_id", None)
    return model_id if isinstance(model_id, str) else None


@dataclass(frozen=True)
class _Place:
    """The cursor's place: its cache key, the text windows the prompt is cut from, and what the
    filters need."""

    key: CacheKey
    prefix: str
    suffix: str
    suggestion: SuggestionPlace


@dataclass
class _BuiltPrompt:
    """What building the prompt on the model thread left for the outcome's report."""

    prompt: FimPrompt | None = None
    ms: float = 0.0
    context_budget: int = 0
    threshold: float = 0.0  # the confidence suggestions are held to (completion.minConfidence)
    context_ms: float = 0.0
    context_tokens: int = 0
    snippets: list[str] = field(default_factory=list)

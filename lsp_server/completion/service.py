"""The inline completion pipeline, free of LSP types.

document text + cursor -> cache lookup -> FIM prompt (token ids) -> engine on
the model thread (newest request per document wins) -> post-processing.
Every outcome carries its timings, so the server's own overhead (time outside
the engine) can be measured by the latency benchmark.
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
from ..engine.host import EngineHost
from ..engine.worker import Superseded
from ..prompts.fim import FimPrompt, FimTokens, LineTokenCounter, build_fim_prompt, prepend_context
from ..prompts.token_cache import PrefixTokenizer
from ..settings import ContextSettings, Settings
from ..text import Cursor
from .after_accept import FINISHED_LINE_MIN_CONFIDENCE, AcceptedSuggestions
from .cache import CacheKey, CompletionCache
from .confidence import calibrated_threshold, judge, shown_scores
from .loops import loop_start
from .postprocess import CursorContext, block_finished, postprocess, wants_multiline
from .syntax_check import check_suggestion

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

# What became of a request: a model answer, the cache's, an empty one after post-processing,
# or none (no model yet, completions off, a newer request, a document changed meanwhile, an
# engine failure).
OutcomeReason = Literal["model", "cache", "empty", "not-ready", "disabled", "cancelled", "outdated", "error"]


@dataclass
class CompletionRequest:
    uri: str
    text: str
    cursor: Cursor
    language_id: str = ""
    path: Path | None = None  # the document's file, for cross-file context


@dataclass
class CompletionOutcome:
    text: str
    reason: OutcomeReason
    multiline: bool = False
    total_ms: float = 0.0
    engine_ms: float = 0.0
    prompt_ms: float = 0.0
    prompt_tokens: int = 0
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
            "contextMs": round(self.context_ms, 3),
            "contextTokens": self.context_tokens,
            "contextSnippets": self.context_snippets,
            "generatedTokens": self.generated_tokens,
            "tokensPerSecond": round(self.tokens_per_second, 1),
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "minConfidence": self.min_confidence,
            "syntaxCheck": self.syntax_check,
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
        self, host: EngineHost, get_settings: Callable[[], Settings], context: CrossFileContext | None = None
    ) -> None:
        self.host = host
        self.get_settings = get_settings
        self.context = context
        self.cache = CompletionCache()
        self._cache_engine: Engine | None = None  # the engine whose answers the cache holds
        # Per engine: token counts of lines, and token ids of unchanged prompt text (token_cache.py).
        self._tokenizer_caches: tuple[Engine, LineTokenCounter, PrefixTokenizer] | None = None
        self.last: CompletionOutcome | None = None
        self.in_flight = 0  # requests between arrival and answer
        self._tokens_seen = 0  # tokens generated by the current request, for reports on cancel
        self.accepted = AcceptedSuggestions()

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
            outcome = await self._complete(request, is_current)
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
        self.accepted.shown(request.uri, request.text, request.cursor.offset, outcome.text)
        return outcome

    async def _complete(self, request: CompletionRequest, is_current: Callable[[], bool]) -> CompletionOutcome:
        settings = self.get_settings()
        options = settings.completion
        if not options.enabled or request.language_id in options.disabled_languages:
            return CompletionOutcome("", "disabled")

        window = options.prompt_budget_tokens * CHARS_PER_TOKEN_BOUND + WINDOW_SLACK_CHARS
        offset = request.cursor.offset
        prefix = request.text[max(0, offset - window) : offset]
        suffix = request.text[offset : offset + window]
        ctx = cursor_context(request.text, offset)
        multiline = wants_multiline(ctx)
        suffix_lines = suffix.split("\n")[1:]

        if self.host.engine is not self._cache_engine:  # a new model: the old answers are not its own
            self.cache.clear()
            self._cache_engine = self.host.engine
        key = CacheKey.of(request.uri, prefix, suffix)
        cached = self.cache.get(key)
        if cached is not None:
            return CompletionOutcome(cached, "cache", multiline)

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

        built = _BuiltPrompt()

        def build(engine: Engine, fim: FimTokens, room: int) -> GenerationRequest:
            prompt_started = time.perf_counter()
            counter, tokenize = self._caches_for(engine)
            budget = min(options.prompt_budget_tokens, room)
            with_context = self.context is not None and settings.context.enabled and request.path is not None
            context_budget = context_share(budget, settings.context) if with_context else 0
            prompt = build_fim_prompt(
                tokenize,
                fim,
                prefix,
                suffix,
                budget - context_budget,
                options.suffix_fraction,
                count_line_tokens=counter,
            )
            if with_context:
                context_tokens = self._context_tokens(request, prompt, context_budget, settings, engine, fim, built)
                if context_budget - len(context_tokens) > UNUSED_CONTEXT_TOKENS:
                    # Little context (or none): its unused share goes back to the local window.
                    prompt = build_fim_prompt(
                        tokenize,
                        fim,
                        prefix,
                        suffix,
                        budget - len(context_tokens),
                        options.suffix_fraction,
                        count_line_tokens=counter,
                    )
                prompt = prepend_context(prompt, fim, context_tokens)
            built.prompt = prompt
            built.ms = (time.perf_counter() - prompt_started) * 1000
            return GenerationRequest(
                prompt_tokens=prompt.tokens,
                max_tokens=options.max_tokens,
                stop=list(options.stop) + ([] if multiline else ["\n"]) + list(fim.stop_texts),
                stop_ids=fim.stop_ids,
                should_stop=self._count_token,
                # Stop at the end of the block, or as soon as the model falls into a loop (loops.py).
                text_is_complete=lambda text: (
                    (multiline and block_finished(text, ctx, options.max_lines))
                    or loop_start(text, ctx.line_prefix) is not None
                ),
            )

        try:
            result = await self.host.generate(request.uri, build, options.max_tokens, flag=flag)
        except Superseded:
            return CompletionOutcome("", "cancelled", multiline)
        except EngineError as exc:  # e.g. a remote server that went down: no ghost text, a clear status
            log.warning("completion failed: %s", exc)
            return CompletionOutcome("", "error", multiline, message=str(exc))
        prompt, prompt_ms, report = built.prompt, built.ms, built

        outcome = CompletionOutcome(
            "",
            "model",
            multiline,
            engine_ms=result.total_seconds * 1000,
            prompt_ms=prompt_ms,
            prompt_tokens=result.prompt_tokens,
            generated_tokens=result.generated_tokens,
            tokens_per_second=result.tokens_per_second,
            prompt_token_ids=prompt.tokens if prompt is not None else [],
            context_ms=report.context_ms,
            context_tokens=report.context_tokens,
            context_snippets=report.snippets,
        )
        if result.stopped_by == "cancelled":
            outcome.reason = "cancelled"
            return outcome
        if not is_current():
            outcome.reason = "outdated"  # the document changed while the model ran
            return outcome
        candidate = postprocess(result.text, ctx, suffix_lines, multiline, options.max_lines)
        if candidate:
            # Never show text that breaks the code around it (syntax_check.py): cut it back or drop it.
            verdict = check_suggestion(request.text, offset, candidate, request.language_id, request.path)
            candidate, outcome.syntax_check = verdict.text, verdict.action
        scores = shown_scores(result.text, candidate, result.token_scores)
        threshold = options.min_confidence
        if threshold is None:
            threshold = calibrated_threshold(model_name(self.host.engine))
        if self.accepted.finished_a_line(request.uri, request.text, offset):
            # Right after Tab finished a line: more on it only when the model is sure (after_accept.py).
            threshold = max(threshold, FINISHED_LINE_MIN_CONFIDENCE)
            if scores is None:
                candidate = ""
        judged = judge(candidate, scores, threshold)
        outcome.text, outcome.confidence, outcome.min_confidence = judged.text, judged.confidence, threshold
        outcome.candidate, outcome.candidate_scores = candidate, scores
        if not outcome.text:
            outcome.reason = "empty"
        self.cache.put(key, outcome.text)
        return outcome

    def _context_tokens(
        self,
        request: CompletionRequest,
        prompt: FimPrompt,
        budget: int,
        settings: Settings,
        engine: Engine,
        fim: FimTokens,
        report: _BuiltPrompt,
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


@dataclass
class _BuiltPrompt:
    """What building the prompt on the model thread left for the outcome's report."""

    prompt: FimPrompt | None = None
    ms: float = 0.0
    context_ms: float = 0.0
    context_tokens: int = 0
    snippets: list[str] = field(default_factory=list)

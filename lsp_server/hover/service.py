"""Hover documentation for the server: resolve from the index, and summaries in the background.

`HoverService.hover` answers from the index alone, on a small thread of its own (never the
protocol loop, never the model thread, which may be busy). When the symbol has no
documentation, it shows a cached generated summary if there is one, and otherwise asks the
model for one in the background: the answer does not wait for it, the next hover shows it.
Summary jobs give way to any completion (checked per token), so they never delay one.

Who writes them: with `explain.model` set, that instruct model, asked in a chat message (it
is loaded on first use); otherwise the completion model, as fill-in-the-middle, unless it is
the embedded placeholder model. Either way the text is cleaned and sanitized before it is
cached, and sanitized again when shown (the cache outlives versions of this code).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

from ..context.resolve import Resolver
from ..documents import DocumentError, read_source_file
from ..engine.base import Engine, EngineError, GenerationRequest, GenerationResult
from ..engine.explain_host import ExplainModelHost
from ..engine.host import EMBEDDED_MODEL, EngineHost
from ..engine.worker import Superseded
from ..explain.prompt import build_chat_prompt
from ..explain.sanitize import sanitize_inline
from ..index import Symbol, WorkspaceIndex
from ..prompts.fim import FimTokens, build_fim_prompt
from ..settings import Settings
from .resolve import HoverInfo, resolve_hover
from .summaries import CHAT_SUMMARY_SYSTEM, chat_summary_message, clean_summary, summary_prompt_for
from .summary_cache import SummaryCache

log = logging.getLogger(__name__)

SUMMARY_MAX_TOKENS = 48
SUMMARY_PROMPT_TOKENS = 768
SUMMARY_SUFFIX_FRACTION = 0.5  # the symbol's body after the docstring matters as much as before it
SUMMARY_KEY = "hover-summary"  # one summary job at a time: the newest hover wins
# How a summary is asked for: a chat message to the explain model, or fill-in-the-middle.
SummaryWay = Literal["chat", "fim"]


class HoverService:
    def __init__(
        self,
        index: Callable[[], WorkspaceIndex | None],
        host: EngineHost,
        get_settings: Callable[[], Settings],
        spawn: Callable[[Coroutine[Any, Any, None]], asyncio.Task],
        cache: SummaryCache | None = None,
        explain_host: ExplainModelHost | None = None,
    ) -> None:
        """`spawn` runs a coroutine in the background (the server's, which logs failures);
        `explain_host` is the explain model (none: summaries by the completion model only)."""
        self._index = index
        self.host = host
        self.explain_host = explain_host
        self.get_settings = get_settings
        self._spawn = spawn
        self.summaries = cache if cache is not None else SummaryCache()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="infill-hover")
        self._resolver: Resolver | None = None
        self._pending: set[str] = set()  # content hashes being summarised

    def _resolve(self, index: WorkspaceIndex, path: Path, text: str, line: int, column: int) -> HoverInfo | None:
        if self._resolver is None or self._resolver.index is not index:
            self._resolver = Resolver(index)
        return resolve_hover(index, path, text, line, column, self._resolver)

    async def hover(
        self, path: Path, text: str, line: int, column: int, open_text: Callable[[Path], str | None]
    ) -> HoverInfo | None:
        """Hover for (line, column in code points) of `text`, the current content of `path`.
        `open_text(path)` gives an editor buffer's text for a file, None when it is not open."""
        index = self._index()
        if index is None:
            return None
        loop = asyncio.get_running_loop()
        info = await loop.run_in_executor(self._executor, self._resolve, index, path, text, line, column)
        if info is None or info.symbol is None or info.doc.strip():
            return info
        summary = sanitize_inline(self.summaries.get(info.symbol.content_hash) or "")
        if summary:
            info.generated_summary = summary
        elif (way := self._summary_way()) is not None:
            self._summarise_later(info.symbol, open_text(Path(info.symbol.path)), way)
        return info

    def _summary_way(self) -> SummaryWay | None:
        """How summaries are written now, None when no model should: the explain model when
        one is set, else the completion model, but not the embedded placeholder model, whose
        text would read as nonsense documentation (see models/MODEL_CARD.md)."""
        settings = self.get_settings()
        if not settings.hover.generated_summaries:
            return None
        if settings.explain.model and self.explain_host is not None:
            source = self.explain_host.choose(settings).source
            return "chat" if source in ("explain_model", "completion_model") else None
        embedded = getattr(self.host.engine, "path", None) == EMBEDDED_MODEL
        return "fim" if self.host.ready() and not embedded else None

    def _summarise_later(self, symbol: Symbol, buffer_text: str | None, way: SummaryWay) -> None:
        if symbol.content_hash in self._pending:
            return
        self._pending.add(symbol.content_hash)
        self._spawn(self._summarise(symbol, buffer_text, way))

    async def _summarise(self, symbol: Symbol, buffer_text: str | None, way: SummaryWay) -> None:
        summary = ""
        try:
            if way == "chat":
                summary = await self._chat_summary(symbol, buffer_text)
            else:
                summary = await self._fim_summary(symbol, buffer_text)
        except DocumentError as error:
            log.info("no summary for %s: %s", symbol.qualified_name, error)
        except (Superseded, EngineError) as error:  # a newer summary, or the model went away
            log.debug("no summary for %s: %s", symbol.qualified_name, error)
        finally:
            self._pending.discard(symbol.content_hash)
        summary = sanitize_inline(summary)
        if summary:
            self.summaries.put(symbol.content_hash, summary)
            log.info("summary of %s: %s", symbol.qualified_name, summary)

    async def _source_text(self, symbol: Symbol, buffer_text: str | None) -> str:
        if buffer_text is not None:
            return buffer_text
        # On the hover thread: reads a file.
        return await asyncio.get_running_loop().run_in_executor(self._executor, read_source_file, Path(symbol.path))

    async def _chat_summary(self, symbol: Symbol, buffer_text: str | None) -> str:
        """A summary from the explain model, asked in a chat message; loads the model first."""
        models = self.explain_host
        assert models is not None  # checked by _summary_way
        settings = self.get_settings()
        choice = models.choose(settings)
        message = chat_summary_message(symbol, await self._source_text(symbol, buffer_text))
        if message is None or choice.source not in ("explain_model", "completion_model"):
            return ""
        if choice.source == "explain_model":
            await models.load(settings, choice)

        def build(engine: Engine, room: int) -> list[int]:
            return build_chat_prompt(engine, message, CHAT_SUMMARY_SYSTEM)[-room:]

        flag = self.host.worker.supersede(SUMMARY_KEY)
        result = await models.generate(choice, build, SUMMARY_MAX_TOKENS, flag, stop=["\n"])
        return _finished(result)

    async def _fim_summary(self, symbol: Symbol, buffer_text: str | None) -> str:
        """A summary from the completion model, as fill-in-the-middle on the symbol's source."""
        prompt = summary_prompt_for(symbol, await self._source_text(symbol, buffer_text))
        if prompt is None:
            return ""

        def build(engine: Engine, fim: FimTokens, room: int) -> GenerationRequest:
            assert prompt is not None  # checked before the job was queued
            fim_prompt = build_fim_prompt(
                engine.tokenize,
                fim,
                prompt.prefix,
                prompt.suffix,
                min(SUMMARY_PROMPT_TOKENS, room),
                SUMMARY_SUFFIX_FRACTION,
            )
            return GenerationRequest(
                prompt_tokens=fim_prompt.tokens,
                max_tokens=SUMMARY_MAX_TOKENS,
                stop=prompt.stop + list(fim.stop_texts),
                stop_ids=fim.stop_ids,
            )

        # Background priority: gives way to any completion, per token; a summary that gave
        # way is asked for again on a later hover.
        result = await self.host.generate(SUMMARY_KEY, build, SUMMARY_MAX_TOKENS, priority="background")
        return _finished(result)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _finished(result: GenerationResult) -> str:
    """The summary in a generation's text; none from one that was stopped part way."""
    return clean_summary(result.text) if result.stopped_by != "cancelled" else ""

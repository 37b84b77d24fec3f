"""Hover documentation for the server: resolve from the index, and summaries in the background.

`HoverService.hover` answers from the index alone, on a small thread of its own (never the
protocol loop, never the model thread, which may be busy). When the symbol has no
documentation, it shows a cached generated summary if there is one, and otherwise asks the
model for one in the background: the answer does not wait for it, the next hover shows it.
Summary jobs give way to any other model job (checked per token), so they never delay a
completion; an interrupted summary is simply asked for again on a later hover.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..context.resolve import Resolver
from ..documents import DocumentError, read_source_file
from ..engine.base import Engine, EngineError, GenerationRequest
from ..engine.host import EMBEDDED_MODEL, EngineHost
from ..engine.worker import Superseded
from ..index import Symbol, WorkspaceIndex
from ..prompts.fim import FimTokens, build_fim_prompt
from ..settings import Settings
from .resolve import HoverInfo, resolve_hover
from .summaries import SummaryPrompt, clean_summary, summary_prompt_for
from .summary_cache import SummaryCache

log = logging.getLogger(__name__)

SUMMARY_MAX_TOKENS = 48
SUMMARY_PROMPT_TOKENS = 768
SUMMARY_SUFFIX_FRACTION = 0.5  # the symbol's body after the docstring matters as much as before it
SUMMARY_KEY = "hover-summary"  # one summary job at a time: the newest hover wins


class HoverService:
    def __init__(
        self,
        index: Callable[[], WorkspaceIndex | None],
        host: EngineHost,
        get_settings: Callable[[], Settings],
        spawn: Callable[[Coroutine[Any, Any, None]], asyncio.Task],
        cache: SummaryCache | None = None,
    ) -> None:
        """`spawn` runs a coroutine in the background (the server's, which logs failures)."""
        self._index = index
        self.host = host
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
        summary = self.summaries.get(info.symbol.content_hash)
        if summary:
            info.generated_summary = summary
        elif self._summaries_wanted():
            self._summarise_later(info.symbol, open_text(Path(info.symbol.path)))
        return info

    def _summaries_wanted(self) -> bool:
        """Summaries need a model that can write them: not the embedded placeholder model,
        whose text would read as nonsense documentation (see models/MODEL_CARD.md)."""
        embedded = getattr(self.host.engine, "path", None) == EMBEDDED_MODEL
        return self.get_settings().hover.generated_summaries and self.host.ready() and not embedded

    def _summarise_later(self, symbol: Symbol, buffer_text: str | None) -> None:
        if symbol.content_hash in self._pending:
            return
        self._pending.add(symbol.content_hash)
        self._spawn(self._summarise(symbol, buffer_text))

    async def _summarise(self, symbol: Symbol, buffer_text: str | None) -> None:
        def read_prompt() -> SummaryPrompt | None:  # on the hover thread: reads a file
            text = buffer_text if buffer_text is not None else read_source_file(Path(symbol.path))
            return summary_prompt_for(symbol, text)

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

        summary = ""
        try:
            prompt = await asyncio.get_running_loop().run_in_executor(self._executor, read_prompt)
            if prompt is not None:
                # Background priority: gives way to any completion, per token.
                result = await self.host.generate(SUMMARY_KEY, build, SUMMARY_MAX_TOKENS, priority="background")
                # A summary that gave way is asked for again on a later hover.
                summary = clean_summary(result.text) if result.stopped_by != "cancelled" else ""
        except DocumentError as error:
            log.info("no summary for %s: %s", symbol.qualified_name, error)
        except (Superseded, EngineError):  # a newer summary, or the model went away
            pass
        finally:
            self._pending.discard(symbol.content_hash)
        if summary:
            self.summaries.put(symbol.content_hash, summary)
            log.info("summary of %s: %s", symbol.qualified_name, summary)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

"""workspace/executeCommand "infill.explain": explain a selected range with a chat model.

Arguments: [{"uri": str, "range": LSP Range, "workDoneToken"?: str | int}], structured by
pygls into ExplainArguments. Returns {"markdown": str}, the final answer, for any LSP client.

Which model explains is decided by engine/explain_host.py; with none fit to (the embedded
model, a model without a chat template), the answer is guidance on getting one (guidance.py)
and no model runs. The explanation runs at background priority, so it never delays a
completion. Progress is reported with window/workDoneProgress and can be cancelled there; a
new explain request stops the previous one; time and token limits apply. With a client-made
progress token (VS Code's panel) the text so far is sent while the model writes, as the
notification `infill/explainPartial` {"token", "markdown"}. Every text from the model is
sanitized (sanitize.py) before it leaves the server.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
from cattrs.gen import make_dict_structure_fn, override
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from ..documents import file_path
from ..engine.base import Engine, EngineError
from ..engine.explain_host import ExplainChoice
from ..engine.worker import StopFlag, Superseded
from ..feature import Feature
from ..index import WorkspaceIndex
from ..progress import ClientProgress
from ..server import InfillServer
from ..settings import Settings
from ..text import cursor_from_lsp
from .guidance import no_model_markdown
from .prompt import ExplainRequest, build_chat_prompt, deadline_stop, definitions_text, used_names, user_message
from .sanitize import sanitize_inline, sanitize_markdown
from .stream import PartialStream

log = logging.getLogger(__name__)

EXPLAIN_COMMAND = "infill.explain"
PARTIAL_NOTIFICATION = "infill/explainPartial"
MAX_TOKENS = 384
TIME_LIMIT_SECONDS = 60.0


@attrs.define
class ExplainArguments:
    uri: str
    range: types.Range
    # pygls hands a command only its arguments, so a client-made progress token (VS Code's
    # panel) travels inside the argument; without one the server makes its own.
    work_done_token: str | int | None = None


def selection_request(ls: InfillServer, argument: ExplainArguments) -> ExplainRequest:
    doc = ls.document(argument.uri)
    start_pos, end_pos = argument.range.start, argument.range.end
    start = cursor_from_lsp(doc.text, start_pos.line, start_pos.character)
    end = cursor_from_lsp(doc.text, end_pos.line, end_pos.character)
    if start is None or end is None:
        raise JsonRpcInvalidParams("infill.explain: the range is outside the document")
    if end.offset < start.offset:
        start, end = end, start
    if not doc.text[start.offset : end.offset].strip():
        raise JsonRpcInvalidParams("infill.explain: the selection is empty; select some code first")
    path = file_path(argument.uri) or Path(argument.uri)
    roots = ls.workspace_roots()
    shown = next((str(path.relative_to(r)) for r in roots if path.is_relative_to(r)), path.name)
    return ExplainRequest(doc.text, start.offset, end.offset, doc.language_id, shown)


class ExplainFeature(Feature):
    name = "explain"

    def __init__(self, server: InfillServer, index: Callable[[], WorkspaceIndex | None]) -> None:
        self.server = server
        self.index = index

    def register(self) -> None:
        converter = self.server.converter
        structure = make_dict_structure_fn(
            ExplainArguments, converter, work_done_token=override(rename="workDoneToken")
        )

        def structure_arguments(value: Any, kind: type) -> ExplainArguments:
            try:
                return structure(value, kind)
            except Exception as exc:  # cattrs' own message lists fields; say what is expected
                raise ValueError(
                    f'{EXPLAIN_COMMAND} expects [{{"uri": ..., "range": {{...}}}}], got {value!r}'
                ) from exc

        converter.register_structure_hook(ExplainArguments, structure_arguments)
        feature = self

        @self.server.command(EXPLAIN_COMMAND)
        async def explain(ls: InfillServer, argument: ExplainArguments) -> dict[str, str]:
            return {"markdown": await feature.explain(argument)}

    def settings_changed(self, settings: Settings) -> None:
        # An explain model the settings no longer name gives its memory back.
        if self.server.explain_host.engine is not None:
            self.server.spawn(self.server.explain_host.release_if_stale(settings))

    async def explain(self, argument: ExplainArguments) -> str:
        ls = self.server
        request = selection_request(ls, argument)
        settings = ls.settings
        models = ls.explain_host
        choice = models.choose(settings)
        if choice.source == "none":
            return no_model_markdown(choice)  # no model runs: it would write nonsense
        if choice.source == "unavailable":
            return f"*Infill cannot explain right now: {sanitize_inline(choice.message)}*"
        index = self.index()
        lookup = index.definitions if index is not None else (lambda name: [])
        selection = request.text[request.start : request.end]
        message = user_message(request, definitions_text(used_names(selection), lookup))

        flag = ls.worker.supersede("explain")
        progress = ClientProgress(ls, argument.work_done_token, flag.set, "explain")
        await progress.begin("Explaining…")
        stream = None
        if argument.work_done_token is not None:  # a client that follows this explanation
            token = argument.work_done_token
            stream = PartialStream(
                asyncio.get_running_loop(),
                lambda markdown: ls.protocol.notify(PARTIAL_NOTIFICATION, {"token": token, "markdown": markdown}),
            )
        try:
            return await self._generate(settings, choice, message, flag, progress, stream)
        finally:
            if stream is not None:
                stream.close()
            progress.end("Done")

    async def _generate(
        self,
        settings: Settings,
        choice: ExplainChoice,
        message: str,
        flag: StopFlag,
        progress: ClientProgress,
        stream: PartialStream | None,
    ) -> str:
        models = self.server.explain_host
        try:
            if choice.source == "explain_model" and not models.is_loaded(settings, choice):
                progress.report("Loading the explain model…")
                await models.load(settings, choice)
                progress.report("Explaining…")
        except EngineError as exc:
            return f"*Infill cannot load the explain model: {sanitize_inline(str(exc))}*"
        if flag.is_set():
            return "*(stopped)*"

        def build(engine: Engine, room: int) -> list[int]:
            prompt = build_chat_prompt(engine, message)
            return prompt[-room:]  # keep the end: the instruction and the selection's tail

        try:
            result = await models.generate(
                choice,
                build,
                MAX_TOKENS,
                flag,
                should_stop=deadline_stop(TIME_LIMIT_SECONDS),
                on_text=stream.on_text if stream is not None else None,
            )
        except Superseded:
            return "*(stopped)*"
        except EngineError as exc:
            return f"*Infill cannot explain right now: {sanitize_inline(str(exc))}*"
        text = sanitize_markdown(result.text)
        if result.stopped_by == "cancelled":
            text += "\n\n*(stopped)*"
        return text.strip() or "*The model had nothing to say about this selection.*"

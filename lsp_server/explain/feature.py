"""workspace/executeCommand "infill.explain": explain a selected range with the model.

Arguments: [{"uri": str, "range": LSP Range, "workDoneToken"?: str | int}], structured by
pygls into ExplainArguments. Returns {"markdown": str}. Progress is reported with
window/workDoneProgress and can be cancelled there; a new explain request stops the previous
one; time and token limits apply.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
from cattrs.gen import make_dict_structure_fn, override
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from ..documents import file_path
from ..engine.base import Engine, GenerationRequest
from ..feature import Feature
from ..index import WorkspaceIndex
from ..prompts.fim import FimTokens
from ..server import InfillServer
from ..text import cursor_from_lsp
from .prompt import ExplainRequest, build_explain_prompt, deadline_stop, definitions_text, used_names, user_message

log = logging.getLogger(__name__)

EXPLAIN_COMMAND = "infill.explain"
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

    async def explain(self, argument: ExplainArguments) -> str:
        ls = self.server
        request = selection_request(ls, argument)
        host = ls.engine_host
        if not host.ready():
            return f"*Infill cannot explain right now: the model is {host.state.state}.* {host.state.message}"
        index = self.index()
        lookup = index.definitions if index is not None else (lambda name: [])
        selection = request.text[request.start : request.end]
        message = user_message(request, definitions_text(used_names(selection), lookup))

        progress = ls.work_done_progress
        flag = ls.worker.supersede("explain")
        client_token = argument.work_done_token
        token = client_token if client_token is not None else str(uuid.uuid4())
        with_progress = bool(ls.client_capabilities.window and ls.client_capabilities.window.work_done_progress)
        if with_progress:
            try:
                if token != client_token:
                    await progress.create_async(token)
                progress.begin(
                    token, types.WorkDoneProgressBegin(title="Infill", message="Explaining…", cancellable=True)
                )
                progress.tokens[token].add_done_callback(lambda future: flag.set())
            except Exception as exc:
                log.warning("explain without progress: %s", exc)
                with_progress = False

        def build(engine: Engine, fim: FimTokens, room: int) -> GenerationRequest:
            prompt = build_explain_prompt(engine, message)
            if len(prompt) > room:  # keep the end: the instruction and the selection's tail
                prompt = prompt[-room:]
            return GenerationRequest(
                prompt_tokens=prompt, max_tokens=MAX_TOKENS, should_stop=deadline_stop(TIME_LIMIT_SECONDS)
            )

        try:
            result = await ls.engine_host.generate("explain", build, MAX_TOKENS, flag=flag)
        finally:
            if with_progress:
                progress.end(token, types.WorkDoneProgressEnd(message="Done"))
        text = result.text.strip()
        if result.stopped_by == "cancelled":
            text += "\n\n*(stopped)*"
        return text or "*The model had nothing to say about this selection.*"

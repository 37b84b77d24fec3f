"""workspace/executeCommand "infill.explain": explain a selected range with the model.

Arguments: [{"uri": str, "range": LSP Range}]. Returns {"markdown": str}.
Progress is reported with window/workDoneProgress and can be cancelled there;
a new explain request stops the previous one; time and token limits apply.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from ..engine.base import GenerationRequest
from ..explain import ExplainRequest, build_explain_prompt, deadline_stop, definitions_text, used_names, user_message
from ..server import file_path
from ..text import cursor_from_lsp

log = logging.getLogger(__name__)

EXPLAIN_COMMAND = "infill.explain"
MAX_TOKENS = 384
TIME_LIMIT_SECONDS = 60.0


def _selection(ls, argument) -> tuple[ExplainRequest, str]:
    if not isinstance(argument, dict) or "uri" not in argument or "range" not in argument:
        raise JsonRpcInvalidParams('infill.explain expects [{"uri": ..., "range": {...}}]')
    uri = argument["uri"]
    doc = ls.document(uri)
    try:
        start_pos, end_pos = argument["range"]["start"], argument["range"]["end"]
        start = cursor_from_lsp(doc.text, int(start_pos["line"]), int(start_pos["character"]))
        end = cursor_from_lsp(doc.text, int(end_pos["line"]), int(end_pos["character"]))
    except (KeyError, TypeError, ValueError):
        raise JsonRpcInvalidParams("infill.explain: range must be an LSP Range") from None
    if start is None or end is None:
        raise JsonRpcInvalidParams("infill.explain: the range is outside the document")
    if end.offset < start.offset:
        start, end = end, start
    if not doc.text[start.offset : end.offset].strip():
        raise JsonRpcInvalidParams("infill.explain: the selection is empty; select some code first")
    path = file_path(uri) or Path(uri)
    roots = ls.workspace_roots()
    shown = next((str(path.relative_to(r)) for r in roots if path.is_relative_to(r)), path.name)
    return ExplainRequest(doc.text, start.offset, end.offset, doc.language_id, shown), uri


def register(server) -> None:
    @server.command(EXPLAIN_COMMAND)
    async def explain(ls, *args) -> dict:
        request, uri = _selection(ls, args[0] if args else None)
        if not ls.engine_host.ready():
            state = ls.engine_host.state
            return {"markdown": f"*Infill cannot explain right now: the model is {state.state}.* {state.message}"}
        index = ls.index_host.index
        lookup = index.definitions if index is not None else (lambda name: [])
        selection = request.text[request.start : request.end]
        message = user_message(request, definitions_text(used_names(selection), lookup))

        progress = ls.work_done_progress
        flag = ls.worker.supersede("explain")
        # pygls hands a command only its arguments, so a client-made progress token
        # (VS Code's panel) travels inside the argument; else the server makes one.
        client_token = args[0].get("workDoneToken")
        token = client_token if isinstance(client_token, (str, int)) else str(uuid.uuid4())
        with_progress = bool(ls.client_capabilities.window and ls.client_capabilities.window.work_done_progress)
        if with_progress:
            try:
                if token != client_token:
                    await progress.create_async(token)
                progress.begin(token, types.WorkDoneProgressBegin(title="Infill", message="Explaining…", cancellable=True))
                progress.tokens[token].add_done_callback(lambda future: flag.set())
            except Exception as exc:
                log.warning("explain without progress: %s", exc)
                with_progress = False

        def job(stop) -> str:
            engine = ls.engine_host.engine
            prompt = build_explain_prompt(engine, message)
            room = engine.n_ctx - MAX_TOKENS - 8
            if len(prompt) > room:  # keep the end: the instruction and the selection's tail
                prompt = prompt[-room:]
            result = engine.generate(
                GenerationRequest(
                    prompt_tokens=prompt,
                    max_tokens=MAX_TOKENS,
                    should_stop=deadline_stop(TIME_LIMIT_SECONDS, stop.is_set),
                )
            )
            if result.stopped_by == "cancelled":
                return result.text.strip() + "\n\n*(stopped)*"
            return result.text.strip()

        try:
            text = await ls.worker.run("explain", job, flag)
        finally:
            if with_progress:
                progress.end(token, types.WorkDoneProgressEnd(message="Done"))
        return {"markdown": text or "*The model had nothing to say about this selection.*"}

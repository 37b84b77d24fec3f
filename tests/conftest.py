"""Shared fixtures: the test GGUF (built once per run) and a real LSP session.

The server under test is the real `python -m lsp_server` subprocess, driven
over stdio by pytest-lsp's client; the model is a real GGUF run by llama.cpp.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "models"))

from build_test_model import build_test_model  # noqa: E402


@pytest.fixture(scope="session")
def test_model(tmp_path_factory) -> Path:
    """A small random-weight GGUF with the StarCoder tokenizer (see models/build_test_model.py)."""
    return build_test_model(tmp_path_factory.mktemp("model") / "infill-test.gguf")


def client_capabilities() -> types.ClientCapabilities:
    """What VS Code announces, as far as Infill cares (pytest-lsp's canned
    VS Code capabilities predate inline completion)."""
    return types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            synchronization=types.TextDocumentSyncClientCapabilities(dynamic_registration=False),
            inline_completion=types.InlineCompletionClientCapabilities(dynamic_registration=False),
            hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
        ),
        workspace=types.WorkspaceClientCapabilities(configuration=True, workspace_folders=True),
        window=types.WindowClientCapabilities(work_done_progress=True),
    )


class Session:
    """A started server plus the notifications it sent."""

    def __init__(self, client) -> None:
        self.client = client
        self.statuses: list[dict] = []
        self._status_event = asyncio.Event()

    def on_status(self, params) -> None:
        state = params if isinstance(params, dict) else {"state": params.state, "message": params.message}
        self.statuses.append(state)
        self._status_event.set()

    async def wait_for_engine(self, timeout: float = 60) -> dict:
        """Until the engine reports ready, error or disabled."""
        async def wait() -> dict:
            while True:
                for status in self.statuses:
                    if status["state"] in ("ready", "error", "disabled"):
                        return status
                self._status_event.clear()
                await self._status_event.wait()

        return await asyncio.wait_for(wait(), timeout)

    def open(self, uri: str, text: str, language: str = "python", version: int = 1) -> None:
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id=language, version=version, text=text)
            )
        )

    async def complete(self, uri: str, line: int, character: int) -> types.InlineCompletionList:
        return await asyncio.wait_for(self._complete(uri, line, character), 60)

    async def _complete(self, uri: str, line: int, character: int) -> types.InlineCompletionList:
        return await self.client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=line, character=character),
                context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic),
            )
        )

    async def last_completion(self, include_prompt: bool = False) -> dict:
        result = await asyncio.wait_for(
            self.client.protocol.send_request_async("infill/lastCompletion", {"includePrompt": include_prompt}), 30
        )
        # pygls hands untyped results over as named tuples.
        return result._asdict() if hasattr(result, "_asdict") else result


@contextlib.asynccontextmanager
async def lsp_session(
    init_options: dict | None, root: Path | None = None, wait_engine: bool = True, configuration: dict | None = None,
    server_command: list[str] | None = None,
):
    # Completions as typed stop at a deadline from completion.latencyTargetMs: on a loaded test
    # machine that would make a suggestion depend on the load. Off unless a test sets it.
    if init_options is not None:
        completion = init_options.setdefault("completion", {})
        if isinstance(completion, dict):
            completion.setdefault("latencyTargetMs", 0)
    # The index database goes to the user cache: keep it in a temp folder.
    cache_home = tempfile.mkdtemp(prefix="infill-cache-")
    env = {**os.environ, "XDG_CACHE_HOME": cache_home}
    command = server_command or [sys.executable, "-m", "lsp_server", "serve"]
    config = ClientServerConfig(server_command=command, server_env=env)
    client = await config.start()
    if configuration is not None:  # answers the server's workspace/configuration requests
        client.set_configuration(configuration, section="infill")
    session = Session(client)
    client.feature("infill/status")(lambda ls, params: session.on_status(params))
    folders = [types.WorkspaceFolder(uri=root.as_uri(), name=root.name)] if root else None
    try:
        result = await asyncio.wait_for(client.initialize_session(
            types.InitializeParams(
                capabilities=client_capabilities(),
                initialization_options=init_options,
                root_uri=root.as_uri() if root else None,
                workspace_folders=folders,
            )
        ), 30)
        session.initialize_result = result
        if wait_engine:
            await session.wait_for_engine()
        yield session
    finally:
        try:
            await asyncio.wait_for(client.shutdown_session(), 10)
        except Exception as exc:  # a server that does not shut down is a failure, but must not hang the run
            print(f"server did not shut down cleanly: {exc!r}", file=sys.stderr)
            if client._server is not None and client._server.returncode is None:
                client._server.kill()
        await asyncio.wait_for(client.stop(), 20)
        shutil.rmtree(cache_home, ignore_errors=True)

"""The Infill language server: the state every feature shares, and the server's own life.

InfillServer holds the settings, the model thread and the engine host (shared by the
completion, hover and explain features), the explain model (loaded on first use, on the
same thread; shared by explain and hover), the open documents, and the list of features.
It answers the lifecycle messages itself (initialize, initialized, configuration changes,
document sync, shutdown) and passes each event on to every feature. Which features run is
decided in app.py; what each one does is in its own package.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import FeatureRequestError, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import default_converter
from pygls.uris import to_fs_path

from . import __version__
from .documents import DocumentError, file_path, is_inside, read_source_file
from .engine.explain_host import ExplainModelHost
from .engine.host import EngineHost, EngineState, EngineStateName
from .engine.worker import ModelWorker
from .feature import DocumentEvent, Feature, FeatureSet
from .protocol import InfillProtocol, use_lsp_lines
from .settings import Settings, parse_settings
from .status import IndexStatus, StatusState, compose_status, model_label
from .text import Cursor, count_lines, cursor_from_lsp

log = logging.getLogger(__name__)

STATUS_NOTIFICATION = "infill/status"
# Debug requests: the server's copy of an open document (tests check incremental sync with it),
# and its bookkeeping (tests and the soak benchmark check that it stays flat).
DOCUMENT_REQUEST = "infill/document"
SERVER_STATE_REQUEST = "infill/serverState"
# A remote engine that could not be reached is tried again at most this often.
RETRY_ENGINE_SECONDS = 10.0


@dataclass
class DocumentSnapshot:
    uri: str
    text: str
    version: int | None
    language_id: str


class InfillServer(LanguageServer):
    def __init__(self) -> None:
        # The converter that structures every message; features add hooks for their own types
        # (a command's typed arguments) through `self.converter`.
        self.converter = default_converter()
        super().__init__(
            "infill",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            converter_factory=lambda: self.converter,
            protocol_cls=InfillProtocol,
            # pygls' pool only reads stdin, one read after the other: one thread does it (a larger
            # pool added idle threads over a long session). The model, the index and hover have
            # threads of their own.
            max_workers=1,
        )
        self.settings = Settings()
        self.init_options: Any = None
        self.worker = ModelWorker()
        self.engine_host = EngineHost(self.worker, on_state=self._engine_state_changed)
        self.explain_host = ExplainModelHost(self.engine_host)
        self.features = FeatureSet()
        self.background_tasks: set[asyncio.Task] = set()
        self._engine_retry_at = time.monotonic()
        # The index's part of the status line (status.py composes it with the engine's).
        self.index_status = IndexStatus()
        self._last_status: dict[str, Any] | None = None
        # A feature's note on the ready status (the latency budget's step), kept across updates.
        self.status_note = ""
        self._register_lifecycle()

    def add_feature(self, feature: Feature) -> None:
        """Called by app.py for each feature, before the server starts."""
        self.features.add(feature)
        feature.register()

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Errors outside a request: a message the reader could not parse is answered (see
        protocol.py); others are logged, without pygls' default pop-up in the editor."""
        protocol = self.protocol
        if isinstance(protocol, InfillProtocol) and protocol.reader_error(error):
            return
        if source is FeatureRequestError:
            return  # answered with an error response, and logged with its traceback by pygls
        log.error("server error (%s): %s", getattr(source, "__name__", source), error)

    # -- settings -----------------------------------------------------------------
    def apply_settings(self, raw: object) -> list[str]:
        self.settings, errors = parse_settings(raw)
        for error in errors:
            log.warning("settings: %s", error)
        if errors:
            self.show_message("Infill settings: " + "; ".join(errors), types.MessageType.Warning)
        self.features.settings_changed(self.settings)
        return errors

    async def _pull_configuration(self) -> None:
        """Settings are initializationOptions, overridden by the client's "infill" section of
        workspace/configuration when it has one."""
        raw = self.init_options
        capabilities = self.client_capabilities.workspace
        if capabilities is not None and capabilities.configuration:
            try:
                sections = await self.workspace_configuration_async(
                    types.ConfigurationParams(items=[types.ConfigurationItem(section="infill")])
                )
                section = sections[0] if sections else None
                if isinstance(section, dict) and section and isinstance(raw, (dict, type(None))):
                    raw = merge_settings(raw or {}, section)
            except Exception as exc:  # a client that cannot answer: keep initializationOptions
                log.warning("workspace/configuration failed: %s", exc)
        self.apply_settings(raw)

    # -- documents ----------------------------------------------------------------
    def workspace_roots(self) -> list[Path]:
        roots = [Path(p) for f in self.workspace.folders.values() if (p := to_fs_path(f.uri))]
        if not roots and self.workspace.root_path:
            roots = [Path(self.workspace.root_path)]
        return roots

    def document(self, uri: str) -> DocumentSnapshot:
        """The text of an open document, or of a file inside the workspace.

        Raises an invalid-params error for anything else: the client gets a clear
        message and the server carries on.
        """
        if uri in self.workspace.text_documents:
            doc = self.workspace.get_text_document(uri)
            return DocumentSnapshot(uri, doc.source, doc.version, doc.language_id or "")
        path = file_path(uri)
        if path is None or not is_inside(path, self.workspace_roots()):
            raise JsonRpcInvalidParams(f"unknown document {uri}: not open and not a file in the workspace")
        try:
            text = read_source_file(path)
        except DocumentError as exc:
            raise JsonRpcInvalidParams(str(exc)) from None
        return DocumentSnapshot(uri, text, None, "")

    def document_at(self, uri: str, line: int, character: int) -> tuple[DocumentSnapshot, Cursor]:
        """The document and the cursor for an LSP position in it; an invalid-params error for
        an unknown document or a position outside it (a column past its line is clamped)."""
        doc = self.document(uri)
        cursor = cursor_from_lsp(doc.text, line, character)
        if cursor is None:
            raise JsonRpcInvalidParams(f"position {line}:{character} is outside {uri} ({count_lines(doc.text)} lines)")
        return doc, cursor

    def open_text(self, path: Path) -> str | None:
        """The editor buffer of a file, None when it is not open."""
        doc = self.workspace.text_documents.get(path.as_uri())
        return doc.source if doc is not None else None

    def document_version(self, uri: str) -> int | None:
        doc = self.workspace.text_documents.get(uri)
        return doc.version if doc is not None else None

    def _document_event(self, uri: str, changed_line: int | None = None) -> DocumentEvent:
        doc = self.workspace.get_text_document(uri)
        return DocumentEvent(uri, file_path(uri), doc.source, doc.language_id or "", changed_line)

    # -- user-facing messages -------------------------------------------------------
    def show_message(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def send_status(self, state: StatusState | EngineStateName, message: str) -> None:
        """infill/status {"state", "message", "model", "embedded"}: the state and its message,
        with the completion model's name and whether it is the embedded one."""
        model, embedded = model_label(self.settings)
        params = {"state": state, "message": message, "model": model, "embedded": embedded}
        self._last_status = params
        self.protocol.notify(STATUS_NOTIFICATION, params)

    def publish_status(self) -> None:
        """Send the status composed from the engine's state and the index's, unless it is
        what the editor shows already."""
        status = compose_status(self.engine_host.state, self.index_status)
        message = status.message
        if self.status_note and status.state in ("ready", "indexing"):
            message = f"{message}; {self.status_note}" if message else self.status_note
        model, embedded = model_label(self.settings)
        wanted = {"state": status.state, "message": message, "model": model, "embedded": embedded}
        if wanted != self._last_status:
            self.send_status(status.state, message)

    def set_index_status(self, index: IndexStatus) -> None:
        """The index feature's progress and outcome; call on the event loop."""
        self.index_status = index
        try:
            self.publish_status()
        except Exception:  # no client connected
            log.debug("status not sent for the index: %s", index)

    def _engine_state_changed(self, state: EngineState) -> None:
        try:
            self.publish_status()
            if state.state == "error":
                self.show_message(
                    f"Infill: {state.message}. Completions are off until this is fixed.", types.MessageType.Error
                )
        except Exception:  # no client connected (command line use)
            log.debug("status not sent: %s %s", state.state, state.message)

    # -- background work ----------------------------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        """Run coro in the background, keeping a reference and logging its failure."""
        task = asyncio.ensure_future(coro)
        self.background_tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self.background_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    # -- the engine -----------------------------------------------------------------
    def retry_engine_if_failed(self) -> None:
        """A remote engine that could not be reached at start is tried again, at most every
        RETRY_ENGINE_SECONDS, when the user asks for completions: the server comes back by itself."""
        host = self.engine_host
        now = time.monotonic()
        if (
            host.state.state == "error"
            and self.settings.engine.kind == "remote"
            and now - self._engine_retry_at >= RETRY_ENGINE_SECONDS
        ):
            self._engine_retry_at = now
            self.spawn(host.load(self.settings))

    async def reload_engine_if_needed(self) -> None:
        if self.engine_host.needs_reload(self.settings):
            await self.engine_host.load(self.settings)

    # -- lifecycle ------------------------------------------------------------------
    def _register_lifecycle(self) -> None:
        @self.feature(types.INITIALIZE)
        def on_initialize(ls: InfillServer, params: types.InitializeParams) -> None:
            use_lsp_lines(ls.workspace)
            # Applied (and reported when invalid) once the client is initialized.
            ls.init_options = params.initialization_options

        @self.feature(types.INITIALIZED)
        async def on_initialized(ls: InfillServer, params: types.InitializedParams) -> None:
            async def start() -> None:
                await ls._pull_configuration()
                ls.features.initialized()
                await ls.reload_engine_if_needed()

            ls.spawn(start())

        @self.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
        async def on_configuration_changed(ls: InfillServer, params: types.DidChangeConfigurationParams) -> None:
            async def update() -> None:
                settings = params.settings
                if isinstance(settings, dict) and isinstance(settings.get("infill"), dict):
                    base = ls.init_options if isinstance(ls.init_options, dict) else {}
                    ls.init_options = merge_settings(base, settings["infill"])
                await ls._pull_configuration()
                await ls.reload_engine_if_needed()

            ls.spawn(update())

        @self.feature(types.TEXT_DOCUMENT_DID_OPEN)
        def did_open(ls: InfillServer, params: types.DidOpenTextDocumentParams) -> None:
            ls.features.document_opened(ls._document_event(params.text_document.uri))

        @self.feature(types.TEXT_DOCUMENT_DID_CHANGE)
        def did_change(ls: InfillServer, params: types.DidChangeTextDocumentParams) -> None:
            uri = params.text_document.uri
            if uri in ls.workspace.text_documents:
                ls.features.document_changed(ls._document_event(uri, last_changed_line(params.content_changes)))

        @self.feature(types.TEXT_DOCUMENT_DID_CLOSE)
        def did_close(ls: InfillServer, params: types.DidCloseTextDocumentParams) -> None:
            # pygls has already dropped the buffer: the event carries no text.
            uri = params.text_document.uri
            ls.features.document_closed(DocumentEvent(uri, file_path(uri), "", ""))

        @self.feature(DOCUMENT_REQUEST)
        def document_copy(ls: InfillServer, params: Any) -> dict[str, Any]:
            uri = getattr(params, "uri", None)
            if not isinstance(uri, str) or uri not in ls.workspace.text_documents:
                raise JsonRpcInvalidParams(f"{DOCUMENT_REQUEST}: no open document {uri!r}")
            doc = ls.workspace.get_text_document(uri)
            return {"uri": uri, "version": doc.version, "text": doc.source}

        @self.feature(SERVER_STATE_REQUEST)
        def server_state(ls: InfillServer, params: Any) -> dict[str, int]:
            return {
                "pendingRequests": len(ls.protocol._request_futures),
                "backgroundTasks": len(ls.background_tasks),
                "threads": threading.active_count(),
            }

        @self.feature(types.SHUTDOWN)
        def on_shutdown(ls: InfillServer, params: None) -> None:
            ls.features.shutdown()
            ls.worker.shutdown()


def last_changed_line(changes: Sequence[types.TextDocumentContentChangeEvent]) -> int | None:
    """The line of the last incremental change (None for a whole-document replacement)."""
    for change in reversed(changes):
        if isinstance(change, types.TextDocumentContentChangePartial):
            return change.range.start.line
    return None


def merge_settings(base: dict, override: dict) -> dict:
    """base with override's values, nested objects merged key by key."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_settings(merged[key], value)
        else:
            merged[key] = value
    return merged

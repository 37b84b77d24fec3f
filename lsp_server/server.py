"""The Infill language server: typed state and the factory that wires features.

InfillServer holds the settings, the model worker and engine host, and the
completion service. Feature handlers live in handlers/, one file per LSP
feature; this module only assembles them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from . import __version__
from .completion.service import CompletionService
from .config import Settings, parse_settings
from .context.provider import CrossFileContext
from .context.recent import RecentEdits
from .documents import DocumentError, is_inside, read_source_file
from .engine.host import EngineHost, EngineState
from .engine.worker import ModelWorker
from .hover.service import HoverService
from .indexing import IndexHost
from .text import Cursor, count_lines, cursor_from_lsp

log = logging.getLogger(__name__)

STATUS_NOTIFICATION = "infill/status"
RETRY_ENGINE_SECONDS = 10.0


def file_path(uri: str) -> Path | None:
    """The file a `file:` URI names; None for other schemes (untitled buffers and the like)."""
    return Path(to_fs_path(uri)) if uri.startswith("file:") else None


@dataclass
class DocumentSnapshot:
    uri: str
    text: str
    version: int | None
    language_id: str


class InfillServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("infill", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.settings = Settings()
        self.init_options: dict = {}
        self.worker = ModelWorker()
        self.engine_host = EngineHost(self.worker, on_state=self._engine_state_changed)
        self.index_host = IndexHost()
        self.recent_edits = RecentEdits()
        self.cross_file_context = CrossFileContext(lambda: self.index_host.index, self.recent_edits)
        self.completions = CompletionService(self.engine_host, lambda: self.settings, self.cross_file_context)
        self.hover = HoverService(lambda: self.index_host.index, self.engine_host, lambda: self.settings, self.spawn)
        self.background_tasks: set[asyncio.Task] = set()
        self._engine_retry_at = time.monotonic()
        self._completion_failing = False

    # -- settings -----------------------------------------------------------------
    def apply_settings(self, raw: object) -> list[str]:
        self.settings, errors = parse_settings(raw)
        for error in errors:
            log.warning("settings: %s", error)
        if errors:
            self.show_message("Infill settings: " + "; ".join(errors), types.MessageType.Warning)
        return errors

    # -- documents ----------------------------------------------------------------
    def workspace_roots(self) -> list[Path]:
        roots = [Path(to_fs_path(f.uri)) for f in self.workspace.folders.values()]
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

    # -- user-facing messages -------------------------------------------------------
    def show_message(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def send_status(self, state: str, message: str) -> None:
        self.protocol.notify(STATUS_NOTIFICATION, {"state": state, "message": message})

    def _engine_state_changed(self, state: EngineState) -> None:
        try:
            self.send_status(state.state, state.message)
            if state.state == "error":
                self.show_message(f"Infill: {state.message}. Completions are off until this is fixed.",
                                  types.MessageType.Error)
        except Exception:  # no client connected (command line use)
            log.debug("status not sent: %s %s", state.state, state.message)

    # -- background work ----------------------------------------------------------
    def spawn(self, coro) -> asyncio.Task:
        """Run coro in the background, keeping a reference and logging its failure."""
        task = asyncio.ensure_future(coro)
        self.background_tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self.background_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    def retry_engine_if_failed(self) -> None:
        """A remote engine that could not be reached at start is tried again, at most every
        RETRY_ENGINE_SECONDS, when the user asks for completions: the server comes back by itself."""
        host = self.engine_host
        now = time.monotonic()
        if (host.state.state == "error" and self.settings.engine.kind == "remote"
                and now - self._engine_retry_at >= RETRY_ENGINE_SECONDS):
            self._engine_retry_at = now
            self.spawn(host.load(self.settings))

    def report_completion_health(self, outcome) -> None:
        """Completions that fail at request time (a remote server went away) show in the status;
        the first success after that restores it."""
        if outcome.reason == "error" and not self._completion_failing:
            self._completion_failing = True
            self.send_status("error", outcome.message)
        elif outcome.reason in ("model", "empty", "cache") and self._completion_failing:
            self._completion_failing = False
            self.send_status(self.engine_host.state.state, self.engine_host.state.message)

    async def reload_engine_if_needed(self) -> None:
        if self.engine_host.needs_reload(self.settings):
            self.completions.cache.clear()
            await self.engine_host.load(self.settings)


def create_server() -> InfillServer:
    from .handlers import register_all

    server = InfillServer()
    register_all(server)
    return server

"""The workspace index inside the server: built in the background, kept current, searched.

- editor buffers (opened, changed, closed) and workspace/didChangeWatchedFiles go to the index;
- workspace/symbol: a fuzzy search over every symbol in the workspace;
- indexing progress: window/workDoneProgress ("Indexing 1200/5300 files").

The feature owns the IndexHost (host.py), whose one thread does all index work; the other
features read the index through `current_index`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path

from lsprotocol import types

from ..documents import file_path
from ..feature import DocumentEvent, Feature
from ..index import IndexStats, Symbol, WorkspaceIndex
from ..server import InfillServer
from ..status import IndexStatus
from .host import IndexHost

log = logging.getLogger(__name__)
# How often, at most, progress reports go to the client while indexing.
PROGRESS_INTERVAL_SECONDS = 0.2
SYMBOL_SEARCH_LIMIT = 200

SYMBOL_KINDS = {
    "function": types.SymbolKind.Function,
    "method": types.SymbolKind.Method,
    "class": types.SymbolKind.Class,
    "struct": types.SymbolKind.Struct,
    "interface": types.SymbolKind.Interface,
    "enum": types.SymbolKind.Enum,
    "trait": types.SymbolKind.Interface,
    "type": types.SymbolKind.TypeParameter,
    "module": types.SymbolKind.Module,
    "variable": types.SymbolKind.Variable,
    "constant": types.SymbolKind.Constant,
    "field": types.SymbolKind.Field,
    "macro": types.SymbolKind.Constant,
}


class IndexFeature(Feature):
    name = "index"

    def __init__(self, server: InfillServer) -> None:
        self.server = server
        self.host = IndexHost()

    def current_index(self) -> WorkspaceIndex | None:
        """The index, once it is open (None before, and when indexing is off)."""
        return self.host.index

    def initialized(self) -> None:
        self.server.spawn(self.start_indexing())

    def document_opened(self, document: DocumentEvent) -> None:
        if document.path is not None:
            self.host.document_changed(document.path, document.text)

    def document_changed(self, document: DocumentEvent) -> None:
        if document.path is not None:
            self.host.document_changed(document.path, document.text)

    def document_closed(self, document: DocumentEvent) -> None:
        if document.path is not None:
            self.host.document_closed(document.path)

    def shutdown(self) -> None:
        self.host.shutdown()

    async def start_indexing(self) -> None:
        """Index the workspace folders, reporting progress to the client."""
        ls = self.server
        roots = ls.workspace_roots()
        if not roots or not ls.settings.index.enabled:
            return
        token = str(uuid.uuid4())
        progress = ls.work_done_progress
        use_progress = bool(ls.client_capabilities.window and ls.client_capabilities.window.work_done_progress)
        loop = asyncio.get_running_loop()
        if use_progress:
            try:
                await progress.create_async(token)
                progress.begin(token, types.WorkDoneProgressBegin(title="Infill", message="Indexing", percentage=0))
            except Exception as exc:
                log.warning("no progress reporting: %s", exc)
                use_progress = False
        ls.set_index_status(IndexStatus("running"))
        last_report = [0.0]
        finished = [False]

        def running(done: int, total: int) -> None:  # on the loop; a late report must not undo the outcome
            if not finished[0]:
                ls.set_index_status(IndexStatus("running", done, total))

        def report(done: int, total: int) -> None:  # called on the index thread
            now = loop.time()
            if now - last_report[0] > PROGRESS_INTERVAL_SECONDS or done == total:
                last_report[0] = now
                loop.call_soon_threadsafe(running, done, total)
                if use_progress:
                    percentage = int(100 * done / total) if total else 100
                    message = f"Indexing {done}/{total} files"
                    loop.call_soon_threadsafe(
                        progress.report, token, types.WorkDoneProgressReport(message=message, percentage=percentage)
                    )

        try:
            index_settings = ls.settings.index
            stats = await self.host.start(
                roots, report, max_file_bytes=index_settings.max_file_bytes, max_files=index_settings.max_files
            )
            message = indexed_message(stats)
            # A partial index must not go unnoticed behind the engine's state.
            outcome = IndexStatus("done", message=message, notable=stats is not None and stats.capped)
        except Exception as exc:
            log.exception("indexing failed")
            message = f"Indexing failed: {exc}"
            outcome = IndexStatus("failed", message=message, notable=True)
        if use_progress:
            progress.end(token, types.WorkDoneProgressEnd(message=message))
        finished[0] = True
        ls.set_index_status(outcome)

    def register(self) -> None:
        host = self.host

        @self.server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
        async def watched_files_changed(ls: InfillServer, params: types.DidChangeWatchedFilesParams) -> None:
            paths = [p for change in params.changes if (p := file_path(change.uri)) is not None]
            await host.files_changed(paths)

        @self.server.feature(types.WORKSPACE_SYMBOL)
        async def workspace_symbol(
            ls: InfillServer, params: types.WorkspaceSymbolParams
        ) -> list[types.SymbolInformation]:
            index = host.index
            if index is None:
                return []
            await host.flush_now()
            return [
                symbol_information(symbol) for symbol in index.search_symbols(params.query, limit=SYMBOL_SEARCH_LIMIT)
            ]


def indexed_message(stats: IndexStats | None) -> str:
    """What indexing achieved, in the words of the status line and the progress end."""
    if stats is None:
        return "Nothing to index"
    if stats.capped:
        return f"Indexed {stats.files} files (the index.maxFiles limit); {stats.over_limit} more not indexed"
    return f"Indexed {stats.files} files, {stats.symbols} symbols"


def symbol_information(symbol: Symbol) -> types.SymbolInformation:
    start = types.Position(line=symbol.start_line, character=symbol.start_column)
    end = types.Position(line=symbol.end_line, character=symbol.end_column)
    return types.SymbolInformation(
        name=symbol.name,
        kind=SYMBOL_KINDS.get(symbol.kind, types.SymbolKind.Variable),
        location=types.Location(uri=Path(symbol.path).as_uri(), range=types.Range(start=start, end=end)),
        container_name=symbol.parent,
    )

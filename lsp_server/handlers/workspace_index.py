"""Keeping the index current and answering from it.

- textDocument/didOpen, didChange, didClose: editor buffers go to the index;
- workspace/didChangeWatchedFiles: changes on disk the client reports;
- workspace/symbol: a fuzzy search over every symbol in the workspace;
- indexing progress: window/workDoneProgress ("Indexing 1200/5300 files").
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path

from lsprotocol import types

from ..hover.summary_cache import SummaryCache
from ..index.store import default_db_path
from ..server import file_path

log = logging.getLogger(__name__)

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


async def start_indexing(ls) -> None:
    """Index the workspace folders, reporting progress to the client."""
    roots = ls.workspace_roots()
    if not roots or not ls.settings.index.enabled:
        return
    # Generated hover summaries are kept beside the index database, so restarts reuse them.
    ls.hover.summaries = SummaryCache(default_db_path(roots).with_suffix(".summaries.json"))
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
    ls.send_status("indexing", "Indexing workspace")
    last_report = [0.0]

    def report(done: int, total: int) -> None:  # called on the index thread
        now = loop.time()
        if use_progress and (now - last_report[0] > 0.2 or done == total):
            last_report[0] = now
            percentage = int(100 * done / total) if total else 100
            message = f"Indexing {done}/{total} files"
            loop.call_soon_threadsafe(
                progress.report, token, types.WorkDoneProgressReport(message=message, percentage=percentage)
            )

    try:
        stats = await ls.index_host.start(roots, report, max_file_bytes=ls.settings.index.max_file_bytes)
        message = f"Indexed {stats.files} files, {stats.symbols} symbols" if stats else "Nothing to index"
    except Exception as exc:
        log.exception("indexing failed")
        message = f"Indexing failed: {exc}"
    if use_progress:
        progress.end(token, types.WorkDoneProgressEnd(message=message))
    ls.send_status(ls.engine_host.state.state, ls.engine_host.state.message or message)


def _changed_line(changes) -> int | None:
    """The line of the last incremental change (None for a whole-document replacement)."""
    for change in reversed(changes):
        if isinstance(change, types.TextDocumentContentChangePartial):
            return change.range.start.line
    return None


def register(server) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls, params: types.DidOpenTextDocumentParams) -> None:
        document = params.text_document
        path = file_path(document.uri)
        if path is not None:
            ls.index_host.document_changed(path, document.text)
            ls.recent_edits.note_open(path, document.text, document.language_id or "")

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = file_path(uri)
        if path is not None and uri in ls.workspace.text_documents:
            document = ls.workspace.get_text_document(uri)
            ls.index_host.document_changed(path, document.source)
            line = _changed_line(params.content_changes)
            if line is not None:
                ls.recent_edits.note_edit(path, document.source, line, document.language_id or "")

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls, params: types.DidCloseTextDocumentParams) -> None:
        path = file_path(params.text_document.uri)
        if path is not None:
            ls.index_host.document_closed(path)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def watched_files_changed(ls, params: types.DidChangeWatchedFilesParams) -> None:
        paths = [p for change in params.changes if (p := file_path(change.uri)) is not None]
        await ls.index_host.files_changed(paths)

    @server.feature(types.WORKSPACE_SYMBOL)
    async def workspace_symbol(ls, params: types.WorkspaceSymbolParams) -> list[types.SymbolInformation]:
        index = ls.index_host.index
        if index is None:
            return []
        await ls.index_host.flush_now()
        results = []
        for symbol in index.search_symbols(params.query, limit=200):
            start = types.Position(line=symbol.start_line, character=symbol.start_column)
            end = types.Position(line=symbol.end_line, character=symbol.end_column)
            results.append(
                types.SymbolInformation(
                    name=symbol.name,
                    kind=SYMBOL_KINDS.get(symbol.kind, types.SymbolKind.Variable),
                    location=types.Location(uri=Path(symbol.path).as_uri(), range=types.Range(start=start, end=end)),
                    container_name=symbol.parent,
                )
            )
        return results

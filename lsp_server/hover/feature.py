"""textDocument/hover: the signature, documentation and location of the name under the cursor.

Answered from the workspace index (no model needed); a symbol without documentation gets a
generated summary once a model has written one (see service.py). The feature owns the
hover service, its thread, and the summary cache kept beside the index database.
"""

from __future__ import annotations

from collections.abc import Callable

from lsprotocol import types

from ..documents import file_path
from ..feature import Feature
from ..index import WorkspaceIndex
from ..index.store import default_db_path
from ..server import InfillServer
from ..text import codepoint_to_utf16_column, line_text_at
from .service import HoverService
from .summary_cache import SummaryCache


class HoverFeature(Feature):
    name = "hover"

    def __init__(self, server: InfillServer, index: Callable[[], WorkspaceIndex | None]) -> None:
        self.server = server
        self.service = HoverService(
            index, server.engine_host, lambda: server.settings, server.spawn, explain_host=server.explain_host
        )

    def initialized(self) -> None:
        roots = self.server.workspace_roots()
        if roots and self.server.settings.index.enabled:
            # Generated summaries are kept beside the index database, so restarts reuse them.
            self.service.summaries = SummaryCache(default_db_path(roots).with_suffix(".summaries.json"))

    def register(self) -> None:
        service = self.service

        @self.server.feature(types.TEXT_DOCUMENT_HOVER, types.HoverOptions())
        async def hover(ls: InfillServer, params: types.HoverParams) -> types.Hover | None:
            if not ls.settings.hover.enabled:
                return None
            uri = params.text_document.uri
            doc, cursor = ls.document_at(uri, params.position.line, params.position.character)
            path = file_path(uri)
            if path is None:
                return None
            info = await service.hover(path, doc.text, cursor.line, cursor.column, ls.open_text)
            if info is None:
                return None
            line_text = line_text_at(doc.text, cursor.line) or ""
            word = types.Range(
                start=types.Position(
                    line=cursor.line, character=codepoint_to_utf16_column(line_text, info.start_column)
                ),
                end=types.Position(line=cursor.line, character=codepoint_to_utf16_column(line_text, info.end_column)),
            )
            return types.Hover(
                contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=info.markdown()), range=word
            )

    def shutdown(self) -> None:
        self.service.shutdown()

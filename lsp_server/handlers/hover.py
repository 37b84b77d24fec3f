"""textDocument/hover: the signature, documentation and location of the name under the cursor.

Answered from the workspace index (no model needed); a symbol without documentation gets a
generated summary once the model has written one (see hover/service.py).
"""

from __future__ import annotations

from lsprotocol import types

from ..server import file_path
from ..text import codepoint_to_utf16_column, line_text_at


def register(server) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER, types.HoverOptions())
    async def hover(ls, params: types.HoverParams) -> types.Hover | None:
        if not ls.settings.hover.enabled:
            return None
        uri = params.text_document.uri
        doc, cursor = ls.document_at(uri, params.position.line, params.position.character)
        path = file_path(uri)
        if path is None:
            return None
        info = await ls.hover.hover(path, doc.text, cursor.line, cursor.column, ls.open_text)
        if info is None:
            return None
        line_text = line_text_at(doc.text, cursor.line) or ""
        word = types.Range(
            start=types.Position(line=cursor.line, character=codepoint_to_utf16_column(line_text, info.start_column)),
            end=types.Position(line=cursor.line, character=codepoint_to_utf16_column(line_text, info.end_column)),
        )
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=info.markdown()), range=word
        )

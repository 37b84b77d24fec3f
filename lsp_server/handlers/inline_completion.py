"""textDocument/inlineCompletion (LSP 3.18): ghost text at the cursor.

Registered with InlineCompletionOptions, without which pygls never advertises
the capability. An invalid position is an invalid-params error; a column past
the end of its line is clamped, as editors expect (see InfillServer.document_at).
"""

from __future__ import annotations

from lsprotocol import types

from ..completion.service import CompletionRequest
from ..server import file_path
from ..text import codepoint_to_utf16_column, line_text_at


def register(server) -> None:
    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(ls, params: types.InlineCompletionParams) -> types.InlineCompletionList:
        uri = params.text_document.uri
        doc, cursor = ls.document_at(uri, params.position.line, params.position.character)
        ls.retry_engine_if_failed()
        outcome = await ls.completions.complete(
            CompletionRequest(uri, doc.text, cursor, doc.language_id, file_path(uri)),
            is_current=lambda: ls.document_version(uri) == doc.version,
        )
        ls.report_completion_health(outcome)
        if not outcome.text:
            return types.InlineCompletionList(items=[])
        column = codepoint_to_utf16_column(line_text_at(doc.text, cursor.line) or "", cursor.column)
        at = types.Position(line=cursor.line, character=column)
        item = types.InlineCompletionItem(insert_text=outcome.text, range=types.Range(start=at, end=at))
        return types.InlineCompletionList(items=[item])

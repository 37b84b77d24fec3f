"""Inline completions: textDocument/inlineCompletion (LSP 3.18) and infill/lastCompletion.

The feature owns the completion service (cache, prompt building, post-processing, prefetch
after a shown suggestion, the latency budget) and the recent-edits store that feeds cross-file
context. Registered with InlineCompletionOptions, without which pygls never advertises the
capability. An invalid position is an invalid-params error; a column past the end of its line is
clamped, as editors expect. Several candidates come back as several items, only when the user
asked (trigger kind Invoked: VS Code asks so when cycling with Alt+]); as they type, one.
"""

from __future__ import annotations

from collections.abc import Callable

from lsprotocol import types

from ..context.provider import CrossFileContext
from ..context.recent import RecentEdits
from ..documents import file_path
from ..feature import DocumentEvent, Feature
from ..index import WorkspaceIndex
from ..server import InfillServer
from ..text import codepoint_to_utf16_column, line_text_at
from .last_completion import LAST_COMPLETION, LastCompletionParams, last_completion_report
from .latency_budget import BudgetStep
from .service import CompletionOutcome, CompletionRequest, CompletionService


class CompletionFeature(Feature):
    name = "completion"

    def __init__(self, server: InfillServer, index: Callable[[], WorkspaceIndex | None]) -> None:
        self.server = server
        self.recent_edits = RecentEdits()
        self.service = CompletionService(
            server.engine_host, lambda: server.settings, CrossFileContext(index, self.recent_edits), prefetch=True
        )
        self.service.on_budget_step = self._budget_step_changed
        self._failing = False  # completions fail at request time (a remote server went away)

    def register(self) -> None:
        feature = self

        @self.server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
        async def inline_completion(
            ls: InfillServer, params: types.InlineCompletionParams
        ) -> types.InlineCompletionList:
            uri = params.text_document.uri
            doc, cursor = ls.document_at(uri, params.position.line, params.position.character)
            ls.retry_engine_if_failed()
            explicit = params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked
            outcome = await feature.service.complete(
                CompletionRequest(uri, doc.text, cursor, doc.language_id, file_path(uri), explicit=explicit),
                is_current=lambda: ls.document_version(uri) == doc.version,
            )
            feature._report_health(outcome)
            if not outcome.texts:
                return types.InlineCompletionList(items=[])
            column = codepoint_to_utf16_column(line_text_at(doc.text, cursor.line) or "", cursor.column)
            at = types.Position(line=cursor.line, character=column)
            where = types.Range(start=at, end=at)
            return types.InlineCompletionList(
                items=[types.InlineCompletionItem(insert_text=text, range=where) for text in outcome.texts]
            )

        @self.server.feature(LAST_COMPLETION)
        async def last_completion(ls: InfillServer, params: LastCompletionParams | None) -> dict:
            return await last_completion_report(feature.service, ls.engine_host, params)

    def document_opened(self, document: DocumentEvent) -> None:
        if document.path is not None:
            self.recent_edits.note_open(document.path, document.text, document.language_id)

    def document_changed(self, document: DocumentEvent) -> None:
        self.service.document_changed(document.uri, document.text)
        if document.path is not None and document.changed_line is not None:
            self.recent_edits.note_edit(document.path, document.text, document.changed_line, document.language_id)

    def shutdown(self) -> None:
        self.service.close()

    def _budget_step_changed(self, step: BudgetStep) -> None:
        """The status line says when the latency budget asks for less than the settings (its
        tooltip shows the message), and goes back to the plain status at step 0."""
        self.server.status_note = "" if step.step == 0 else step.status_text()
        if self._failing:
            return  # the failure stays in view; the step shows with the next status
        try:
            self.server.publish_status()
        except Exception:  # no client connected
            pass

    def _report_health(self, outcome: CompletionOutcome) -> None:
        """Completions that fail at request time show in the status; the first success after
        that restores the engine's own status."""
        if outcome.reason == "error" and not self._failing:
            self._failing = True
            self.server.send_status("error", outcome.message)
        elif outcome.reason in ("model", "empty", "cache", "prefetched") and self._failing:
            self._failing = False
            self.server.publish_status()

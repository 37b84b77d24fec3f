"""window/workDoneProgress for one long job (an explanation, a download): begin, reports, end.

The token is the client's own when it sent one with the request (VS Code does: pygls hands a
command only its arguments, so the token travels inside them), else one the server creates.
A cancel from the client calls `on_cancel`. Nothing is reported after the end, and the token's
future is dropped then (pygls keeps one per token until told).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from lsprotocol import types
from pygls.lsp.server import LanguageServer

log = logging.getLogger(__name__)


class ClientProgress:
    def __init__(
        self,
        server: LanguageServer,
        client_token: str | int | None,
        on_cancel: Callable[[], None],
        what: str,
        listen_to_client_token: bool = False,
    ) -> None:
        """`what` names the job in the log; with `listen_to_client_token`, a client that sent
        a token gets progress whatever capabilities it announced."""
        self.server = server
        self.client_token = client_token
        self.token: str | int = client_token if client_token is not None else str(uuid.uuid4())
        self.on_cancel = on_cancel
        self.what = what
        window = server.client_capabilities.window
        announced = bool(window and window.work_done_progress)
        self.active = announced or (listen_to_client_token and client_token is not None)
        self.ended = False

    async def begin(self, message: str, percentage: int | None = None) -> None:
        if not self.active:
            return
        progress = self.server.work_done_progress
        try:
            if self.token != self.client_token:
                await progress.create_async(self.token)
            progress.begin(
                self.token,
                types.WorkDoneProgressBegin(title="Infill", message=message, percentage=percentage, cancellable=True),
            )
            progress.tokens[self.token].add_done_callback(lambda future: self.on_cancel())
        except Exception as exc:
            log.warning("%s without progress: %s", self.what, exc)
            self.active = False

    def report(self, message: str, percentage: int | None = None) -> None:
        if self.active and not self.ended:
            self.server.work_done_progress.report(
                self.token, types.WorkDoneProgressReport(message=message, percentage=percentage)
            )

    def end(self, message: str) -> None:
        if self.ended:
            return
        self.ended = True
        if self.active:
            progress = self.server.work_done_progress
            progress.end(self.token, types.WorkDoneProgressEnd(message=message))
            progress.tokens.pop(self.token, None)

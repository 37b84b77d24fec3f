"""Work-done progress for one model download: begin, "X of Y MB" reports, end; a cancel from
the client sets the download's stop.

The token is the client's when it sent one (VS Code's notification does: the request's
params carry it), else one the server creates.
"""

from __future__ import annotations

import logging
import threading
import uuid

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from .pull import progress_text

log = logging.getLogger(__name__)


class PullProgress:
    def __init__(
        self, server: LanguageServer, client_token: str | int | None, name: str, stop: threading.Event
    ) -> None:
        self.server = server
        self.client_token = client_token
        self.token: str | int = client_token if client_token is not None else str(uuid.uuid4())
        self.name = name
        self.stop = stop
        window = server.client_capabilities.window
        # A client that sent a token listens on it, whatever it announced.
        self.active = client_token is not None or bool(window and window.work_done_progress)
        self.ended = False

    async def begin(self) -> None:
        if not self.active:
            return
        progress = self.server.work_done_progress
        try:
            if self.token != self.client_token:
                await progress.create_async(self.token)
            progress.begin(
                self.token,
                types.WorkDoneProgressBegin(
                    title="Infill", message=f"Downloading {self.name}", percentage=0, cancellable=True
                ),
            )
            progress.tokens[self.token].add_done_callback(lambda future: self.stop.set())
        except Exception as exc:
            log.warning("download of %s without progress: %s", self.name, exc)
            self.active = False

    def report(self, done: int, total: int | None) -> None:
        """Called on the loop (the download thread posts it); nothing after the end."""
        if self.active and not self.ended:
            message, percentage = progress_text(done, total)
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
            progress.tokens.pop(self.token, None)  # pygls keeps a future per token until told

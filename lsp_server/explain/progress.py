"""window/workDoneProgress for one explanation: begin, reports, end.

The token is the client's own when it sent one inside the command's argument (VS Code's
panel does: pygls hands a command only its arguments), else one the server creates. A
cancel from the client raises the explanation's stop flag.
"""

from __future__ import annotations

import logging
import uuid

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from ..engine.worker import StopFlag

log = logging.getLogger(__name__)


class ExplainProgress:
    """window/workDoneProgress for one explanation: begin, reports, end; a cancel from the
    client raises the explanation's stop flag."""

    def __init__(self, server: LanguageServer, client_token: str | int | None, flag: StopFlag) -> None:
        self.server = server
        self.client_token = client_token
        self.token: str | int = client_token if client_token is not None else str(uuid.uuid4())
        self.flag = flag
        window = server.client_capabilities.window
        self.active = bool(window and window.work_done_progress)

    async def begin(self) -> None:
        if not self.active:
            return
        progress = self.server.work_done_progress
        try:
            if self.token != self.client_token:
                await progress.create_async(self.token)
            progress.begin(
                self.token, types.WorkDoneProgressBegin(title="Infill", message="Explaining…", cancellable=True)
            )
            progress.tokens[self.token].add_done_callback(lambda future: self.flag.set())
        except Exception as exc:
            log.warning("explain without progress: %s", exc)
            self.active = False

    def report(self, message: str) -> None:
        if self.active:
            self.server.work_done_progress.report(self.token, types.WorkDoneProgressReport(message=message))

    def end(self) -> None:
        if self.active:
            self.server.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message="Done"))

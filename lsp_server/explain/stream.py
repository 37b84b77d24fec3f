"""Streaming an explanation: the text so far, sent to the client while the model writes.

The model thread calls `PartialStream.on_text` after every token; at most every
`interval` seconds the text is handed to the event loop, sanitized there, and sent with
`send` (the feature sends the notification `infill/explainPartial` {token, markdown}).
Nothing is sent after `close()`, so no part arrives after the final answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from .sanitize import sanitize_markdown

PARTIAL_INTERVAL_SECONDS = 0.15


class PartialStream:
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        send: Callable[[str], None],
        interval: float = PARTIAL_INTERVAL_SECONDS,
    ) -> None:
        self._loop = loop
        self._send = send
        self._interval = interval
        self._last_at = float("-inf")  # on the model thread
        self._last_sent = ""  # on the event loop
        self._closed = False
        self.sent = 0

    def on_text(self, text: str) -> None:
        """On the model thread, after every token: the whole text so far."""
        now = time.monotonic()
        if now - self._last_at < self._interval or not text.strip():
            return
        self._last_at = now
        self._loop.call_soon_threadsafe(self._deliver, text)

    def _deliver(self, text: str) -> None:
        if self._closed:
            return
        markdown = sanitize_markdown(text)
        if markdown and markdown != self._last_sent:
            self._last_sent = markdown
            self.sent += 1
            self._send(markdown)

    def close(self) -> None:
        self._closed = True

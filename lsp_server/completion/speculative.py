"""Speculative next completion: while a suggestion is shown, compute what follows its acceptance.

Tab inserts the suggestion and the editor asks again at once, with the cursor after it. That
document is known the moment the suggestion is shown: it is the shown one with the suggestion
inserted. So the service computes the completion there in the background and keeps it in the
cache; after Tab the request is a cache hit (reason "prefetched") instead of a model run.

The prefetch must never delay what the user does instead: it runs at background priority (it
gives way, at its next token, to any completion waiting for the model thread), a keystroke that
leaves the path to the accepted document stops it at once (`document_changed`), and so does a
request for another place in the document. A request for the accepted document that arrives
while the prefetch still runs waits for it rather than starting over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from ..engine.worker import StopFlag
from ..text import Cursor
from .cache import CacheKey

log = logging.getLogger(__name__)

T = TypeVar("T")
# Characters after the cursor compared when a keystroke arrives: enough to tell an edit
# elsewhere on the line, cheap on every keystroke (whole documents are not compared).
AFTER_CURSOR_CHARS = 64


def prefetch_key(uri: str) -> str:
    """The model thread's job key of a document's prefetch: apart from its completions, so that
    neither supersedes the other by key (the service decides which one stops)."""
    return f"{uri}\x00prefetch"


@dataclass(frozen=True)
class Acceptance:
    """A shown suggestion, and the document Tab would make of it."""

    uri: str
    text: str  # the document when the suggestion was shown
    offset: int  # the cursor then
    suggestion: str

    @property
    def accepted_text(self) -> str:
        return self.text[: self.offset] + self.suggestion + self.text[self.offset :]

    @property
    def accepted_offset(self) -> int:
        return self.offset + len(self.suggestion)

    def on_the_way(self, text: str) -> bool:
        """Whether `text` is the shown document with a start of the suggestion typed or
        accepted at the cursor (all of it included): the prefetch is still worth having.
        Compared around the cursor only, as this runs on every keystroke."""
        typed = len(text) - len(self.text)
        if not 0 <= typed <= len(self.suggestion):
            return False
        line_start = self.text.rfind("\n", 0, self.offset) + 1
        after = self.text[self.offset : self.offset + AFTER_CURSOR_CHARS]
        return (
            text.startswith(self.suggestion[:typed], self.offset)
            and text.startswith(self.text[line_start : self.offset], line_start)
            and text.startswith(after, self.offset + typed)
        )


def accepted_cursor(cursor: Cursor, suggestion: str) -> Cursor:
    """The cursor after Tab inserted `suggestion` at `cursor`."""
    lines = suggestion.split("\n")
    if len(lines) == 1:
        return replace(cursor, offset=cursor.offset + len(suggestion), column=cursor.column + len(suggestion))
    return replace(
        cursor, offset=cursor.offset + len(suggestion), line=cursor.line + len(lines) - 1, column=len(lines[-1])
    )


@dataclass
class _Job:
    acceptance: Acceptance
    key: CacheKey
    flag: StopFlag
    task: asyncio.Future


class Speculator:
    """The prefetch in flight for each document (at most one: a newer one replaces it)."""

    def __init__(self) -> None:
        self._jobs: dict[str, _Job] = {}

    def running(self, key: CacheKey) -> bool:
        job = self._jobs.get(key.uri)
        return job is not None and job.key == key and not job.task.done()

    def start(
        self, acceptance: Acceptance, key: CacheKey, run: Callable[[StopFlag], Awaitable[T]]
    ) -> asyncio.Future[T]:
        """Start `run(flag)` as the document's prefetch; the previous one is stopped."""
        self.cancel(acceptance.uri)
        flag = StopFlag()
        task = asyncio.ensure_future(run(flag))
        job = _Job(acceptance, key, flag, task)
        self._jobs[acceptance.uri] = job
        task.add_done_callback(lambda done: self._finished(job, done))
        return task

    async def join(self, key: CacheKey) -> bool:
        """Wait for the prefetch of exactly this place, if one runs; True when one did (its
        result is in the cache unless it was stopped)."""
        job = self._jobs.get(key.uri)
        if job is None or job.key != key or job.task.done():
            return False
        try:
            await asyncio.shield(job.task)  # a cancelled request must not cancel the prefetch
        except asyncio.CancelledError:
            if not job.task.cancelled():
                raise  # this request was cancelled, not the prefetch
        except Exception:  # logged by _finished; the request goes on without it
            pass
        return True

    def cancel(self, uri: str) -> None:
        """Stop the document's prefetch: the model thread drops it at its next token."""
        job = self._jobs.pop(uri, None)
        if job is not None:
            job.flag.set()

    def document_changed(self, uri: str, text: str) -> None:
        """A keystroke: the prefetch goes on only while the document is on its way to the
        accepted one (the suggestion typed or accepted in part, or whole)."""
        job = self._jobs.get(uri)
        if job is not None and not job.acceptance.on_the_way(text):
            self.cancel(uri)

    def cancel_all(self) -> None:
        for uri in list(self._jobs):
            self.cancel(uri)

    def _finished(self, job: _Job, task: asyncio.Future) -> None:
        if self._jobs.get(job.acceptance.uri) is job:
            del self._jobs[job.acceptance.uri]
        if not task.cancelled() and task.exception() is not None:
            log.error("prefetch failed", exc_info=task.exception())

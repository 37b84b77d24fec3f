"""Streaming an explanation (explain/stream.py): the text so far goes from the model thread to
the event loop at most every interval, sanitized, never twice the same, never after close."""

from __future__ import annotations

import asyncio
import threading

from lsp_server.explain.stream import PartialStream


async def settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_parts_are_throttled_sanitized_and_sent_on_the_loop():
    sent: list[tuple[str, bool]] = []
    loop_thread = threading.get_ident()
    stream = PartialStream(
        asyncio.get_running_loop(), lambda md: sent.append((md, threading.get_ident() == loop_thread)), 60
    )

    def model_thread() -> None:
        stream.on_text("# Title <b>")
        stream.on_text("# Title <b> and more")  # within the interval: not sent

    await asyncio.get_running_loop().run_in_executor(None, model_thread)
    await settle()
    assert sent == [("### Title &lt;b>", True)]


async def test_blank_text_and_repeats_are_not_sent_and_nothing_after_close():
    sent: list[str] = []
    stream = PartialStream(asyncio.get_running_loop(), sent.append, 0)
    stream.on_text("   ")
    stream.on_text("#")  # sanitizes to nothing
    stream.on_text("Text")
    stream.on_text("Text\n")  # the same Markdown
    await settle()
    assert sent == ["Text"] and stream.sent == 1
    stream.on_text("Text and more")
    stream.close()  # the answer is being sent: a part queued before it is dropped
    await settle()
    assert sent == ["Text"]

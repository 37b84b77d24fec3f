"""Recognising the request that follows an accepted suggestion which finished its line."""

from __future__ import annotations

import pytest

from lsp_server.completion.after_accept import AcceptedSuggestions, line_is_finished

BEFORE = "def f(self, headers):\n    self.headers.update(|)\n    return self\n"


def accept(text: str, suggestion: str) -> tuple[str, int, str, int]:
    """(document, cursor) when shown, and (document, cursor) after Tab."""
    offset = text.index("|")
    shown = text.replace("|", "")
    return shown, offset, shown[:offset] + suggestion + shown[offset:], offset + len(suggestion)


@pytest.mark.parametrize(
    "line, finished",
    [
        ("    self.headers.update(headers)", True),
        ("    x = compute(a, b)", True),
        ("    return self", True),
        ("    if ready:", False),
        ("    items = [", False),
        ("    total = a +", False),
        ("    call(a,", False),
        ("    value = x and", False),
        ("", False),
    ],
)
def test_line_is_finished(line, finished):
    assert line_is_finished(line) is finished


def test_the_request_after_accepting_a_line_end():
    shown, offset, accepted, cursor = accept(BEFORE, "headers")
    tracker = AcceptedSuggestions()
    # The suggestion "headers" leaves ")" after the cursor: not the end of the line.
    tracker.shown("file:///a.py", shown, offset, "headers")
    assert not tracker.finished_a_line("file:///a.py", accepted, cursor)

    text = BEFORE.replace("(|)", "|")
    shown, offset, accepted, cursor = accept(text, "(headers)")
    tracker.shown("file:///a.py", shown, offset, "(headers)")
    assert tracker.finished_a_line("file:///a.py", accepted, cursor)
    assert not tracker.finished_a_line("file:///b.py", accepted, cursor)  # another document
    typed = accepted[:cursor] + " " + accepted[cursor:]
    assert not tracker.finished_a_line("file:///a.py", typed, cursor + 1)  # typed on since


def test_a_partly_accepted_or_unfinished_line_is_not_a_finished_one():
    text = BEFORE.replace("(|)", "|")
    shown, offset, _, _ = accept(text, "(headers)")
    tracker = AcceptedSuggestions()
    tracker.shown("file:///a.py", shown, offset, "(headers)")
    partial = shown[:offset] + "(head" + shown[offset:]
    assert not tracker.finished_a_line("file:///a.py", partial, offset + 5)
    shown, offset, accepted, cursor = accept(text, "(headers,")
    tracker.shown("file:///a.py", shown, offset, "(headers,")
    assert not tracker.finished_a_line("file:///a.py", accepted, cursor)


def test_nothing_shown_nothing_remembered():
    tracker = AcceptedSuggestions()
    tracker.shown("file:///a.py", "x = 1\n", 5, "")
    assert not tracker.finished_a_line("file:///a.py", "x = 1\n", 5)

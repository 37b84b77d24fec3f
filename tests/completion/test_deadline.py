"""A completion's deadline: nothing before 0.7 of the target, then a line end, then a word end
from 0.85, then anything at 0.95; never without a target."""

from __future__ import annotations

import time

import pytest

from lsp_server.completion.deadline import Deadline, at_line_end, at_word_end


def deadline_at(share: float, target_ms: int = 1000) -> Deadline:
    """A deadline whose request arrived `share` of the target ago."""
    return Deadline(time.perf_counter() - share * target_ms / 1000, target_ms)


@pytest.mark.parametrize(
    ("share", "text", "stops"),
    [
        (0.5, "x = 1\n", False),  # early: goes on whatever the text
        (0.5, "", False),
        (0.75, "x = 1\n    ", True),  # soft: a finished line
        (0.75, "x = foo(", False),
        (0.75, "\n", False),  # a newline with nothing before it finishes no line
        (0.9, "x = foo(", True),  # firm: a word end
        (0.9, "x = fo", False),  # not half a name
        (0.97, "x = fo", True),  # hard: at once
        (0.97, "", True),
    ],
)
def test_the_deadline_tightens_with_time(share, text, stops):
    deadline = deadline_at(share)
    assert deadline.stops(text) is stops
    assert deadline.cut is stops


def test_no_target_no_deadline():
    assert not deadline_at(50.0, target_ms=0).stops("x")


def test_line_and_word_ends():
    assert at_line_end("a\n") and at_line_end("a\n\t ") and not at_line_end("a\nb") and not at_line_end("  \n")
    assert at_word_end("f(") and at_word_end("a ") and not at_word_end("a_") and not at_word_end("x1")
    assert not at_word_end("")

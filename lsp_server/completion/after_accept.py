"""Right after a suggestion that finished a line was accepted, suggest more only when sure.

When Tab accepts `self.headers.update(headers)`, the editor asks again at once, with the cursor
after the closing parenthesis. A line that closes all its brackets and ends a statement is a
weak place for more text on the same line: what a model adds there (`(self.headers)`, `:`) is
mostly junk that a second Tab would turn into a syntax error. So the service asks for a much
higher confidence there (FINISHED_LINE_MIN_CONFIDENCE), and shows nothing when the engine
gives no confidence at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .postprocess import bracket_depth

# The bar after an accepted suggestion that finished its line (probability of the least likely
# token): well above any calibrated threshold, so only what the model is sure of shows there.
FINISHED_LINE_MIN_CONFIDENCE = 0.6
# A line ending in one of these goes on: an operator, a separator, an opener or a continuation.
_CONTINUES = tuple(",.\\([{:=+-*/%<>&|^~@!") + (" and", " or", " not", " in", " is", "->", "=>")


@dataclass(frozen=True)
class _Shown:
    uri: str
    document_length: int
    offset: int  # the cursor when the suggestion was shown
    line_before: str  # the cursor's line up to the cursor, then
    text: str  # the suggestion


def line_is_finished(line: str) -> bool:
    """True when the line closes every bracket it opens and does not end with something that
    asks for more (an operator, a comma, an opener, a backslash)."""
    code = line.rstrip()
    if not code.strip():
        return False
    return bracket_depth(code) == 0 and not code.endswith(_CONTINUES)


def finishes_line(text: str, offset: int) -> bool:
    """True when the cursor is at the end of its line (blanks aside) and that line is finished:
    what holds right after Tab accepted a suggestion that finished its line."""
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    rest_of_line = text[offset:] if line_end < 0 else text[offset:line_end]
    return not rest_of_line.strip() and line_is_finished(text[line_start:offset])


class AcceptedSuggestions:
    """Remembers the last suggestions shown, to recognise the request that follows the
    acceptance of one of them (with several candidates, any may be accepted)."""

    def __init__(self) -> None:
        self._last: tuple[_Shown, ...] = ()

    def shown(self, uri: str, text: str, offset: int, suggestion: str) -> None:
        self.shown_all(uri, text, offset, [suggestion] if suggestion else [])

    def shown_all(self, uri: str, text: str, offset: int, suggestions: Sequence[str]) -> None:
        line_start = text.rfind("\n", 0, offset) + 1
        self._last = tuple(_Shown(uri, len(text), offset, text[line_start:offset], s) for s in suggestions if s)

    def finished_a_line(self, uri: str, text: str, offset: int) -> bool:
        """True when the document is the last one with one of its suggestions accepted whole,
        the cursor right after it, at the end of a line the suggestion finished."""
        return any(_accepted(last, uri, text, offset) for last in self._last) and finishes_line(text, offset)


def _accepted(last: _Shown, uri: str, text: str, offset: int) -> bool:
    # Compared where the suggestion went, not whole documents: this runs on every keystroke.
    return (
        last.uri == uri
        and offset == last.offset + len(last.text)
        and len(text) == last.document_length + len(last.text)
        and text.startswith(last.text, last.offset)
        and text.startswith(last.line_before, last.offset - len(last.line_before))
    )

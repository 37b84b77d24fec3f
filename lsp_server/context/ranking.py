"""Choosing which snippets go into the prompt: drop overlaps, dedupe, fill the token budget.

Candidates arrive with scores; the best come first. A snippet is dropped when it shows lines of
the current file that the prompt's own window already holds, or lines that a better snippet
already shows (outlines are lists of signatures and only dedupe against the same outline; a
class and a method of it may both be shown, unless the class is shown whole).

The budget goes to full texts first, but a share of it (`BRIEF_SHARE`) is kept for brief forms:
a definition whose full text no longer fits outside that share is shown by its signature alone,
so that many definitions are named rather than a few shown in full. What is left at the end
goes to what did not fit, cut at a line boundary when a useful part fits. The prompt shows all
snippets of one file under one header (prompt.py), so only a file's first snippet pays for it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .snippets import Snippet

MIN_SNIPPET_TOKENS = 12  # with less room left than this, nothing useful fits any more
MIN_CUT_TOKENS = 48  # a snippet is cut to fit only when at least this much room is left
BRIEF_SHARE = 0.65  # of the budget, kept for the brief forms of definitions ranked lower (naming
# many definitions beat showing a few whole on the context benchmark: 0.5 -> 0.65 took Python
# from 93.3% to 93.9%, TypeScript and Go up a little)
PIECE_TOKENS = 1  # a further snippet of a file already shown: the blank line between them
# The best candidate, when it is a listing, is what the cursor asks for (the members of `value.`,
# the names of `module.`): it may take this share of the budget, and no reserve is kept from it.
LEAD_LISTING_SHARE = 0.75
CALLABLE_KINDS = frozenset({"function", "method"})


def _overlaps(a: Snippet, b: Snippet) -> bool:
    return a.path == b.path and a.start_line <= b.end_line and b.start_line <= a.end_line


def _encloses(outer: Snippet, inner: Snippet) -> bool:
    return (
        outer.start_line <= inner.start_line
        and inner.end_line <= outer.end_line
        and (outer.start_line, outer.end_line) != (inner.start_line, inner.end_line)
    )


def _repeats(snippet: Snippet, other: Snippet) -> bool:
    """Whether `snippet` would mostly show what `other`, already chosen, shows."""
    if not _overlaps(snippet, other):
        return False
    if (snippet.kind == "outline") != (other.kind == "outline"):
        return False  # a listing of signatures and code: each says something the other does not
    if snippet.kind == other.kind == "definition":
        if _encloses(snippet, other):
            return False  # the class of a method already shown: its head and members are new
        if _encloses(other, snippet) and not other.whole:
            return False  # a method of a class shown by its head: its body is new
    return True


class _Selection:
    """The snippets chosen so far and the budget they leave."""

    def __init__(
        self, budget_tokens: int, count_tokens: Callable[[str], int], header_tokens: Callable[[Snippet], int]
    ) -> None:
        self.budget = budget_tokens
        self.remaining = budget_tokens
        self.outline_room = budget_tokens // 2  # outlines are long lists: they never take more than half
        self.count_tokens = count_tokens
        self.header_tokens = header_tokens
        self.chosen: list[Snippet] = []
        self.texts: set[str] = set()
        self.headed: set[Path] = set()  # files whose header is paid for
        self.chosen_in: dict[Path, list[Snippet]] = {}  # only snippets of the same file can repeat one

    def header(self, snippet: Snippet) -> int:
        return PIECE_TOKENS if snippet.path in self.headed else self.header_tokens(snippet)

    def admits(self, snippet: Snippet, current_path: Path, window: Snippet) -> bool:
        if snippet.kind == "outline":
            if snippet.path == current_path:
                return False
        elif _overlaps(snippet, window):
            return False
        return not any(_repeats(snippet, other) for other in self.chosen_in.get(snippet.path, ()))

    def take(self, snippet: Snippet, reserve: int) -> bool:
        """Choose the snippet whole when it fits outside `reserve`, else its first lines when a
        useful part fits there, else its brief form (which may use the reserve). False: it did
        not fit (yet)."""
        header = self.header(snippet)
        room = self.remaining - reserve
        if snippet.brief is not None and (room - header < MIN_SNIPPET_TOKENS or self._overloads(snippet)):
            # No room for more, or an overload of a definition shown: not worth rendering in full.
            return self._take_brief(snippet, header)
        text = snippet.materialize().strip("\n")
        if not text.strip() or text in self.texts:
            return True  # nothing new to show: done with it
        if snippet.kind == "outline":
            room = min(room, self.outline_room if self.chosen else int(self.budget * LEAD_LISTING_SHARE))
        cost = header + self.count_tokens(text + "\n")
        if cost <= room:
            self._add(snippet, text, cost)
            return True
        cut = _cut_to_fit(text, room - header, self.count_tokens) if room - header >= MIN_CUT_TOKENS else ""
        unnamed = snippet.kind == "definition" and snippet.name not in cut
        if cut and (snippet.signature not in cut or unnamed):
            # A doc comment without the signature it documents, or a head without the name
            # (`typedef struct {` of `} CTX;`): the brief form says more.
            cut = ""
        if cut:
            snippet.whole = False
            self._add(snippet, cut, header + self.count_tokens(cut + "\n"))
            return True
        return snippet.brief is not None and self._take_brief(snippet, header)

    def _overloads(self, snippet: Snippet) -> bool:
        """Whether a function of the same name in the same file is chosen already."""
        return snippet.symbol_kind in CALLABLE_KINDS and any(
            other.name == snippet.name and other.path == snippet.path and other.symbol_kind in CALLABLE_KINDS
            for other in self.chosen
        )

    def _take_brief(self, snippet: Snippet, header: int) -> bool:
        assert snippet.brief is not None
        brief = snippet.brief().strip("\n")
        cost = header + self.count_tokens(brief + "\n")
        if cost > self.remaining or brief in self.texts:
            return False
        snippet.shorten()
        self._add(snippet, brief, cost)
        return True

    def _add(self, snippet: Snippet, text: str, cost: int) -> None:
        snippet.text, snippet.tokens = text, cost
        self.chosen.append(snippet)
        self.chosen_in.setdefault(snippet.path, []).append(snippet)
        self.texts.add(text)
        self.headed.add(snippet.path)
        self.remaining -= cost
        if snippet.kind == "outline":
            self.outline_room -= cost


def select_snippets(
    candidates: list[Snippet],
    budget_tokens: int,
    count_tokens: Callable[[str], int],
    current_path: Path,
    window_lines: tuple[int, int],
    header_tokens: Callable[[Snippet], int] = lambda snippet: 0,
) -> list[Snippet]:
    """The snippets to show, most useful first, within `budget_tokens` (headers included)."""
    selection = _Selection(budget_tokens, count_tokens, header_tokens)
    window = Snippet(current_path, window_lines[0], window_lines[1], "", "window", 0.0)
    reserve = int(budget_tokens * BRIEF_SHARE)
    deferred: list[Snippet] = []
    for snippet in sorted(candidates, key=lambda s: -s.score):
        if selection.remaining < MIN_SNIPPET_TOKENS:
            break
        lead = not selection.chosen
        if selection.admits(snippet, current_path, window) and not selection.take(snippet, 0 if lead else reserve):
            deferred.append(snippet)
    for snippet in deferred:  # what the reserve was kept for has been served: the rest may use it
        if selection.remaining < MIN_SNIPPET_TOKENS:
            break
        if selection.admits(snippet, current_path, window):
            selection.take(snippet, 0)
    return sorted(selection.chosen, key=lambda s: -s.score)


def _cut_to_fit(text: str, budget: int, count_tokens: Callable[[str], int]) -> str:
    kept: list[str] = []
    used = 0
    for line in text.split("\n"):
        cost = count_tokens(line + "\n")
        if used + cost > budget:
            break
        kept.append(line)
        used += cost
    return "\n".join(kept) if len(kept) >= 2 else ""

"""Choosing which snippets go into the prompt: drop overlaps, dedupe, fill the token budget.

Candidates arrive with scores; the best come first. A snippet is dropped when it shows lines of
the current file that the prompt's own window already holds, or lines that a better snippet
already shows (outlines are lists of signatures and only dedupe against the same outline).
What does not fit the remaining budget is cut at a line boundary when a useful part fits,
else skipped, and smaller snippets further down may still fill the gap.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .snippets import Snippet

MIN_SNIPPET_TOKENS = 12  # with less room left than this, nothing useful fits any more
MIN_CUT_TOKENS = 48  # a snippet is cut to fit only when at least this much room is left


def _overlaps(a: Snippet, b: Snippet) -> bool:
    return a.path == b.path and a.start_line <= b.end_line and b.start_line <= a.end_line


def select_snippets(
    candidates: list[Snippet],
    budget_tokens: int,
    count_tokens: Callable[[str], int],
    current_path: Path,
    window_lines: tuple[int, int],
    header_tokens: Callable[[Snippet], int] = lambda snippet: 0,
) -> list[Snippet]:
    """The snippets to show, most useful first, within `budget_tokens` (headers included)."""
    outline_room = budget_tokens // 2  # outlines are long lists: they never take more than half
    chosen: list[Snippet] = []
    seen_texts: set[str] = set()
    remaining = budget_tokens
    window = Snippet(current_path, window_lines[0], window_lines[1], "", "window", 0.0)
    for snippet in sorted(candidates, key=lambda s: -s.score):
        if remaining < MIN_SNIPPET_TOKENS:
            break
        if snippet.kind != "outline" and _overlaps(snippet, window):
            continue
        if snippet.kind == "outline" and snippet.path == current_path:
            continue
        if any(
            _overlaps(snippet, other) and (snippet.kind == other.kind or "outline" not in (snippet.kind, other.kind))
            for other in chosen
        ):
            continue
        text = snippet.materialize().strip("\n")
        if not text.strip() or text in seen_texts:
            continue
        room = min(remaining, outline_room) if snippet.kind == "outline" else remaining
        cost = header_tokens(snippet) + count_tokens(text + "\n")
        if cost > room:
            if room - header_tokens(snippet) < MIN_CUT_TOKENS:
                continue
            text = _cut_to_fit(text, room - header_tokens(snippet), count_tokens)
            if not text:
                continue
            cost = header_tokens(snippet) + count_tokens(text + "\n")
        snippet.text, snippet.tokens = text, cost
        chosen.append(snippet)
        seen_texts.add(text)
        remaining -= cost
        if snippet.kind == "outline":
            outline_room -= cost
    return chosen


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

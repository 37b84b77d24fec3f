"""A completion's deadline: generation stops near the latency target, so a suggestion comes in time.

The latency budget (latency_budget.py) adapts over tens of completions. Until it has, and
whenever the engine slows down at once (another job on the GPU, a remote server under load, a
long prompt), a completion would still come late, and a late suggestion is typed over before it
is seen. So a completion typed by the user also stops generating when its own time runs out, as
llama.cpp's server does with `t_max_predict_ms`:

- from SOFT_SHARE of `completion.latencyTargetMs` on, at the next line end (nothing is lost
  that the next request would not bring: the rest comes after Tab, or from the prefetch);
- from FIRM_SHARE on, at the next word end (a half-written name would be worse than none);
- at HARD_SHARE, at once.

The engine asks per generated token (GenerationRequest.text_is_complete), so the prompt's
prefill is never cut; the budget's prompt steps deal with a prefill that alone is too slow. A
completion cut this way counts as over the target for the budget: it shows that the settings ask
for more than the engine gives in time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

SOFT_SHARE = 0.7
FIRM_SHARE = 0.85
# Below 1: the filters and the answer's way back to the editor take the rest.
HARD_SHARE = 0.95


@dataclass
class Deadline:
    """The time a completion has, from its request's arrival (time.perf_counter())."""

    started: float
    target_ms: int
    cut: bool = False  # whether it stopped a generation

    def stops(self, text: str) -> bool:
        """Whether generation stops after `text`: called after every generated token."""
        if self.target_ms <= 0:
            return False
        share = (time.perf_counter() - self.started) * 1000 / self.target_ms
        if share < SOFT_SHARE:
            return False
        if share >= HARD_SHARE or (share >= FIRM_SHARE and at_word_end(text)) or at_line_end(text):
            self.cut = True
            return True
        return False


def at_line_end(text: str) -> bool:
    """Text that ends with a finished line: a newline after something, then only indentation."""
    head, newline, tail = text.rpartition("\n")
    return bool(newline) and bool(head.strip()) and not tail.strip()


def at_word_end(text: str) -> bool:
    """Text whose last character cannot go on a name: a name it ends with is whole."""
    return bool(text) and not (text[-1].isalnum() or text[-1] == "_")

"""The latency budget: when completions get slower than `completion.latencyTargetMs`, ask less.

A suggestion that comes late is typed over before it is seen. The server measures its own
end-to-end time of every completion that reached the model (the cache answers in a millisecond
and says nothing about the model) and keeps the p95 of the last ones, per model. Above the
target it takes one step down the ladder: fewer tokens generated first (the cheapest loss: the
rest of a long suggestion comes with the next request), then a smaller prompt (less prefill),
then less cross-file context. Below the target by a margin (hysteresis: p95 under 0.7x the
target) it steps back up, one step at a time, never above the user's own settings.

A completion that its deadline cut short (deadline.py) came in time, but only by showing less:
it counts as over the target here, so the settings are brought to what the engine gives in time.

Stepping down needs STEP_DOWN_SAMPLES completions over the target since the last change, and
stepping up a full window (WINDOW) of them under it: slow to loosen and quick to tighten, so a
budget that sits between two steps changes step once in a while rather than on every keystroke.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

# Completions whose times make up the p95, per model.
WINDOW = 50
# Completions since the last change needed before stepping down, and before stepping up.
STEP_DOWN_SAMPLES = 12  # the p95 of 12 is their second slowest: one outlier is not enough
STEP_UP_SAMPLES = WINDOW
# Step back up when the p95 is below this share of the target.
STEP_UP_BELOW = 0.7
# Floors: never fewer tokens or prompt tokens than this (or the user's own, if lower).
MIN_MAX_TOKENS = 8
MIN_PROMPT_TOKENS = 256


@dataclass(frozen=True)
class Rung:
    """One step of the ladder, as shares of the user's settings."""

    max_tokens: float
    prompt: float
    context: float


# Step 0 is the user's settings; each later step asks for less than the one before.
LADDER: tuple[Rung, ...] = (
    Rung(1.0, 1.0, 1.0),
    Rung(0.5, 1.0, 1.0),
    Rung(0.25, 1.0, 1.0),
    Rung(0.25, 0.5, 1.0),
    Rung(0.25, 0.25, 1.0),
    Rung(0.25, 0.25, 0.5),
    Rung(0.25, 0.25, 0.0),
)


@dataclass(frozen=True)
class BudgetStep:
    """What a completion may use at the current step."""

    step: int
    max_tokens: int
    prompt_budget_tokens: int
    context_share: float  # of the cross-file context budget the settings give
    p95_ms: float | None  # of the completions since the last change; None before any
    target_ms: int

    @property
    def last(self) -> bool:
        return self.step == len(LADDER) - 1

    def context_tokens(self, settings_budget: int) -> int:
        """The cross-file context budget at this step, from the one the settings give."""
        return int(settings_budget * self.context_share)

    def report(self, context_budget_tokens: int | None = None) -> dict[str, object]:
        """For infill/lastCompletion."""
        report: dict[str, object] = {
            "step": self.step,
            "steps": len(LADDER) - 1,
            "maxTokens": self.max_tokens,
            "promptBudgetTokens": self.prompt_budget_tokens,
            "contextShare": self.context_share,
            "p95Ms": None if self.p95_ms is None else round(self.p95_ms, 1),
            "targetMs": self.target_ms,
        }
        if context_budget_tokens is not None:
            report["contextBudgetTokens"] = context_budget_tokens
        return report

    def status_text(self) -> str:
        """For the status line's tooltip: empty at step 0 (nothing to say)."""
        if self.step == 0:
            return ""
        measured = f"p95 {self.p95_ms:.0f} ms" if self.p95_ms is not None else "p95"
        context = "" if self.context_share == 1.0 else f", context {self.context_share:.0%}"
        return (
            f"latency budget step {self.step}/{len(LADDER) - 1} ({measured}, target {self.target_ms} ms): "
            f"{self.max_tokens} tokens, prompt {self.prompt_budget_tokens} tokens{context}"
        )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


class _ModelBudget:
    def __init__(self) -> None:
        self.step = 0
        # (end-to-end ms, cut by its deadline) of the completions since the last change of step
        self.times: deque[tuple[float, bool]] = deque(maxlen=WINDOW)
        self.deciding_p95: float | None = None  # the p95 that made the last change

    def p95(self) -> float | None:
        """Of the times since the last change; until there are some, the one that made it."""
        return percentile([ms for ms, _ in self.times], 95) if self.times else self.deciding_p95

    def judged_p95(self) -> float:
        """The p95 the budget decides by: a completion cut by its deadline counts as over."""
        return percentile([float("inf") if cut else ms for ms, cut in self.times], 95)


class LatencyBudget:
    """The step each model is at, from its recent end-to-end times."""

    def __init__(self) -> None:
        self._models: dict[str, _ModelBudget] = {}

    def _model(self, model: str) -> _ModelBudget:
        budget = self._models.get(model)
        if budget is None:
            budget = self._models[model] = _ModelBudget()
        return budget

    def current(self, model: str, max_tokens: int, prompt_budget_tokens: int, target_ms: int) -> BudgetStep:
        """The budget for the next completion, within the user's settings."""
        budget = self._model(model)
        step = budget.step if target_ms > 0 else 0
        rung = LADDER[step]
        return BudgetStep(
            step=step,
            max_tokens=_scaled(max_tokens, rung.max_tokens, MIN_MAX_TOKENS),
            prompt_budget_tokens=_scaled(prompt_budget_tokens, rung.prompt, MIN_PROMPT_TOKENS),
            context_share=rung.context,
            p95_ms=budget.p95(),
            target_ms=target_ms,
        )

    def record(self, model: str, total_ms: float, target_ms: int, cut: bool = False) -> bool:
        """Note one completion's end-to-end time (`cut`: its deadline stopped it); True when
        the step changed."""
        if target_ms <= 0:
            return False
        budget = self._model(model)
        budget.times.append((total_ms, cut))
        p95 = budget.judged_p95()
        if p95 > target_ms and len(budget.times) >= STEP_DOWN_SAMPLES and budget.step < len(LADDER) - 1:
            budget.step += 1
        elif p95 < STEP_UP_BELOW * target_ms and len(budget.times) >= STEP_UP_SAMPLES and budget.step > 0:
            budget.step -= 1
        else:
            return False
        budget.deciding_p95 = budget.p95()
        budget.times.clear()  # the next decision is about the new step's own times
        return True


def _scaled(value: int, share: float, floor: int) -> int:
    """value x share, not below floor, and never above value (the user's setting)."""
    if share >= 1.0:
        return value
    return min(value, max(floor, int(value * share)))

"""The latency budget: steps down (tokens, then prompt, then context) while the p95 is over the
target, back up one step at a time under 0.7x the target, never past the user's settings; and
through the completion service on an engine slowed on purpose."""

from __future__ import annotations

from scripted_engine import ScriptedEngine, ready_host

from lsp_server.completion.latency_budget import (
    LADDER,
    MIN_MAX_TOKENS,
    STEP_DOWN_SAMPLES,
    STEP_UP_SAMPLES,
    LatencyBudget,
)
from lsp_server.completion.service import CompletionRequest, CompletionService
from lsp_server.settings import parse_settings
from lsp_server.text import cursor_from_lsp

MODEL = "model.gguf"


def feed(budget: LatencyBudget, ms: float, count: int, target: int = 300) -> list[int]:
    """Record `count` completions of `ms`; the steps after each change."""
    changes = []
    for _ in range(count):
        if budget.record(MODEL, ms, target):
            changes.append(budget.current(MODEL, 64, 1536, target).step)
    return changes


def test_the_ladder_asks_for_less_at_each_step():
    budget = LatencyBudget()
    steps = []
    for step in range(len(LADDER)):
        budget._model(MODEL).step = step
        steps.append(budget.current(MODEL, 64, 1536, 300))
    assert [s.max_tokens for s in steps] == [64, 32, 16, 16, 16, 16, 16]
    assert [s.prompt_budget_tokens for s in steps] == [1536, 1536, 1536, 768, 384, 384, 384]
    assert [s.context_share for s in steps] == [1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.0]
    assert steps[-1].last and steps[5].context_tokens(537) == 268
    # Never above the user's settings, and small settings are not cut below their floors.
    budget._model(MODEL).step = 2
    small = budget.current(MODEL, 6, 200, 300)
    assert (small.max_tokens, small.prompt_budget_tokens) == (6, 200)
    assert budget.current(MODEL, 20, 1536, 300).max_tokens == MIN_MAX_TOKENS


def test_steps_down_when_the_p95_is_over_the_target_one_step_at_a_time():
    budget = LatencyBudget()
    assert feed(budget, 400, STEP_DOWN_SAMPLES - 1) == []  # not enough times yet
    assert feed(budget, 400, 1) == [1]
    assert feed(budget, 400, STEP_DOWN_SAMPLES) == [2]  # the new step's own times decide
    assert feed(budget, 400, 10 * STEP_DOWN_SAMPLES) == [3, 4, 5, 6]  # and no further than the last
    assert budget.current(MODEL, 64, 1536, 300).step == 6


def test_the_p95_is_over_a_sliding_window():
    budget = LatencyBudget()
    assert feed(budget, 200, 100) == []  # under the target, above 0.7x: stays
    assert feed(budget, 400, 2) == []  # 2 of the last 50 over the target: the p95 is not
    assert feed(budget, 400, 1) == [1]  # 3 of them (more than 5%): it is


def test_steps_back_up_below_0_7_of_the_target_slower_than_down():
    budget = LatencyBudget()
    feed(budget, 400, 2 * STEP_DOWN_SAMPLES)
    assert budget.current(MODEL, 64, 1536, 300).step == 2
    assert feed(budget, 250, 2 * STEP_UP_SAMPLES) == []  # between 0.7x and 1x: stays
    assert feed(budget, 100, STEP_UP_SAMPLES - 3) == []  # the p95 of the window is still 250
    assert feed(budget, 100, 1) == [1]
    assert feed(budget, 100, STEP_UP_SAMPLES - 1) == []  # a whole window of the new step first
    assert feed(budget, 100, 1) == [0]
    assert feed(budget, 100, 5 * STEP_UP_SAMPLES) == []  # never above the settings


def test_one_slow_outlier_does_not_step_down():
    budget = LatencyBudget()
    assert not any(budget.record(MODEL, ms, 300) for ms in [2000.0] + [100.0] * 60)
    assert feed(budget, 2000, 2) == []  # 2 of the last 50: the p95 stays under the target


def test_per_model_and_off_at_zero():
    budget = LatencyBudget()
    feed(budget, 400, STEP_DOWN_SAMPLES)
    assert budget.current(MODEL, 64, 1536, 300).step == 1
    assert budget.current("other.gguf", 64, 1536, 300).step == 0
    assert budget.current(MODEL, 64, 1536, 0).step == 0  # latencyTargetMs 0: the settings as they are
    assert not budget.record(MODEL, 10_000, 0)


def test_status_text_names_the_step():
    budget = LatencyBudget()
    assert budget.current(MODEL, 64, 1536, 300).status_text() == ""
    feed(budget, 400, STEP_DOWN_SAMPLES)
    text = budget.current(MODEL, 64, 1536, 300).status_text()
    assert text == "latency budget step 1/6 (p95 400 ms, target 300 ms): 32 tokens, prompt 1536 tokens"


async def test_a_slow_engine_is_brought_under_the_target():
    """4 ms per generated token and a suggestion longer than maxTokens: 64 tokens would take
    ~260 ms against a 200 ms target. Each completion's deadline stops it in time (at a word end,
    170 ms on), and those cuts count as over the target: at step 1 (32 tokens, ~130 ms) the
    completions finish on their own, above 0.7x, and the step stays."""
    engine = ScriptedEngine(lambda prompt: [" + ".join(f"v{i}" for i in range(100))], token_seconds=0.004)
    settings, errors = parse_settings(
        {"completion": {"latencyTargetMs": 200, "maxTokens": 64, "maxLines": 1}, "context": {"enabled": False}}
    )
    assert not errors
    service = CompletionService(ready_host(engine), lambda: settings)
    changes = []
    service.on_budget_step = changes.append
    text = "def f(v):\n    return \n"
    totals = []
    for i in range(STEP_DOWN_SAMPLES + 30):
        document = text.replace("return ", f"return {i} +")  # a new place each time: no cache hits
        cursor = cursor_from_lsp(document, 1, len(f"    return {i} +"))
        assert cursor is not None
        outcome = await service.complete(CompletionRequest("file:///f.py", document, cursor, "python"))
        assert outcome.reason == "model" and outcome.budget is not None
        totals.append((outcome.budget.step, outcome.generated_tokens, outcome.deadline_cut, outcome.total_ms))
    assert [c.step for c in changes] == [1]
    first = [(tokens, cut) for step, tokens, cut, _ in totals if step == 0]
    assert len(first) == STEP_DOWN_SAMPLES and all(cut and tokens < 64 for tokens, cut in first)
    assert {(tokens, cut) for step, tokens, cut, _ in totals if step == 1} == {(32, False)}
    every = sorted(ms for *_, ms in totals)
    assert every[int(0.95 * (len(every) - 1))] < 200  # the whole run, learning included
    assert engine.generations[-1].request.max_tokens == 32
    assert service.budget_step().report()["maxTokens"] == 32


async def test_an_explicit_request_has_no_deadline():
    """Asked for (Alt+], Invoked), a completion takes what it needs: all 64 tokens."""
    engine = ScriptedEngine(lambda prompt: [" + ".join(f"v{i}" for i in range(100))], token_seconds=0.004)
    settings, _ = parse_settings(
        {"completion": {"latencyTargetMs": 100, "maxTokens": 64, "maxLines": 1}, "context": {"enabled": False}}
    )
    service = CompletionService(ready_host(engine), lambda: settings)
    document = "def f(v):\n    return 1 +\n"
    cursor = cursor_from_lsp(document, 1, len("    return 1 +"))
    assert cursor is not None
    outcome = await service.complete(CompletionRequest("file:///f.py", document, cursor, "python", explicit=True))
    assert outcome.generated_tokens == 64 and not outcome.deadline_cut

"""infill/lastCompletion: what the last completion did, for tests and benchmarks.

Returns the timings of the last inline completion (total, engine, the server's own
overhead), every suggestion it showed (`texts`), the latency budget's step (`budgetStep`: the
effective maxTokens, promptBudgetTokens and context budget, the measured p95 and the target),
the last prefetch (`prefetch`: what was computed ahead for the suggestion's acceptance) and, on
request (`{"includePrompt": true}`), its prompt as text with the control tokens shown.
"""

from __future__ import annotations

from typing import Any

from ..engine.host import EngineHost
from .service import CompletionService

LAST_COMPLETION = "infill/lastCompletion"
# pygls hands a custom request's params over as a namedtuple made from the JSON object.
LastCompletionParams = Any


async def last_completion_report(
    service: CompletionService, host: EngineHost, params: LastCompletionParams | None
) -> dict:
    outcome = service.last
    step = outcome.budget if outcome is not None and outcome.budget is not None else service.budget_step()
    budget = step.report(outcome.context_budget_tokens if outcome is not None and outcome.budget else None)
    if outcome is None:
        return {"inFlight": service.in_flight, "budgetStep": budget}
    result: dict[str, Any] = outcome.timings()
    result["inFlight"] = service.in_flight
    result["text"] = outcome.text
    result["texts"] = outcome.texts
    result["budgetStep"] = budget
    prefetch = service.last_prefetch
    if prefetch is not None:
        result["prefetch"] = {**prefetch.timings(), "text": prefetch.text}
    # Before the confidence check, with each token's end and log-probability: benchmarks
    # replay the check at other thresholds from these.
    result["candidate"] = outcome.candidate
    if outcome.candidate_scores is not None:
        result["candidateScores"] = [[s.end, round(s.logprob, 5)] for s in outcome.candidate_scores]
    want_prompt = bool(getattr(params, "includePrompt", False))
    engine = host.engine
    if want_prompt and outcome.prompt_token_ids and host.ready() and engine is not None:
        tokens = list(outcome.prompt_token_ids)
        result["prompt"] = await host.worker.run(None, lambda flag: engine.detokenize(tokens, special=True))
    return result

"""infill/lastCompletion: what the last completion did, for tests and benchmarks.

Returns the timings of the last inline completion (total, engine, the server's
own overhead) and, on request, its prompt as text (control tokens shown).
"""

from __future__ import annotations

LAST_COMPLETION = "infill/lastCompletion"


def register(server) -> None:
    @server.feature(LAST_COMPLETION)
    async def last_completion(ls, params) -> dict | None:
        outcome = ls.completions.last
        if outcome is None:
            return {"inFlight": ls.completions.in_flight}
        result = outcome.timings()
        result["inFlight"] = ls.completions.in_flight
        result["text"] = outcome.text
        want_prompt = bool(getattr(params, "includePrompt", False)) if params is not None else False
        if want_prompt and outcome.prompt_token_ids and ls.engine_host.ready():
            engine = ls.engine_host.engine
            tokens = list(outcome.prompt_token_ids)
            result["prompt"] = await ls.worker.run(None, lambda flag: engine.detokenize(tokens, special=True))
        return result

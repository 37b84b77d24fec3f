"""Check 'FIM self-test': three tiny fill-in-the-middle cases through the real completion pipeline.

The cases go through CompletionService, as an editor's requests do (prompt, model thread,
post-processing, confidence check), with the user's completion settings and no cross-file
context. An output is plausible when it is not empty, has a letter or digit, and shows no
control-token text (a model that writes `<fim_middle>` or `<|im_start|>` has left the FIM
format). Small models are weak, so implausible outputs are a warning; an engine error, or no
output at all in every case, is a failure: the editor would show no ghost text.

On the command line the model is loaded here; in the server the server's own engine host runs
the cases, so that no second copy of the model is loaded.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from dataclasses import dataclass

from ..completion.service import CompletionOutcome, CompletionRequest, CompletionService
from ..engine.base import EngineError
from ..engine.host import EngineHost
from ..engine.worker import ModelWorker
from ..settings import Settings
from ..text import cursor_from_lsp
from .check import USE_SUGGESTED_MODEL, Check, failed, ok, skipped, warning

NAME = "FIM self-test"
# Distinct from any editor document, so that a case never supersedes a user's completion
# (and, with a run id, from another run's cases).
URI_BASE = "infill-doctor:///self-test"
# Text that only a control token writes: the model has left the middle.
CONTROL_MARKERS = ("<fim_", "<|", "<｜", "<PRE>", "<SUF>", "<MID>", "<EOT>", "[PREFIX]", "[SUFFIX]")
SHOWN_CHARS = 24  # of each output, in the detail line


@dataclass(frozen=True)
class FimCase:
    label: str
    language_id: str
    prefix: str  # the text before the cursor
    suffix: str  # the text after it


CASES = (
    FimCase("function body", "python", "def add(a, b):\n    return ", "\n\n\nprint(add(1, 2))\n"),
    FimCase("argument", "python", "items = [3, 1, 2]\nordered = sorted(", ")\nprint(ordered)\n"),
    FimCase(
        "JS arrow",
        "javascript",
        "const numbers = [1, 2, 3];\nconst doubled = numbers.map((n) => ",
        ");\nconsole.log(doubled);\n",
    ),
)


def plausible(text: str) -> bool:
    return any(ch.isalnum() for ch in text) and not any(marker in text for marker in CONTROL_MARKERS)


def _test_settings(settings: Settings) -> Settings:
    """The user's completion settings, switched on for the cases' languages, without debounce."""
    completion = dataclasses.replace(settings.completion, enabled=True, disabled_languages=[], debounce_ms=0)
    return dataclasses.replace(settings, completion=completion)


async def run_cases(host: EngineHost, settings: Settings) -> list[CompletionOutcome]:
    test_settings = _test_settings(settings)
    service = CompletionService(host, lambda: test_settings)  # no context: each case stands alone
    outcomes = []
    run = uuid.uuid4().hex[:8]
    for number, case in enumerate(CASES):
        text = case.prefix + case.suffix
        line = case.prefix.count("\n")
        cursor = cursor_from_lsp(text, line, len(case.prefix) - case.prefix.rfind("\n") - 1)
        assert cursor is not None  # the cases are ASCII and the cursor is inside them
        # Explicit: the answer must not depend on how busy the machine is (no deadline). Whole:
        # what the model wrote is judged even when the confidence check hides it.
        uri = f"{URI_BASE}/{run}/{number}"
        request = CompletionRequest(uri, text, cursor, case.language_id, explicit=True, whole=True)
        outcomes.append(await service.complete(request))
    return outcomes


def _describe(case: FimCase, outcome: CompletionOutcome) -> str:
    head = f"{case.label} {outcome.total_ms:.0f} ms"
    if outcome.text:
        shown = outcome.text if len(outcome.text) <= SHOWN_CHARS else outcome.text[:SHOWN_CHARS] + "…"
        return f"{head} {shown!r}" + ("" if plausible(outcome.text) else " (implausible)")
    if outcome.candidate and outcome.confidence is not None and outcome.min_confidence is not None:
        return f"{head} hidden (confidence {outcome.confidence:.2f} < minConfidence {outcome.min_confidence:.2f})"
    return f"{head} nothing"


def judge(outcomes: list[CompletionOutcome], where: str) -> Check:
    """The verdict on the cases' outcomes; `where` says which model ran them."""
    errors = [o.message for o in outcomes if o.reason in ("error", "not-ready")]
    if errors:
        return failed(NAME, f"the engine failed ({where}): {errors[0]}", "see the model checks above, then run again")
    details = "; ".join(_describe(case, outcome) for case, outcome in zip(CASES, outcomes, strict=True))
    good = sum(plausible(o.text) for o in outcomes)
    summary = f"{good}/{len(outcomes)} plausible ({where}): {details}"
    if not any(o.candidate or o.text for o in outcomes):
        return failed(NAME, summary, f"the model writes nothing in the middle; {USE_SUGGESTED_MODEL}")
    if good == len(outcomes):
        return ok(NAME, summary)
    if any(o.candidate and not o.text for o in outcomes):
        fix = "lower infill.completion.minConfidence to see less certain suggestions, or use a stronger model"
    else:
        fix = f"a small model writes weak completions; for real work {USE_SUGGESTED_MODEL}"
    return warning(NAME, summary, fix)


async def self_test_with_host(host: EngineHost, settings: Settings) -> Check:
    """The cases on the server's engine host, as it is loaded now."""
    state = host.state
    if not host.ready():
        if state.state == "error":
            return failed(NAME, f"the server's model did not load: {state.message}", "see the checks above")
        return skipped(NAME, f"the server's model is {state.state} ({state.message}); run the check again later")
    name = host.engine.name if host.engine is not None else "its model"
    return judge(await run_cases(host, settings), f"the server's {name}")


async def self_test_loading(settings: Settings) -> Check:
    """The cases on a model loaded here (the command line), unloaded afterwards."""
    worker = ModelWorker()
    host = EngineHost(worker)
    try:
        try:
            await asyncio.to_thread(host.load_blocking, settings)
        except EngineError as exc:
            if settings.engine.kind == "remote":
                fix = "set what the message names, then run the check again"
            else:
                fix = f"llama.cpp cannot run this model; {USE_SUGGESTED_MODEL}"
            return failed(NAME, f"the model does not load: {exc}", fix)
        name = host.engine.name if host.engine is not None else "the model"
        return judge(await run_cases(host, settings), name)
    finally:
        engine = host.engine
        if engine is not None:
            await asyncio.to_thread(worker.run_blocking, lambda flag: engine.close())
        worker.shutdown()

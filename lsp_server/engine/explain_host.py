"""The model that explains: which one it is, loading it, and running long generations in turns.

Explain Selection and hover summaries need a model that follows instructions, which the
completion model (a fill-in-the-middle model, often the small embedded one) may not be.
`choose_explain_model` decides:

- `explain.model` set: that model (an instruct GGUF, or a pulled registry name). It is a
  second model, loaded on first use on the completion model's own thread (one model thread,
  see worker.py), with what the completion model leaves of the GPU budget (modelfiles/vram.py);
- unset: the completion model, when its GGUF has a chat template and it is not the embedded
  model; a remote engine's model is used as it is (the server knows what it serves);
- otherwise none, and the caller says how to get one.

An explanation runs at background priority, in turns (`generate_in_turns`): a turn gives way,
at its next token, to a completion waiting for the model thread, and the next turn goes on
from the text so far. The explain model keeps its own KV cache, so a turn resumes without
reading the prompt again.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..modelfiles.registry import require_pulled, resolve_model_setting
from ..modelfiles.vram import GIB, MIB, budget_left, gpu_bytes, read_model_shape
from ..settings import Settings
from .base import Engine, EngineError, GenerationRequest, GenerationResult, StopReason
from .host import EMBEDDED_MODEL, EngineHost, create_engine, prompt_room
from .worker import ModelWorker, StopFlag, Superseded

log = logging.getLogger(__name__)

# Where an explanation comes from, or why it cannot be made.
ExplainSource = Literal["explain_model", "completion_model", "none", "unavailable"]
# Why no model fits: the engine is off, the completion model is the embedded one, or it
# has no chat template.
NoneReason = Literal["disabled", "embedded", "no_chat_template"]
# The prompt for a loaded engine, in at most `room` tokens; runs on the model thread.
ChatPromptBuilder = Callable[[Engine, int], list[int]]


@dataclass(frozen=True)
class ExplainChoice:
    source: ExplainSource
    path: str | None = None  # the explain model's file (source "explain_model")
    reason: NoneReason | None = None  # source "none"
    message: str = ""  # source "unavailable": why the completion model cannot run now
    model_name: str = ""  # the completion model's name, for the user


def choose_explain_model(settings: Settings, completion: EngineHost) -> ExplainChoice:
    """Which model explains (and writes chat summaries) under these settings."""
    if settings.engine.kind == "none":
        return ExplainChoice("none", reason="disabled")
    engine = completion.engine
    engine_path = getattr(engine, "path", None)
    if settings.explain.model:
        path = resolve_model_setting(settings.explain.model, settings.model.search_paths) or settings.explain.model
        if completion.ready() and engine_path is not None and _same_file(engine_path, path):
            return ExplainChoice("completion_model")  # one model does both: no second copy
        return ExplainChoice("explain_model", path=path)
    if not completion.ready() or engine is None:
        state = completion.state
        return ExplainChoice("unavailable", message=f"the model is {state.state}. {state.message}".strip())
    if settings.engine.kind == "remote":
        return ExplainChoice("completion_model")
    if engine_path is not None and _same_file(engine_path, EMBEDDED_MODEL):
        return ExplainChoice("none", reason="embedded", model_name=engine.name)
    if not completion.chat_template:
        return ExplainChoice("none", reason="no_chat_template", model_name=engine.name)
    return ExplainChoice("completion_model")


def _modified(path: str) -> float:
    try:
        return Path(path).expanduser().stat().st_mtime
    except OSError:
        return 0.0


def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()
    except OSError:
        return False


def completion_gpu_bytes(engine: Engine | None) -> int:
    """GPU memory the loaded completion model takes, estimated from its tensor table."""
    path = getattr(engine, "path", None)
    layers = getattr(engine, "n_gpu_layers", 0)
    if engine is None or path is None or not layers:
        return 0  # remote, or on the CPU
    try:
        return gpu_bytes(read_model_shape(path), engine.n_ctx, layers)
    except Exception as exc:  # an odd header: count the whole file, the safe side
        log.warning("cannot read the tensor table of %s (%s); counting its file size", path, exc)
        return Path(path).stat().st_size


class ExplainModelHost:
    """The second model: loaded on first use, on the completion model's worker thread, and
    unloaded before the completion model (re)loads (its GPU plan depends on that model)."""

    def __init__(self, completion: EngineHost) -> None:
        self.completion = completion
        self.worker: ModelWorker = completion.worker
        self.engine: Engine | None = None
        self.placement = ""  # where its layers went, in words (for the log and the user)
        self._key: tuple | None = None
        # The last load that failed, by key and file time: not tried again (each hover would)
        # until the file or the settings change.
        self._failed: tuple[tuple, float, str] | None = None
        completion.before_load.append(self._unload)

    def choose(self, settings: Settings) -> ExplainChoice:
        return choose_explain_model(settings, self.completion)

    @staticmethod
    def _key_for(settings: Settings, path: str) -> tuple:
        m = settings.model
        return path, m.n_ctx, m.n_threads, m.n_gpu_layers, m.vram_budget_mb

    def is_loaded(self, settings: Settings, choice: ExplainChoice) -> bool:
        return self.engine is not None and choice.path is not None and self._key == self._key_for(settings, choice.path)

    async def load(self, settings: Settings, choice: ExplainChoice) -> None:
        """Load the explain model of `choice` unless it is loaded. Raises EngineError (a
        registry name not pulled yet, a missing or broken file)."""
        path = choice.path
        assert choice.source == "explain_model" and path is not None
        key = self._key_for(settings, path)
        if self.engine is not None and self._key == key:
            return
        failed = self._failed
        if failed is not None and failed[:2] == (key, _modified(path)):
            raise EngineError(failed[2])

        def job(flag: StopFlag) -> None:
            if self.engine is not None and self._key == key:
                return  # loaded by a job queued before this one
            try:
                self._load_blocking(settings, path, key)
            except EngineError as exc:
                self._failed = (key, _modified(path), str(exc))
                raise

        await self.worker.run(None, job)

    async def release_if_stale(self, settings: Settings) -> None:
        """Unload the explain model when the settings no longer name it (frees its memory)."""
        if self.engine is None:
            return
        choice = self.choose(settings)
        if choice.source != "explain_model" or not self.is_loaded(settings, choice):
            await self.worker.run(None, lambda flag: self._unload())

    def _unload(self) -> None:
        engine, self.engine, self._key, self.placement = self.engine, None, None, ""
        if engine is not None:
            engine.close()

    def _load_blocking(self, settings: Settings, path: str, key: tuple) -> None:
        self._unload()
        require_pulled(settings.explain.model, settings.model.search_paths)
        budget = settings.model.vram_budget_mb * MIB
        taken = completion_gpu_bytes(self.completion.engine)
        left = budget_left(budget, taken)
        explain_settings = dataclasses.replace(
            settings,
            engine=dataclasses.replace(settings.engine, kind="llama_cpp"),
            model=dataclasses.replace(
                settings.model,
                # nGpuLayers 0 keeps every model on the CPU; a layer count is the completion
                # model's: the explain model is planned in what that one leaves.
                n_gpu_layers=0 if settings.model.n_gpu_layers == 0 else None,
                vram_budget_mb=left // MIB,
            ),
        )
        engine = create_engine(explain_settings, path)
        self.engine, self._key = engine, key
        try:
            n_layers = read_model_shape(path).n_layers
        except Exception:  # llama.cpp read it; only the report would miss it
            n_layers = 0
        self.placement = placement_report(engine, n_layers, taken, budget)
        # Squeezed onto the CPU by the completion model: worth the user's notice (a larger
        # model.vramBudgetMb, if the GPU has room, or a smaller explain model).
        level = logging.WARNING if self.placement.endswith("on the CPU") else logging.INFO
        log.log(level, "explain model %s loaded: %s", engine.name, self.placement)

    async def generate(
        self,
        choice: ExplainChoice,
        build: ChatPromptBuilder,
        max_tokens: int,
        flag: StopFlag,
        *,
        stop: Sequence[str] = (),
        should_stop: Callable[[], bool] = lambda: False,
        on_text: Callable[[str], None] | None = None,
    ) -> GenerationResult:
        """An explanation (or summary) from the model `choice` names, in background turns."""
        if choice.source == "explain_model":
            engine_of: Callable[[], Engine | None] = lambda: self.engine
        else:
            engine_of = lambda: self.completion.engine
        return await generate_in_turns(
            self.worker, engine_of, build, max_tokens, flag, stop=stop, should_stop=should_stop, on_text=on_text
        )


def placement_report(engine: Engine, n_layers: int, completion_bytes: int, budget_bytes: int) -> str:
    """Where the explain model's layers went (engine.offload_report), that it was planned
    after the completion model, and whether that sent it (partly) to the CPU."""
    where = getattr(engine, "offload_report", "") or "placement unknown"
    report = f"{where}; planned after the completion model"
    if completion_bytes:
        report += f", which takes about {completion_bytes / GIB:.1f} GiB of the {budget_bytes / GIB:.3g} GiB budget"
    on_gpu = getattr(engine, "n_gpu_layers", 0)  # llama.cpp's value: -1 or n_layers + 1 is all
    if on_gpu == 0 and completion_bytes:
        report += "; the explain model runs on the CPU"
    elif 0 < on_gpu <= n_layers:
        report += "; the explain model runs partly on the CPU"
    return report


@dataclass
class _Turns:
    """What the turns of one generation have produced so far."""

    prompt: list[int] | None = None
    text: str = ""
    generated: int = 0
    gave_way: bool = False  # the last turn ended to let a foreground job run


async def generate_in_turns(
    worker: ModelWorker,
    engine_of: Callable[[], Engine | None],
    build: ChatPromptBuilder,
    max_tokens: int,
    flag: StopFlag,
    *,
    stop: Sequence[str] = (),
    should_stop: Callable[[], bool] = lambda: False,
    on_text: Callable[[str], None] | None = None,
) -> GenerationResult:
    """Generate up to max_tokens on the model thread at background priority, giving way to
    any foreground job per token and resuming after it, until done.

    `on_text(text so far)` is called on the model thread after every token. `flag` stops
    the generation (the text so far is kept, stopped_by "cancelled"); Superseded is raised
    only when it was raised before the first turn started.
    """
    turns = _Turns()
    started = time.perf_counter()
    prefill_seconds = 0.0

    def job(stop_flag: StopFlag) -> GenerationResult:  # one turn, on the model thread
        engine = engine_of()
        if engine is None:
            raise EngineError("the model went away (it is being reloaded)")
        if turns.prompt is None:
            turns.prompt = build(engine, prompt_room(engine.n_ctx, max_tokens))
        before = turns.text
        turns.gave_way = False

        def stop_now() -> bool:
            if stop_flag.is_set() or should_stop():
                return True
            turns.gave_way = worker.jobs_waiting()
            return turns.gave_way

        def seen(turn_text: str) -> bool:
            if on_text is not None:
                on_text(before + turn_text)
            return False

        request = GenerationRequest(
            # A later turn goes on from the text so far: the model reads its own words again.
            prompt_tokens=turns.prompt + engine.tokenize(before) if before else turns.prompt,
            max_tokens=max_tokens - turns.generated,
            stop=list(stop),
            should_stop=stop_now,
            text_is_complete=seen,
        )
        return engine.generate(request)

    while True:
        try:
            result = await worker.run(None, job, flag, background=True)
        except Superseded:
            if turns.prompt is None:
                raise
            stopped_by: StopReason = "cancelled"  # between two turns: keep what was written
        else:
            prefill_seconds = prefill_seconds or result.prefill_seconds
            turns.text += result.text
            turns.generated += result.generated_tokens
            stopped_by = result.stopped_by
            if turns.gave_way and stopped_by == "cancelled" and turns.generated < max_tokens:
                continue
        return GenerationResult(
            text=turns.text,
            prompt_tokens=len(turns.prompt or ()),
            generated_tokens=turns.generated,
            stopped_by=stopped_by,
            prefill_seconds=prefill_seconds,
            total_seconds=time.perf_counter() - started,
        )

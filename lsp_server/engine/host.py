"""Owns the engine's life: load it on the model thread, report its state.

The rest of the server asks the host for the engine and learns from its state
why there is none (loading, disabled, or an error with a message for the user).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..model_data import data_file
from ..modelfiles.registry import require_pulled, resolve_model_setting
from ..prompts.fim import FimTokens, resolve_fim_tokens
from ..settings import Settings
from .base import Engine, EngineError, GenerationRequest, GenerationResult
from .worker import ModelWorker, StopFlag, Superseded

log = logging.getLogger(__name__)

# The model Infill uses when none is configured; see models/MODEL_CARD.md.
EMBEDDED_MODEL = data_file("infill-tiny-code.gguf")
# Context tokens kept free beside a prompt's budget and its generated tokens: the BOS and
# FIM control tokens that prompt builders add around the budgeted text.
CONTROL_TOKEN_MARGIN = 8

EngineStateName = Literal["idle", "loading", "ready", "error", "disabled"]
# "foreground" jobs (completions) run in order; a "background" job (a hover summary, an
# explanation) gives way, at its next token, to any foreground job waiting for the model thread.
Priority = Literal["foreground", "background"]
# Builds a generation for the loaded model, given the prompt tokens it may use.
RequestBuilder = Callable[[Engine, FimTokens, int], GenerationRequest]


def default_model_path() -> Path:
    return EMBEDDED_MODEL


def prompt_room(n_ctx: int, max_tokens: int) -> int:
    """Prompt tokens that fit the context beside max_tokens generated ones."""
    return n_ctx - max_tokens - CONTROL_TOKEN_MARGIN


@dataclass
class EngineState:
    state: EngineStateName
    message: str = ""


class EngineHost:
    def __init__(self, worker: ModelWorker, on_state: Callable[[EngineState], None] | None = None) -> None:
        self.worker = worker
        self.engine: Engine | None = None
        self.fim: FimTokens | None = None
        self.state = EngineState("idle")
        # The loaded model's chat template (read once, on the model thread): whether it can
        # follow instructions, as Explain needs.
        self.chat_template: str | None = None
        # Called on the model thread before the engine is (re)loaded or unloaded: a second
        # model on this thread (the explain model) goes first, so that the new completion
        # model is planned against the whole GPU budget.
        self.before_load: list[Callable[[], None]] = []
        self._on_state = on_state or (lambda state: None)
        self._loaded_key: tuple | None = None

    def _set_state(self, state: EngineStateName, message: str = "") -> None:
        self.state = EngineState(state, message)
        self._on_state(self.state)

    def model_path(self, settings: Settings) -> str:
        """The GGUF file to load: model.path, where a registry name (see
        `infill models list`) stands for its pulled copy; the embedded model if unset."""
        return resolve_model_setting(settings.model.path, settings.model.search_paths) or str(default_model_path())

    def _key(self, settings: Settings) -> tuple:
        """What the loaded engine depends on: the model and engine sections, and the file a
        registry name stands for (it changes when the model is pulled)."""
        return settings.model, settings.engine, self.model_path(settings)

    def needs_reload(self, settings: Settings) -> bool:
        return self._key(settings) != self._loaded_key

    async def load(self, settings: Settings) -> EngineState:
        """(Re)load the engine for settings on the model thread."""
        key = self._key(settings)
        if settings.engine.kind == "none":
            await self.worker.run("engine", lambda flag: self._unload())
            self._loaded_key = key
            self._set_state("disabled", "completions disabled (infill.engine.kind is none)")
            return self.state
        what = settings.engine.url if settings.engine.kind == "remote" else self.model_path(settings)
        self._set_state("loading", f"loading {what}")
        try:
            await self.worker.run("engine", lambda flag: self._load_blocking(settings))
        except Superseded:
            return self.state  # a newer load (newer settings) took over
        except EngineError as exc:
            log.error("engine failed to load: %s", exc)
            self._set_state("error", str(exc))
        else:
            assert self.engine is not None and self.fim is not None  # set by _load_blocking
            self._set_state("ready", ready_message(self.engine, self.fim.family))
        self._loaded_key = key
        return self.state

    def load_blocking(self, settings: Settings) -> None:
        """For the command line: load synchronously, raising EngineError."""
        self.worker.run_blocking(lambda flag: self._load_blocking(settings))
        assert self.engine is not None  # set by _load_blocking
        self._set_state("ready", self.engine.name)

    def _unload(self) -> None:
        for hook in self.before_load:
            hook()
        if self.engine is not None:
            self.engine.close()
        self.engine, self.fim, self.chat_template = None, None, None

    def _load_blocking(self, settings: Settings) -> None:
        self._unload()
        require_pulled(settings.model.path, settings.model.search_paths)
        if settings.engine.kind == "remote":
            # model.path is optional here: a local copy of the remote model's tokenizer.
            engine = create_engine(settings, resolve_model_setting(settings.model.path, settings.model.search_paths))
        else:
            engine = create_engine(settings, self.model_path(settings))
        try:
            fim = resolve_fim_tokens(engine, settings.model.fim_family)
        except EngineError:
            engine.close()
            raise
        self.engine, self.fim, self.chat_template = engine, fim, engine.chat_template()

    def ready(self) -> bool:
        return self.state.state == "ready" and self.engine is not None

    async def generate(
        self,
        key: str | None,
        build: RequestBuilder,
        max_tokens: int,
        priority: Priority = "foreground",
        flag: StopFlag | None = None,
    ) -> GenerationResult:
        """Run one generation on the model thread: the one way every feature uses the model.

        `build(engine, fim, room)` makes the request for a prompt of at most `room` tokens; it
        runs on the model thread, so it may tokenize. A newer job with the same key stops this
        one (Superseded before it starts, stopped_by "cancelled" after). Raises EngineError
        when no model is loaded.
        """
        worker = self.worker

        def job(stop: StopFlag) -> GenerationResult:
            engine, fim = self.engine, self.fim
            if engine is None or fim is None:
                raise EngineError(f"no model is loaded ({self.state.state})")
            request = build(engine, fim, prompt_room(engine.n_ctx, max_tokens))
            request.max_tokens = max_tokens
            own_stop = request.should_stop
            if priority == "background":
                request.background = True
                request.should_stop = lambda: stop.is_set() or worker.jobs_waiting() or own_stop()
            else:
                request.should_stop = lambda: stop.is_set() or own_stop()
            return engine.generate(request)

        return await worker.run(key, job, flag, background=priority == "background")


def ready_message(engine: Engine, fim_family: str) -> str:
    """The status line: the model, its FIM template and where it runs."""
    where = getattr(engine, "offload_report", "")
    return f"{engine.name} ready ({fim_family} FIM" + (f"; {where})" if where else ")")


def create_engine(settings: Settings, model_path: str | None) -> Engine:
    """The engine settings.engine.kind names; model_path is the GGUF file (for a remote
    engine, an optional local copy of the served model's tokenizer)."""
    kind = settings.engine.kind
    m = settings.model
    if kind == "llama_cpp":
        from .llama_cpp_engine import LlamaCppEngine

        if model_path is None:
            raise EngineError("no model file to load (infill.model.path)")
        return LlamaCppEngine(
            model_path,
            n_ctx=m.n_ctx,
            n_gpu_layers=m.n_gpu_layers,
            n_threads=m.n_threads,
            vram_budget_mb=m.vram_budget_mb,
        )
    if kind == "onnx":
        from .onnx_engine import OnnxEngine

        if model_path is None:
            raise EngineError("no model folder to load (infill.model.path)")
        return OnnxEngine(
            model_path,
            n_ctx=m.n_ctx,
            n_gpu_layers=m.n_gpu_layers,
            n_threads=m.n_threads,
            vram_budget_mb=m.vram_budget_mb,
        )
    if kind == "remote":
        from .remote import RemoteEngine

        return RemoteEngine.connect(settings, vocab_path=model_path)
    raise EngineError(f"engine kind {kind!r} is not available in this build")


__all__ = ["EngineHost", "EngineState", "Priority", "StopFlag", "default_model_path", "prompt_room"]

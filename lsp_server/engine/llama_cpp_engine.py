"""The local engine: a GGUF model run in-process by llama.cpp (llama-cpp-python).

Only this module and llama_cpp_vocab.py (its tokenizer calls) import llama_cpp.
One Llama object per process, used from one worker thread: llama.cpp contexts
are not thread-safe, and keeping one context lets generate() reuse the KV cache for the prompt prefix shared with
the previous request (a user typing changes only the end of the prefix).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np

from .base import EngineError, GenerationRequest, GenerationResult, StopReason, TokenScore, scores_before
from .llama_cpp_loading import create_llama
from .llama_cpp_vocab import LlamaVocab

log = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"


def gpu_offload_available() -> bool:
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())


def choose_offload(path: Path, n_ctx: int, n_gpu_layers: int | None, vram_budget_mb: int) -> tuple[int, str]:
    """(n_gpu_layers, report): an explicit setting wins; otherwise the layers that fit
    the VRAM budget (engine/vram.py), or none without a GPU build of llama.cpp."""
    if n_gpu_layers == 0:
        return 0, "CPU only (model.nGpuLayers is 0)"
    if not gpu_offload_available():
        return 0, "CPU only (no GPU build)"
    if n_gpu_layers is not None:
        count = "all" if n_gpu_layers < 0 else str(n_gpu_layers)
        return n_gpu_layers, f"{count} layers on GPU (model.nGpuLayers)"
    from ..modelfiles.vram import plan_offload, read_model_shape

    try:
        shape = read_model_shape(path)
    except Exception as exc:  # an odd header: llama.cpp decides, with all layers
        log.warning("cannot read the tensor table of %s (%s); offloading all layers", path, exc)
        return -1, "all layers on GPU (size unknown)"
    context = min(n_ctx, shape.n_ctx_train) if shape.n_ctx_train > 0 else n_ctx
    plan = plan_offload(shape, context, vram_budget_mb * 1024 * 1024)
    log.info("GPU offload plan for %s at n_ctx %d: %s", path.name, context, plan.summary())
    return plan.n_gpu_layers, plan.summary()


def trained_context(path: Path) -> int:
    """The context length the model was trained on, from the GGUF header (0 if unknown)."""
    from ..modelfiles.gguf_header import read_gguf_header

    try:
        metadata = read_gguf_header(path).metadata
        return int(metadata.get(f"{metadata.get('general.architecture')}.context_length") or 0)
    except Exception as exc:  # llama.cpp reads it again when it loads the model
        log.debug("no context length in the header of %s: %s", path, exc)
        return 0


def check_model_file(path: str) -> Path:
    """Fail early, with the path in the message, on a file llama.cpp would choke on."""
    model_path = Path(path).expanduser()
    if not model_path.exists():
        raise EngineError(f"model file not found: {model_path}")
    if not model_path.is_file():
        raise EngineError(f"model path is not a file: {model_path}")
    try:
        with model_path.open("rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise EngineError(f"cannot read model file {model_path}: {exc.strerror}") from exc
    if magic != GGUF_MAGIC:
        raise EngineError(f"not a GGUF model file (bad header): {model_path}")
    return model_path


class LlamaCppEngine:
    """A loaded GGUF model. Create and use it on the model worker thread only."""

    def __init__(
        self,
        model_path: str,
        n_ctx: int = 4096,
        n_gpu_layers: int | None = None,
        n_threads: int | None = None,
        vram_budget_mb: int = 8192,
    ) -> None:
        import llama_cpp

        path = check_model_file(model_path)
        # offload_report: where the layers went, in words for the status bar.
        n_gpu_layers, self.offload_report = choose_offload(path, n_ctx, n_gpu_layers, vram_budget_mb)
        started = time.perf_counter()
        # A context longer than the model was trained on only produces garbage: cap it before
        # loading when the header says (one load, and no llama.cpp warning), else after.
        trained = trained_context(path)
        if 0 < trained < n_ctx:
            log.info("%s was trained on %d tokens of context; using that instead of %d", path, trained, n_ctx)
            n_ctx = trained
        self._llm = self._load(llama_cpp, path, n_ctx, n_gpu_layers, n_threads)
        n_ctx_train = self._llm._model.n_ctx_train()
        if 0 < n_ctx_train < n_ctx:  # the header did not say; llama.cpp knows it now
            log.info("%s was trained on %d tokens of context; using that instead of %d", path, n_ctx_train, n_ctx)
            self._llm.close()
            self._llm = self._load(llama_cpp, path, n_ctx_train, n_gpu_layers, n_threads)
        self.load_seconds = time.perf_counter() - started
        self.path = path
        self.n_gpu_layers = n_gpu_layers
        self.n_ctx = self._llm.n_ctx()
        self.name = str(self._llm.metadata.get("general.name") or path.name)
        self._tokenizer = LlamaVocab(self._llm)
        self.special = self._tokenizer.special
        log.info(
            "loaded %s (%s) in %.2fs, n_ctx=%d, gpu_layers=%d: %s",
            self.name,
            path,
            self.load_seconds,
            self.n_ctx,
            n_gpu_layers,
            self.offload_report,
        )

    @staticmethod
    def _load(llama_cpp, path: Path, n_ctx: int, n_gpu_layers: int, n_threads: int | None):
        try:
            return create_llama(
                llama_cpp,
                model_path=str(path),
                n_ctx=n_ctx,
                n_batch=min(512, n_ctx),
                n_gpu_layers=n_gpu_layers,
                n_threads=n_threads or default_threads(),
                # Same count for prompt batches: more threads than free cores make
                # llama.cpp's spinning thread barrier stall when the machine is busy.
                n_threads_batch=n_threads or default_threads(),
                flash_attn=n_gpu_layers != 0,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise EngineError(f"llama.cpp could not load {path}: {exc}") from exc

    def tokenize(self, text: str) -> list[int]:
        return self._tokenizer.tokenize(text)

    def tokenize_control(self, text: str) -> list[int]:
        """Template text written by Infill itself: control tokens parsed. Never user text."""
        return self._tokenizer.tokenize_control(text)

    def token_id(self, piece: str) -> int:
        return self._tokenizer.token_id(piece)

    def detokenize(self, tokens: list[int], special: bool = False) -> str:
        """Text of tokens; special=True also writes control tokens (for showing prompts)."""
        return self._tokenizer.detokenize(tokens, special=special).decode("utf-8", errors="replace")

    def chat_template(self) -> str | None:
        return self._llm.metadata.get("tokenizer.chat_template")

    def generate(self, request: GenerationRequest) -> GenerationResult:
        """Greedy decoding, checking the stop flag before every token."""
        started = time.perf_counter()
        prompt = list(request.prompt_tokens)
        room = self.n_ctx - len(prompt)
        if room <= 1:
            raise EngineError(f"prompt of {len(prompt)} tokens does not fit the context of {self.n_ctx}")
        max_tokens = min(request.max_tokens, room - 1)
        stop_ids = self.special.stop_ids() | request.stop_ids
        generated: list[int] = []
        scores: list[TokenScore] = []
        data = b""
        text = ""
        stopped_by: StopReason = "max_tokens"
        prefill_seconds = 0.0
        if request.should_stop():
            return GenerationResult("", len(prompt), 0, "cancelled", 0.0, 0.0)
        for token in self._llm.generate(prompt, temp=0.0, top_k=1, repeat_penalty=1.0, reset=True):
            if not generated and prefill_seconds == 0.0:
                prefill_seconds = time.perf_counter() - started
            if request.should_stop():
                stopped_by = "cancelled"
                break
            if token in stop_ids or self._tokenizer.is_end_of_generation(token):
                stopped_by = "eos"
                break
            logprob = self._logprob(token)
            generated.append(token)
            data += self._llm.detokenize([token], prev_tokens=prompt + generated[:-1])
            text = data.decode("utf-8", errors="ignore")
            scores.append(TokenScore(len(text), logprob))
            hit = _first_stop(text, request.stop)
            if hit is not None:
                text = text[:hit]
                scores = scores_before(scores, hit)
                stopped_by = "stop"
                break
            if request.text_is_complete(text):
                stopped_by = "complete"
                break
            if len(generated) >= max_tokens:
                break
        return GenerationResult(
            text=text,
            prompt_tokens=len(prompt),
            generated_tokens=len(generated),
            stopped_by=stopped_by,
            prefill_seconds=prefill_seconds,
            total_seconds=time.perf_counter() - started,
            token_scores=scores,
        )

    def _logprob(self, token: int) -> float:
        """Log-probability of the token just sampled, from the logits of the last evaluated
        position (llama.cpp keeps them until the next decode; greedy sampling leaves them as
        they are)."""
        n_vocab = self._llm.n_vocab()
        logits = np.ctypeslib.as_array(self._llm._ctx.get_logits_ith(-1), shape=(n_vocab,))
        top = float(logits.max())
        return float(logits[token]) - top - float(np.log(np.exp(logits - top).sum()))

    def close(self) -> None:
        llm, self._llm = getattr(self, "_llm", None), None
        if llm is not None:
            llm.close()


def _first_stop(text: str, stops: list[str]) -> int | None:
    positions = [i for s in stops if s and (i := text.find(s)) >= 0]
    return min(positions) if positions else None


def default_threads() -> int:
    return max(1, (os.cpu_count() or 2) // 2)

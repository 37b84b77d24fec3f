"""The ONNX engine: a model folder run in-process by ONNX Runtime GenAI (engine.kind "onnx").

For models published as ONNX, or as GPTQ/AWQ 4-bit checkpoints, which `infill models convert`
turns into a folder of this kind (int4 MatMulNBits, or float16/float32 weights). Only the
onnx_*.py modules may import onnxruntime_genai (tests/test_layout.py), and only this one does:
engine/host.py imports this module when engine.kind is "onnx", and says what to install when
it is missing.

Prompts arrive as token ids, built by the same FIM templates as for llama.cpp; the tokenizer
(onnx_vocab.py) keeps control-token text in user code as plain text. Decoding is greedy, done
here rather than by ONNX Runtime GenAI's search: each step reads the logits of the last
position (`Generator.get_logits`), takes the most probable token, scores it (its log-probability,
for the confidence check), checks the stop flag, and only then feeds it back
(`append_tokens`), so a cancelled completion stops within one token and an end token never
reaches the model.

One generator lives as long as the engine. Its KV cache holds the tokens of the last prompt
and completion; a new prompt rewinds it to the prefix they share (`Generator.rewind_to`) and
appends only the rest, so a keystroke re-evaluates the end of the prompt, not all of it, as
llama.cpp does. Not thread-safe: create and use it on the model worker thread only.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import time
from typing import Any

import numpy as np
import onnxruntime_genai as og  # type: ignore[import-untyped]

from ..modelfiles.vram import MIB
from .base import EngineError, GenerationRequest, GenerationResult
from .onnx_folder import OnnxModelInfo, describe_plan, read_model_folder
from .onnx_vocab import OnnxVocab
from .token_stream import TokenStream

log = logging.getLogger(__name__)


def default_threads() -> int:
    return max(1, (os.cpu_count() or 2) // 2)


def cuda_available() -> bool:
    return bool(og.is_cuda_available())


def choose_provider(info: OnnxModelInfo, n_ctx: int, n_gpu_layers: int | None, vram_budget_mb: int) -> tuple[bool, str]:
    """(run on CUDA, report): model.nGpuLayers 0 keeps it on the CPU, any other explicit value
    puts it on the GPU; unset, the whole model goes to the GPU when it fits the budget (no
    partial offload with ONNX Runtime)."""
    if n_gpu_layers == 0:
        return False, "CPU only (model.nGpuLayers is 0)"
    if not cuda_available():
        return False, "CPU only (no CUDA build of onnxruntime-genai)"
    if n_gpu_layers is not None:
        return True, "on GPU (CUDA; model.nGpuLayers)"
    return describe_plan(info, n_ctx, vram_budget_mb * MIB)


def common_prefix(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def logprob_of(logits: np.ndarray, token: int) -> float:
    top = float(logits.max())
    return float(logits[token]) - top - float(np.log(np.exp(logits - top).sum()))


class OnnxEngine:
    """A loaded ONNX Runtime GenAI model folder."""

    def __init__(
        self,
        model_path: str,
        n_ctx: int = 4096,
        n_gpu_layers: int | None = None,
        n_threads: int | None = None,
        vram_budget_mb: int = 8192,
    ) -> None:
        started = time.perf_counter()
        info = read_model_folder(model_path)
        if info.context_length < n_ctx:
            log.info(
                "%s was trained on %d tokens of context; using that instead of %d",
                info.folder,
                info.context_length,
                n_ctx,
            )
            n_ctx = info.context_length
        self.info = info
        self.path = info.folder
        self.n_ctx = n_ctx
        self._vocab = OnnxVocab(info)
        self.special = self._vocab.special
        self.name = self._vocab.name or info.folder.name
        on_gpu, self.offload_report = choose_provider(info, n_ctx, n_gpu_layers, vram_budget_mb)
        # Not llama.cpp layers: 0 tells the explain model's planner that nothing of this model
        # is counted on the GPU by layer; gpu_bytes is this model's estimate.
        self.n_gpu_layers = 0
        self.gpu_bytes = info.gpu_plan(n_ctx) if on_gpu else 0
        self._model = self._load(info, on_gpu, n_threads or default_threads())
        self._generator: Any = None
        # Tokens whose keys and values are in the generator's cache, in order.
        self._cached: list[int] = []
        # Prompt tokens the last generate() found in the cache (for benchmarks and tests).
        self.reused_tokens = 0
        self.load_seconds = time.perf_counter() - started
        log.info(
            "loaded %s (%s) in %.2fs, n_ctx=%d: %s",
            self.name,
            info.folder,
            self.load_seconds,
            n_ctx,
            self.offload_report,
        )

    def _load(self, info: OnnxModelInfo, on_gpu: bool, threads: int) -> Any:
        try:
            config = og.Config(str(info.folder))
            config.clear_providers()
            if on_gpu:
                config.append_provider("cuda")
            else:
                # The thread count matters on the CPU only; one pool, as llama.cpp's n_threads.
                options = {"intra_op_num_threads": threads, "inter_op_num_threads": 1}
                config.overlay(json.dumps({"model": {"decoder": {"session_options": options}}}))
            return og.Model(config)
        except Exception as exc:  # og raises RuntimeError with ONNX Runtime's message
            raise EngineError(f"ONNX Runtime could not load {info.folder}: {exc}") from exc

    # The Vocabulary protocol and the rest of the Engine protocol.

    def tokenize(self, text: str) -> list[int]:
        return self._vocab.tokenize(text)

    def tokenize_control(self, text: str) -> list[int]:
        return self._vocab.tokenize_control(text)

    def token_id(self, piece: str) -> int:
        return self._vocab.token_id(piece)

    def detokenize(self, tokens: list[int], special: bool = False) -> str:
        return self._vocab.detokenize(tokens, special=special)

    def chat_template(self) -> str | None:
        return self._vocab.chat_template(self.info.folder)

    def close(self) -> None:
        self._generator, self._cached = None, []
        self._model = None

    # Generation.

    def generate(self, request: GenerationRequest) -> GenerationResult:
        """Greedy decoding from the prompt's token ids, checking the stop flag before every
        token. One candidate only (GenerationResult.alternatives stays empty)."""
        started = time.perf_counter()
        prompt = list(request.prompt_tokens)
        room = self.n_ctx - len(prompt)
        if room <= 1:
            raise EngineError(f"prompt of {len(prompt)} tokens does not fit the context of {self.n_ctx}")
        if not prompt:
            raise EngineError("empty prompt")
        if request.should_stop():
            return GenerationResult("", len(prompt), 0, "cancelled", 0.0, 0.0)
        completion = _Completion(self._vocab, request, len(prompt), min(request.max_tokens, room - 1))
        try:
            self.reused_tokens = self._prefill(prompt)
            prefill_seconds = time.perf_counter() - started
            while True:
                if request.should_stop():
                    completion.stopped_by = "cancelled"
                    break
                logits = self._generator.get_logits()[0, -1]
                token = int(logits.argmax())
                if not completion.take(token, functools.partial(logprob_of, logits, token)):
                    break
                self._append([token])
        except RuntimeError as exc:  # what ONNX Runtime GenAI raises
            self._generator, self._cached = None, []  # the cache may hold anything now
            raise EngineError(f"ONNX Runtime failed while generating: {exc}") from exc
        except BaseException:
            self._generator, self._cached = None, []
            raise
        return completion.result(prefill_seconds, time.perf_counter() - started, self.reused_tokens)

    def _prefill(self, prompt: list[int]) -> int:
        """Bring the cache to the prompt: keep the prefix it shares with what is cached, rewind
        the rest, append the new tokens. The prompt's last token is always evaluated (its
        logits start the completion). Returns the tokens reused."""
        keep = min(common_prefix(self._cached, prompt), len(prompt) - 1)
        if self._generator is None:
            params = og.GeneratorParams(self._model)
            # Greedy, no penalties: what llama.cpp is asked for; max_length bounds the cache.
            params.set_search_options(max_length=self.n_ctx, do_sample=False, repetition_penalty=1.0)
            self._generator = og.Generator(self._model, params)
            self._cached, keep = [], 0
        elif keep < len(self._cached):
            self._generator.rewind_to(keep)
            del self._cached[keep:]
        self._append(prompt[keep:])
        return keep

    def _append(self, tokens: list[int]) -> None:
        self._generator.append_tokens(np.asarray(tokens, dtype=np.int32))
        self._cached.extend(tokens)


class _Completion(TokenStream):
    """An ONNX Runtime completion: its text is the vocabulary's text of all its tokens."""

    def __init__(self, vocab: OnnxVocab, request: GenerationRequest, prompt_tokens: int, max_tokens: int) -> None:
        super().__init__(request, vocab.special.stop_ids(), vocab.is_end_of_generation, prompt_tokens, max_tokens)
        self._vocab = vocab

    def _text_with(self, token: int) -> str:
        return self._vocab.generated_text(self.tokens)

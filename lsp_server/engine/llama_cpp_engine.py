"""The local engine: a GGUF model run in-process by llama.cpp (llama-cpp-python).

Only this module and llama_cpp_vocab.py (its tokenizer calls) import llama_cpp.
One Llama object per process, used from one worker thread: llama.cpp contexts
are not thread-safe, and keeping one context lets generate() reuse the KV cache for the prompt prefix shared with
the previous request (a user typing changes only the end of the prefix).
"""

from __future__ import annotations

import functools
import logging
import os
import time
from pathlib import Path

import numpy as np

from .base import EngineError, GenerationRequest, GenerationResult, StopReason
from .llama_cpp_loading import create_llama
from .llama_cpp_parallel import (
    BACKGROUND_PREFILL_CHUNK,
    PREFILL_CHUNK,
    decode_parallel,
    enable_parallel_sequences,
    prefill,
)
from .llama_cpp_vocab import LlamaVocab
from .token_stream import TokenStream, first_stop

log = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"
# Most candidates decoded at once (completion.candidates is 1..3).
MAX_CANDIDATES = 3
# First tokens looked at, most probable first, to find the candidates' distinct starts.
FIRST_TOKEN_SEARCH = 32
# Once the first candidate is done after n tokens, the others may take n/2 + this many more.
ALTERNATIVE_EXTRA_TOKENS = 2


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
        # Whether the context decodes several sequences at once; None until candidates are asked.
        self._parallel: bool | None = None
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
        """Greedy decoding, checking the stop flag before every token; several candidates
        decoded side by side when the request asks for them (llama_cpp_parallel.py)."""
        started = time.perf_counter()
        prompt = list(request.prompt_tokens)
        room = self.n_ctx - len(prompt)
        if room <= 1:
            raise EngineError(f"prompt of {len(prompt)} tokens does not fit the context of {self.n_ctx}")
        if request.should_stop():
            return GenerationResult("", len(prompt), 0, "cancelled", 0.0, 0.0)
        count = min(request.candidates, MAX_CANDIDATES)
        if count > 1 and self._parallel_ready(count):
            return self._generate_candidates(request, prompt, count, started)
        stream = _Stream(self, request, prompt, min(request.max_tokens, room - 1))
        # The prompt first, in steps that a stop flag can cut short (llama_cpp_parallel.prefill).
        chunk = BACKGROUND_PREFILL_CHUNK if request.background else PREFILL_CHUNK
        cached = prefill(self._llm, prompt, request.should_stop, chunk)
        if cached is None:
            return GenerationResult("", len(prompt), 0, "cancelled", 0.0, time.perf_counter() - started)
        prefill_seconds = 0.0
        for token in self._llm.generate(prompt, temp=0.0, top_k=1, repeat_penalty=1.0, reset=True):
            if not stream.tokens and prefill_seconds == 0.0:
                prefill_seconds = time.perf_counter() - started
            if request.should_stop():
                stream.stopped_by = "cancelled"
                break
            if not stream.take(token, functools.partial(self._logprob, token)):
                break
        return stream.result(prefill_seconds, time.perf_counter() - started, cached)

    def _parallel_ready(self, count: int) -> bool:
        """Whether this context decodes `count` sequences at once (made so on first need)."""
        if self._parallel is None:
            self._parallel = enable_parallel_sequences(self._llm, MAX_CANDIDATES)
        return self._parallel

    def _generate_candidates(
        self, request: GenerationRequest, prompt: list[int], count: int, started: float
    ) -> GenerationResult:
        """Candidates from one prefill: the most probable first tokens, then greedy each. The
        candidates share the context's cells, so each gets its part of the room left. Once the
        first (greedy) candidate is done, the others get a few more tokens to finish: one that
        needs more is dropped rather than shown cut off, so the others never keep the user
        waiting long after the best one is ready."""
        # With the greedy candidate known (request.known_first_tokens), its sequence is left
        # out: the others decode in a smaller batch, with the deadline its length sets.
        skip = 1 if request.known_first_tokens is not None else 0
        sequences = count - skip
        limit = min(request.max_tokens, max(1, (self.n_ctx - len(prompt) - 1) // sequences))
        streams = [_Stream(self, request, prompt, limit) for _ in range(sequences)]
        if request.known_first_tokens is not None:
            for stream in streams:
                stream.deadline = alternative_deadline(request.known_first_tokens)

        def take(seq: int, token: int, logprob: float) -> bool:
            going = streams[seq].take(token, lambda: logprob)
            if seq == 0 and not going and not skip:
                done = len(streams[0].tokens)
                for other in streams[1:]:
                    other.deadline = alternative_deadline(done)
            return going

        run = decode_parallel(
            self._llm,
            prompt,
            sequences,
            lambda logprobs, wanted: self._first_tokens(logprobs, count, prompt, request)[skip:],
            take,
            request.should_stop,
            limit,
        )
        total = time.perf_counter() - started
        if run.cancelled:
            for stream in streams:
                stream.stopped_by = "cancelled"
        # Candidates that never got a first token (fewer usable tokens than asked) are dropped,
        # and so are those cut off by the first one's deadline.
        results = [s.result(run.prefill_seconds, total, run.cached_prompt_tokens) for s in streams]
        if skip:  # the greedy one is the caller's: an empty result, every decoded one an alternative
            stopped_by: StopReason = "cancelled" if run.cancelled else "complete"
            first = GenerationResult(
                "",
                len(prompt),
                0,
                stopped_by,
                run.prefill_seconds,
                total,
                token_scores=[],
                cached_prompt_tokens=run.cached_prompt_tokens,
            )
            others = list(zip(results, streams, strict=True))
        else:
            first, others = results[0], list(zip(results[1:], streams[1:], strict=True))
        first.alternatives = [r for r, s in others if s.started and r.stopped_by != "cancelled"]
        return first

    def _first_tokens(
        self, logprobs: np.ndarray, count: int, prompt: list[int], request: GenerationRequest
    ) -> list[int]:
        """The greedy first token, then the next most probable ones that start a candidate:
        not an end token, and not one whose text hits a stop text at once (an empty candidate)."""
        greedy = int(logprobs.argmax())
        chosen = [greedy]
        stop_ids = self.special.stop_ids() | request.stop_ids
        top = np.argpartition(-logprobs, FIRST_TOKEN_SEARCH)[:FIRST_TOKEN_SEARCH]
        for token in (int(t) for t in top[np.argsort(-logprobs[top])]):
            if len(chosen) >= count:
                break
            if token == greedy or token in stop_ids or self._tokenizer.is_end_of_generation(token):
                continue
            text = self._llm.detokenize([token], prev_tokens=prompt).decode("utf-8", errors="ignore")
            if first_stop(text, request.stop) == 0:
                continue
            chosen.append(token)
        return chosen

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


class _Stream(TokenStream):
    """A llama.cpp completion: its text grows by each token's bytes, detokenized with the
    tokens before it for context (a token may be half of a character or a leading space)."""

    def __init__(self, engine: LlamaCppEngine, request: GenerationRequest, prompt: list[int], max_tokens: int):
        tokenizer = engine._tokenizer
        super().__init__(request, engine.special.stop_ids(), tokenizer.is_end_of_generation, len(prompt), max_tokens)
        self._llm = engine._llm
        self._prompt = prompt
        self._data = b""

    def _text_with(self, token: int) -> str:
        self._data += self._llm.detokenize([token], prev_tokens=self._prompt + self.tokens[:-1])
        return self._data.decode("utf-8", errors="ignore")


def alternative_deadline(first_tokens: int) -> int:
    """Tokens an alternative candidate may take, when the greedy one took `first_tokens`: a
    little more, so that the others never keep the user waiting long after the best one."""
    return first_tokens + first_tokens // 2 + ALTERNATIVE_EXTRA_TOKENS


def default_threads() -> int:
    return max(1, (os.cpu_count() or 2) // 2)

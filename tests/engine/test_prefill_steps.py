"""The prompt is decoded in steps a stop flag can cut short: 64 tokens for a completion, 16 for
background work (it gives way to a waiting completion within one step); and background
decoding writes the same completion."""

from __future__ import annotations

import numpy as np

from lsp_server.engine.base import GenerationRequest
from lsp_server.engine.host import EMBEDDED_MODEL
from lsp_server.engine.llama_cpp_engine import LlamaCppEngine
from lsp_server.engine.llama_cpp_parallel import BACKGROUND_PREFILL_CHUNK, PREFILL_CHUNK, prefill


class _Memory:
    def kv_cache_seq_rm(self, seq: int, start: int, end: int) -> bool:
        return True


class RecordingLlama:
    """What prefill touches of a llama_cpp.Llama: an empty cache, and the batches decoded."""

    def __init__(self) -> None:
        self.n_tokens = 0
        self.input_ids = np.zeros(0, dtype=np.intc)
        self._ctx = _Memory()
        self.batches: list[int] = []

    def eval(self, tokens: list[int]) -> None:
        self.batches.append(len(tokens))


def test_a_completion_decodes_its_prompt_in_64_token_steps():
    llama = RecordingLlama()
    assert prefill(llama, list(range(150)), lambda: False)
    assert llama.batches == [PREFILL_CHUNK, PREFILL_CHUNK, 150 - 2 * PREFILL_CHUNK]


def test_background_work_decodes_in_small_steps_and_stops_between_two():
    llama = RecordingLlama()
    asked = []

    def should_stop() -> bool:
        asked.append(1)
        return len(asked) > 3  # a completion starts waiting after three steps

    assert not prefill(llama, list(range(150)), should_stop, BACKGROUND_PREFILL_CHUNK)
    assert llama.batches == [BACKGROUND_PREFILL_CHUNK] * 3


def test_a_stop_before_the_first_step_decodes_nothing():
    llama = RecordingLlama()
    assert not prefill(llama, list(range(150)), lambda: True)
    assert llama.batches == []


def test_background_decoding_writes_the_same_completion():
    engine = LlamaCppEngine(str(EMBEDDED_MODEL), n_ctx=512, n_threads=1)
    try:
        prompt = engine.tokenize("def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return")
        first = engine.generate(GenerationRequest(list(prompt), 12))
        engine.generate(GenerationRequest(engine.tokenize("x = 1\n"), 2))  # another prompt in the cache
        second = engine.generate(GenerationRequest(list(prompt), 12, background=True))
    finally:
        engine.close()
    assert second.text == first.text and second.generated_tokens == first.generated_tokens

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
    assert prefill(llama, list(range(150)), lambda: False) == 0  # nothing was cached
    assert llama.batches == [PREFILL_CHUNK, PREFILL_CHUNK, 150 - 2 * PREFILL_CHUNK]


def test_background_work_decodes_in_small_steps_and_stops_between_two():
    llama = RecordingLlama()
    asked = []

    def should_stop() -> bool:
        asked.append(1)
        return len(asked) > 3  # a completion starts waiting after three steps

    assert prefill(llama, list(range(150)), should_stop, BACKGROUND_PREFILL_CHUNK) is None
    assert llama.batches == [BACKGROUND_PREFILL_CHUNK] * 3


def test_a_stop_before_the_first_step_decodes_nothing():
    llama = RecordingLlama()
    assert prefill(llama, list(range(150)), lambda: True) is None
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


def test_the_result_says_how_much_of_the_prompt_came_from_the_cache():
    engine = LlamaCppEngine(str(EMBEDDED_MODEL), n_ctx=512, n_threads=1)
    try:
        prompt = engine.tokenize("def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return")
        assert engine.generate(GenerationRequest(prompt, max_tokens=4)).cached_prompt_tokens == 0
        longer = prompt + engine.tokenize(" a")
        assert engine.generate(GenerationRequest(longer, max_tokens=4)).cached_prompt_tokens == len(prompt)
        # Candidates: the first request rebuilds the context for three sequences (nothing kept).
        engine.generate(GenerationRequest(longer, max_tokens=4, candidates=3))
        again = engine.generate(GenerationRequest(longer, max_tokens=4, candidates=3))
        assert again.cached_prompt_tokens == len(longer) - 1  # the last one is decoded for its logits
    finally:
        engine.close()

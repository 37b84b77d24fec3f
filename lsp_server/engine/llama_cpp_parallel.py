"""Several completions of one prompt at once: llama.cpp parallel sequences sharing the prompt.

`completion.candidates` asks for up to three suggestions at a cursor. Running the prompt three
times would pay for its prefill three times and decode one token at a time; instead the prompt
is decoded once into sequence 0, its KV cache is shared with sequences 1..n-1
(llama_memory_seq_cp: in a unified KV cache that only tags the prompt's cells with the other
sequence ids, nothing is copied), and the candidates are decoded together, one batch of n
tokens per step. A step of n tokens costs little more than a step of one: the weights are read
once per step, whatever the batch.

The caller picks the first tokens (they differ by construction) and judges every token; this
module only runs llama.cpp. It works on llama-cpp-python's Llama object: the context is
rebuilt once with room for n sequences and a unified KV cache (Llama() takes no parameter for
that), and Llama's own bookkeeping (n_tokens, input_ids) is left describing sequence 0's cache,
the prompt, so that Llama.generate goes on reusing the prompt's prefix afterwards.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

# Prompt tokens decoded per llama_decode call when a prompt is decoded in steps: between two
# steps the caller's stop flag is checked, so a job that must give way (a newer keystroke, a
# prefetch behind a completion) waits for at most one step, ~5-10 ms of the embedded model on a
# CPU core, instead of a whole prompt.
PREFILL_CHUNK = 64
# The same for background work: it gives way to a waiting completion within one such step
# (~1-2 ms), at the cost of a slower prefill of its own.
BACKGROUND_PREFILL_CHUNK = 16

# Picks the first tokens of the candidates from the log-probabilities after the prompt:
# at most `count` token ids, the greedy one first.
FirstTokens = Callable[[np.ndarray, int], list[int]]
# Takes one candidate's next token and its log-probability; False when that candidate is done.
TakeToken = Callable[[int, int, float], bool]


@dataclass
class ParallelRun:
    prefill_seconds: float
    cancelled: bool
    steps: int  # batched decode steps after the prompt
    cached_prompt_tokens: int = 0  # of the prompt, found in the cache


def enable_parallel_sequences(llm: Any, n_seq: int) -> bool:
    """Rebuild the Llama's context with room for n_seq sequences in one unified KV cache
    (same size: n_ctx cells shared by all sequences). Once per model, the first time candidates
    are asked for (the prompt cache starts over then). False when
    llama.cpp refused it: the old single-sequence context is back and candidates stay off."""
    from llama_cpp import _internals

    params = llm.context_params
    if params.n_seq_max >= n_seq:
        return True
    # The old context goes first, so that two KV caches never live at once (GPU memory is
    # planned for one). Llama.close() closes it again: a no-op.
    llm._ctx.close()
    params.n_seq_max, params.kv_unified = n_seq, True
    try:
        llm._ctx = _internals.LlamaContext(model=llm._model, params=params, verbose=False)
        enabled = True
    except (ValueError, RuntimeError) as exc:
        log.warning("llama.cpp cannot decode %d sequences at once (%s); one candidate per completion", n_seq, exc)
        params.n_seq_max, params.kv_unified = 1, False
        llm._ctx = _internals.LlamaContext(model=llm._model, params=params, verbose=False)
        enabled = False
    llm.reset()  # the new context's cache is empty
    return enabled


def decode_parallel(
    llm: Any,
    prompt: list[int],
    count: int,
    first_tokens: FirstTokens,
    take: TakeToken,
    should_stop: Callable[[], bool],
    max_steps: int,
    chunk: int = PREFILL_CHUNK,
) -> ParallelRun:
    """Decode the prompt once, then up to `count` candidates side by side (sequence i is
    candidate i), at most max_steps tokens each. `take(i, token, logprob)` is called for every
    token of candidate i in order; `should_stop()` before every step."""
    started = time.perf_counter()
    memory = llm._ctx
    try:
        for seq in range(1, count):  # left over only if a previous run failed half-way
            memory.kv_cache_seq_rm(seq, -1, -1)
        cached = prefill(llm, prompt, should_stop, chunk)
        if cached is None:
            return ParallelRun(time.perf_counter() - started, True, 0)
        prefill_seconds = time.perf_counter() - started
        n_vocab = llm.n_vocab()
        logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(n_vocab,))
        first_logprobs = logits - _log_sum_exp(logits[None, :])[0]
        firsts = first_tokens(first_logprobs, count)[:count]
        if should_stop():
            return ParallelRun(prefill_seconds, True, 0, cached)
        for seq in range(1, len(firsts)):
            memory.kv_cache_seq_cp(0, seq, -1, -1)
        # (candidate, last token) of the candidates still going
        live = [(seq, token) for seq, token in enumerate(firsts) if take(seq, token, float(first_logprobs[token]))]
        position, steps = len(prompt), 0
        while live and steps < max_steps - 1:
            if should_stop():
                return ParallelRun(prefill_seconds, True, steps, cached)
            _decode_step(llm, [(seq, token, position) for seq, token in live])
            rows = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(len(live), n_vocab))
            chosen = rows.argmax(axis=1)
            totals = _log_sum_exp(rows)  # only the chosen tokens' log-probabilities are needed
            following = []
            for row, (seq, _) in enumerate(live):
                token = int(chosen[row])
                if take(seq, token, float(rows[row, token] - totals[row])):
                    following.append((seq, token))
            live = following
            position += 1
            steps += 1
        return ParallelRun(prefill_seconds, False, steps, cached)
    finally:
        _keep_only_the_prompt(llm, count)


def prefill(llm: Any, prompt: list[int], should_stop: Callable[[], bool], chunk: int = PREFILL_CHUNK) -> int | None:
    """Sequence 0 holds the prompt, with logits for its last token: the part it shares with
    what the cache holds is kept (as Llama.generate does), the rest decoded `chunk` tokens at
    a time, `should_stop()` asked before each. Returns the tokens kept; None when it said
    stop: the cache then holds the prompt's start, still of use to the next prompt sharing it.

    Llama.generate afterwards finds the whole prompt cached with its logits fresh, and samples
    at once (its "full prompt already cached" path)."""
    cached = min(llm.n_tokens, len(prompt) - 1)  # the last token is decoded again for its logits
    common = 0
    if cached > 0:
        differs = np.flatnonzero(llm.input_ids[:cached] != np.asarray(prompt[:cached], dtype=llm.input_ids.dtype))
        common = int(differs[0]) if len(differs) else cached
    if not llm._ctx.kv_cache_seq_rm(0, common, -1):
        common = 0
        llm._ctx.kv_cache_seq_rm(0, -1, -1)
    llm.n_tokens = common
    rest = prompt[common:]
    for start in range(0, len(rest), chunk):
        if should_stop():
            return None
        llm.eval(rest[start : start + chunk])
    return common


def _decode_step(llm: Any, items: list[tuple[int, int, int]]) -> None:
    """One llama_decode of (sequence, token, position) items, logits kept for each."""
    batch = llm._batch.batch
    batch.n_tokens = len(items)
    for i, (seq, token, position) in enumerate(items):
        batch.token[i] = token
        batch.pos[i] = position
        batch.seq_id[i][0] = seq
        batch.n_seq_id[i] = 1
        batch.logits[i] = True
    llm._ctx.decode(llm._batch)


def _keep_only_the_prompt(llm: Any, count: int) -> None:
    """Drop the candidates' tokens: the cache holds what Llama's record says it holds (the
    prompt, or its start when the prefill was stopped). Its logits are no longer the last ones,
    so Llama.generate must decode its last token again."""
    for seq in range(1, count):
        llm._ctx.kv_cache_seq_rm(seq, -1, -1)
    if not llm._ctx.kv_cache_seq_rm(0, llm.n_tokens, -1):  # a model whose cache cannot be cut
        llm._ctx.kv_cache_seq_rm(0, -1, -1)
        llm.n_tokens = 0
    llm._requires_eval = True


def _log_sum_exp(logits: np.ndarray) -> np.ndarray:
    """Row-wise log of the sum of exp(logits): a token's log-probability is its logit minus
    its row's. One temporary array, made in place (a step's rows are 3 x the vocabulary)."""
    top = logits.max(axis=1)
    shifted = logits - top[:, None]
    np.exp(shifted, out=shifted)
    return top + np.log(shifted.sum(axis=1))

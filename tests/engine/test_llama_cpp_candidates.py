"""Candidates from llama.cpp parallel sequences on the embedded model: one prefill, distinct
first tokens (the greedy one first), greedy after that, each with its own scores; the prompt's
cache is left as Llama.generate expects it."""

from __future__ import annotations

import pytest

from lsp_server.engine.base import GenerationRequest
from lsp_server.engine.host import EMBEDDED_MODEL
from lsp_server.engine.llama_cpp_engine import LlamaCppEngine
from lsp_server.prompts.fim import build_fim_prompt, resolve_fim_tokens

PREFIX = "import os\n\n\ndef read_file(path):\n    with open(path) as f:\n        return f."
SUFFIX = "\n\n\ndef write_file(path, text):\n    pass\n"


@pytest.fixture(scope="module")
def engine():
    loaded = LlamaCppEngine(str(EMBEDDED_MODEL), n_ctx=512, n_threads=1)
    yield loaded
    loaded.close()


def request(engine: LlamaCppEngine, candidates: int, max_tokens: int = 16, **kw) -> GenerationRequest:
    fim = resolve_fim_tokens(engine, "auto")
    prompt = build_fim_prompt(engine.tokenize, fim, PREFIX, SUFFIX, 300, 0.25)
    stop = ["\n", *fim.stop_texts]
    return GenerationRequest(prompt.tokens, max_tokens, stop=stop, stop_ids=fim.stop_ids, candidates=candidates, **kw)


def test_the_first_candidate_is_the_greedy_completion(engine):
    single = engine.generate(request(engine, 1))
    several = engine.generate(request(engine, 3))
    assert single.alternatives == []
    assert several.text == single.text and several.generated_tokens == single.generated_tokens
    assert several.token_scores is not None and single.token_scores is not None
    assert [s.end for s in several.token_scores] == [s.end for s in single.token_scores]
    assert [s.logprob for s in several.token_scores] == pytest.approx(
        [s.logprob for s in single.token_scores], abs=1e-3
    )


def test_the_others_start_with_the_next_most_probable_tokens(engine):
    result = engine.generate(request(engine, 3, max_tokens=32))
    alternatives = result.alternatives
    assert 1 <= len(alternatives) <= 2
    texts = [result.text] + [a.text for a in alternatives]
    assert len(set(texts)) == len(texts), texts  # distinct first tokens: distinct texts
    first_scores = [result.token_scores[0].logprob] + [a.token_scores[0].logprob for a in alternatives]
    assert first_scores == sorted(first_scores, reverse=True)  # the greedy first, then less probable
    for alternative in alternatives:
        scores = alternative.token_scores
        assert scores and len(scores) == alternative.generated_tokens
        assert scores[-1].end == len(alternative.text) and all(-30 < s.logprob <= 0 for s in scores)
        assert alternative.stopped_by in ("eos", "stop", "max_tokens", "complete")


def test_the_cache_holds_the_prompt_after_candidates(engine):
    """A single completion after a parallel one is the same as before it: the candidates' cells
    are gone and Llama's record of the cache describes the prompt."""
    before = engine.generate(request(engine, 1))
    engine.generate(request(engine, 3))
    llm = engine._llm
    assert llm.n_tokens == len(request(engine, 1).prompt_tokens)
    for seq in (1, 2):  # nothing left in the other sequences
        assert llm._ctx.kv_cache_seq_rm(seq, -1, -1)
    after = engine.generate(request(engine, 1))
    assert (after.text, [s.end for s in after.token_scores or []]) == (
        before.text,
        [s.end for s in before.token_scores or []],
    )


def test_a_stop_flag_stops_every_candidate(engine):
    calls = []

    def stop_after_three() -> bool:
        calls.append(1)
        return len(calls) > 3

    result = engine.generate(request(engine, 3, max_tokens=64, should_stop=stop_after_three))
    assert result.stopped_by == "cancelled" and result.alternatives == []
    assert engine.generate(request(engine, 1)).text  # and the engine goes on


def test_with_the_greedy_candidate_known_only_the_others_are_decoded(engine):
    """Alt+] after a suggestion was shown: the same others as a full run, in a smaller batch."""
    full = engine.generate(request(engine, 3, max_tokens=32))
    others = engine.generate(request(engine, 3, max_tokens=32, known_first_tokens=full.generated_tokens))
    assert (others.text, others.generated_tokens, others.stopped_by) == ("", 0, "complete")
    texts = [a.text for a in others.alternatives]
    assert full.text not in texts and len(set(texts)) == len(texts)
    assert full.token_scores and all(a.token_scores for a in others.alternatives)
    firsts = [a.token_scores[0].logprob for a in others.alternatives if a.token_scores]
    assert all(first <= full.token_scores[0].logprob for first in firsts)  # not the greedy token
    for alternative in full.alternatives:  # those the full run finished are the same
        assert alternative.text in texts

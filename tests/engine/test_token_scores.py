"""The llama.cpp engine's per-token log-probabilities, on the embedded model, and the
probability floor that stops a completion nothing more of could be shown."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from lsp_server.completion.confidence import judge
from lsp_server.engine.base import GenerationRequest, ProbabilityFloor, TokenScore, scores_before
from lsp_server.engine.host import EMBEDDED_MODEL
from lsp_server.engine.llama_cpp_engine import LlamaCppEngine


@pytest.fixture(scope="module")
def engine():
    loaded = LlamaCppEngine(str(EMBEDDED_MODEL), n_ctx=512, n_threads=1)
    yield loaded
    loaded.close()


PROMPT = "import os\n\n\ndef read_file(path):\n    with open(path) as f:\n        return f."


def test_one_score_per_token_ending_where_its_text_ends(engine):
    result = engine.generate(GenerationRequest(engine.tokenize(PROMPT), max_tokens=12))
    scores = result.token_scores
    assert scores is not None and len(scores) == result.generated_tokens
    assert [s.end for s in scores] == sorted(s.end for s in scores) and scores[-1].end == len(result.text)
    assert all(-30 < s.logprob <= 0 for s in scores)


def test_scores_are_the_models_probabilities(engine):
    """The first token's log-probability equals a softmax over the logits llama.cpp computes
    for the prompt (asked here through a second evaluation with all logits kept)."""
    prompt = engine.tokenize(PROMPT)
    first = engine.generate(GenerationRequest(prompt, max_tokens=1)).token_scores
    assert first
    llm = engine._llm
    llm.reset()
    llm.eval(prompt)
    logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),)).astype(np.float64)
    token = int(logits.argmax())
    expected = logits[token] - np.log(np.exp(logits - logits.max()).sum()) - logits.max()
    assert first[0].logprob == pytest.approx(expected, abs=1e-4)
    assert math.exp(first[0].logprob) >= 1 / llm.n_vocab()  # greedy: the most probable token


def test_a_stop_text_keeps_the_scores_of_the_text_before_it(engine):
    result = engine.generate(GenerationRequest(engine.tokenize(PROMPT), max_tokens=24, stop=["("]))
    assert result.stopped_by == "stop" and result.token_scores
    assert result.token_scores[-1].end == len(result.text)


def test_scores_before_a_cut():
    scores = [TokenScore(3, -0.1), TokenScore(5, -0.2), TokenScore(9, -0.3)]
    assert scores_before(scores, 5) == scores[:2]
    assert scores_before(scores, 7) == [scores[0], scores[1], TokenScore(7, -0.3)]
    assert scores_before(scores, 0) == []


def test_the_floor_cuts_at_the_line_end_before_the_token_that_falls_under_it():
    floor = ProbabilityFloor(-1.0)
    assert floor.cut("\n", 0, -5.0) is None  # leading line ends do not count
    assert floor.cut("\nx = 1", 1, -0.5) is None
    assert floor.cut("\nx = 1\n", 6, -0.2) is None
    assert floor.cut("\nx = 1\ny", 7, -0.5) == 6  # the line x = 1 was written before it
    # A token that starts with the line end belongs to the next line; one on the first line
    # leaves nothing.
    assert ProbabilityFloor(-1.0).cut("ab\ncd", 2, -2.0) == 2
    assert ProbabilityFloor(-1.0).cut("abc", 2, -2.0) == 0
    assert ProbabilityFloor(None).cut("abc", 2, -99.0) is None


MULTILINE = "import os\n\n\ndef read_all(paths):\n    result = []\n    for path in paths:\n"


@pytest.mark.parametrize("prompt", [PROMPT, MULTILINE])
def test_the_engine_stops_under_the_floor_and_the_confidence_check_shows_the_same(engine, prompt):
    """Between the sums of two consecutive tokens of the full completion (leading line ends
    not counted), a floor stops the model at the second; what the confidence check shows at
    that bar does not change."""
    tokens = engine.tokenize(prompt)
    full = engine.generate(GenerationRequest(tokens, max_tokens=24))
    scores = full.token_scores
    counted = [k for k, s in enumerate(scores) if full.text[: s.end].strip("\n")]
    sums = dict(zip(counted, itertools.accumulate(scores[k].logprob for k in counted), strict=True))
    assert len(sums) >= 4
    for before, k in itertools.pairwise(counted):
        if sums[k] == sums[before]:
            continue
        floor = (sums[k] + sums[before]) / 2
        stopped = engine.generate(GenerationRequest(tokens, max_tokens=24, min_logprob=floor))
        assert stopped.stopped_by == "unlikely" and stopped.generated_tokens == k + 1
        start = scores[k - 1].end
        assert stopped.text == full.text[: max(full.text.rfind("\n", 0, start + 1), 0)].rstrip()
        threshold = math.exp(floor)
        assert judge(stopped.text, stopped.token_scores, threshold).text == judge(full.text, scores, threshold).text

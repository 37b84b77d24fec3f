"""The confidence check: a suggestion's confidence from its tokens, the confident prefix, the
per-model threshold, and the benchmark's calibration that picks it."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

from lsp_server.completion.confidence import (
    DEFAULT_MIN_CONFIDENCE,
    calibrated_threshold,
    confidence,
    confident_prefix,
    judge,
    shown_scores,
)
from lsp_server.engine.base import TokenScore

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import quality


def scored(*pieces: tuple[str, float]) -> tuple[str, list[TokenScore]]:
    """Text and scores from (token text, probability) pairs."""
    text, scores = "", []
    for piece, probability in pieces:
        text += piece
        scores.append(TokenScore(len(text), math.log(probability)))
    return text, scores


def test_confidence_is_the_probability_of_the_whole_suggestion():
    _, scores = scored(("foo", 0.9), ("(", 0.5), (")", 0.8))
    assert confidence(scores) == pytest.approx(0.9 * 0.5 * 0.8)
    assert confidence([]) == 1.0


def test_a_confident_suggestion_is_kept_whole():
    text, scores = scored(("return", 0.9), (" x", 0.7))
    assert judge(text, scores, 0.5).text == "return x"


def test_an_unsure_tail_is_cut_to_its_confident_lines():
    text, scores = scored(
        ("if x:", 0.9), ("\n    ", 0.9), ("return", 0.9), (" y", 0.9), ("\n", 0.5), ("else", 0.2), (":", 0.9)
    )
    judged = judge(text, scores, 0.3)
    assert judged.text == "if x:\n    return y"
    assert judged.confidence == pytest.approx(0.9**4 * 0.5 * 0.2 * 0.9)
    assert confident_prefix(text, scores, 0.7) == "if x:"


def test_a_line_is_never_cut_in_the_middle():
    text, scores = scored(("self", 0.9), (".", 0.9), ("items", 0.8), ("(", 0.7), ("key", 0.1), (")", 0.9))
    assert judge(text, scores, 0.3).text == ""  # not "self.items(": a half line is rarely what follows


def test_nothing_when_the_first_line_is_unsure():
    text, scores = scored(("foo", 0.1), ("()", 0.9), ("\n", 0.9), ("bar()", 0.9))
    assert judge(text, scores, 0.5).text == ""


def test_a_token_across_a_line_end_counts_for_the_line_before_it():
    text, scores = scored(("x = ", 0.9), ("1\n", 0.1), ("y = 2", 0.9))
    assert confident_prefix(text, scores, 0.5) == ""
    assert confident_prefix(text, scores, 0.05) == text


def test_without_scores_the_suggestion_passes():
    judged = judge("anything", None, 0.9)
    assert judged.text == "anything" and judged.confidence is None


def test_threshold_zero_shows_everything():
    text, scores = scored(("a", 0.01), ("b", 0.01))
    assert judge(text, scores, 0.0).text == "ab"


def test_scores_of_the_shown_part_of_the_output():
    raw, scores = scored(("\n", 0.5), ("    x", 0.9), (" = 1", 0.8), ("\n\n\n", 0.3))
    shown = shown_scores(raw, "    x = 1", scores)
    assert shown == [TokenScore(5, math.log(0.9)), TokenScore(9, math.log(0.8))]
    assert shown_scores(raw, "", scores) is None
    assert shown_scores(raw, "rewritten", scores) is None
    assert shown_scores(raw, "    x", None) is None


def test_calibrated_threshold_per_model_file(tmp_path):
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps({"models": {"tiny.gguf": {"min_confidence": 0.25}}}))
    assert calibrated_threshold("tiny.gguf", path) == 0.25
    assert calibrated_threshold("other.gguf", path) == DEFAULT_MIN_CONFIDENCE
    assert calibrated_threshold(None, path) == DEFAULT_MIN_CONFIDENCE
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert calibrated_threshold("tiny.gguf", broken) == DEFAULT_MIN_CONFIDENCE


def test_the_embedded_model_has_a_calibrated_threshold():
    assert calibrated_threshold("infill-tiny-code.gguf") > DEFAULT_MIN_CONFIDENCE


def _result(hidden: str, pieces: list[tuple[str, float]]) -> quality.Result:
    text, scores = scored(*pieces)
    case = quality.Case("f.py", 0, 0, len(hidden), "span", hidden)
    return quality.Result(
        case, text, text == hidden, 0.0, 1.0, "model", 0, text, [(s.end, s.logprob) for s in scores]
    )


def test_the_benchmark_replays_the_check_and_calibrates():
    right = [_result("foo(x)", [("foo", 0.9), ("(x)", 0.9)]) for _ in range(3)]
    wrong = [_result("bar()", [("qux", 0.3), ("[]", 0.3)]) for _ in range(3)]
    results = right + wrong
    rows = {r["threshold"]: r for r in quality.precision_coverage(results, (0.0, 0.5))}
    assert rows[0.0]["coverage_pct"] == 100.0 and rows[0.0]["exact_precision_pct"] == 50.0
    assert rows[0.5]["coverage_pct"] == 50.0 and rows[0.5]["exact_precision_pct"] == 100.0
    # Half the shown suggestions are right already at 0: a good model keeps the low bar.
    assert quality.calibrate(results) == 0.0
    weak = right[:1] + wrong * 2
    # A weak model is held to the highest bar that still shows suggestions at 25% of cursors:
    # its wrong ones have probability 0.09, so at most that (its right one alone is 1/7).
    assert 0.05 <= quality.calibrate(weak) <= 0.09


def test_the_benchmark_can_run_the_servers_own_check_but_not_calibrate_on_it(capsys):
    assert quality.server_bar("calibrated") is None and quality.server_bar("0.01") == 0.01
    with pytest.raises(SystemExit):
        quality.main(["--min-confidence", "0.01", "--calibrate"])
    with pytest.raises(SystemExit):
        quality.main(["--min-confidence", "sure"])
    assert "--min-confidence" in capsys.readouterr().err

"""Reusing token ids between keystrokes: the split at the cursor's line changes no token."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest

from lsp_server.prompts.token_cache import CHECKED_SPLITS, PrefixTokenizer, RecentTokenizations, split_point

VOCABS = Path(__file__).resolve().parents[2] / "models" / "vocab"


def test_split_point_is_before_the_last_whitespace_character_of_the_line_start():
    assert split_point("def f():\n    return") == len("def f():\n   ")
    assert split_point("x = 1\n\ny") == len("x = 1\n")
    assert split_point("x = 1\n\ny", "after-newlines") == len("x = 1\n\n")
    assert split_point("def f():\n    return", "after-newlines") == len("def f():\n   ")
    assert split_point("x = 1\n    ") is None  # only indentation typed so far
    assert split_point("x = 1\n\tpass") is None  # tabs: left whole
    assert split_point("x = 1\n    +y") is None  # lines starting with a symbol or digit too
    assert split_point("no newline") is None


def test_recent_tokenizations_reuse_ids_of_the_same_text():
    calls = []

    def tokenize(text):
        calls.append(text)
        return [ord(c) for c in text]

    tokens = RecentTokenizations(tokenize, size=2)
    assert tokens("ab") == [97, 98] and tokens("ab") == [97, 98]
    tokens("c"), tokens("d")  # "ab" falls out of the two most recent
    assert tokens("ab") == [97, 98] and calls == ["ab", "c", "d", "ab"]


def test_a_tokenizer_that_changes_at_the_split_turns_splitting_off():
    def sentencepiece_like(text):  # adds a leading-space marker to every text it is given
        return [0] + [ord(c) for c in text]

    tokens = PrefixTokenizer(sentencepiece_like)
    text = "def f():\n    return 1"
    assert tokens(text) == sentencepiece_like(text)  # the check caught it: the whole text's ids
    assert tokens.rules == [] and not tokens.splitting
    assert tokens(text + "2") == sentencepiece_like(text + "2")


def test_head_ids_are_reused_once_checked():
    calls = []

    def per_char(text):
        calls.append(text)
        return [ord(c) for c in text]

    tokens = PrefixTokenizer(per_char)
    head = "import os\n\ndef f():\n   "
    for typed in range(CHECKED_SPLITS + 3):
        text = head + " x" + "y" * typed
        assert tokens(text) == per_char(text)
    assert tokens.splitting and tokens.rules == ["before-last-space", "after-newlines"]
    calls.clear()
    tokens(head + " xz")
    assert calls == [" xz"]  # only the cursor's line was tokenized


@pytest.mark.parametrize("vocab", ["ggml-vocab-starcoder.gguf", "ggml-vocab-deepseek-coder.gguf"])
def test_real_tokenizers_give_the_same_ids_split_or_whole(vocab):
    """Cursors all over real files, as typing moves them: every prompt's ids equal the whole
    text's, and splitting is in use once checked (StarCoder, DeepSeek-Coder; Qwen2's vocabulary
    passes with the other rule, checked by hand with its vocabulary GGUF)."""
    llama_cpp = pytest.importorskip("llama_cpp")
    model = llama_cpp.Llama(model_path=str(VOCABS / vocab), vocab_only=True, verbose=False)

    def tokenize(text):
        return model.tokenize(text.encode("utf-8"), add_bos=False, special=False)

    tokens = PrefixTokenizer(tokenize)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for name in ("json/decoder.py", "argparse.py", "asyncio/tasks.py"):
        source = (stdlib / name).read_text()
        for cursor in range(200, len(source), 151):
            text = source[max(0, cursor - 1500) : cursor]
            assert tokens(text) == tokenize(text), repr(text[-40:])
    assert tokens.splitting

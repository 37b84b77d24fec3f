"""Stand-in tokens for a remote model, and what a prompt becomes on the wire."""

from __future__ import annotations

import random
import sysconfig
from pathlib import Path

import pytest

from lsp_server.prompts.fim import TEMPLATES, FimTokens, build_fim_prompt, prepend_context
from lsp_server.engine.remote import _EstimatedIds, family_from_name
from lsp_server.engine.remote_prompt import defuse_control_text, infill_fields, prompt_text
from lsp_server.engine.text_tokens import EstimatingTokenizer

SOURCE = (Path(sysconfig.get_paths()["stdlib"]) / "json" / "decoder.py").read_text()


def estimating(family: str = "starcoder") -> EstimatingTokenizer:
    return EstimatingTokenizer(TEMPLATES[family])


def test_ids_turn_back_into_exactly_the_same_text():
    tokenizer = estimating()
    rng = random.Random(7)
    alphabet = "abcXYZ019 \t\n\r_-+*/<>|[](){}:;'\"\\é😀中\u00a0\u2028"
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        assert tokenizer.detokenize(tokenizer.tokenize(text)) == text
    assert tokenizer.detokenize(tokenizer.tokenize(SOURCE)) == SOURCE
    ids = tokenizer.tokenize(SOURCE)
    assert tokenizer.detokenize(ids[:100]) + tokenizer.detokenize(ids[100:]) == SOURCE  # cuttable anywhere


def test_the_count_is_a_slight_overestimate_of_a_real_code_tokenizer(test_model):
    from lsp_server.engine.llama_cpp_vocab import LlamaVocab

    real = LlamaVocab.load(test_model)  # StarCoder's tokenizer
    try:
        ratio = len(estimating().tokenize(SOURCE)) / len(real.tokenize(SOURCE))
    finally:
        real.close()
    assert 1.0 <= ratio <= 1.4, ratio
    assert 3.0 <= len(SOURCE) / len(estimating().tokenize(SOURCE)) <= 4.0  # characters per token


def test_user_text_never_yields_control_ids_but_template_text_does():
    tokenizer = estimating("qwen2.5-coder")
    middle = tokenizer.token_id("<|fim_middle|>")
    assert middle >= 0 and tokenizer.token_id("<fim_middle>") == -1  # another family's token: none
    assert middle not in tokenizer.tokenize("x = '<|fim_middle|>'")
    assert tokenizer.tokenize_control("a<|fim_middle|>b").count(middle) == 1
    assert tokenizer.special.eos == tokenizer.token_id("<|endoftext|>")


@pytest.mark.parametrize("family", sorted(TEMPLATES))
def test_every_family_control_text_is_defused(family):
    template = TEMPLATES[family]
    for text in (template.prefix, template.suffix, template.middle, template.file_sep, *template.stop):
        if text:
            plain = text.lstrip("▁")
            defused = defuse_control_text(f"a {plain} b")
            assert plain not in defused and defused.replace("\u200b", "") == f"a {plain} b"


def test_ordinary_code_is_left_alone():
    code = "if a < b | c > d:\n    xs: List<String> = m[PREFIX_LEN]\n    s = '<pre><file>' + tag + '<s2>'\n"
    assert defuse_control_text(code) == code


def test_text_prompt_has_control_text_only_where_infill_put_it():
    tokenizer = estimating()
    ids = _EstimatedIds(tokenizer)
    fim = FimTokens("starcoder", tokenizer.token_id("<fim_prefix>"), tokenizer.token_id("<fim_suffix>"),
                    tokenizer.token_id("<fim_middle>"), "psm")
    prompt = build_fim_prompt(tokenizer.tokenize, fim, "x = '<fim_suffix>'\n", "<fim_middle>", 100)
    text = prompt_text(prompt.tokens, ids)
    assert text == "<fim_prefix>x = '<\u200bfim_suffix>'\n<fim_suffix><\u200bfim_middle><fim_middle>"


def test_infill_fields_in_suffix_first_order():
    tokenizer = estimating("codestral")
    ids = _EstimatedIds(tokenizer)
    fim = FimTokens("codestral", tokenizer.token_id("[PREFIX]"), tokenizer.token_id("[SUFFIX]"), -1, "spm")
    context = tokenizer.tokenize("# util.py\ndef helper(): pass\n")
    prompt = prepend_context(build_fim_prompt(tokenizer.tokenize, fim, "def f():\n    ", "\nprint(f())\n", 100), fim, context)
    assert infill_fields(prompt.tokens, ids, fim) == {
        "input_prefix": "# util.py\ndef helper(): pass\ndef f():\n    ",  # no file separators: in front
        "input_suffix": "\nprint(f())\n",
        "input_extra": [],
    }


@pytest.mark.parametrize("name, family", [
    ("Qwen/Qwen2.5-Coder-7B", "qwen2.5-coder"), ("bigcode/starcoder2-15b", "starcoder"),
    ("deepseek-coder-6.7b-base", "deepseek-coder"), ("codellama/CodeLlama-7b-hf", "codellama"),
    ("mistralai/Codestral-22B-v0.1", "codestral"), ("gpt-4o", None),
])
def test_family_from_a_served_model_name(name, family):
    assert family_from_name(name) == family


def test_other_control_tokens_of_code_models_are_defused_too():
    spelled = ["<gh_stars>", "<pr_diff>", "<jupyter_output>", "<|im_start|>", "[INST]", "</s>", "<｜fim▁hole｜>", "<EOT>"]
    defused = defuse_control_text(" ".join(spelled))
    assert not any(text in defused for text in spelled)

"""The ONNX engine on the embedded model, exported to a Hugging Face Llama checkpoint and
converted with ONNX Runtime GenAI's model builder (models/build_test_onnx.py; the folders are
built once per machine under models/test/onnx/).

The reference is llama.cpp running a float32 GGUF of the very same weights (the shipped Q8_0
model dequantized), so that both engines compute with identical numbers: the ONNX float32
model must produce the same greedy tokens, the int4 models (quantized by the builder, or
carried over from a GPTQ checkpoint) the same first token on most prompts.
"""

from __future__ import annotations

import json
import random
import shutil
import sysconfig
from pathlib import Path

import pytest
from build_test_onnx import REPO, cached

from lsp_server.engine.base import EngineError, GenerationRequest
from lsp_server.engine.host import EngineHost, create_engine
from lsp_server.engine.llama_cpp_engine import LlamaCppEngine
from lsp_server.engine.onnx_engine import OnnxEngine
from lsp_server.engine.onnx_folder import describe_plan, read_model_folder
from lsp_server.engine.worker import ModelWorker
from lsp_server.prompts.fim import build_fim_prompt, resolve_fim_tokens
from lsp_server.settings import parse_settings

N_CTX = 512  # the embedded model's context
PROMPT_BUDGET = 400
COMPLETION_TOKENS = 16


def held_out_cursors(count: int, seed: int = 0) -> list[tuple[str, str]]:
    """(prefix, suffix) at random places in the standard-library files the model never saw."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    listing = (REPO / "models" / "train" / "heldout_files.txt").read_text().splitlines()
    files = [stdlib / line.strip() for line in listing if line.strip() and not line.startswith("#")]
    files = [f for f in files if f.is_file()]
    rng = random.Random(seed)
    cursors = []
    while len(cursors) < count:
        text = rng.choice(files).read_text(encoding="utf-8")
        at = rng.randrange(len(text))
        cursors.append((text[:at], text[at:]))
    return cursors


CURSORS = held_out_cursors(50)


def prompt_for(engine, prefix: str, suffix: str) -> list[int]:
    return build_fim_prompt(engine.tokenize, resolve_fim_tokens(engine), prefix, suffix, PROMPT_BUDGET).tokens


@pytest.fixture(scope="module")
def fp32():
    engine = OnnxEngine(str(cached("fp32")), n_ctx=N_CTX)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def llama():
    engine = LlamaCppEngine(str(cached("f32.gguf")), n_ctx=N_CTX)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def reference(llama):
    """llama.cpp's prompts and greedy completions of the 50 cursors."""
    cases = []
    for prefix, suffix in CURSORS:
        prompt = prompt_for(llama, prefix, suffix)
        cases.append((prompt, llama.generate(GenerationRequest(prompt, COMPLETION_TOKENS))))
    return cases


def first_token_text(result) -> str:
    return result.text[: result.token_scores[0].end] if result.token_scores else ""


def test_the_vocabulary_is_llama_cpps(fp32, llama):
    assert fp32.special == llama.special  # BOS/EOS/EOT, the FIM ids, no BOS added, SPM order
    assert resolve_fim_tokens(fp32) == resolve_fim_tokens(llama)
    assert fp32.name == "infill-tiny-code"
    lines = [line for prefix, suffix in CURSORS[:20] for line in (prefix + suffix).splitlines(keepends=True)]
    lines += ["          1) digits split one by one: 12345\n", "naïve 日本語 😀 \t tabs\r\n", "x = '<|endoftext|>'\n"]
    assert [fp32.tokenize(line) for line in lines] == [llama.tokenize(line) for line in lines]
    text = "def f():\n    return 'héllo' + \"日本\"\n"
    assert fp32.detokenize(fp32.tokenize(text)) == text


def test_control_token_text_in_user_code_stays_text(fp32):
    import onnxruntime_genai as og

    text = "s = '<fim_middle><|endoftext|>'"
    ids = fp32.tokenize(text)
    assert not set(ids) & {0, 1, 2, 3, 4, 5, 6}
    assert fp32.detokenize(ids) == text
    # Infill's own template text is parsed, and so would user text be by ONNX Runtime GenAI's
    # tokenizer: the reason user text never goes through it.
    assert fp32.tokenize_control("<fim_middle>") == [2] and fp32.token_id("<fim_middle>") == 2
    assert 2 in og.Tokenizer(og.Model(str(cached("fp32")))).encode(text).tolist()


def test_fp32_greedy_tokens_equal_llama_cpp(fp32, reference):
    same = 0
    for prompt, expected in reference:
        result = fp32.generate(GenerationRequest(prompt, COMPLETION_TOKENS))
        if (result.text, result.generated_tokens) == (expected.text, expected.generated_tokens):
            same += 1
            # The confidence check reads these: the same model, the same log-probabilities.
            assert [s.end for s in result.token_scores] == [s.end for s in expected.token_scores]
            assert all(
                abs(a.logprob - b.logprob) < 0.02
                for a, b in zip(result.token_scores, expected.token_scores, strict=True)
            )
    assert same >= 48, f"{same}/50 completions of {COMPLETION_TOKENS} tokens equal llama.cpp's"


@pytest.mark.parametrize("variant", ["int4", "gptq-int4"])
def test_int4_first_token_agrees_with_llama_cpp(variant, reference):
    """int4 by the builder's own quantizer, and the 4-bit weights of a GPTQ checkpoint carried
    through `convert`: both complete, and mostly start where the float32 model does."""
    engine = OnnxEngine(str(cached(variant)), n_ctx=N_CTX)
    try:
        agree = completed = 0
        for prompt, expected in reference:
            result = engine.generate(GenerationRequest(prompt, 4))
            completed += bool(result.text)
            agree += first_token_text(result) == first_token_text(expected)
    finally:
        engine.close()
    assert completed >= 45
    assert agree >= 40, f"{variant}: first token agrees on {agree}/50"


def test_the_stop_flag_is_checked_before_every_token(fp32):
    prompt = prompt_for(fp32, "def main():\n", "")
    calls = 0

    def stop_after_five() -> bool:
        nonlocal calls
        calls += 1
        return calls > 5

    result = fp32.generate(GenerationRequest(prompt, 200, should_stop=stop_after_five))
    assert result.stopped_by == "cancelled"
    assert result.generated_tokens == 4  # one check before the prompt, then one per token
    assert len(result.token_scores) == 4
    stopped = fp32.generate(GenerationRequest(prompt, 200, should_stop=lambda: True))
    assert (stopped.stopped_by, stopped.generated_tokens, stopped.text) == ("cancelled", 0, "")


def test_the_kv_cache_is_reused_between_keystrokes(fp32, llama):
    prefix, suffix = "import os\n\n\ndef config_path(base, name):\n    return os.path.", "\n"
    first = prompt_for(fp32, prefix, suffix)
    fp32.generate(GenerationRequest(first, 8))
    # Typing a character changes the end of the prompt only (SPM: suffix first, prefix last).
    typed = prompt_for(fp32, prefix + "j", suffix)
    shared = next(i for i, (a, b) in enumerate(zip(first, typed, strict=False)) if a != b)
    result = fp32.generate(GenerationRequest(typed, 8))
    assert fp32.reused_tokens == shared
    assert result.text == llama.generate(GenerationRequest(typed, 8)).text
    # Backspace, and a prompt that shares nothing: the cache rewinds, the output is unchanged.
    again = fp32.generate(GenerationRequest(first, 8))
    assert fp32.reused_tokens == shared
    assert again.text == llama.generate(GenerationRequest(first, 8)).text
    other = prompt_for(fp32, "class Stack:\n    def push(self, item):\n        self.", "")
    assert fp32.generate(GenerationRequest(other, 8)).text == llama.generate(GenerationRequest(other, 8)).text
    # The same prompt twice: everything but its last token comes from the cache.
    fp32.generate(GenerationRequest(other, 8))
    assert fp32.reused_tokens == len(other) - 1


def test_stop_texts_end_tokens_and_the_token_limit(fp32, llama):
    prompt = prompt_for(fp32, "def main():\n", "")
    full = fp32.generate(GenerationRequest(prompt, 30))
    assert (full.stopped_by, full.generated_tokens) == ("max_tokens", 30)
    assert full.tokens_per_second > 0 and 0 < full.prefill_seconds < full.total_seconds
    stop = full.text[5:9]
    cut = fp32.generate(GenerationRequest(prompt, 30, stop=[stop]))
    assert cut.stopped_by == "stop" and cut.text == full.text[: full.text.index(stop)]
    assert cut.token_scores[-1].end == len(cut.text)
    complete = fp32.generate(GenerationRequest(prompt, 30, text_is_complete=lambda text: "\n" in text.strip()))
    assert complete.stopped_by == "complete"
    # The end token (<|endoftext|>, id 0) ends a completion and is not part of it.
    ending = prompt_for(fp32, "x = 1\n", "")
    assert fp32.generate(GenerationRequest(ending, 30, stop_ids=frozenset(range(49152)))).stopped_by == "eos"


def test_a_prompt_longer_than_the_context_is_an_engine_error(fp32):
    with pytest.raises(EngineError, match="does not fit the context of 512"):
        fp32.generate(GenerationRequest([100] * 511, 8))


def test_create_engine_and_the_host_load_an_onnx_folder():
    folder = str(cached("fp32"))
    settings, errors = parse_settings({"engine": {"kind": "onnx"}, "model": {"path": folder, "nCtx": 4096}})
    assert errors == []
    engine = create_engine(settings, folder)
    try:
        assert isinstance(engine, OnnxEngine)
        assert engine.n_ctx == N_CTX  # capped to what the model was trained on
        assert engine.offload_report == "CPU only (no CUDA build of onnxruntime-genai)"
    finally:
        engine.close()
    worker = ModelWorker()
    host = EngineHost(worker)
    try:
        host.load_blocking(settings)
        assert host.fim is not None and (host.fim.family, host.fim.order) == ("starcoder", "spm")
        assert host.chat_template is None
    finally:
        worker.shutdown()


def test_folders_that_are_not_models_are_clear_engine_errors(tmp_path):
    good = cached("fp32")
    cases: list[tuple[Path, str]] = [(tmp_path / "missing", "ONNX model folder not found")]
    (tmp_path / "model.gguf").write_bytes(b"GGUF")
    cases.append((tmp_path / "model.gguf", "is a file (a GGUF file runs with engine kind llama_cpp)"))
    (tmp_path / "empty").mkdir()
    cases.append((tmp_path / "empty", "has no genai_config.json"))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "genai_config.json").write_text("{not json")
    cases.append((broken, "cannot read"))
    no_weights = tmp_path / "no-weights"
    no_weights.mkdir()
    shutil.copy(good / "genai_config.json", no_weights)
    cases.append((no_weights, "names model.onnx, which is not there"))
    no_tokenizer = tmp_path / "no-tokenizer"
    shutil.copytree(good, no_tokenizer)
    (no_tokenizer / "tokenizer.json").unlink()
    cases.append((no_tokenizer, "has no tokenizer.json"))
    corrupt = tmp_path / "corrupt"
    shutil.copytree(good, corrupt)
    (corrupt / "model.onnx").write_bytes(b"\x00not a protobuf")
    cases.append((corrupt, "ONNX Runtime could not load"))
    for folder, message in cases:
        with pytest.raises(EngineError, match=message.replace("(", r"\(").replace(")", r"\)")):
            OnnxEngine(str(folder), n_ctx=N_CTX)


def test_the_gpu_plan_counts_weights_and_the_whole_kv_cache():
    info = read_model_folder(cached("fp32"))
    assert (info.n_layers, info.n_kv_heads, info.head_size, info.context_length) == (4, 4, 64, 512)
    # float32 K and V (a CPU build), 512 positions, 4 layers of 4 heads of 64.
    assert info.kv_cache_bytes(512) == 512 * 4 * 4 * 64 * 2 * 4
    onnx_files = [p for p in info.folder.iterdir() if p.name.startswith("model.onnx")]
    assert info.weight_bytes() == sum(p.stat().st_size for p in onnx_files) > 60_000_000
    need = info.gpu_plan(512)
    assert describe_plan(info, 512, need)[0] and not describe_plan(info, 512, need - 1)[0]
    assert describe_plan(info, 512, 8192 << 20)[1].startswith("on GPU (CUDA), 0.5 GiB of 8 GiB")
    int4 = read_model_folder(cached("int4"))
    assert int4.weight_bytes() < info.weight_bytes() / 4  # int4 weights and embedding


def test_the_fim_order_comes_from_the_sidecar(tmp_path):
    folder = tmp_path / "psm"
    shutil.copytree(cached("int4"), folder)
    (folder / "infill.json").unlink()
    engine = OnnxEngine(str(folder), n_ctx=N_CTX)
    try:
        assert engine.special.fim_order == "psm" and engine.name == "psm"
    finally:
        engine.close()
    (folder / "infill.json").write_text(json.dumps({"fim_order": "spm"}))
    engine = OnnxEngine(str(folder), n_ctx=N_CTX)
    try:
        assert engine.special.fim_order == "spm"
    finally:
        engine.close()

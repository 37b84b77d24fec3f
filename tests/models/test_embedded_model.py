"""The embedded default model (models/infill-tiny-code.gguf) and its PyTorch twin agree,
and what the model has learned (it does not complete code yet: see models/MODEL_CARD.md).

* Logits: the same token ids go through llama.cpp (the committed Q8_0 GGUF) and through the
  PyTorch model of models/train/model.py loaded with the GGUF's dequantised weights. A
  mistake in the rotary (RoPE) layout, a transposed tensor or a wrong hyper-parameter shows
  up as differences of order 1; what remains is llama.cpp's own rounding (it quantises the
  activations to 8 bits for Q8_0 matrix products, and its KV cache is float16). Tolerances:
  for the Q8_0 file, max abs difference of the logits <= 2% of the largest logit (measured:
  0.15 against logits up to 21, 0.7%) and mean abs difference <= 0.01 (measured 0.003); for
  the same weights written as float32, max abs difference <= 1e-2 (measured: 4.4e-3). The
  RoPE check is itself checked: the Hugging Face "rotate_half" layout gives differences far
  above the tolerance.
* Completion: short fill-in-the-middle cases (common Python idioms, not copied from the
  training data) go through Infill's own pipeline: the llama.cpp engine, the FIM prompt
  builder (lsp_server/engine/fim.py) and greedy generation. The trained model must give the
  expected middles a measured likelihood and first-choice rate that the random-weight test
  model (models/build_test_model.py) is far from. Exact completions of the idioms are the
  goal the shipped model misses (an expected failure, strict; see models/MODEL_CARD.md);
  the random model must complete none of them.
* Training code: the reduced output vocabulary of models/train/train.py gives the same loss
  as the full softmax that llama.cpp computes.

The PyTorch tests are skipped when torch is not installed (it is only needed for training).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "models" / "infill-tiny-code.gguf"
TRAIN_DIR = REPO / "models" / "train"

llama_cpp = pytest.importorskip("llama_cpp")

# StarCoder tokenizer control tokens.
EOT, FIM_PREFIX, FIM_MIDDLE, FIM_SUFFIX, FIM_PAD = 0, 1, 2, 3, 4


@pytest.fixture(scope="module")
def llm():
    return llama_cpp.Llama(model_path=str(MODEL), n_ctx=512, n_threads=1, logits_all=True, verbose=False)


def tokenize(llm, text: str) -> list[int]:
    return llm.tokenize(text.encode("utf-8"), add_bos=False, special=False) if text else []


def sample_tokens(llm) -> list[int]:
    """A FIM prompt over a piece of code, as token ids."""
    prefix = ("import os\n\n\nclass Config:\n    \"\"\"Settings read from the environment.\"\"\"\n\n"
              "    def __init__(self, name, default=None):\n        self.name = name\n        self.")
    suffix = "\n\n    def value(self):\n        return os.environ.get(self.name, self.default)\n"
    return [FIM_PREFIX] + tokenize(llm, prefix) + [FIM_SUFFIX] + tokenize(llm, suffix) + [FIM_MIDDLE]


def llama_logits(llm, tokens: list[int]) -> np.ndarray:
    llm.reset()
    llm.eval(tokens)
    return np.array(llm.scores[: len(tokens)], dtype=np.float32)


def test_file_size_architecture_and_quantisation():
    import gguf

    assert MODEL.stat().st_size <= 25 * 1024 * 1024
    reader = gguf.GGUFReader(str(MODEL))
    assert reader.fields["general.architecture"].contents() == "llama"
    kinds = {t.name: t.tensor_type for t in reader.tensors}
    assert "output.weight" not in kinds  # tied: llama.cpp reuses token_embd.weight
    assert kinds["token_embd.weight"] == gguf.GGMLQuantizationType.Q8_0
    assert kinds["blk.0.attn_q.weight"] == gguf.GGMLQuantizationType.Q8_0


def test_fim_control_tokens(llm):
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    assert llama_cpp.llama_vocab_fim_pre(vocab) == FIM_PREFIX
    assert llama_cpp.llama_vocab_fim_suf(vocab) == FIM_SUFFIX
    assert llama_cpp.llama_vocab_fim_mid(vocab) == FIM_MIDDLE
    assert llama_cpp.llama_vocab_eos(vocab) == EOT
    assert llm.tokenize(b"<fim_prefix><fim_middle><fim_suffix>", add_bos=False, special=True) == [1, 2, 3]
    # As plain text the control tokens are ordinary characters.
    assert FIM_PREFIX not in llm.tokenize(b"<fim_prefix>", add_bos=False, special=False)


@pytest.fixture(scope="module")
def torch_model():
    torch = pytest.importorskip("torch")
    sys.path.insert(0, str(TRAIN_DIR))
    from export_gguf import read_gguf_tensors
    from model import TinyLlama

    tensors, cfg = read_gguf_tensors(MODEL)
    model = TinyLlama(cfg)
    model.load_gguf_tensors(tensors)
    model.eval()
    return model, tensors, cfg


def torch_logits(model, tokens: list[int]) -> np.ndarray:
    import torch

    with torch.no_grad():
        return model(torch.tensor([tokens]))[0].float().numpy()


def test_llama_cpp_logits_match_pytorch(llm, torch_model):
    model, _, _ = torch_model
    tokens = sample_tokens(llm)
    ours, theirs = torch_logits(model, tokens), llama_logits(llm, tokens)
    assert ours.shape == theirs.shape == (len(tokens), 49152)
    # 8-bit activations make the error grow with the logits' scale: bound it relative to them.
    assert np.abs(ours - theirs).max() <= 0.02 * np.abs(theirs).max()
    assert np.abs(ours - theirs).mean() <= 0.01
    assert (ours.argmax(-1) == theirs.argmax(-1)).mean() >= 0.95


def test_float32_export_matches_pytorch_tightly(llm, torch_model, tmp_path):
    from export_gguf import write_f32_gguf

    model, tensors, cfg = torch_model
    path = tmp_path / "f32.gguf"
    write_f32_gguf(tensors, cfg, path)
    f32 = llama_cpp.Llama(model_path=str(path), n_ctx=512, n_threads=1, logits_all=True, verbose=False)
    tokens = sample_tokens(llm)
    # llama.cpp keeps the KV cache in float16, so even float32 weights give ~1e-3 relative
    # rounding; measured 4.4e-3 on logits of the trained model (a wrong layout gives > 1).
    assert np.abs(torch_logits(model, tokens) - llama_logits(f32, tokens)).max() <= 1e-2


def test_wrong_rope_layout_would_be_caught(llm, torch_model, monkeypatch):
    """The Hugging Face rotate_half layout (without permuting Q/K) must differ a lot."""
    import torch
    import model as model_module

    def rotate_half_rope(x, cos, sin):
        half = x.shape[-1] // 2
        x1, x2 = x[..., :half].float(), x[..., half:].float()
        return torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).to(x.dtype)

    model, _, _ = torch_model
    tokens = sample_tokens(llm)
    monkeypatch.setattr(model_module, "apply_rope", rotate_half_rope)
    wrong, right = torch_logits(model, tokens), llama_logits(llm, tokens)
    # Far outside both tolerances above (measured: max 13.0, mean 0.12).
    assert np.abs(wrong - right).max() > 0.1 * np.abs(right).max()
    assert np.abs(wrong - right).mean() > 0.05


# (prefix, suffix, what the completion's first line must start with). Short, common Python
# idioms in the style of the held-out standard-library modules; written for this test, not
# copied from the training corpus. The list was fixed before the model was measured on it.
FIM_CASES = [
    ("class Point:\n    def __init__(self, x, y):\n        self.x = x\n        ",
     "\n\n    def __repr__(self):\n        return f'Point({self.x}, {self.y})'\n",
     "self.y = y"),
    ("import sys\n\n\ndef main():\n    print(sys.argv)\n\n\nif __name__ == ",
     "\n    main()\n",
     "'__main__':"),
    ("def read_text(path):\n    with open(path) as f:\n        return f.",
     "\n",
     "read()"),
    ("class Stack:\n    def __init__(self):\n        self.items = []\n\n    def push(self, item):\n        self.",
     "\n\n    def pop(self):\n        return self.items.pop()\n",
     "items.append(item)"),
    ("def total(values):\n    result = 0\n    for value in ",
     ":\n        result += value\n    return result\n",
     "values"),
    ("def squares(numbers):\n    result = []\n    for n in numbers:\n        result.append(n * n)\n    ",
     "\n",
     "return result"),
    ("class Base:\n    pass\n\n\nclass Child(Base):\n    def __init__(self, name):\n        ",
     "\n        self.name = name\n",
     "super().__init__()"),
    ("import os\n\n\ndef config_path(base, name):\n    return os.path.",
     "(base, name)\n",
     "join"),
    ("def show(mapping):\n    for key, value in mapping.",
     ":\n        print(key, value)\n",
     "items()"),
    ("class Node:\n    def __init__(self, value, parent=None):\n        self.value = value\n        ",
     "\n        self.children = []\n",
     "self.parent = parent"),
    ("def parse(text):\n    if not isinstance(text, str):\n        raise ",
     "('text must be a string')\n    return text.split()\n",
     "TypeError"),
    ("def first(items, default=None):\n    for item in items:\n        return item\n    return ",
     "\n",
     "default"),
    ("class Counter:\n    def __init__(self):\n        self.count = 0\n\n    def increment(self):\n        self.count ",
     "\n",
     "+= 1"),
    ("def lookup(table, key):\n    try:\n        return table[key]\n    except ",
     ":\n        return None\n",
     "KeyError"),
    ("def main(argv=None):\n    import argparse\n    parser = argparse.ArgumentParser()\n"
     "    parser.add_argument('path')\n    args = parser.",
     "\n    print(args.path)\n",
     "parse_args("),
    ("class Temperature:\n    def __init__(self, celsius):\n        self._celsius = celsius\n\n"
     "    @property\n    def celsius(self):\n        ",
     "\n",
     "return self._celsius"),
]
# How many of FIM_CASES a useful embedded model completes exactly. The shipped model (143
# minutes on a 2-core CPU, 12.2 M tokens) completes 0 of them (a mid-training checkpoint got
# 1): the test is an expected failure until a better-trained model replaces it (strict: it
# then fails as XPASS, so that this note and models/MODEL_CARD.md get updated).
MIN_PASSED = 4
# The quality that the shipped model does have, measured through the same prompts: the mean
# NLL of the expected middles (measured 4.53 nats/token; the random-weight model 33.7; the
# 48-minute PSM model shipped before it 6.01) and the share of middle tokens that are its
# first choice (measured 0.408, 20 of 49 tokens; the random-weight model 0; the model before
# it 0.245).
MAX_MIDDLE_NLL = 5.0
MIN_MIDDLE_TOP1 = 0.35


def fim_completion(engine, prefix: str, suffix: str, max_tokens: int = 24) -> str:
    """The first line of what Infill's engine completes at the cursor between prefix and suffix."""
    from lsp_server.engine.base import GenerationRequest
    from lsp_server.prompts.fim import build_fim_prompt, resolve_fim_tokens

    fim = resolve_fim_tokens(engine)
    prompt = build_fim_prompt(engine.tokenize, fim, prefix, suffix, budget_tokens=engine.n_ctx - max_tokens - 8)
    result = engine.generate(GenerationRequest(prompt.tokens, max_tokens=max_tokens, stop=["\n"],
                                               stop_ids=fim.stop_ids))
    return result.text.split("\n", 1)[0]


def run_cases(model_path: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """The idioms the model completes, and every (want, got)."""
    from lsp_server.engine.llama_cpp_engine import LlamaCppEngine

    engine = LlamaCppEngine(str(model_path), n_ctx=512, n_gpu_layers=0, n_threads=1)
    try:
        results = [(want, fim_completion(engine, prefix, suffix)) for prefix, suffix, want in FIM_CASES]
    finally:
        engine.close()
    return [want for want, got in results if got.strip().startswith(want)], results


def test_random_model_completes_no_idiom(test_model):
    """The floor: the pipeline alone, with random weights, never produces the expected text."""
    passed, results = run_cases(test_model)
    assert passed == [], results


@pytest.mark.xfail(strict=True, reason="the 143-minute CPU model completes 0 of 16 idioms exactly (MODEL_CARD.md)")
def test_trained_model_completes_idioms():
    passed, results = run_cases(MODEL)
    assert len(passed) >= MIN_PASSED, results


def middle_scores(model_path: Path) -> tuple[float, float]:
    """Over the expected middles of FIM_CASES, after the prompt Infill's FIM prompt builder
    makes for each case: the mean negative log-likelihood (nats per token, averaged per case)
    and the share of middle tokens that are the model's first choice given the ones before."""
    from lsp_server.prompts.fim import build_fim_prompt, resolve_fim_tokens
    from lsp_server.engine.llama_cpp_engine import LlamaCppEngine

    engine = LlamaCppEngine(str(model_path), n_ctx=512, n_gpu_layers=0, n_threads=1)
    scorer = llama_cpp.Llama(model_path=str(model_path), n_ctx=512, n_threads=1, logits_all=True, verbose=False)
    try:
        fim = resolve_fim_tokens(engine)
        per_case, top1 = [], []
        for prefix, suffix, want in FIM_CASES:
            prompt = build_fim_prompt(engine.tokenize, fim, prefix, suffix, budget_tokens=400).tokens
            middle = engine.tokenize(want)
            logits = llama_logits(scorer, prompt + middle)[len(prompt) - 1: -1].astype(np.float64)
            logits -= logits.max(-1, keepdims=True)
            logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
            per_case.append(-logp[np.arange(len(middle)), middle].mean())
            top1 += list(logp.argmax(-1) == np.array(middle))
    finally:
        engine.close()
        scorer.close()
    return float(np.mean(per_case)), float(np.mean(top1))


def test_trained_model_prefers_the_right_middle(test_model):
    """A softer measure than exact completions: the probability of the expected text."""
    (trained, trained_top1), (floor, floor_top1) = middle_scores(MODEL), middle_scores(test_model)
    assert floor > 10.8 and floor_top1 < 0.05, (floor, floor_top1)  # ln(49152) = 10.8: a uniform guess
    assert trained < MAX_MIDDLE_NLL, (trained, floor)
    assert trained_top1 >= MIN_MIDDLE_TOP1, (trained_top1, floor_top1)


def test_embedded_model_is_the_default():
    from lsp_server.settings import parse_settings
    from lsp_server.engine.host import EngineHost

    settings, errors = parse_settings({})
    assert errors == [] and settings.model.path is None
    assert Path(EngineHost(worker=None).model_path(settings)).resolve() == MODEL.resolve()


def test_reduced_output_vocabulary_loss_equals_full_softmax():
    """train.py computes logits only for the kept tokens plus one column for the mass of the
    dropped ones (each of which llama.cpp gives the logit 0, their embedding rows being 0)."""
    torch = pytest.importorskip("torch")
    sys.path.insert(0, str(TRAIN_DIR))
    from model import CONFIGS, TinyLlama
    from train import IGNORE as TRAIN_IGNORE, OutputVocab, loss_fn

    torch.manual_seed(0)
    model = TinyLlama(CONFIGS["test"])
    with torch.no_grad():
        model.token_embd.weight.mul_(20)  # logits of a few units, so that the dropped mass matters
    kept = list(range(100, 3100))
    vocab = OutputVocab(kept, CONFIGS["test"].vocab_size, "cpu")
    vocab.zero_dropped_rows(model)
    assert model.token_embd.weight[5000].abs().sum() == 0 and model.token_embd.weight[200].abs().sum() > 0
    x = torch.tensor([kept[:64]])
    y = torch.tensor([kept[1:65]])
    y[0, 5] = TRAIN_IGNORE
    y[0, 9] = 40000  # a dropped token as target: no loss in the reduced form
    weights = torch.ones(1, 64)
    reduced = loss_fn(model, x, y, weights, "cpu", vocab)
    full_weights = weights.clone()
    full_weights[0, 5] = full_weights[0, 9] = 0.0
    y_full = y.clone()
    y_full[0, 9] = TRAIN_IGNORE
    full = loss_fn(model, x, y_full, full_weights, "cpu", None)
    assert abs(reduced.item() - full.item()) < 1e-4
    # Without the dropped tokens' column the loss would be smaller: the check has teeth.
    assert vocab.dropped_logmass > 10


def test_training_sequences_are_the_prompts_infill_sends():
    """A FIM training sequence, up to its middle, is token for token the prompt Infill builds
    for the same cursor with the shipped model (whose GGUF names the order it was trained in)."""
    sys.path.insert(0, str(TRAIN_DIR))
    from fim import EOT as TRAIN_EOT, assemble

    from lsp_server.prompts.fim import build_fim_prompt, resolve_fim_tokens
    from lsp_server.engine.llama_cpp_engine import LlamaCppEngine

    prefix, middle, suffix = "def area(r):\n    return 3.14 * ", "r * r", "\n\n\nprint(area(2))\n"
    engine = LlamaCppEngine(str(MODEL), n_ctx=512, n_threads=1)
    try:
        fim = resolve_fim_tokens(engine)
        prompt = build_fim_prompt(engine.tokenize, fim, prefix, suffix, budget_tokens=400).tokens
        pieces = [engine.tokenize(text) for text in (prefix, suffix, middle)]
    finally:
        engine.close()
    assert fim.order == "spm"
    assert assemble(*pieces, fim.order) == prompt + pieces[2] + [TRAIN_EOT]


def test_context_is_capped_to_the_trained_length_before_loading():
    """The embedded model was trained on 512 tokens: asking for more loads it once at 512."""
    from lsp_server.engine.llama_cpp_engine import LlamaCppEngine, trained_context

    assert trained_context(MODEL) == 512
    engine = LlamaCppEngine(str(MODEL), n_ctx=4096, n_threads=1)
    try:
        assert engine.n_ctx == 512
    finally:
        engine.close()

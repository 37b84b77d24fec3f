"""The embedded default model (models/infill-tiny-code.gguf) and its PyTorch twin agree,
and the model really completes code.

* Logits: the same token ids go through llama.cpp (the committed Q8_0 GGUF) and through the
  PyTorch model of models/train/model.py loaded with the GGUF's dequantised weights. A
  mistake in the rotary (RoPE) layout, a transposed tensor or a wrong hyper-parameter shows
  up as differences of order 1; what remains is llama.cpp's own rounding (it quantises the
  activations to 8 bits for Q8_0 matrix products). Tolerances: max abs difference of the
  logits <= 0.1 for the Q8_0 file (measured: ~0.02-0.05), and <= 2e-3 for the same weights
  written as float32 (measured: ~5e-4). The RoPE check is itself checked: the Hugging Face
  "rotate_half" layout gives differences far above the tolerance.
* Completion: fill-in-the-middle prompts on held-out code must produce the expected
  text. An untrained model of the same shape produces nothing useful and fails them.

The PyTorch tests are skipped when torch is not installed (it is only needed for training).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
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
    assert np.abs(ours - theirs).max() <= 0.1
    assert (ours.argmax(-1) == theirs.argmax(-1)).mean() >= 0.95


def test_float32_export_matches_pytorch_tightly(llm, torch_model, tmp_path):
    from export_gguf import write_f32_gguf

    model, tensors, cfg = torch_model
    path = tmp_path / "f32.gguf"
    write_f32_gguf(tensors, cfg, path)
    f32 = llama_cpp.Llama(model_path=str(path), n_ctx=512, n_threads=1, logits_all=True, verbose=False)
    tokens = sample_tokens(llm)
    assert np.abs(torch_logits(model, tokens) - llama_logits(f32, tokens)).max() <= 2e-3


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
    assert np.abs(torch_logits(model, tokens) - llama_logits(llm, tokens)).max() > 1.0


def greedy_middle(llm, prefix: str, suffix: str, max_tokens: int = 24) -> str:
    prompt = [FIM_PREFIX] + tokenize(llm, prefix) + [FIM_SUFFIX] + tokenize(llm, suffix) + [FIM_MIDDLE]
    out = b""
    for n, token in enumerate(llm.generate(prompt, temp=0.0, top_k=1, reset=True)):
        if token == EOT or n >= max_tokens:
            break
        out += llm.detokenize([token])
    return out.decode("utf-8", errors="replace")


# (prefix, suffix, text the middle must start with). Short code in the style of the held-out
# standard-library modules (models/train/heldout_files.txt), not copied from the training data.
FIM_CASES = [
    ("class Point:\n    def __init__(self, x, y):\n        self.x = x\n        ",
     "\n\n    def __repr__(self):\n        return f'Point({self.x}, {self.y})'\n",
     "self.y = y"),
    ("import os\nimport sys\n\n\ndef main():\n    print(sys.argv)\n\n\nif __name__ == ",
     "\n    main()\n",
     "'__main__':"),
    ("def read_lines(path):\n    with open(path) as f:\n        return f.",
     "\n",
     "read"),
    ("class Stack:\n    def __init__(self",
     "\n        self.items = []\n\n    def push(self, item):\n        self.items.append(item)\n",
     "):"),
    ("def total(values):\n    result = 0\n    for value in ",
     ":\n        result += value\n    return result\n",
     "values"),
]


def test_fim_completes_held_out_style_code(llm):
    results = [(want, greedy_middle(llm, prefix, suffix)) for prefix, suffix, want in FIM_CASES]
    passed = [got for want, got in results if got.strip().startswith(want.strip().rstrip(":"))]
    assert len(passed) >= 4, results

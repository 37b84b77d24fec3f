"""An ONNX Runtime GenAI model folder: what must be in it, what its genai_config.json says, and
how much GPU memory it would take.

The folder is what `infill models convert` (or ONNX Runtime GenAI's model builder) writes:
genai_config.json (the model's shape, its ONNX file, the execution provider it was built for),
model.onnx with its weights beside it (model.onnx.data), and the Hugging Face tokenizer files.
Everything here reads JSON and file sizes only, so a broken folder is reported with a clear
message before ONNX Runtime is asked to load it.

The GPU plan is all or nothing: ONNX Runtime runs a whole graph on one execution provider, so
there is no per-layer split as with llama.cpp. The estimate is the weights (the size of the
.onnx files and their external data), the KV cache at the context length (ONNX Runtime GenAI
allocates it whole up front: past and present share one buffer of max_length positions), one
row of logits, the activations of a prompt and the CUDA runtime's own share.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..modelfiles.vram import GIB, RUNTIME_OVERHEAD
from .base import EngineError

CONFIG_FILE = "genai_config.json"
TOKENIZER_FILE = "tokenizer.json"
# Weight files of an ONNX model: the graph, and its external data however the builder named it.
WEIGHT_SUFFIXES = (".onnx", ".data", ".onnx_data")
# Prompt tokens evaluated at once, for the activation estimate (llama.cpp's n_batch).
PREFILL_TOKENS = 512


@dataclass(frozen=True)
class OnnxModelInfo:
    folder: Path
    model_file: Path
    context_length: int
    n_layers: int
    n_kv_heads: int
    head_size: int
    hidden_size: int
    vocab_size: int
    eos_ids: tuple[int, ...]
    bos_id: int
    pad_id: int
    providers: tuple[str, ...]  # execution providers the model was built for; () is the CPU
    model_type: str

    @property
    def built_for_gpu(self) -> bool:
        return bool(self.providers)

    def weight_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.iterdir() if p.is_file() and p.name.endswith(WEIGHT_SUFFIXES))

    def kv_cache_bytes(self, n_ctx: int) -> int:
        # K and V, every layer, every position; float16 on a GPU build, float32 on a CPU one
        # (the builder's I/O type for each).
        value_bytes = 2 if self.built_for_gpu else 4
        return n_ctx * self.n_layers * self.n_kv_heads * self.head_size * 2 * value_bytes

    def gpu_plan(self, n_ctx: int) -> int:
        """Estimated GPU memory, in bytes, with the whole model on the GPU at n_ctx."""
        logits = self.vocab_size * 4
        activations = min(PREFILL_TOKENS, n_ctx) * self.hidden_size * 16 * 2
        return self.weight_bytes() + self.kv_cache_bytes(n_ctx) + logits + activations + RUNTIME_OVERHEAD


def _int_list(value) -> tuple[int, ...]:
    if isinstance(value, list):
        return tuple(int(v) for v in value)
    return (int(value),) if isinstance(value, int) else ()


def read_model_folder(path: str | Path) -> OnnxModelInfo:
    """The folder's genai_config.json, checked: raises EngineError saying what is missing."""
    folder = Path(path).expanduser()
    if not folder.exists():
        raise EngineError(f"ONNX model folder not found: {folder}")
    if not folder.is_dir():
        raise EngineError(
            "engine kind onnx runs a model folder (genai_config.json, model.onnx, tokenizer.json) named by "
            f"infill.model.path; {folder} is a file (a GGUF file runs with engine kind llama_cpp)"
        )
    config_path = folder / CONFIG_FILE
    if not config_path.is_file():
        raise EngineError(
            f"{folder} is not an ONNX Runtime GenAI model folder: it has no {CONFIG_FILE} "
            "(make one with: infill models convert HF_DIR OUT_DIR)"
        )
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
        model = config["model"]
        decoder = model["decoder"]
        info = OnnxModelInfo(
            folder=folder,
            model_file=folder / str(decoder.get("filename", "model.onnx")),
            context_length=int(model["context_length"]),
            n_layers=int(decoder["num_hidden_layers"]),
            n_kv_heads=int(decoder.get("num_key_value_heads", decoder.get("num_attention_heads", 0))),
            head_size=int(decoder["head_size"]),
            hidden_size=int(decoder.get("hidden_size", 0)),
            vocab_size=int(model.get("vocab_size", 0)),
            eos_ids=_int_list(model.get("eos_token_id")),
            bos_id=int(model.get("bos_token_id", -1)),
            pad_id=int(model.get("pad_token_id", -1)),
            providers=tuple(
                name
                for option in decoder.get("session_options", {}).get("provider_options", [])
                if isinstance(option, dict)
                for name in option
            ),
            model_type=str(model.get("type", "")),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise EngineError(f"cannot read {config_path}: {exc!r}") from exc
    if not info.model_file.is_file():
        raise EngineError(f"{folder}: {CONFIG_FILE} names {info.model_file.name}, which is not there")
    if not (folder / TOKENIZER_FILE).is_file():
        raise EngineError(f"{folder} has no {TOKENIZER_FILE}: Infill tokenizes with the model's Hugging Face tokenizer")
    return info


def describe_plan(info: OnnxModelInfo, n_ctx: int, budget_bytes: int) -> tuple[bool, str]:
    """(fits, words for the status line) for the whole model on the GPU."""
    need = info.gpu_plan(n_ctx)
    if need <= budget_bytes:
        return True, f"on GPU (CUDA), {need / GIB:.1f} GiB of {budget_bytes / GIB:.3g} GiB"
    return False, f"CPU: needs {need / GIB:.1f} GiB of GPU memory, over the {budget_bytes / GIB:.3g} GiB budget"

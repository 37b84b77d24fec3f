"""The model checks for engine kind `onnx`: the model folder, its FIM tokens and its GPU plan.

An ONNX Runtime GenAI model is a folder (genai_config.json, model.onnx, tokenizer.json), not a
GGUF file, so the GGUF checks do not apply; these read the same facts the ONNX engine reads
when it loads the folder (engine/onnx_folder.py, engine/onnx_vocab.py).
"""

from __future__ import annotations

from ..engine.base import EngineError
from ..engine.onnx_folder import describe_plan, read_model_folder
from ..modelfiles.vram import MIB
from ..prompts.fim import resolve_fim_tokens
from ..settings import Settings
from .check import Check, failed, ok, skipped, warning
from .fim_tokens import NamedVocabulary

MODEL = "model file"
FIM = "FIM tokens"
VRAM = "VRAM plan"
CONVERT = "make one with: infill models convert HF_DIR OUT_DIR (see infill models convert --help)"


def check_onnx_model(settings: Settings) -> tuple[Check, Check, Check]:
    """(model folder, FIM tokens, VRAM plan) for an ONNX model folder named by model.path."""
    folder = settings.model.path
    if not folder:
        no_folder = failed(MODEL, "engine.kind is onnx but model.path names no model folder", CONVERT)
        return no_folder, _after(FIM), _after(VRAM)
    try:
        info = read_model_folder(folder)
    except EngineError as exc:
        return failed(MODEL, str(exc), CONVERT), _after(FIM), _after(VRAM)
    weights = info.weight_bytes() / MIB
    model = ok(
        MODEL, f"ONNX model {info.model_type or '?'} ({weights:.0f} MiB of weights, context {info.context_length})"
    )
    try:
        from ..engine.onnx_vocab import OnnxVocab

        vocabulary = NamedVocabulary(OnnxVocab(info), info.folder.name)
        fim = resolve_fim_tokens(vocabulary, settings.model.fim_family)
        fim_check = ok(FIM, f"{fim.family} template, {fim.order.upper()} order")
    except ImportError:
        fim_check = failed(FIM, "the ONNX engine is not installed", "pip install 'infill-lsp[onnx]'")
    except EngineError as exc:
        fim_check = failed(FIM, str(exc), "convert a base (not instruct) code model with FIM tokens")
    fits, words = describe_plan(
        info, min(settings.model.n_ctx, info.context_length), settings.model.vram_budget_mb * MIB
    )
    if fits or settings.model.n_gpu_layers == 0:
        vram = ok(VRAM, words)
    else:
        vram = warning(VRAM, words, "raise infill.model.vramBudgetMb if the GPU has more memory, or convert at int4")
    return model, fim_check, vram


def _after(name: str) -> Check:
    return skipped(name, "needs a model folder that reads (see the failed check above)")

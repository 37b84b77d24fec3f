"""Export a trained checkpoint to a llama.cpp GGUF ("llama" architecture), then quantise it.

    python models/train/export_gguf.py models/train/runs/cpu4/model.pt \
        --out models/infill-tiny-code.gguf --quant q8_0

Layout notes:
  * Tensor names and (out, in) shapes are the ones llama.cpp's llama architecture loads;
    model.py names its modules after them, so the mapping is a plain dictionary.
  * No output.weight is written: llama.cpp then uses token_embd.weight as the output
    matrix, which is exactly the tied embedding the model was trained with.
  * No Q/K permutation: model.py rotates adjacent channel pairs, which is llama.cpp's
    layout for this architecture (tests/models/test_embedded_model.py checks the logits agree).
  * The tokenizer (StarCoder's BPE, with its FIM control tokens) is copied key by key from
    models/vocab/ggml-vocab-starcoder.gguf.
"""

from __future__ import annotations

import argparse
import ctypes
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parents[1]))  # the repository, for the key Infill reads
from model import ModelConfig  # noqa: E402

try:
    from lsp_server.engine.base import FIM_ORDER_KEY
except Exception:  # a training machine without the server's dependencies (or Python): the same key
    FIM_ORDER_KEY = "infill.fim_order"

VOCAB_GGUF = HERE.parent / "vocab" / "ggml-vocab-starcoder.gguf"
ARCH = "llama"
FIM_IDS = {"prefix": 1, "middle": 2, "suffix": 3, "pad": 4, "eot": 0, "file_sep": 6, "repo_name": 5}


def write_f32_gguf(tensors: dict[str, np.ndarray], cfg: ModelConfig, path: Path, name: str = "infill-tiny-code",
                   description: str = "", fim_order: str = "psm") -> None:
    """Write every tensor as float32, with hyper-parameters and the StarCoder tokenizer."""
    write_gguf(tensors, cfg, path, name, description, fim_order, quant="f32")


def write_gguf(tensors: dict[str, np.ndarray], cfg: ModelConfig, path: Path, name: str = "infill-tiny-code",
               description: str = "", fim_order: str = "psm", quant: str = "f32") -> None:
    """Write the model with hyper-parameters and the StarCoder tokenizer. quant "q8_0"
    quantises the matrices with gguf's numpy code (the rounding of llama.cpp's Q8_0), for a
    machine without llama.cpp; the vectors (norms) stay float32, as llama.cpp's quantize leaves them."""
    import gguf

    vocab = gguf.GGUFReader(str(VOCAB_GGUF))

    def field(key):
        return vocab.fields[key].contents()

    w = gguf.GGUFWriter(str(path), arch=ARCH)
    w.add_name(name)
    if description:
        w.add_description(description)
    w.add_license("MIT")
    w.add_context_length(cfg.context_length)
    w.add_embedding_length(cfg.dim)
    w.add_block_count(cfg.n_layers)
    w.add_feed_forward_length(cfg.ffn_dim)
    w.add_head_count(cfg.n_heads)
    w.add_head_count_kv(cfg.n_heads)
    w.add_rope_dimension_count(cfg.head_dim)
    w.add_rope_freq_base(cfg.rope_base)
    w.add_layer_norm_rms_eps(cfg.norm_eps)
    w.add_vocab_size(cfg.vocab_size)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0 if quant == "q8_0" else gguf.LlamaFileType.ALL_F32)

    w.add_tokenizer_model(field("tokenizer.ggml.model"))
    w.add_tokenizer_pre(field("tokenizer.ggml.pre"))
    w.add_token_list(field("tokenizer.ggml.tokens"))
    w.add_token_types(field("tokenizer.ggml.token_type"))
    w.add_token_merges(field("tokenizer.ggml.merges"))
    w.add_bos_token_id(field("tokenizer.ggml.bos_token_id"))
    w.add_eos_token_id(field("tokenizer.ggml.eos_token_id"))
    w.add_unk_token_id(field("tokenizer.ggml.unknown_token_id"))
    w.add_add_bos_token(False)  # Infill builds its prompts as token ids; no implicit BOS
    w.add_eot_token_id(FIM_IDS["eot"])
    w.add_pad_token_id(FIM_IDS["pad"])
    w.add_uint32(gguf.Keys.Tokenizer.FIM_PRE_ID, FIM_IDS["prefix"])
    w.add_uint32(gguf.Keys.Tokenizer.FIM_SUF_ID, FIM_IDS["suffix"])
    w.add_uint32(gguf.Keys.Tokenizer.FIM_MID_ID, FIM_IDS["middle"])
    w.add_uint32(gguf.Keys.Tokenizer.FIM_PAD_ID, FIM_IDS["pad"])
    w.add_uint32(gguf.Keys.Tokenizer.FIM_REP_ID, FIM_IDS["repo_name"])
    w.add_uint32(gguf.Keys.Tokenizer.FIM_SEP_ID, FIM_IDS["file_sep"])
    # The order the model was trained to fill in (fim.py); Infill reads it and builds its
    # prompts the same way.
    w.add_string(FIM_ORDER_KEY, fim_order)

    for tname, arr in tensors.items():
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        if quant == "q8_0" and arr.ndim == 2:
            q8 = gguf.GGMLQuantizationType.Q8_0
            w.add_tensor(tname, gguf.quants.quantize(arr, q8), raw_dtype=q8)
        else:
            w.add_tensor(tname, arr)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def quantize(src: Path, dst: Path, quant: str = "q8_0") -> None:
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = {"q8_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0, "f16": llama_cpp.LLAMA_FTYPE_MOSTLY_F16}[quant]
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), ctypes.byref(params))
    if rc != 0:
        raise RuntimeError(f"llama_model_quantize failed with {rc}")


def read_gguf_tensors(path: Path) -> tuple[dict[str, np.ndarray], ModelConfig]:
    """Float32 weights (dequantised) and the config of a GGUF written by this script."""
    import gguf

    r = gguf.GGUFReader(str(path))

    def kv(key):
        return r.fields[f"{ARCH}.{key}"].contents()

    cfg = ModelConfig(vocab_size=len(r.fields["tokenizer.ggml.tokens"].data), dim=kv("embedding_length"),
                      n_layers=kv("block_count"), n_heads=kv("attention.head_count"),
                      ffn_dim=kv("feed_forward_length"), context_length=kv("context_length"),
                      rope_base=kv("rope.freq_base"), norm_eps=kv("attention.layer_norm_rms_epsilon"))
    tensors = {}
    for t in r.tensors:
        arr = gguf.quants.dequantize(t.data, t.tensor_type)
        # GGUF lists dimensions innermost first; numpy wants them outermost first.
        tensors[t.name] = np.asarray(arr, dtype=np.float32).reshape([int(d) for d in reversed(t.shape)])
    return tensors, cfg


def main() -> None:
    import torch
    from model import TinyLlama

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", type=Path, help="model.pt from train.py, or 'random' for an untrained model")
    ap.add_argument("--config", default="cpu", help="config name when checkpoint is 'random'")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--quant", choices=["q8_0", "f16", "f32"], default="q8_0")
    ap.add_argument("--name", default="infill-tiny-code")
    args = ap.parse_args()

    fim_order = "psm"
    if str(args.checkpoint) == "random":
        from model import CONFIGS
        torch.manual_seed(0)
        model, desc = TinyLlama(CONFIGS[args.config]), "untrained (random weights), the floor for evaluations"
    else:
        ckpt = torch.load(args.checkpoint, map_location="cpu")
        model = TinyLlama(ModelConfig(**ckpt["meta"]["config"]))
        model.load_state_dict(ckpt["model"])
        m = ckpt["meta"]
        fim_order = m["args"].get("fim_order", "psm")  # checkpoints from before --fim-order were PSM
        desc = (f"Infill's embedded code model: {m['step']} steps, {m['tokens']} tokens, "
                f"next-token + fill-in-the-middle ({fim_order.upper()}), StarCoder tokenizer")
    tensors = {k: v.detach().float().numpy() for k, v in model.gguf_tensors().items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.quant == "f32":
        write_f32_gguf(tensors, model.cfg, args.out, args.name, desc, fim_order)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            f32 = Path(tmp) / "model-f32.gguf"
            write_f32_gguf(tensors, model.cfg, f32, args.name, desc, fim_order)
            quantize(f32, args.out, args.quant)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()

"""Export the embedded model to a Hugging Face Llama checkpoint, and on to ONNX Runtime GenAI.

The ONNX engine's tests need a real trained model in ONNX form, and the one model this project
owns is models/infill-tiny-code.gguf (no PyTorch checkpoint is kept). This script reads the
GGUF back (Q8_0 weights dequantized to float32), writes it as a `LlamaForCausalLM` folder
(config.json, model.safetensors, tokenizer.json made from the GGUF's own StarCoder vocabulary
and merges), and converts that with ONNX Runtime GenAI's model builder, the same path
`infill models convert` takes for any Hugging Face checkpoint.

Three details make the export exact:
  * Rotary layout. The GGUF stores Q and K rows in llama.cpp's order (adjacent channel pairs
    rotate together); Hugging Face's Llama rotates the two halves of each head. The rows are
    permuted back (the inverse of the permutation llama.cpp's converter applies).
  * Tied embedding. The GGUF has no output.weight: llama.cpp reuses token_embd. The
    checkpoint says `tie_word_embeddings`, so the builder does the same.
  * FIM order. The model fills in the middle in SPM order (the GGUF's `infill.fim_order`); a
    Hugging Face folder has no place for it, so it goes in `infill.json`, which `convert` copies
    and the ONNX engine reads.

`--gptq` writes the same model as a 4-bit GPTQ checkpoint (qweight/qzeros/scales/g_idx in the
AutoGPTQ packing, `quantization_config` in config.json), with round-to-nearest quantization:
the layout is what `convert` is tested on, not the rounding algorithm.

Usage:
    python models/build_test_onnx.py OUT_DIR [--precision fp32|int4] [--gptq] [--hf-only]
    python models/build_test_onnx.py --f32-gguf OUT.gguf     # the same weights for llama.cpp
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
EMBEDDED = HERE / "infill-tiny-code.gguf"
# Built folders, reused until the GGUF, this script or the builder changes (ignored by git).
CACHE = HERE / "test" / "onnx"
GPTQ_GROUP_SIZE = 32

# GGUF tensor name (blk.N. prefix removed) -> Hugging Face Llama name (model.layers.N. prefix).
LAYER_NAMES = {
    "attn_norm": "input_layernorm",
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_norm": "post_attention_layernorm",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}


def read_gguf(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """(metadata, float32 tensors in (out, in) layout) of a llama GGUF."""
    import gguf

    reader = gguf.GGUFReader(str(path))
    metadata = {key: field.contents() for key, field in reader.fields.items()}
    tensors = {}
    for tensor in reader.tensors:
        values = gguf.quants.dequantize(tensor.data, tensor.tensor_type)
        # GGUF lists dimensions innermost first; numpy wants them outermost first.
        shape = [int(d) for d in reversed(tensor.shape)]
        tensors[tensor.name] = np.asarray(values, dtype=np.float32).reshape(shape)
    return metadata, tensors


def unpermute_rope_rows(weight: np.ndarray, n_heads: int) -> np.ndarray:
    """Q/K rows from llama.cpp's adjacent-pair order to Hugging Face's half-split order."""
    out, inp = weight.shape
    head_dim = out // n_heads
    return weight.reshape(n_heads, head_dim // 2, 2, inp).swapaxes(1, 2).reshape(out, inp)


def hf_config(metadata: dict) -> dict:
    def llama(key: str):
        return metadata[f"llama.{key}"]

    n_heads = int(llama("attention.head_count"))
    dim = int(llama("embedding_length"))
    token_id = int(metadata["tokenizer.ggml.eos_token_id"])
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": len(metadata["tokenizer.ggml.tokens"]),
        "hidden_size": dim,
        "intermediate_size": int(llama("feed_forward_length")),
        "num_hidden_layers": int(llama("block_count")),
        "num_attention_heads": n_heads,
        "num_key_value_heads": int(llama("attention.head_count_kv")),
        "head_dim": dim // n_heads,
        "max_position_embeddings": int(llama("context_length")),
        "rms_norm_eps": float(llama("attention.layer_norm_rms_epsilon")),
        "rope_theta": float(llama("rope.freq_base")),
        "rope_parameters": {"rope_type": "default", "rope_theta": float(llama("rope.freq_base"))},
        "hidden_act": "silu",
        "tie_word_embeddings": True,
        "attention_bias": False,
        "mlp_bias": False,
        "bos_token_id": int(metadata["tokenizer.ggml.bos_token_id"]),
        "eos_token_id": token_id,
        "pad_token_id": int(metadata.get("tokenizer.ggml.padding_token_id", token_id)),
        "torch_dtype": "float32",
    }


def hf_tensors(metadata: dict, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    n_heads = int(metadata["llama.attention.head_count"])
    n_kv_heads = int(metadata["llama.attention.head_count_kv"])
    out = {
        "model.embed_tokens.weight": tensors["token_embd.weight"],
        "model.norm.weight": tensors["output_norm.weight"],
    }
    for name, value in tensors.items():
        if not name.startswith("blk."):
            continue
        _, layer, kind, _ = name.split(".")
        if kind == "attn_q":
            value = unpermute_rope_rows(value, n_heads)
        elif kind == "attn_k":
            value = unpermute_rope_rows(value, n_kv_heads)
        out[f"model.layers.{layer}.{LAYER_NAMES[kind]}.weight"] = value
    return {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in out.items()}


def write_tokenizer(metadata: dict, out: Path) -> None:
    """tokenizer.json from the GGUF's byte-level BPE (StarCoder's pre-tokenizer: single digits,
    then GPT-2's split), its control tokens as special added tokens; tokenizer_config.json."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    if metadata.get("tokenizer.ggml.model") != "gpt2" or metadata.get("tokenizer.ggml.pre") != "starcoder":
        raise SystemExit("only a StarCoder (gpt2 BPE, starcoder pre-tokenizer) vocabulary is supported")
    tokens = list(metadata["tokenizer.ggml.tokens"])
    types = list(metadata["tokenizer.ggml.token_type"])
    merges = [tuple(m.split(" ", 1)) for m in metadata["tokenizer.ggml.merges"]]
    tokenizer = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tokenizer.decoder = decoders.ByteLevel()
    control = 3  # llama.cpp's LLAMA_TOKEN_TYPE_CONTROL
    tokenizer.add_special_tokens(
        [
            AddedToken(t, special=True, normalized=False)
            for t, kind in zip(tokens, types, strict=True)
            if kind == control
        ]
    )
    tokenizer.save(str(out / "tokenizer.json"))
    eos = tokens[int(metadata["tokenizer.ggml.eos_token_id"])]
    config = {
        "tokenizer_class": "GPT2Tokenizer",
        "bos_token": tokens[int(metadata["tokenizer.ggml.bos_token_id"])],
        "eos_token": eos,
        "unk_token": tokens[int(metadata["tokenizer.ggml.unknown_token_id"])],
        "pad_token": tokens[int(metadata.get("tokenizer.ggml.padding_token_id", 0))],
        "add_bos_token": bool(metadata.get("tokenizer.ggml.add_bos_token", False)),
        "add_prefix_space": False,
        "model_max_length": int(metadata["llama.context_length"]),
    }
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")


def export_hf(gguf_path: Path, out: Path) -> Path:
    """The GGUF as a Hugging Face LlamaForCausalLM folder (float32 safetensors)."""
    from safetensors.numpy import save_file

    metadata, tensors = read_gguf(gguf_path)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(hf_config(metadata), indent=2) + "\n")
    save_file(hf_tensors(metadata, tensors), str(out / "model.safetensors"), metadata={"format": "pt"})
    write_tokenizer(metadata, out)
    infill = {"fim_order": str(metadata.get("infill.fim_order", "psm")), "name": str(metadata["general.name"])}
    (out / "infill.json").write_text(json.dumps(infill, indent=2) + "\n")
    return out


def gptq_quantize(weight: np.ndarray, group_size: int, bits: int = 4) -> dict[str, np.ndarray]:
    """One Linear weight (out, in) as GPTQ tensors, round to nearest, asymmetric per group.

    AutoGPTQ's layout: qweight (in/8, out) int32 with input rows packed 8 to a word (row 8k+j in
    bits 4j); qzeros (in/group, out/8) int32 with output columns packed the same way, each
    zero point stored minus one; scales (in/group, out) float16; g_idx (in,) int32, the group of
    each input row. Dequantized: W[o, i] = (q[i, o] - zero[g(i), o]) * scale[g(i), o]."""
    out_features, in_features = weight.shape
    top = (1 << bits) - 1
    per_word = 32 // bits
    groups = weight.T.reshape(in_features // group_size, group_size, out_features)
    low, high = groups.min(axis=1), groups.max(axis=1)
    scales = np.maximum(high - low, 1e-8) / top
    scales = scales.astype(np.float16).astype(np.float32)  # what the checkpoint holds
    zeros = np.clip(np.round(-low / scales), 0, top).astype(np.int64)
    q = np.clip(np.round(groups / scales[:, None, :]) + zeros[:, None, :], 0, top).astype(np.int64)
    q = q.reshape(in_features, out_features)

    def pack_rows(values: np.ndarray) -> np.ndarray:
        rows = values.reshape(values.shape[0] // per_word, per_word, values.shape[1])
        packed = np.zeros((rows.shape[0], values.shape[1]), dtype=np.uint32)
        for j in range(per_word):
            packed |= (rows[:, j, :].astype(np.uint32) & top) << np.uint32(bits * j)
        return packed.view(np.int32)

    stored_zeros = (zeros - 1) & top  # AutoGPTQ's off-by-one, undone by every loader
    tensors = {
        "qweight": pack_rows(q),
        "qzeros": pack_rows(stored_zeros.T).T,
        "scales": scales.astype(np.float16),
        "g_idx": (np.arange(in_features) // group_size).astype(np.int32),
    }
    # safetensors writes an array's buffer as it lies in memory, whatever its strides.
    return {name: np.ascontiguousarray(value) for name, value in tensors.items()}


def export_gptq(hf_dir: Path, out: Path, group_size: int = GPTQ_GROUP_SIZE) -> Path:
    """A 4-bit GPTQ checkpoint of the Hugging Face folder: every decoder Linear quantized; the
    embeddings (tied to the output) and the norms stay float16, as GPTQ tools leave them."""
    from safetensors.numpy import load_file, save_file

    tensors = load_file(str(hf_dir / "model.safetensors"))
    quantized: dict[str, np.ndarray] = {}
    for name, value in tensors.items():
        if name.startswith("model.layers.") and value.ndim == 2:
            base = name.removesuffix(".weight")
            for part, packed in gptq_quantize(value, group_size).items():
                quantized[f"{base}.{part}"] = packed
        else:
            quantized[name] = value.astype(np.float16)
    out.mkdir(parents=True, exist_ok=True)
    quantized = {name: np.ascontiguousarray(value) for name, value in quantized.items()}
    save_file(quantized, str(out / "model.safetensors"), metadata={"format": "pt"})
    config = json.loads((hf_dir / "config.json").read_text())
    config["torch_dtype"] = "float16"
    config["quantization_config"] = {
        "quant_method": "gptq",
        "bits": 4,
        "group_size": group_size,
        "desc_act": False,
        "sym": False,
        "checkpoint_format": "gptq",
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    for name in ("tokenizer.json", "tokenizer_config.json", "infill.json"):
        shutil.copy(hf_dir / name, out / name)
    return out


def write_f32_gguf(gguf_path: Path, out: Path) -> Path:
    """The same weights as the Hugging Face export, as a float32 GGUF for llama.cpp (every
    metadata key copied as it is): the reference the ONNX engine's greedy tokens are compared
    with, so that both engines run identical float32 weights."""
    import gguf

    reader = gguf.GGUFReader(str(gguf_path))
    _, tensors = read_gguf(gguf_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    writer = gguf.GGUFWriter(str(tmp), arch=str(reader.fields["general.architecture"].contents()))
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key in ("general.architecture", "general.file_type"):
            continue  # written by the writer itself, or no longer true
        sub_type = field.types[1] if len(field.types) > 1 else None
        writer.add_key_value(key, field.contents(), field.types[0], sub_type)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    for name, value in tensors.items():
        writer.add_tensor(name, value)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(out)
    return out


def cache_key() -> str:
    """What the built folders depend on: the GGUF, this script, and the builder's version."""
    from importlib.metadata import version

    digest = hashlib.sha256()
    for path in (EMBEDDED, Path(__file__).resolve(), REPO / "lsp_server" / "modelfiles" / "convert.py"):
        digest.update(path.read_bytes())
    digest.update(version("onnxruntime-genai").encode())
    return digest.hexdigest()[:16]


def cached(kind: str) -> Path:
    """A built variant of the embedded model, made once per machine under models/test/onnx/:
    "hf" and "gptq" (Hugging Face folders), "fp32", "int4" and "gptq-int4" (ONNX folders),
    "f32.gguf" (the llama.cpp reference)."""
    folder = CACHE / cache_key()
    target = folder / kind
    if target.exists():
        return target
    if not folder.exists():
        # Builds for an older GGUF, script or builder are never used again.
        for stale in CACHE.glob("*") if CACHE.is_dir() else ():
            shutil.rmtree(stale, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename: a run killed halfway leaves nothing that looks done.
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        work = Path(tmp) / kind
        if kind == "hf":
            export_hf(EMBEDDED, work)
        elif kind == "gptq":
            export_gptq(cached("hf"), work)
        elif kind == "f32.gguf":
            write_f32_gguf(EMBEDDED, work)
        elif kind in ("fp32", "int4"):
            convert_folder(cached("hf"), work, kind)
        elif kind == "gptq-int4":
            convert_folder(cached("gptq"), work, "int4")
        else:
            raise ValueError(f"unknown variant {kind!r}")
        os.replace(work, target)
    return target


def convert_folder(hf_dir: Path, out: Path, precision: str) -> Path:
    sys.path.insert(0, str(REPO))
    from lsp_server.modelfiles.convert import convert

    return convert(hf_dir, out, precision=precision, execution="cpu", quiet=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="?", help="output folder (an ONNX model folder unless --hf-only)")
    parser.add_argument("--gguf", type=Path, default=EMBEDDED, help="the llama GGUF to export")
    parser.add_argument("--precision", choices=["fp32", "int4"], default="fp32")
    parser.add_argument("--gptq", action="store_true", help="go through a 4-bit GPTQ checkpoint (implies int4)")
    parser.add_argument("--hf-only", action="store_true", help="stop at the Hugging Face checkpoint")
    parser.add_argument("--f32-gguf", type=Path, metavar="OUT.gguf", help="write the float32 GGUF and stop")
    args = parser.parse_args(argv)
    if args.f32_gguf:
        path = write_f32_gguf(args.gguf, args.f32_gguf)
        print(f"wrote {path}", file=sys.stderr)
        return 0
    if args.out is None:
        parser.error("OUT_DIR is required")
    with tempfile.TemporaryDirectory() as tmp:
        hf = export_hf(args.gguf, Path(tmp) / "hf")
        if args.gptq:
            hf = export_gptq(hf, Path(tmp) / "gptq")
        if args.hf_only:
            shutil.copytree(hf, args.out, dirs_exist_ok=True)
        else:
            convert_folder(hf, args.out, "int4" if args.gptq else args.precision)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

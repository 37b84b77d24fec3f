"""Tensor tables of real code models, quantised like llama.cpp's Q4_K_M, and GGUF
files that carry them without the weights.

The hyper-parameters are those of the published config.json files. The quant mix
follows llama.cpp's Q4_K_M rule: Q4_K everywhere, Q6_K for attn_v and ffn_down in
the first and last eighth of the layers and every third layer between, and for
the output layer (token_embd when the embeddings are tied). A "header-only" GGUF ends in
a sparse hole where the weights would be: GGUFReader maps it without reading, the disk holds a few kilobytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFWriter

Q4_K, Q6_K, F32 = GGMLQuantizationType.Q4_K, GGMLQuantizationType.Q6_K, GGMLQuantizationType.F32


@dataclass(frozen=True)
class Shape:
    arch: str
    n_layers: int
    n_embd: int
    n_head: int
    n_head_kv: int
    n_ff: int
    n_vocab: int
    n_ctx_train: int
    tied_embeddings: bool
    qkv_bias: bool


QWEN25_CODER_1_5B = Shape("qwen2", 28, 1536, 12, 2, 8960, 151936, 32768, True, True)
QWEN25_CODER_7B = Shape("qwen2", 28, 3584, 28, 4, 18944, 152064, 32768, False, True)


def _nbytes(shape: tuple[int, ...], kind: GGMLQuantizationType) -> int:
    block, size = GGML_QUANT_SIZES[kind]
    elements = int(np.prod(shape))
    return elements // block * size


def _more_bits(layer: int, n_layers: int) -> bool:
    return layer < n_layers // 8 or layer >= 7 * n_layers // 8 or (layer - n_layers // 8) % 3 == 2


def tensor_table(s: Shape) -> list[tuple[str, tuple[int, ...], GGMLQuantizationType]]:
    """(name, GGUF shape (fastest dimension first), type) for every tensor."""
    head_dim = s.n_embd // s.n_head
    kv = s.n_head_kv * head_dim
    # Tied embeddings: token_embd doubles as the output layer and gets its Q6_K.
    embd_kind = Q6_K if s.tied_embeddings else Q4_K
    table = [("token_embd.weight", (s.n_embd, s.n_vocab), embd_kind), ("output_norm.weight", (s.n_embd,), F32)]
    if not s.tied_embeddings:
        table.append(("output.weight", (s.n_embd, s.n_vocab), Q6_K))
    for i in range(s.n_layers):
        more = Q6_K if _more_bits(i, s.n_layers) else Q4_K
        table += [
            (f"blk.{i}.attn_norm.weight", (s.n_embd,), F32),
            (f"blk.{i}.attn_q.weight", (s.n_embd, s.n_embd), Q4_K),
            (f"blk.{i}.attn_k.weight", (s.n_embd, kv), Q4_K),
            (f"blk.{i}.attn_v.weight", (s.n_embd, kv), more),
            (f"blk.{i}.attn_output.weight", (s.n_embd, s.n_embd), Q4_K),
            (f"blk.{i}.ffn_norm.weight", (s.n_embd,), F32),
            (f"blk.{i}.ffn_gate.weight", (s.n_embd, s.n_ff), Q4_K),
            (f"blk.{i}.ffn_up.weight", (s.n_embd, s.n_ff), Q4_K),
            (f"blk.{i}.ffn_down.weight", (s.n_ff, s.n_embd), more),
        ]
        if s.qkv_bias:
            table += [
                (f"blk.{i}.attn_q.bias", (s.n_embd,), F32),
                (f"blk.{i}.attn_k.bias", (kv,), F32),
                (f"blk.{i}.attn_v.bias", (kv,), F32),
            ]
    return table


def metadata(s: Shape) -> dict:
    return {
        "general.architecture": s.arch,
        f"{s.arch}.block_count": s.n_layers,
        f"{s.arch}.embedding_length": s.n_embd,
        f"{s.arch}.attention.head_count": s.n_head,
        f"{s.arch}.attention.head_count_kv": s.n_head_kv,
        f"{s.arch}.feed_forward_length": s.n_ff,
        f"{s.arch}.context_length": s.n_ctx_train,
        f"{s.arch}.vocab_size": s.n_vocab,
    }


def sized_table(s: Shape) -> list[tuple[str, int]]:
    """(name, bytes) pairs, as vram.shape_from_tensors takes them."""
    return [(name, _nbytes(dims, kind)) for name, dims, kind in tensor_table(s)]


def write_header_only_gguf(path: Path, s: Shape) -> Path:
    """A GGUF with s's metadata and tensor table whose data section is a sparse hole."""
    writer = GGUFWriter(str(path), arch=s.arch)
    writer.add_block_count(s.n_layers)
    writer.add_embedding_length(s.n_embd)
    writer.add_head_count(s.n_head)
    writer.add_head_count_kv(s.n_head_kv)
    writer.add_feed_forward_length(s.n_ff)
    writer.add_context_length(s.n_ctx_train)
    writer.add_vocab_size(s.n_vocab)
    data_bytes = 0
    for name, dims, kind in tensor_table(s):
        nbytes = _nbytes(dims, kind)
        # raw_dtype given: the shape is taken as the stored byte shape, so pass it reversed.
        byte_shape = (*reversed(dims[1:]), dims[0] // GGML_QUANT_SIZES[kind][0] * GGML_QUANT_SIZES[kind][1])
        writer.add_tensor_info(name, byte_shape, np.dtype(np.uint8), nbytes, raw_dtype=kind)
        data_bytes += -(-nbytes // 32) * 32  # each tensor padded to the default alignment
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    writer.close()
    with open(path, "r+b") as f:
        f.seek(0, 2)
        start = -(-f.tell() // 32) * 32
        f.truncate(start + data_bytes)  # a hole: no blocks on disk
    return path

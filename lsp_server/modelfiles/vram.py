"""How many layers of a GGUF model fit a GPU memory budget.

The model's own tensor table says what each layer weighs (`blk.N.*`), what the
output layer weighs, and its hyper-parameters give the KV cache per layer for a
context length. Add llama.cpp's compute buffer and the CUDA runtime's own share,
and the plan is the largest n_gpu_layers that fits.

llama.cpp's rule (src/llama-model.cpp): with n_gpu_layers = k, the output layer
goes to the GPU first, then the last k-1 repeating layers; k = n_layers + 1 puts
everything there. The input embedding (token_embd) always stays in host memory.
Only this module's arithmetic is an estimate; tests/modelfiles/test_vram.py holds it to
figures measured with llama.cpp on an H100 for the Qwen2.5-Coder shapes.

Two models in one process (the completion model and an explain model): the completion
model is planned first, against the whole budget; the explain model gets what it leaves
(`budget_left`), so the one that goes (partly) to the CPU is always the explain model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .gguf_header import read_gguf_header

MIB = 1 << 20
GIB = 1 << 30
# The CUDA context, cuBLAS workspace and llama.cpp's host-visible buffers: about
# 0.3-0.5 GB on the cards measured; taken at the high end so a plan never overflows.
RUNTIME_OVERHEAD = 400 * MIB
KV_BYTES_PER_VALUE = 2  # f16 K and V cache, llama.cpp's default
_LAYER = re.compile(r"^blk\.(\d+)\.")


@dataclass(frozen=True)
class ModelShape:
    n_layers: int
    n_ctx_train: int
    n_embd: int
    n_head: int
    n_head_kv: int
    n_ff: int
    n_vocab: int
    head_dim_k: int
    head_dim_v: int
    layer_bytes: tuple[int, ...]  # weights of blk.N.*, per layer
    output_bytes: int  # output.weight (token_embd again when the embeddings are tied) + output_norm
    total_bytes: int  # every tensor, token_embd included

    def kv_bytes_per_layer(self, n_ctx: int) -> int:
        # K and V for every position: n_ctx * n_kv_heads * head_dim values each, f16.
        return n_ctx * self.n_head_kv * (self.head_dim_k + self.head_dim_v) * KV_BYTES_PER_VALUE

    def kv_cache_bytes(self, n_ctx: int) -> int:
        return self.n_layers * self.kv_bytes_per_layer(n_ctx)


def compute_buffer_bytes(shape: ModelShape, n_batch: int = 512) -> int:
    """llama.cpp's GPU compute buffer: the logits of a batch (n_batch x n_vocab floats,
    the largest tensor of the graph) plus the activations of one layer for the batch.
    Flash attention is on whenever layers are offloaded, so no n_ctx x n_ctx scores."""
    logits = n_batch * shape.n_vocab * 4
    activations = n_batch * (4 * shape.n_embd + 2 * shape.n_ff) * 4
    return logits + activations


def _scalar(value) -> int:
    # Some models give per-layer arrays (e.g. head_count_kv); planning uses the largest.
    if isinstance(value, (list, tuple)):
        return int(max(value)) if value else 0
    return int(value)


def shape_from_tensors(metadata: dict, tensors: Iterable[tuple[str, int]]) -> ModelShape:
    """A ModelShape from GGUF metadata (key -> value) and (tensor name, bytes) pairs."""
    arch = metadata["general.architecture"]

    def get(key: str, default=None):
        return metadata.get(f"{arch}.{key}", default)

    n_layers = _scalar(get("block_count"))
    n_embd = _scalar(get("embedding_length"))
    n_head = _scalar(get("attention.head_count"))
    n_head_kv = _scalar(get("attention.head_count_kv", n_head))
    head_dim = n_embd // n_head if n_head else 0
    layer_bytes = [0] * n_layers
    sizes: dict[str, int] = {}
    total = 0
    for name, nbytes in tensors:
        total += nbytes
        match = _LAYER.match(name)
        if match and int(match.group(1)) < n_layers:
            layer_bytes[int(match.group(1))] += nbytes
        else:
            sizes[name] = nbytes
    output = sizes.get("output.weight", sizes.get("token_embd.weight", 0))
    n_vocab = _scalar(get("vocab_size", 0)) or len(metadata.get("tokenizer.ggml.tokens", ()))
    return ModelShape(
        n_layers=n_layers,
        n_ctx_train=_scalar(get("context_length", 0)),
        n_embd=n_embd,
        n_head=n_head,
        n_head_kv=n_head_kv,
        n_ff=_scalar(get("feed_forward_length", 0)),
        n_vocab=n_vocab,
        head_dim_k=_scalar(get("attention.key_length", head_dim)),
        head_dim_v=_scalar(get("attention.value_length", head_dim)),
        layer_bytes=tuple(layer_bytes),
        output_bytes=output + sizes.get("output_norm.weight", 0) + sizes.get("output_norm.bias", 0),
        total_bytes=total,
    )


def read_model_shape(path: str | Path) -> ModelShape:
    """The shape of a GGUF file, from its header and tensor table (no weights are read)."""
    header = read_gguf_header(path)
    return shape_from_tensors(header.metadata, ((t.name, t.n_bytes) for t in header.tensors))


@dataclass(frozen=True)
class OffloadPlan:
    n_gpu_layers: int  # the value for llama.cpp (n_layers + 1 = everything)
    layers_on_gpu: int  # repeating layers on the GPU
    n_layers: int
    gpu_bytes: int  # estimated GPU memory in use
    budget_bytes: int
    note: str = ""

    def summary(self) -> str:
        if self.n_gpu_layers == 0:
            return f"CPU only ({self.note})" if self.note else "CPU only"
        return (
            f"{self.layers_on_gpu}/{self.n_layers} layers on GPU, "
            f"{self.gpu_bytes / GIB:.1f} GiB of {self.budget_bytes / GIB:.3g} GiB"
        )


def plan_offload(shape: ModelShape, n_ctx: int, budget_bytes: int, n_batch: int = 512) -> OffloadPlan:
    """The most layers that fit budget_bytes of GPU memory, in llama.cpp's offload order."""
    fixed = RUNTIME_OVERHEAD + compute_buffer_bytes(shape, min(n_batch, n_ctx))
    kv_layer = shape.kv_bytes_per_layer(n_ctx)
    used = fixed + shape.output_bytes
    if used > budget_bytes:
        need = (used + shape.layer_bytes[-1] + kv_layer) if shape.layer_bytes else used
        return OffloadPlan(
            0,
            0,
            shape.n_layers,
            0,
            budget_bytes,
            f"even one layer needs {need / GIB:.1f} GiB; budget {budget_bytes / GIB:.3g} GiB",
        )
    on_gpu = 0
    for nbytes in reversed(shape.layer_bytes):
        if used + nbytes + kv_layer > budget_bytes:
            break
        used += nbytes + kv_layer
        on_gpu += 1
    return OffloadPlan(on_gpu + 1, on_gpu, shape.n_layers, used, budget_bytes)


def gpu_bytes(shape: ModelShape, n_ctx: int, n_gpu_layers: int, n_batch: int = 512) -> int:
    """Estimated GPU memory in use with llama.cpp's n_gpu_layers (-1: all, 0: none), by the
    same arithmetic as plan_offload: for a model loaded with an explicit layer count."""
    if n_gpu_layers == 0:
        return 0
    count = shape.n_layers + 1 if n_gpu_layers < 0 else min(n_gpu_layers, shape.n_layers + 1)
    layers = shape.layer_bytes[len(shape.layer_bytes) - (count - 1) :] if count > 1 else ()
    fixed = RUNTIME_OVERHEAD + compute_buffer_bytes(shape, min(n_batch, n_ctx)) + shape.output_bytes
    return fixed + sum(layers) + len(layers) * shape.kv_bytes_per_layer(n_ctx)


def budget_left(budget_bytes: int, first_gpu_bytes: int) -> int:
    """What a second model in the same process may plan for once the first one uses
    first_gpu_bytes: the rest of the budget. The CUDA runtime is paid once per process, and
    plan_offload charges it to every plan, so the first model's share of it is given back."""
    if first_gpu_bytes <= 0:
        return budget_bytes
    return max(0, budget_bytes - first_gpu_bytes + RUNTIME_OVERHEAD)


def plan_pair(
    first: ModelShape, first_ctx: int, second: ModelShape, second_ctx: int, budget_bytes: int
) -> tuple[OffloadPlan, OffloadPlan]:
    """Plans for two models sharing one budget: the first (the completion model) as if alone,
    the second (the explain model) in what is left."""
    first_plan = plan_offload(first, first_ctx, budget_bytes)
    second_plan = plan_offload(second, second_ctx, budget_left(budget_bytes, first_plan.gpu_bytes))
    return first_plan, second_plan

"""A tiny decoder-only transformer laid out exactly like llama.cpp's "llama" architecture.

Every tensor here maps one-to-one onto a GGUF tensor (see export_gguf.py), so the model
that PyTorch trains is the model that llama.cpp runs:

    token_embd.weight            (vocab, dim)   also used as the output matrix (tied)
    blk.N.attn_norm.weight       (dim,)         RMSNorm before attention
    blk.N.attn_q/k/v.weight      (dim, dim)     numpy/PyTorch layout is (out, in)
    blk.N.attn_output.weight     (dim, dim)
    blk.N.ffn_norm.weight        (dim,)         RMSNorm before the feed-forward
    blk.N.ffn_gate/up.weight     (ffn, dim)     SwiGLU: down(silu(gate(x)) * up(x))
    blk.N.ffn_down.weight        (dim, ffn)
    output_norm.weight           (dim,)

Rotary position embedding: llama.cpp's llama architecture rotates *adjacent* pairs of each
head's channels, (x[2i], x[2i+1]), by the angle pos * base**(-2i/head_dim). We implement that
same "interleaved" rotation here, so the Q/K weights need no permutation on export (the
Hugging Face "rotate_half" layout would need one).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelConfig:
    vocab_size: int = 49152
    dim: int = 256
    n_layers: int = 6
    n_heads: int = 4
    ffn_dim: int = 768
    context_length: int = 512
    rope_base: float = 10000.0
    norm_eps: float = 1e-5

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads

    def to_dict(self) -> dict:
        return asdict(self)


# Named configurations; --config picks one. "cpu" fits a short CPU run and the 25 MB limit
# after Q8_0 quantisation; "gpu" is wider and deeper for a run on an accelerator (still
# under 25 MB in Q8_0: the tied embedding is most of the size).
CONFIGS = {
    "cpu": ModelConfig(dim=256, n_layers=6, n_heads=4, ffn_dim=768, context_length=512),
    "gpu": ModelConfig(dim=320, n_layers=8, n_heads=5, ffn_dim=896, context_length=1024),
    # What the shipped model uses: a 2-core CPU and under an hour; four layers instead of six
    # buy more tokens per minute (see models/MODEL_CARD.md).
    "cpu4": ModelConfig(dim=256, n_layers=4, n_heads=4, ffn_dim=768, context_length=512),
    "test": ModelConfig(dim=64, n_layers=2, n_heads=2, ffn_dim=128, context_length=64),
    # One short run on an H200 (train_gpu.py, whose docstring has the arithmetic): as many
    # parameters as a 25 MiB Q8_0 file holds, spent on depth (12 thin layers) rather than
    # width, and a 1024-token context.
    "h200": ModelConfig(dim=256, n_layers=12, n_heads=4, ffn_dim=704, context_length=1024),
}


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Normalise in float32 like llama.cpp does, whatever the autocast dtype.
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return (xf * self.weight.float()).to(x.dtype)


def rope_tables(cfg: ModelConfig, seq_len: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin of shape (seq_len, head_dim/2): angle(pos, i) = pos * base**(-2i/head_dim)."""
    half = cfg.head_dim // 2
    inv_freq = cfg.rope_base ** (-torch.arange(half, dtype=torch.float64, device=device) * 2 / cfg.head_dim)
    pos = torch.arange(seq_len, dtype=torch.float64, device=device)
    angles = torch.outer(pos, inv_freq)
    return angles.cos().float(), angles.sin().float()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate adjacent channel pairs of x (batch, heads, seq, head_dim)."""
    x_even = x[..., 0::2].float()
    x_odd = x[..., 1::2].float()
    rot_even = x_even * cos - x_odd * sin
    rot_odd = x_even * sin + x_odd * cos
    # Interleave back: (..., half, 2) -> (..., head_dim)
    return torch.stack((rot_even, rot_odd), dim=-1).flatten(-2).to(x.dtype)


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        d = cfg.dim
        self.attn_norm = RMSNorm(d, cfg.norm_eps)
        self.attn_q = nn.Linear(d, d, bias=False)
        self.attn_k = nn.Linear(d, d, bias=False)
        self.attn_v = nn.Linear(d, d, bias=False)
        self.attn_output = nn.Linear(d, d, bias=False)
        self.ffn_norm = RMSNorm(d, cfg.norm_eps)
        self.ffn_gate = nn.Linear(d, cfg.ffn_dim, bias=False)
        self.ffn_up = nn.Linear(d, cfg.ffn_dim, bias=False)
        self.ffn_down = nn.Linear(cfg.ffn_dim, d, bias=False)

    def forward(self, x, cos, sin):
        b, t, d = x.shape
        h, hd = self.cfg.n_heads, self.cfg.head_dim
        y = self.attn_norm(x)
        q = self.attn_q(y).view(b, t, h, hd).transpose(1, 2)
        k = self.attn_k(y).view(b, t, h, hd).transpose(1, 2)
        v = self.attn_v(y).view(b, t, h, hd).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.attn_output(a.transpose(1, 2).reshape(b, t, d))
        y = self.ffn_norm(x)
        x = x + self.ffn_down(F.silu(self.ffn_gate(y)) * self.ffn_up(y))
        return x


class TinyLlama(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.token_embd = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.output_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.reset_parameters()

    def reset_parameters(self):
        std = 0.02
        for name, p in self.named_parameters():
            if p.dim() == 2:
                nn.init.normal_(p, 0.0, std)
                # GPT-2 style: scale the projections that add into the residual stream.
                if name.endswith(("attn_output.weight", "ffn_down.weight")):
                    p.data /= math.sqrt(2 * self.cfg.n_layers)

    def hidden(self, tokens: torch.Tensor) -> torch.Tensor:
        t = tokens.shape[1]
        cos, sin = rope_tables(self.cfg, t, tokens.device)
        x = self.token_embd(tokens)
        for blk in self.blocks:
            x = blk(x, cos, sin)
        return self.output_norm(x)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Logits (batch, seq, vocab); the output matrix is the token embedding (tied)."""
        return F.linear(self.hidden(tokens), self.token_embd.weight)

    def gguf_tensors(self) -> dict[str, torch.Tensor]:
        """The model's weights under their GGUF names."""
        out = {"token_embd.weight": self.token_embd.weight, "output_norm.weight": self.output_norm.weight}
        for i, blk in enumerate(self.blocks):
            for name in ("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
                         "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"):
                out[f"blk.{i}.{name}.weight"] = getattr(blk, name).weight
        return out

    def load_gguf_tensors(self, tensors: dict[str, np.ndarray]) -> None:
        own = self.gguf_tensors()
        missing = set(own) - set(tensors)
        if missing:
            raise KeyError(f"missing tensors: {sorted(missing)[:5]}")
        with torch.no_grad():
            for name, p in own.items():
                p.copy_(torch.from_numpy(np.array(tensors[name], dtype=np.float32)).reshape(p.shape))

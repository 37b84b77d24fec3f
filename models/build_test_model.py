"""Build a small GGUF code model with random weights, for tests and benchmarks.

It has the real StarCoder tokenizer (models/vocab/ggml-vocab-starcoder.gguf,
from llama.cpp's test data, MIT) with its FIM tokens, and the llama
architecture, so llama.cpp loads and runs it like any downloaded model. Its
output is deterministic (greedy decoding, fixed seed) but meaningless: it tests
the plumbing, not completion quality.

With --chatml it also carries a ChatML chat template (`tokenizer.chat_template`), as
instruct models do: it then stands in for an explain (chat) model. Without it the file is
byte for byte what it always was.

Usage: python models/build_test_model.py OUT.gguf [--embd 64] [--layers 2] [--seed 0] [--chatml]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from gguf import GGUFReader, GGUFWriter, LlamaFileType

HERE = Path(__file__).resolve().parent
DEFAULT_VOCAB = HERE / "vocab" / "ggml-vocab-starcoder.gguf"

# Tokenizer keys copied verbatim from the vocab GGUF.
TOKENIZER_KEYS = [
    "tokenizer.ggml.model",
    "tokenizer.ggml.pre",
    "tokenizer.ggml.tokens",
    "tokenizer.ggml.token_type",
    "tokenizer.ggml.merges",
    "tokenizer.ggml.bos_token_id",
    "tokenizer.ggml.eos_token_id",
    "tokenizer.ggml.unknown_token_id",
]

# The ChatML template of instruct models such as Qwen2.5-Coder-Instruct, reduced to what
# Infill renders (messages and the generation prompt).
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def _copy_tokenizer(reader: GGUFReader, writer: GGUFWriter) -> list[str]:
    tokens: list[str] = []
    for key in TOKENIZER_KEYS:
        field = reader.fields.get(key)
        if field is None:
            continue
        value = field.contents()
        if key == "tokenizer.ggml.model":
            writer.add_tokenizer_model(value)
        elif key == "tokenizer.ggml.pre":
            writer.add_tokenizer_pre(value)
        elif key == "tokenizer.ggml.tokens":
            tokens = value
            writer.add_token_list(value)
        elif key == "tokenizer.ggml.token_type":
            writer.add_token_types(value)
        elif key == "tokenizer.ggml.merges":
            writer.add_token_merges(value)
        elif key == "tokenizer.ggml.bos_token_id":
            writer.add_bos_token_id(value)
        elif key == "tokenizer.ggml.eos_token_id":
            writer.add_eos_token_id(value)
        elif key == "tokenizer.ggml.unknown_token_id":
            writer.add_unk_token_id(value)
    writer.add_add_bos_token(False)
    ids = {t: i for i, t in enumerate(tokens[:64])}
    for text, key in (
        ("<fim_prefix>", "tokenizer.ggml.fim_pre_token_id"),
        ("<fim_suffix>", "tokenizer.ggml.fim_suf_token_id"),
        ("<fim_middle>", "tokenizer.ggml.fim_mid_token_id"),
        ("<fim_pad>", "tokenizer.ggml.fim_pad_token_id"),
        ("<repo_name>", "tokenizer.ggml.fim_rep_token_id"),
        ("<file_sep>", "tokenizer.ggml.fim_sep_token_id"),
    ):
        if text in ids:
            writer.add_uint32(key, ids[text])
    return tokens


def build_test_model(
    out: Path,
    vocab: Path = DEFAULT_VOCAB,
    embd: int = 64,
    layers: int = 2,
    heads: int = 4,
    ffn: int = 128,
    ctx: int = 4096,
    seed: int = 0,
    chat_template: str | None = None,
    name: str = "infill-test-random",
) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    reader = GGUFReader(str(vocab))
    tmp = out.with_suffix(out.suffix + ".tmp")
    writer = GGUFWriter(str(tmp), arch="llama")
    writer.add_name(name)
    writer.add_context_length(ctx)
    writer.add_embedding_length(embd)
    writer.add_block_count(layers)
    writer.add_feed_forward_length(ffn)
    writer.add_head_count(heads)
    writer.add_head_count_kv(heads)
    writer.add_rope_dimension_count(embd // heads)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(LlamaFileType.MOSTLY_F16)
    tokens = _copy_tokenizer(reader, writer)
    if chat_template is not None:
        writer.add_chat_template(chat_template)
    n_vocab = len(tokens)

    rng = np.random.default_rng(seed)

    def weight(rows: int, cols: int, scale: float) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) * scale).astype(np.float16)

    writer.add_tensor("token_embd.weight", weight(n_vocab, embd, 1.0))
    writer.add_tensor("output_norm.weight", np.ones(embd, dtype=np.float32))
    output = weight(n_vocab, embd, 1.0)
    # Control tokens get zero logits, so random weights never pick them: the
    # model always produces visible text, which is what plumbing tests need.
    token_types = reader.fields["tokenizer.ggml.token_type"].contents()
    for token_id, kind in enumerate(token_types):
        if kind != 1:  # 1 = normal token
            output[token_id] = 0
    writer.add_tensor("output.weight", output)
    scale = 1.0 / np.sqrt(embd)
    for i in range(layers):
        writer.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(embd, dtype=np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            writer.add_tensor(f"blk.{i}.{name}.weight", weight(embd, embd, scale))
        writer.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(embd, dtype=np.float32))
        writer.add_tensor(f"blk.{i}.ffn_gate.weight", weight(ffn, embd, scale))
        writer.add_tensor(f"blk.{i}.ffn_up.weight", weight(ffn, embd, scale))
        writer.add_tensor(f"blk.{i}.ffn_down.weight", weight(embd, ffn, 1.0 / np.sqrt(ffn)))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--vocab", type=Path, default=DEFAULT_VOCAB)
    parser.add_argument("--embd", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--ffn", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chatml", action="store_true", help="add a ChatML chat template (an explain model)")
    args = parser.parse_args(argv)
    path = build_test_model(
        args.out,
        args.vocab,
        args.embd,
        args.layers,
        args.heads,
        args.ffn,
        seed=args.seed,
        chat_template=CHATML_TEMPLATE if args.chatml else None,
        name="infill-test-chat" if args.chatml else "infill-test-random",
    )
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

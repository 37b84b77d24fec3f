"""Train Infill's tiny code model (next-token + fill-in-the-middle) on the prepared corpus.

    python models/train/prepare_data.py                      # once: writes models/train/.data/
    python models/train/train.py --config cpu4 --output-vocab 12000 --minutes 48 --threads 2 \
        --batch 4 --fim-rate 0.7 --middle-weight 2 --eval-every 60 --out models/train/runs/cpu4
                                                             # the shipped model (2-core CPU)
    python models/train/train.py --config gpu --minutes 10   # on CUDA, a bigger model

The run stops at --steps or --minutes, whichever comes first; the learning rate follows a
cosine schedule over that budget. Output in --out: model.pt (weights + config), log.jsonl
(one line per logged step), and val.jsonl (held-out losses).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from fim import EOT, IGNORE, fim_sequence, to_inputs_and_labels  # noqa: E402
from model import CONFIGS, TinyLlama  # noqa: E402

VOCAB_GGUF = HERE.parent / "vocab" / "ggml-vocab-starcoder.gguf"


def make_tokenizer():
    """StarCoder's tokenizer through llama.cpp: plain text only, control tokens never parsed."""
    import llama_cpp

    vocab = llama_cpp.Llama(model_path=str(VOCAB_GGUF), vocab_only=True, verbose=False)
    return lambda text: vocab.tokenize(text.encode("utf-8"), add_bos=False, special=False) if text else []


class SampleStream:
    """Random training sequences from a list of texts (files)."""

    def __init__(self, texts: list[str], weights: list[float], tokenize, seq_len: int, fim_rate: float, seed: int,
                 middle_weight: float = 1.0, fim_order: str = "psm"):
        self.texts, self.tokenize, self.seq_len, self.fim_rate = texts, tokenize, seq_len, fim_rate
        self.middle_weight, self.fim_order = middle_weight, fim_order
        self.rng = random.Random(seed)
        self.cum = []
        total = 0.0
        for w in weights:
            total += w
            self.cum.append(total)

    def window(self, chars: int) -> str:
        """A piece of a random file (longer files are picked more often), starting at a line."""
        text = self.texts[self._pick()]
        if len(text) <= chars:
            return text
        start = self.rng.randrange(len(text) - chars // 2)
        start = 0 if start < chars // 4 else text.rfind("\n", 0, start) + 1
        return text[start:start + chars]

    def _pick(self) -> int:
        import bisect
        return bisect.bisect_left(self.cum, self.rng.random() * self.cum[-1])

    def sequence(self) -> tuple[list[int], list[int], list[float]]:
        chars = self.seq_len * 5  # about 3.5 characters per token in Python: a little spare
        if self.rng.random() < self.fim_rate:
            seq, middle_at = fim_sequence(self.window(chars), self.tokenize, self.seq_len, self.rng,
                                           order=self.fim_order)
            return to_inputs_and_labels(seq, self.seq_len, middle_at, self.middle_weight)
        seq = []
        while len(seq) < self.seq_len + 1:
            seq += self.tokenize(self.window(chars)) + [EOT]
        return to_inputs_and_labels(seq, self.seq_len)

    def batch(self, size: int, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        rows = [self.sequence() for _ in range(size)]
        x = torch.tensor([r[0] for r in rows], dtype=torch.long, device=device)
        y = torch.tensor([r[1] for r in rows], dtype=torch.long, device=device)
        w = torch.tensor([r[2] for r in rows], dtype=torch.float32, device=device)
        return x, y, w


def load_corpus(data_dir: Path, stdlib_weight: float) -> tuple[list[str], list[float]]:
    texts, weights = [], []
    with open(data_dir / "corpus.jsonl") as f:
        for line in f:
            rec = json.loads(line)
            texts.append(rec["text"])
            weights.append(len(rec["text"]) * (stdlib_weight if rec["source"].startswith("stdlib") else 1.0))
    return texts, weights


def heldout_texts() -> list[str]:
    import sysconfig
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    names = [ln.strip() for ln in (HERE / "heldout_files.txt").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    return [(stdlib / n).read_text(encoding="utf-8") for n in names]


class OutputVocab:
    """The tokens the model may predict: those seen in (a sample of) the corpus.

    StarCoder's vocabulary has 49152 tokens; Python code uses about 20k of them, and the
    most frequent 12k cover 99% of the corpus. Computing logits only over the kept tokens
    makes a CPU training step several times cheaper (the output matrix is most of the
    compute). The other tokens keep an all-zero embedding row (tied: input and output), so
    llama.cpp gives each of them the logit 0; the training loss includes exactly that mass
    (one column holding log(number of dropped tokens)), so the softmax PyTorch trains is the
    softmax llama.cpp computes over the full vocabulary. Targets that are dropped tokens get
    no loss. The control tokens (EOT and the FIM tokens) are always kept.
    """

    def __init__(self, kept: list[int], vocab_size: int, device):
        kept = sorted(set(kept))
        self.kept = torch.tensor(kept, dtype=torch.long, device=device)
        self.mask = torch.zeros(vocab_size, dtype=torch.bool, device=device)
        self.mask[self.kept] = True
        self.remap = torch.full((vocab_size,), IGNORE, dtype=torch.long, device=device)
        self.remap[self.kept] = torch.arange(len(kept), device=device)
        self.dropped_logmass = math.log(max(1, vocab_size - len(kept)))

    @classmethod
    def from_corpus(cls, texts: list[str], tokenize, size: int, vocab_size: int, device, every: int = 3):
        import collections
        counts = collections.Counter()
        for text in texts[::every]:
            counts.update(tokenize(text))
        kept = [t for t, _ in counts.most_common(size)] + list(range(8))  # EOT, FIM and other control ids
        return cls(kept, vocab_size, device)

    def zero_dropped_rows(self, model) -> None:
        with torch.no_grad():
            model.token_embd.weight[~self.mask] = 0.0


def loss_fn(model, x, y, w, device_type: str, vocab: OutputVocab | None = None) -> torch.Tensor:
    """Weighted mean cross-entropy (weights: see fim.to_inputs_and_labels)."""
    # bfloat16 autocast only on CUDA: on a CPU without native bf16 matrix units it is ~20x
    # slower than float32 (measured on the 2-core training machine: 50 s vs 2.7 s per 512 tokens).
    with torch.autocast(device_type, dtype=torch.bfloat16, enabled=device_type == "cuda"):
        if vocab is None:
            logits = model(x)
        else:
            logits = F.linear(model.hidden(x), model.token_embd.weight[vocab.kept])
    logits = logits.float()
    if vocab is not None:
        dropped = torch.full((*logits.shape[:-1], 1), vocab.dropped_logmass, device=logits.device)
        logits = torch.cat([logits, dropped], dim=-1)
        y = vocab.remap[y.clamp(min=0)].masked_fill(y == IGNORE, IGNORE)
        w = w * (y != IGNORE)
    ce = F.cross_entropy(logits.view(-1, logits.shape[-1]), y.reshape(-1), ignore_index=IGNORE, reduction="none")
    w = w.reshape(-1)
    return (ce * w).sum() / w.sum().clamp(min=1e-6)


@torch.no_grad()
def evaluate(model, val_batches, device_type: str, vocab: OutputVocab | None = None) -> dict:
    model.eval()
    out = {}
    for name, (x, y, w) in val_batches.items():
        out[name] = round(loss_fn(model, x, y, torch.ones_like(w) * (y != IGNORE), device_type, vocab).item(), 4)
        if name == "val_fim":  # the loss on the middles alone
            out["val_middle"] = round(loss_fn(model, x, y, (w > 1).float(), device_type, vocab).item(), 4)
    model.train()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", choices=sorted(CONFIGS), default="cpu")
    ap.add_argument("--minutes", type=float, default=35.0, help="wall-clock budget")
    ap.add_argument("--steps", type=int, default=100_000, help="step budget")
    ap.add_argument("--batch", type=int, default=8, help="sequences per step")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--fim-rate", type=float, default=0.5)
    ap.add_argument("--fim-order", choices=("psm", "spm"), default="spm",
                    help="FIM sequence order; export_gguf.py records it in the GGUF (see fim.py)")
    ap.add_argument("--middle-weight", type=float, default=1.0, help="loss weight of FIM middle tokens")
    ap.add_argument("--resume", type=Path, help="start from this model.pt (fresh optimizer and schedule)")
    ap.add_argument("--stdlib-weight", type=float, default=2.0, help="sampling weight of stdlib files vs packages")
    ap.add_argument("--threads", type=int, default=2, help="CPU threads for torch")
    ap.add_argument("--device", default="auto", help="auto, cpu or cuda")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", type=Path, default=HERE / ".data")
    ap.add_argument("--out", type=Path, default=HERE / "runs" / "latest")
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--output-vocab", type=int, default=0,
                    help="predict only the N most frequent corpus tokens (0: the full vocabulary); see OutputVocab")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          (args.device if args.device != "auto" else "cpu"))
    cfg = CONFIGS[args.config]
    args.out.mkdir(parents=True, exist_ok=True)

    tokenize = make_tokenizer()
    texts, weights = load_corpus(args.data, args.stdlib_weight)
    stream = SampleStream(texts, weights, tokenize, cfg.context_length, args.fim_rate, args.seed, args.middle_weight,
                          args.fim_order)
    # Fixed validation batches from the held-out files: plain next-token and FIM.
    held = heldout_texts()
    val_lm = SampleStream(held, [len(t) for t in held], tokenize, cfg.context_length, 0.0, seed=1234)
    # middle_weight only marks the middle, for val_middle.
    val_fim = SampleStream(held, [len(t) for t in held], tokenize, cfg.context_length, 1.0, seed=1234,
                           middle_weight=2.0, fim_order=args.fim_order)
    val_batches = {"val_lm": val_lm.batch(16, device), "val_fim": val_fim.batch(16, device)}

    model = TinyLlama(cfg)
    if args.resume:
        ckpt = torch.load(args.resume, map_location="cpu")
        if ckpt["meta"]["config"] != cfg.to_dict():
            raise SystemExit(f"--resume checkpoint has config {ckpt['meta']['config']}, not {args.config}")
        model.load_state_dict(ckpt["model"])
    model = model.to(device)
    vocab = None
    if args.output_vocab:
        vocab = OutputVocab.from_corpus(texts, tokenize, args.output_vocab, cfg.vocab_size, device)
        vocab.zero_dropped_rows(model)
        print(f"output vocabulary: {len(vocab.kept)} of {cfg.vocab_size} tokens", flush=True)
    n_params = sum(p.numel() for p in model.parameters())
    decay = [p for n, p in model.named_parameters() if p.dim() == 2 and "token_embd" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() == 2 and "token_embd" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))
    print(f"device={device} config={args.config} params={n_params/1e6:.2f}M files={len(texts)}", flush=True)

    log = open(args.out / "log.jsonl", "w")
    t0 = time.time()
    budget_s = args.minutes * 60
    step = tokens = 0
    while True:
        elapsed = time.time() - t0
        progress = max(step / args.steps, elapsed / budget_s)
        if progress >= 1.0:
            break
        lr = args.lr * min(1.0, (step + 1) / args.warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))
        for g in opt.param_groups:
            g["lr"] = lr
        x, y, w = stream.batch(args.batch, device)
        loss = loss_fn(model, x, y, w, device.type, vocab)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if vocab is not None:  # dropped tokens seen as input got a gradient: keep them at zero
            vocab.zero_dropped_rows(model)
        step += 1
        tokens += int((y != IGNORE).sum())
        if step % args.log_every == 0 or step == 1:
            rec = {"step": step, "loss": round(loss.item(), 4), "lr": round(lr, 6), "tokens": tokens,
                   "elapsed_s": round(time.time() - t0, 1), "tok_per_s": round(tokens / (time.time() - t0))}
            if step % args.eval_every == 0 or step == 1:
                rec.update(evaluate(model, val_batches, device.type, vocab))
                save(model, cfg, args, step, tokens, time.time() - t0)
            log.write(json.dumps(rec) + "\n")
            log.flush()
            print(json.dumps(rec), flush=True)
    final = {"step": step, "tokens": tokens, "elapsed_s": round(time.time() - t0, 1), "final": True}
    final.update(evaluate(model, val_batches, device.type, vocab))
    log.write(json.dumps(final) + "\n")
    print(json.dumps(final), flush=True)
    save(model, cfg, args, step, tokens, time.time() - t0)


def save(model, cfg, args, step, tokens, elapsed) -> None:
    meta = {"config": cfg.to_dict(), "config_name": args.config, "step": step, "tokens": tokens,
            "elapsed_s": round(elapsed, 1), "args": {k: str(v) for k, v in vars(args).items()}}
    torch.save({"model": model.state_dict(), "meta": meta}, args.out / "model.pt")
    (args.out / "meta.json").write_text(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()

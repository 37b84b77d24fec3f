"""Train the embedded code model on one GPU within a hard wall-clock budget.

    python models/train/train_gpu.py --config h200 --minutes 7.5 --out RUN_DIR
    bash models/train/gpu_job.sh OUT          # on the GPU machine: checks, trains, packs (GPU_RUN.md)

It reads the pre-tokenized shards of build_corpus.py (models/train/.shards/) and trains
TinyLlama (model.py) on next-token prediction and fill-in-the-middle, exactly as train.py
does on a CPU, with what a GPU wants: bfloat16 autocast, PyTorch's fused attention
(scaled_dot_product_attention, in model.py), torch.compile (the run goes on uncompiled if
compiling fails), large batches, AdamW with a warm-up and a cosine schedule over the
wall-clock budget, a held-out evaluation every --eval-every-s seconds, and at the end the
checkpoint with the best held-out loss and its Q8_0 GGUF (export_gguf.py). --minutes bounds
the whole process, loading and export included.

Training sequences (context_length tokens each), the mix of train.py and fim.py:
  * next-token (1 - --fim-rate): token windows of random files, packed with <|endoftext|>;
  * fill-in-the-middle (--fim-rate): a window of a random file is decoded to text, the
    hidden middle is chosen as an editor asks for it (fim.choose_middle) and prefix, suffix
    and middle are tokenized separately (bpe.py: the same ids as llama.cpp), as Infill builds
    its prompts; SPM order with probability --spm-share, else PSM (the GGUF records SPM, the
    order Infill uses for this model; the PSM share keeps the model usable by engines that
    build PSM prompts). The middle weighs --middle-weight in the loss. A new cursor is drawn
    every time, so each epoch over the files shows the model new FIM examples.
Batches are made by --workers processes (pure Python and numpy), ahead of the GPU.

Sizing for one H200 lease (the arithmetic behind --config h200 and the defaults):
  * compute: about 7 minutes of steps (7.5 minutes minus loading, compiling and export) at
    the assumed 790 TFLOP/s bf16 peak and 35-40% MFU: 420 s x 2.96e14 FLOP/s = 1.24e17 FLOP;
  * compute-optimal (Chinchilla: tokens D = 20 N, FLOPs C = 6 N D = 120 N^2) would be
    N = sqrt(C / 120) = 32 M parameters on D = 640 M tokens (for 9 minutes of steps,
    1.6e17 FLOP: 37 M on 730 M);
  * but the embedded model's GGUF must stay under 25 MiB (tests/models/test_embedded_model.py;
    30 MB at most): Q8_0 stores 34 bytes per 32 weights, plus 1.7 MB of tokenizer, so
    N <= 23 M. The h200 config: 12 layers, width 256, 4 heads of 64, SwiGLU 704, context
    1024: N = 22.2 M (12.6 M of them the tied 49152 x 256 embedding), GGUF 24.2 MiB. Depth
    rather than width: at this size deep and thin models do better (MobileLLM, 2024), and
    the embedding stays a smaller part of the budget;
  * FLOPs per token: 6 N + 6 L T d (causal attention) = 133 M + 19 M = 152 MFLOP, so
    2.96e14 / 1.52e8 = 1.95 M tokens/s, 820 M tokens in 420 s: 37 tokens per parameter
    (more than 20, because the size cap binds first);
  * data: the shards hold 59 M training tokens (30.3 MB: about 35 MB is what can be shipped
    with the working tree), so that is about 14 epochs at 35-40% MFU; a model this small more
    likely reaches 15-20% MFU: 330-440 M tokens, 6-8 epochs. Data is the binding limit
    after the size cap (Muennighoff et al., 2023: up to about 4 epochs are worth nearly as
    much as new data, the value of repeats fades by about 16): hence a new FIM cursor at
    every draw, weight decay, and the checkpoint with the best held-out loss, not
    necessarily the last;
  * batch 256 x 1024 = 262k tokens per step (micro-batches of 32, accumulated), so 1.5-3k
    steps; learning rate 2e-3 (as the CPU model) after 100 warm-up steps, cosine to 10%;
    AdamW betas (0.9, 0.95), weight decay 0.1 on matrices, gradient clipping at 1.0.
On a CPU (tests/models/test_train_gpu_script.py) the same code runs a few steps of the test
config in float32.
"""

from __future__ import annotations

import argparse
import collections
import json
import lzma
import math
import multiprocessing
import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bpe import StarCoderBPE  # noqa: E402
from fim import EOT, FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX, IGNORE, fim_sequence, to_inputs_and_labels  # noqa: E402
from model import CONFIGS, ModelConfig, TinyLlama  # noqa: E402
from shards import read_shard  # noqa: E402

PEAK_TFLOPS = 790.0  # H200 bf16 dense, as assumed for the sizing above


def load_bpe(shard_dir: Path) -> StarCoderBPE:
    """The tokenizer: from the shards' vocab.json.xz (no gguf needed), else the vocab GGUF."""
    packed = shard_dir / "vocab.json.xz"
    if packed.exists():
        data = json.loads(lzma.decompress(packed.read_bytes()))
        return StarCoderBPE(data["tokens"], data["merges"], data["n_control"])
    return StarCoderBPE.from_gguf()


class Corpus:
    """The files (documents) of one split of the shards, with a sampling weight each
    (its token count: a longer file is drawn more often, as in train.py)."""

    def __init__(self, shard_dir: Path, split: str, langs: list[str] | None = None):
        manifest = json.loads((shard_dir / "manifest.json").read_text())
        self.tokens: list[np.ndarray] = []
        self.langs: list[str] = []
        starts, ends, shard_of = [], [], []
        for info in manifest["shards"]:
            if info["split"] != split or (langs and info["lang"] not in langs):
                continue
            data = read_shard(shard_dir / info["file"])
            off = data["doc_offsets"]
            starts.append(off[:-1])
            ends.append(off[1:])
            shard_of.append(np.full(len(off) - 1, len(self.tokens), dtype=np.int64))
            self.tokens.append(data["tokens"])
            self.langs.append(info["lang"])
        if not self.tokens:
            raise SystemExit(f"no {split} shards in {shard_dir}")
        self.start, self.end = np.concatenate(starts), np.concatenate(ends)
        self.shard = np.concatenate(shard_of)
        self.cum = np.cumsum(self.end - self.start).astype(np.float64)
        self.n_tokens = int(self.cum[-1])

    def pick(self, rng: random.Random) -> tuple[np.ndarray, int, int]:
        """A random file: (its shard's tokens, start, end)."""
        i = int(np.searchsorted(self.cum, rng.random() * self.cum[-1], side="right"))
        i = min(i, len(self.start) - 1)
        return self.tokens[self.shard[i]], int(self.start[i]), int(self.end[i])


class SampleMaker:
    """Training sequences from a Corpus: next-token windows and FIM examples (see the top)."""

    def __init__(self, corpus: Corpus, bpe: StarCoderBPE, seq_len: int, fim_rate: float, spm_share: float,
                 middle_weight: float, seed: int = 0):  # fmt: skip
        self.corpus, self.bpe, self.seq_len = corpus, bpe, seq_len
        self.fim_rate, self.spm_share, self.middle_weight = fim_rate, spm_share, middle_weight
        self.rng = random.Random(seed)

    def lm(self) -> list[int]:
        need = self.seq_len + 1
        seq: list[int] = []
        while len(seq) < need:
            toks, a, b = self.corpus.pick(self.rng)
            want = need - len(seq)
            if b - a > want:
                s = a + self.rng.randrange(b - a - want + 1)
                seq += toks[s : s + want].tolist()
            else:
                seq += toks[a:b].tolist() + [EOT]
        return seq[:need]

    def fim_text(self) -> str:
        """A window of a random file as text, starting at a line (as train.py's windows)."""
        toks, a, b = self.corpus.pick(self.rng)
        width = self.seq_len * 3 // 2  # more than fits: fim_sequence trims prefix and suffix
        start = a + self.rng.randrange(max(1, b - a - width // 2))
        if start - a < width // 4:
            start = a
        text = self.bpe.decode_bytes(toks[start : min(b, start + width)].tolist()).decode("utf-8", errors="ignore")
        if start > a:
            text = text[text.find("\n") + 1 :]
        return text

    def fim(self, order: str) -> tuple[list[int], int] | None:
        text = self.fim_text()
        if len(text.strip()) < 16:
            return None
        return fim_sequence(text, self.bpe.encode, self.seq_len, self.rng, order=order)

    def sequence(self) -> tuple[list[int], list[int], list[float]]:
        if self.rng.random() < self.fim_rate:
            got = self.fim("spm" if self.rng.random() < self.spm_share else "psm")
            if got is not None:
                return to_inputs_and_labels(got[0], self.seq_len, got[1], self.middle_weight)
        return to_inputs_and_labels(self.lm(), self.seq_len)

    def batch(self, n: int, seed: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if seed is not None:
            self.rng.seed(seed)
        rows = [self.sequence() for _ in range(n)]
        x = np.array([r[0] for r in rows], dtype=np.int32)
        y = np.array([r[1] for r in rows], dtype=np.int32)
        w = np.array([r[2] for r in rows], dtype=np.float32)
        return x, y, w


# Batches in worker processes. The maker is a global before the fork, so every worker shares
# the shards' memory; each task carries its own seed, so the batches do not depend on which
# worker makes them.
_MAKER: SampleMaker | None = None


def _make_batch(n: int, seed: int):
    return _MAKER.batch(n, seed)


class Batches:
    """Micro-batches made ahead by worker processes (or in this process with workers=0)."""

    def __init__(self, maker: SampleMaker, size: int, workers: int, seed: int, log):
        global _MAKER
        _MAKER = maker
        self.maker, self.size, self.seed, self.log = maker, size, seed, log
        self.count = 0
        self.pool = None
        self.pending: collections.deque = collections.deque()
        if workers > 0:
            try:
                self.pool = multiprocessing.get_context("fork").Pool(workers)
                for _ in range(workers * 3):
                    self._submit()
            except Exception as e:  # e.g. no fork: make batches here, slower but working
                log(f"worker processes unavailable ({e!r}); making batches in the training process")
                self.pool = None

    def _submit(self) -> None:
        self.pending.append(self.pool.apply_async(_make_batch, (self.size, self.seed * 1_000_003 + self.count)))
        self.count += 1

    def next(self):
        if self.pool is None:
            self.count += 1
            return self.maker.batch(self.size, self.seed * 1_000_003 + self.count)
        try:
            out = self.pending.popleft().get(timeout=300)
        except Exception as e:
            self.log(f"a worker failed ({e!r}); making batches in the training process from now on")
            self.close()
            return self.next()
        self._submit()
        return out

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool = None


def weighted_ce(logits: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Weighted mean cross-entropy over the full vocabulary (weights: fim.to_inputs_and_labels)."""
    ce = F.cross_entropy(logits.float().view(-1, logits.shape[-1]), y.reshape(-1), ignore_index=IGNORE,
                         reduction="none")  # fmt: skip
    w = w.reshape(-1)
    return (ce * w).sum() / w.sum().clamp(min=1e-6)


def make_loss(model: TinyLlama, device_type: str, amp: bool):
    def loss_of(x, y, w):
        with torch.autocast(device_type, dtype=torch.bfloat16, enabled=amp):
            logits = model(x)
        return weighted_ce(logits, y, w)

    return loss_of


def validation_batches(shard_dir: Path, bpe: StarCoderBPE, cfg: ModelConfig, seed: int) -> dict:
    """Fixed batches from the held-out files: next-token per language, and FIM in SPM order
    (the order Infill uses) for Python and for the other languages together."""
    held = Corpus(shard_dir, "heldout")
    out = {}
    for lang in held.langs:
        one = Corpus(shard_dir, "heldout", [lang])
        out[f"val_lm_{lang}"] = SampleMaker(one, bpe, cfg.context_length, 0.0, 1.0, 1.0, seed).batch(16)
    others = [x for x in held.langs if x != "python"]
    for name, langs in (("python", ["python"]), ("other", others)):
        if langs and all(x in held.langs for x in langs):
            one = Corpus(shard_dir, "heldout", langs)
            # middle_weight 2 only marks the middle, for val_middle
            out[f"val_fim_{name}"] = SampleMaker(one, bpe, cfg.context_length, 1.0, 1.0, 2.0, seed + 1).batch(32)
    return out


@torch.no_grad()
def evaluate(model, val: dict, device, amp: bool, chunk: int = 16) -> dict:
    model.eval()
    loss_of = make_loss(model, device.type, amp)
    out = {}
    for name, (x, y, w) in val.items():
        xs, ys, ws = (torch.from_numpy(a).to(device) for a in (x, y, w))
        ys = ys.long()
        total = {"all": 0.0, "mid": 0.0}
        for i in range(0, len(xs), chunk):
            xc, yc, wc = xs[i : i + chunk].long(), ys[i : i + chunk], ws[i : i + chunk]
            n_all, n_mid = (yc != IGNORE).sum().item(), (wc > 1).sum().item()
            total["all"] += loss_of(xc, yc, (yc != IGNORE).float()).item() * n_all
            if name.startswith("val_fim") and n_mid:
                total["mid"] += loss_of(xc, yc, (wc > 1).float()).item() * n_mid
        out[name] = round(total["all"] / max(1, (ys != IGNORE).sum().item()), 4)
        if name.startswith("val_fim"):
            out[name.replace("val_fim", "val_middle")] = round(total["mid"] / max(1, (ws > 1).sum().item()), 4)
    model.train()
    return out


def val_score(v: dict) -> float:
    """One number to pick the best checkpoint: the mean next-token loss over the languages
    and the mean loss on FIM middles."""
    lm = [x for k, x in v.items() if k.startswith("val_lm_")]
    mid = [x for k, x in v.items() if k.startswith("val_middle_")]
    return (sum(lm) / max(1, len(lm)) + sum(mid) / max(1, len(mid))) / (2 if lm and mid else 1)


@torch.no_grad()
def greedy_fim(model, bpe: StarCoderBPE, prefix: str, suffix: str, device, max_tokens: int = 24) -> str:
    """What the model writes at the cursor (SPM prompt, greedy), up to a newline: a sanity check."""
    model.eval()
    ids = [FIM_SUFFIX] + bpe.encode(suffix) + [FIM_PREFIX] + bpe.encode(prefix) + [FIM_MIDDLE]
    out: list[int] = []
    for _ in range(max_tokens):
        ctx = (ids + out)[-model.cfg.context_length :]
        nxt = int(model(torch.tensor([ctx], device=device))[0, -1].float().argmax())
        if nxt == EOT or "\n" in bpe.decode([nxt]):
            break
        out.append(nxt)
    model.train()
    return bpe.decode(out)


SANITY = [
    ("class Point:\n    def __init__(self, x, y):\n        self.x = x\n        ",
     "\n\n    def __repr__(self):\n        return f'Point({self.x}, {self.y})'\n"),
    ("def read_text(path):\n    with open(path) as f:\n        return f.", "\n"),
    ("func main() {\n\tfmt.", "(\"hello\")\n}\n"),
]  # fmt: skip


def save(path: Path, model: TinyLlama, cfg: ModelConfig, meta: dict) -> None:
    state = {k: v.detach().float().cpu() for k, v in model.state_dict().items()}
    tmp = path.with_suffix(".tmp")
    torch.save({"model": state, "meta": {"config": cfg.to_dict(), **meta}}, tmp)
    os.replace(tmp, path)


def flops_per_token(cfg: ModelConfig, n_params: int) -> float:
    """6 N for the weights (the tied embedding counts: it is the output matrix) plus the
    causal attention's 6 L T d."""
    return 6 * n_params + 6 * cfg.n_layers * cfg.context_length * cfg.dim


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", choices=sorted(CONFIGS), default="h200")
    ap.add_argument("--minutes", type=float, default=7.5, help="wall-clock budget of the whole process")
    ap.add_argument("--tail-s", type=float, default=45.0, help="seconds kept at the end for evaluation and export")
    ap.add_argument("--steps", type=int, default=1_000_000, help="step budget (tests)")
    ap.add_argument("--batch", type=int, default=256, help="sequences per optimizer step")
    ap.add_argument("--micro-batch", type=int, default=32, help="sequences per forward/backward")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr-ratio", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=100, help="warm-up steps")
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--fim-rate", type=float, default=0.7)
    ap.add_argument("--spm-share", type=float, default=0.8, help="share of FIM examples in SPM order (else PSM)")
    ap.add_argument("--middle-weight", type=float, default=2.0)
    ap.add_argument("--shards", type=Path, default=HERE / ".shards")
    ap.add_argument("--out", type=Path, default=HERE / "runs" / "h200")
    ap.add_argument("--workers", type=int, default=-1, help="batch-making processes (-1: CPUs - 2, at most 14)")
    ap.add_argument("--device", default="auto", help="auto, cuda or cpu")
    ap.add_argument("--compile", choices=("auto", "on", "off"), default="auto", help="torch.compile (auto: on CUDA)")
    ap.add_argument("--amp", choices=("auto", "on", "off"), default="auto", help="bf16 autocast (auto: on CUDA)")
    ap.add_argument("--eval-every-s", type=float, default=45.0)
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--export", choices=("q8_0", "f32", "none"), default="q8_0", help="GGUF written at the end")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = ap.parse_args(argv)
    t0 = time.time()
    deadline = t0 + args.minutes * 60
    args.out.mkdir(parents=True, exist_ok=True)
    log_file = open(args.out / "log.jsonl", "w")

    def log(msg) -> None:
        line = msg if isinstance(msg, str) else json.dumps(msg)
        print(f"[{time.time() - t0:6.1f}s] {line}", flush=True)
        if not isinstance(msg, str):
            log_file.write(line + "\n")
            log_file.flush()

    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = CONFIGS[args.config]
    bpe = load_bpe(args.shards)
    corpus = Corpus(args.shards, "train")
    maker = SampleMaker(corpus, bpe, cfg.context_length, args.fim_rate, args.spm_share, args.middle_weight, args.seed)
    val = validation_batches(args.shards, bpe, cfg, args.seed + 1)
    log(f"corpus: {corpus.n_tokens:,} training tokens in {len(corpus.start)} files ({', '.join(corpus.langs)}); "
        f"validation: {', '.join(val)}")  # fmt: skip
    workers = args.workers if args.workers >= 0 else max(0, min(14, (os.cpu_count() or 2) - 2))
    micro = min(args.micro_batch, args.batch)
    accum = max(1, args.batch // micro)
    # Workers fork before CUDA is touched.
    batches = Batches(maker, micro, workers, args.seed, log)

    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          (args.device if args.device != "auto" else "cpu"))  # fmt: skip
    cuda = device.type == "cuda"
    amp = args.amp == "on" or (args.amp == "auto" and cuda)
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    model = TinyLlama(cfg).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    decay = [p for n, p in model.named_parameters() if p.dim() == 2 and "token_embd" not in n]
    other = [p for n, p in model.named_parameters() if not (p.dim() == 2 and "token_embd" not in n)]
    groups = [{"params": decay, "weight_decay": args.weight_decay}, {"params": other, "weight_decay": 0.0}]
    try:
        opt = torch.optim.AdamW(groups, lr=args.lr, betas=(0.9, 0.95), fused=cuda)
    except (TypeError, RuntimeError):  # an older torch without the fused kernel
        opt = torch.optim.AdamW(groups, lr=args.lr, betas=(0.9, 0.95))
    eager_loss = make_loss(model, device.type, amp)
    loss_of, compiled = eager_loss, False
    if args.compile == "on" or (args.compile == "auto" and cuda):
        try:
            import torch._dynamo as dynamo

            dynamo.config.suppress_errors = True  # a graph that fails to compile runs eagerly
            loss_of, compiled = torch.compile(eager_loss), True
        except Exception as e:
            log(f"torch.compile unavailable ({e!r}); running eagerly")
    fpt = flops_per_token(cfg, n_params)
    env = {"torch": torch.__version__, "cuda": torch.version.cuda, "device": device.type,
           "gpu": torch.cuda.get_device_name(0) if cuda else None, "python": sys.version.split()[0],
           "workers": workers, "amp_bf16": amp, "compile": compiled}  # fmt: skip
    log({"event": "start", "config": args.config, "params": n_params, "flops_per_token": fpt, "batch": args.batch,
         "micro_batch": micro, "accum": accum, "seq_len": cfg.context_length, **env})  # fmt: skip

    step = tokens = seen = 0
    split = 1  # each micro-batch is cut in `split` pieces after an out-of-memory error
    best = {"score": math.inf}
    history = []
    data_wait = 0.0
    t_loop = time.time()
    end_at = deadline - args.tail_s
    last_eval = t_loop
    first_step_s = None

    def do_eval(tag: str) -> dict:
        v = evaluate(model, val, device, amp)
        v["score"] = round(val_score(v), 4)
        rec = {"event": "eval", "tag": tag, "step": step, "tokens": tokens, "elapsed_s": round(time.time() - t0, 1),
               **v}  # fmt: skip
        history.append(rec)
        log(rec)
        if v["score"] < best["score"]:
            best.update(score=v["score"], step=step, tokens=tokens, val=v)
            save(args.out / "model-best.pt", model, cfg, meta(step, tokens, "best"))
        return v

    def meta(at_step, at_tokens, tag) -> dict:
        return {"config_name": args.config, "step": at_step, "tokens": at_tokens, "tag": tag,
                "elapsed_s": round(time.time() - t0, 1),
                "args": {**{k: str(v) for k, v in vars(args).items()}, "fim_order": "spm"}}  # fmt: skip

    while step < args.steps and time.time() < end_at:
        progress = min(1.0, max(step / args.steps, (time.time() - t_loop) / max(1.0, end_at - t_loop)))
        lr = args.lr * min(1.0, (step + 1) / args.warmup)
        lr *= args.min_lr_ratio + (1 - args.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
        for g in opt.param_groups:
            g["lr"] = lr
        tw = time.time()
        micro_batches = [batches.next() for _ in range(accum)]
        data_wait += time.time() - tw
        ts = time.time()
        while True:
            try:
                opt.zero_grad(set_to_none=True)
                step_loss = 0.0
                for x, y, w in micro_batches:
                    for rows in np.array_split(np.arange(len(x)), split):
                        xt = torch.from_numpy(x[rows]).to(device).long()
                        yt = torch.from_numpy(y[rows]).to(device).long()
                        wt = torch.from_numpy(w[rows]).to(device)
                        loss = loss_of(xt, yt, wt) / (accum * split)
                        loss.backward()
                        step_loss += loss.detach()
                break
            except Exception as e:
                if not (cuda and "out of memory" in str(e).lower()):
                    if not compiled:
                        raise
                    log(f"compiled step failed ({type(e).__name__}: {str(e)[:300]}); going on uncompiled")
                    loss_of, compiled = eager_loss, False
                    continue
                if split >= micro:
                    raise
                split *= 2
                log(f"out of GPU memory: micro-batches now cut in {split}")
                torch.cuda.empty_cache()
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        n_tok = sum(int((y != IGNORE).sum()) for _, y, _ in micro_batches)
        tokens += n_tok
        seen += sum(x.size for x, _, _ in micro_batches)
        if first_step_s is None:
            first_step_s = round(time.time() - ts, 1)  # includes compiling
            log({"event": "first_step", "seconds": first_step_s, "compiled": compiled})
        if step % args.log_every == 0 or step == 1:
            el = time.time() - t_loop
            rec = {"event": "train", "step": step, "loss": round(float(step_loss), 4), "lr": round(lr, 6),
                   "grad_norm": round(float(grad_norm), 3), "tokens": tokens,
                   "epochs": round(tokens / corpus.n_tokens, 3),
                   "tok_per_s": round(seen / el), "data_wait_s": round(data_wait, 1),
                   "elapsed_s": round(time.time() - t0, 1)}  # fmt: skip
            if cuda:
                rec["mfu"] = round(seen / el * fpt / (PEAK_TFLOPS * 1e12), 4)
                rec["mem_gb"] = round(torch.cuda.max_memory_allocated() / 1e9, 1)
            log(rec)
        if time.time() - last_eval >= args.eval_every_s:
            do_eval("periodic")
            save(args.out / "model.pt", model, cfg, meta(step, tokens, "latest"))
            last_eval = time.time()
    batches.close()
    train_s = time.time() - t_loop
    final = do_eval("final")
    save(args.out / "model.pt", model, cfg, meta(step, tokens, "final"))

    # The best checkpoint (often the last) is the one exported and shipped.
    chosen = args.out / ("model-best.pt" if (args.out / "model-best.pt").exists() else "model.pt")
    ckpt = torch.load(chosen, map_location="cpu")
    model.load_state_dict(ckpt["model"])
    samples = {p[-30:] + "|" + s[:20]: greedy_fim(model, bpe, p, s, device) for p, s in SANITY}
    log({"event": "samples", "step": ckpt["meta"]["step"], "completions": samples})
    gguf_path = None
    if args.export != "none":
        try:
            gguf_path = export(chosen, args.out / "infill-tiny-code.gguf", args.export, log)
        except Exception as e:  # the checkpoint still goes back; the GGUF is made again there
            log(f"GGUF export failed ({type(e).__name__}: {e}); the checkpoint can be exported later")
    summary = {
        "ok": True, "config": cfg.to_dict(), "config_name": args.config, "params": n_params, "steps": step,
        "tokens": tokens, "tokens_processed": seen, "epochs": round(tokens / corpus.n_tokens, 2),
        "corpus_tokens": corpus.n_tokens, "train_seconds": round(train_s, 1), "first_step_seconds": first_step_s,
        "tok_per_s": round(seen / max(train_s, 1e-9)), "data_wait_s": round(data_wait, 1),
        "mfu": round(seen / max(train_s, 1e-9) * fpt / (PEAK_TFLOPS * 1e12), 4) if cuda else None,
        "final_val": final, "best": {k: v for k, v in best.items()}, "exported": chosen.name,
        "gguf": gguf_path.name if gguf_path else None, "compiled_at_end": compiled, "samples": samples,
        "evals": history, "env": env,
        "args": {k: str(v) for k, v in vars(args).items()}, "total_seconds": round(time.time() - t0, 1),
    }  # fmt: skip
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    log({"event": "done", "steps": step, "tokens": tokens, "best_score": best.get("score"),
         "total_seconds": summary["total_seconds"]})  # fmt: skip
    log_file.close()
    return summary


def export(checkpoint: Path, out: Path, quant: str, log) -> Path:
    """The GGUF of a checkpoint, written with gguf's own code (no llama.cpp needed)."""
    from export_gguf import write_gguf

    ckpt = torch.load(checkpoint, map_location="cpu")
    cfg = ModelConfig(**ckpt["meta"]["config"])
    model = TinyLlama(cfg)
    model.load_state_dict(ckpt["model"])
    m = ckpt["meta"]
    desc = (
        f"Infill's embedded code model: {m['step']} steps, {m['tokens']} tokens on one GPU, next-token + "
        f"fill-in-the-middle (SPM), StarCoder tokenizer; Python, TypeScript, JavaScript, Go, Rust, C, C++, Java"
    )
    tensors = {k: v.detach().float().numpy() for k, v in model.gguf_tensors().items()}
    write_gguf(tensors, cfg, out, description=desc, fim_order=m["args"].get("fim_order", "spm"), quant=quant)
    log(f"wrote {out.name} ({out.stat().st_size / 2**20:.1f} MiB, {quant})")
    return out


if __name__ == "__main__":
    main()

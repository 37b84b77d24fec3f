"""Pack a GPU training run into the few files a lease brings back, and unpack them here.

On the GPU machine (gpu_job.sh calls it after train_gpu.py):
    python models/train/gpu_run.py pack RUN_DIR OUT_DIR [--train-rc N]
Here, with the files that came back:
    python models/train/gpu_run.py collect FILES_DIR [--dest models/train/runs/h200] [--bench] [--install]

What comes back is at most 8 files of at most 16 MiB each, so `pack` puts the run into one
tar archive (run.tar: the best checkpoint with its weights in bfloat16, the GGUF, the logs)
cut into parts of PART_BYTES (run.tar.part-00, -01, ...), next to summary.json (the run's
summary, with the parts' sizes and SHA-256) and job.log (written by gpu_job.sh). To join the
parts by hand: `cat run.tar.part-* > run.tar && tar xf run.tar`.

`collect` joins and checks the parts, unpacks them into --dest, makes sure there is a GGUF
that llama.cpp loads and whose logits agree with PyTorch's (it exports one from the
checkpoint when none came back), then optionally runs `infill bench quality` on it (--bench)
and installs it as the embedded model (--install; never without that flag).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

PART_BYTES = 16_000_000  # under the 16 MiB (16,777,216 bytes) limit per file
MAX_FILES = 8  # what a lease brings back
OTHER_FILES = ("summary.json", "job.log")  # written next to the parts


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def bf16_checkpoint(src: Path, dst: Path) -> None:
    """The checkpoint with its weights in bfloat16: half the size, and the export loses
    nothing that matters (Q8_0 keeps fewer bits than bfloat16's 8-bit mantissa)."""
    import torch

    ckpt = torch.load(src, map_location="cpu")
    ckpt["model"] = {k: v.to(torch.bfloat16) if v.is_floating_point() else v for k, v in ckpt["model"].items()}
    ckpt["meta"]["weights_dtype"] = "bfloat16"
    torch.save(ckpt, dst)


def pack(run: Path, out: Path, train_rc: int = 0, part_bytes: int = PART_BYTES) -> dict:
    """Write run.tar.part-NN and summary.json into out; returns the summary."""
    out.mkdir(parents=True, exist_ok=True)
    summary_path = run / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {"ok": False}
    summary["train_rc"] = train_rc
    best = next((run / n for n in ("model-best.pt", "model.pt") if (run / n).exists()), None)
    items: list[Path] = []
    if best is None:
        summary.update(ok=False, error=summary.get("error") or "no checkpoint was written")
    else:
        ckpt = run / "model-bf16.pt"
        bf16_checkpoint(best, ckpt)
        items.append(ckpt)
        gguf_path = run / "infill-tiny-code.gguf"
        if not gguf_path.exists():  # the training process ran out of time before its export
            try:
                from train_gpu import export

                export(best, gguf_path, "q8_0", print)
            except Exception as e:
                summary["gguf_error"] = f"{type(e).__name__}: {e}"
        if gguf_path.exists():
            items.append(gguf_path)
            summary["llama_cpp_check"] = llama_cpp_check(gguf_path)
    items += [run / n for n in ("log.jsonl", "summary.json") if (run / n).exists()]
    # Leave out the GGUF (it can be exported here from the checkpoint) if the parts would be too many.
    limit = (MAX_FILES - len(OTHER_FILES)) * part_bytes
    if sum(p.stat().st_size for p in items) + 100_000 > limit and len(items) > 1 and items[1].suffix == ".gguf":
        summary["gguf_left_out"] = "too big to bring back with the checkpoint: export it from the checkpoint"
        items.pop(1)
    tar_path = run / "run.tar"
    with tarfile.open(tar_path, "w") as tar:
        for p in items:
            tar.add(p, arcname=p.name)
    parts = split(tar_path, out, part_bytes)
    summary["packed"] = {"files": [p.name for p in items], "tar_sha256": sha256(tar_path),
                         "parts": [{"name": p.name, "bytes": p.stat().st_size, "sha256": sha256(p)} for p in parts],
                         "join": "cat run.tar.part-* > run.tar && tar xf run.tar"}  # fmt: skip
    tar_path.unlink()
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def split(path: Path, out: Path, part_bytes: int) -> list[Path]:
    parts = []
    with open(path, "rb") as f:
        while True:
            block = f.read(part_bytes)
            if not block:
                break
            part = out / f"{path.name}.part-{len(parts):02d}"
            part.write_bytes(block)
            parts.append(part)
    return parts


def llama_cpp_check(gguf_path: Path) -> str:
    """Load the GGUF in llama.cpp and complete a FIM prompt, when llama.cpp is installed."""
    try:
        import llama_cpp
    except ImportError:
        return "skipped: llama_cpp not installed"
    try:
        llm = llama_cpp.Llama(model_path=str(gguf_path), n_ctx=512, n_gpu_layers=0, verbose=False)
        tok = lambda s: llm.tokenize(s.encode(), add_bos=False, special=False)
        prompt = [3] + tok("\n") + [1] + tok("def read_text(path):\n    with open(path) as f:\n        return f.") + [2]
        out = []
        for t in llm.generate(prompt, temp=0.0):
            if t == 0 or len(out) >= 12:
                break
            out.append(t)
        return "loaded; completes 'return f.' with " + repr(llm.detokenize(out).decode(errors="replace"))
    except Exception as e:
        return f"failed: {type(e).__name__}: {e}"


def join(files: Path, dest: Path) -> dict:
    """Join and check the parts in `files`, unpack them into dest; returns the summary."""
    summary = json.loads((files / "summary.json").read_text())
    packed = summary.get("packed")
    if not packed:
        raise SystemExit(f"the run packed nothing: {summary.get('error')}")
    dest.mkdir(parents=True, exist_ok=True)
    tar_path = dest / "run.tar"
    with open(tar_path, "wb") as out:
        for part in packed["parts"]:
            p = files / part["name"]
            if sha256(p) != part["sha256"]:
                raise SystemExit(f"{p} is damaged (SHA-256 differs)")
            out.write(p.read_bytes())
    if sha256(tar_path) != packed["tar_sha256"]:
        raise SystemExit("the joined run.tar is damaged")
    with tarfile.open(tar_path) as tar:
        try:
            tar.extractall(dest, filter="data")
        except TypeError:
            tar.extractall(dest)
    tar_path.unlink()
    for name in OTHER_FILES:
        if (files / name).exists():
            shutil.copy(files / name, dest / name)
    return summary


def check_gguf(gguf_path: Path, checkpoint: Path) -> dict:
    """llama.cpp loads the GGUF and its logits agree with the checkpoint's in PyTorch (the
    tolerance of tests/models/test_embedded_model.py for Q8_0: 2% of the largest logit)."""
    import llama_cpp
    import numpy as np
    import torch
    from model import ModelConfig, TinyLlama

    ckpt = torch.load(checkpoint, map_location="cpu")
    model = TinyLlama(ModelConfig(**ckpt["meta"]["config"]))
    model.load_state_dict(ckpt["model"])
    model.eval()
    llm = llama_cpp.Llama(model_path=str(gguf_path), n_ctx=512, n_threads=2, logits_all=True, verbose=False)
    text = "import os\n\n\nclass Config:\n    def __init__(self, name, default=None):\n        self.name = name\n"
    tokens = [1] + llm.tokenize(text.encode(), add_bos=False, special=False) + [3, 2]
    llm.eval(tokens)
    theirs = np.array(llm.scores[: len(tokens)], dtype=np.float32)
    with torch.no_grad():
        ours = model(torch.tensor([tokens]))[0].float().numpy()
    diff = float(np.abs(ours - theirs).max())
    ok = diff <= 0.02 * float(np.abs(theirs).max())
    llm.close()
    return {"max_abs_logit_diff": round(diff, 4), "max_abs_logit": round(float(np.abs(theirs).max()), 2), "ok": ok}


def collect(args) -> None:
    summary = join(args.files, args.dest)
    ckpt = args.dest / "model-bf16.pt"
    gguf_path = args.dest / "infill-tiny-code.gguf"
    print(f"unpacked into {args.dest}: {sorted(p.name for p in args.dest.iterdir())}")
    if not gguf_path.exists():
        subprocess.run([sys.executable, str(HERE / "export_gguf.py"), str(ckpt), "--out", str(gguf_path),
                        "--quant", "q8_0"], check=True, capture_output=True)  # fmt: skip
        print(f"exported {gguf_path} from the checkpoint")
    check = check_gguf(gguf_path, ckpt)
    print(f"llama.cpp vs PyTorch: {check}")
    if not check["ok"]:
        raise SystemExit("the GGUF does not match its checkpoint: not benchmarked, not installed")
    size = gguf_path.stat().st_size
    print(f"GGUF: {size / 2**20:.1f} MiB; trained {summary.get('steps')} steps, {summary.get('tokens')} tokens, "
          f"{summary.get('epochs')} epochs; best held-out: {summary.get('best', {}).get('val')}")  # fmt: skip
    if args.bench:
        out = args.dest / "bench-quality.json"
        cmd = [str(REPO / ".venv" / "bin" / "infill"), "bench", "quality", "--model-path", str(gguf_path),
               "--models", "embedded", "--json", str(out)]  # fmt: skip
        print("running", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True, cwd=REPO)
    if args.install:
        if size > 25 * 2**20:
            raise SystemExit("over the embedded model's 25 MiB limit: not installed")
        shutil.copy(gguf_path, REPO / "models" / "infill-tiny-code.gguf")
        print("installed as models/infill-tiny-code.gguf (update models/MODEL_CARD.md and the tests' measured values)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack", help="on the GPU machine: the run into parts and summary.json")
    p.add_argument("run", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--train-rc", type=int, default=0)
    p.add_argument("--part-bytes", type=int, default=PART_BYTES)
    c = sub.add_parser("collect", help="here: join, check, export, benchmark, install")
    c.add_argument("files", type=Path, help="the folder with run.tar.part-* and summary.json")
    c.add_argument("--dest", type=Path, default=HERE / "runs" / "h200")
    c.add_argument("--bench", action="store_true", help="run `infill bench quality` on the model")
    c.add_argument("--install", action="store_true", help="replace models/infill-tiny-code.gguf")
    args = ap.parse_args()
    if args.cmd == "pack":
        s = pack(args.run, args.out, args.train_rc, args.part_bytes)
        print(json.dumps({k: s.get(k) for k in ("ok", "steps", "tokens", "epochs", "gguf", "llama_cpp_check")}))
        print(json.dumps(s.get("packed"), indent=1))
    else:
        collect(args)


if __name__ == "__main__":
    main()

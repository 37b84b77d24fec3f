"""The GPU training run, end to end on this CPU in well under a minute, so that the one
lease on a GPU machine does not find the first bug.

* The pure-Python tokenizer (models/train/bpe.py) that the GPU machine uses for its FIM
  examples gives llama.cpp's token ids, and decodes them back to the text.
* models/train/gpu_job.sh, the command the GPU machine runs, on tiny shards and the test
  config (ALLOW_CPU=1): shards -> training steps (a worker process making the batches, FIM
  in SPM and PSM) -> held-out evaluation -> checkpoint -> Q8_0 GGUF written without
  llama.cpp -> everything packed into parts (small ones here, so that there are several)
  plus summary.json and job.log, at most 8 files. Then, as here after a run: the parts are
  joined and checked, llama.cpp loads the GGUF and its logits agree with the checkpoint's.
* A torch.compile that fails does not end the run: it goes on uncompiled.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TRAIN_DIR = REPO / "models" / "train"

torch = pytest.importorskip("torch")
llama_cpp = pytest.importorskip("llama_cpp")
sys.path.insert(0, str(TRAIN_DIR))

from bpe import StarCoderBPE  # noqa: E402

STDLIB = Path(sysconfig.get_paths()["stdlib"])
GO = """package main

import (
\t"fmt"
\t"strings"
)

// Greeter says hello.
type Greeter struct {
\tName string
}

func (g Greeter) Greet(other string) string {
\treturn fmt.Sprintf("Hello %s, I am %s", other, strings.TrimSpace(g.Name))
}

func main() {
\tg := Greeter{Name: "gopher"}
\tfmt.Println(g.Greet("world"))
}
"""


@pytest.fixture(scope="module")
def bpe():
    return StarCoderBPE.from_gguf()


def test_tokenizer_matches_llama_cpp(bpe):
    vocab = llama_cpp.Llama(model_path=str(REPO / "models" / "vocab" / "ggml-vocab-starcoder.gguf"), vocab_only=True,
                            verbose=False)  # fmt: skip
    texts = [(STDLIB / n).read_text(encoding="utf-8") for n in ("copy.py", "keyword.py", "shlex.py")]
    texts += [GO, "x = 1_000_000  # ½ ² Ⅻ\n", "it's 'S 'll  \n\n\t  trailing   ", "日本語 😀👍🏽 e\u0301\u00a0\u2003x"]
    for text in texts:
        ids = bpe.encode(text)
        assert ids == vocab.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        assert bpe.decode(ids) == text
    assert bpe.encode("<fim_prefix>")[0] != 1  # control tokens are never parsed from text


@pytest.fixture(scope="module")
def shard_dir(tmp_path_factory, bpe):
    """Tiny shards in the layout build_corpus.py writes: Python and Go, train and held-out."""
    from build_corpus import write_pylib, write_vocab
    from shards import write_shard

    out = tmp_path_factory.mktemp("shards")
    files = {
        ("python", "train"): [(STDLIB / n).read_text(encoding="utf-8") for n in ("copy.py", "keyword.py", "abc.py")],
        ("python", "heldout"): [(STDLIB / n).read_text(encoding="utf-8") for n in ("string.py", "glob.py")],
        ("go", "train"): [GO, GO.replace("Greeter", "Speaker")],
        ("go", "heldout"): [GO.replace("Greet", "Welcome")],
    }
    shards = []
    for (lang, split), texts in files.items():
        name = f"{lang}-{split}.npz.xz"
        docs = [bpe.encode(t) for t in texts]
        size = write_shard(out / name, docs, [0] * len(docs))
        shards.append({"file": name, "lang": lang, "split": split, "files": len(docs),
                       "tokens": sum(map(len, docs)), "bytes": size})  # fmt: skip
    (out / "manifest.json").write_text(json.dumps({"shards": shards}))
    write_vocab(out, bpe)
    write_pylib(out)
    return out


def test_gpu_job_end_to_end_on_cpu(shard_dir, tmp_path):
    import gguf
    from gpu_run import MAX_FILES, check_gguf, join

    out = tmp_path / "out"
    env = dict(os.environ, ALLOW_CPU="1", CONFIG="test", SHARDS=str(shard_dir), PART_BYTES="3000000",
               PATH=f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}",
               TRAIN_ARGS="--steps 3 --batch 4 --micro-batch 2 --workers 1 --warmup 2 --eval-every-s 0 "
                          "--tail-s 0 --log-every 1 --threads 2")  # fmt: skip
    proc = subprocess.run(["bash", str(TRAIN_DIR / "gpu_job.sh"), str(out), "2"], env=env, capture_output=True,
                          text=True, timeout=150, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    names = sorted(p.name for p in out.iterdir())
    assert len(names) <= MAX_FILES and "summary.json" in names and "job.log" in names, names
    parts = [n for n in names if n.startswith("run.tar.part-")]
    assert len(parts) >= 2 and all((out / n).stat().st_size <= 3_000_000 for n in parts)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] and summary["steps"] == 3 and summary["train_rc"] == 0
    assert {"val_lm_python", "val_lm_go", "val_fim_python", "val_middle_python", "val_middle_other"} <= set(
        summary["final_val"]
    )
    assert summary["gguf"] == "infill-tiny-code.gguf" and summary["llama_cpp_check"].startswith("loaded")
    log = (out / "job.log").read_text()
    assert "CUDA is not available" in log and "training exited with 0" in log

    # Here, after a run: join, check, load.
    dest = tmp_path / "dest"
    join(out, dest)
    ckpt = torch.load(dest / "model-bf16.pt", map_location="cpu")
    assert ckpt["meta"]["weights_dtype"] == "bfloat16" and ckpt["meta"]["args"]["fim_order"] == "spm"
    assert all(v.dtype == torch.bfloat16 for v in ckpt["model"].values())
    reader = gguf.GGUFReader(str(dest / "infill-tiny-code.gguf"))
    kinds = {t.name: t.tensor_type for t in reader.tensors}
    assert kinds["token_embd.weight"] == gguf.GGMLQuantizationType.Q8_0
    assert kinds["blk.0.attn_q.weight"] == gguf.GGMLQuantizationType.Q8_0
    assert reader.fields["infill.fim_order"].contents() == "spm"
    check = check_gguf(dest / "infill-tiny-code.gguf", dest / "model-bf16.pt")
    assert check["ok"], check


def test_failed_compile_goes_on_uncompiled(shard_dir, tmp_path, monkeypatch):
    import train_gpu

    def broken_compile(fn, *args, **kwargs):
        def run(*a, **k):
            raise RuntimeError("inductor: no compiler here")

        return run

    monkeypatch.setattr(torch, "compile", broken_compile)
    summary = train_gpu.main(["--config", "test", "--steps", "2", "--batch", "2", "--micro-batch", "2",
                              "--workers", "0", "--compile", "on", "--device", "cpu", "--warmup", "1",
                              "--eval-every-s", "1000", "--tail-s", "0", "--export", "none", "--threads", "2",
                              "--shards", str(shard_dir), "--out", str(tmp_path / "run")])  # fmt: skip
    assert summary["steps"] == 2 and summary["env"]["compile"] and not summary["compiled_at_end"]
    log = (tmp_path / "run" / "log.jsonl").read_text()
    assert '"compiled": false' in log

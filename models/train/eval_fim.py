"""Fill-in-the-middle evaluation on the held-out files, through llama.cpp with greedy decoding.

For each held-out file we hide part of a line and ask the model for it:
  * "line": the cursor sits after the line's indentation; the whole line content is hidden;
  * "span": the cursor sits at a random point inside the line; the rest of the line is hidden.
The prompt is PSM token ids (<fim_prefix> prefix <fim_suffix> suffix <fim_middle>), the
prediction is the generated text up to the first newline or <|endoftext|>.
Scores: exact match (after stripping surrounding whitespace) and edit similarity
(1 - Levenshtein distance / length of the longer string), averaged over the samples.

    python models/train/eval_fim.py models/infill-tiny-code.gguf [--random-floor /tmp/random.gguf]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import sysconfig
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from fim import EOT, FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX  # noqa: E402


def heldout_files() -> list[Path]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    names = [ln.strip() for ln in (HERE / "heldout_files.txt").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    return [stdlib / n for n in names]


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def edit_similarity(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return 1.0 - levenshtein(a, b) / max(len(a), len(b))


def make_cases(per_file: int, seed: int) -> list[dict]:
    """Pick (file, cursor, hidden text) cases; the same seed gives the same cases."""
    rng = random.Random(seed)
    cases = []
    for path in heldout_files():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        offsets, pos = [], 0
        for ln in lines:
            offsets.append(pos)
            pos += len(ln)
        # Code lines only: at least 8 visible characters, not a comment.
        candidates = [i for i, ln in enumerate(lines) if len(ln.strip()) >= 8 and not ln.lstrip().startswith("#")]
        for i in rng.sample(candidates, min(per_file, len(candidates))):
            ln = lines[i].rstrip("\n")
            indent = len(ln) - len(ln.lstrip())
            for mode in ("line", "span"):
                col = indent if mode == "line" else rng.randint(indent + 1, len(ln) - 1)
                start, end = offsets[i] + col, offsets[i] + len(ln)
                cases.append({"file": path.name, "line": i + 1, "mode": mode,
                              "prefix": text[:start], "suffix": text[end:], "middle": text[start:end]})
    return cases


def build_prompt(llm, prefix: str, suffix: str, max_prefix: int, max_suffix: int) -> list[int]:
    def tok(s):
        return llm.tokenize(s.encode("utf-8"), add_bos=False, special=False) if s else []
    p = tok(prefix)[-max_prefix:]
    s = tok(suffix)[:max_suffix]
    return [FIM_PREFIX] + p + [FIM_SUFFIX] + s + [FIM_MIDDLE]


def complete(llm, prompt: list[int], max_tokens: int) -> str:
    """Greedy decoding until <|endoftext|>, a newline, or max_tokens."""
    out = b""
    for n, token in enumerate(llm.generate(prompt, temp=0.0, top_k=1, reset=True)):
        if token == EOT or n >= max_tokens:
            break
        out += llm.detokenize([token])
        if b"\n" in out:
            break
    return out.decode("utf-8", errors="replace").split("\n")[0]


def evaluate(model_path: Path, cases: list[dict], threads: int, max_prefix: int, max_suffix: int,
             max_tokens: int) -> dict:
    import llama_cpp

    llm = llama_cpp.Llama(model_path=str(model_path), n_ctx=max_prefix + max_suffix + max_tokens + 8,
                          n_threads=threads, n_batch=512, verbose=False)
    t0 = time.time()
    scores = {"line": [], "span": []}
    examples = []
    for case in cases:
        pred = complete(llm, build_prompt(llm, case["prefix"], case["suffix"], max_prefix, max_suffix), max_tokens)
        target = case["middle"]
        scores[case["mode"]].append((pred.strip() == target.strip(), edit_similarity(pred.strip(), target.strip())))
        if len(examples) < 12:
            examples.append({"mode": case["mode"], "target": target, "prediction": pred})
    result = {"model": str(model_path), "seconds": round(time.time() - t0, 1)}
    for mode, vals in scores.items():
        result[mode] = {"n": len(vals), "exact_match": round(sum(v[0] for v in vals) / len(vals), 4),
                        "edit_similarity": round(sum(v[1] for v in vals) / len(vals), 4)}
    result["examples"] = examples
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+", type=Path, help="GGUF files to evaluate on the same cases")
    ap.add_argument("--per-file", type=int, default=10, help="lines per held-out file (each gives 2 cases)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-prefix", type=int, default=384, help="prefix tokens kept (closest to the cursor)")
    ap.add_argument("--max-suffix", type=int, default=64, help="suffix tokens kept")
    ap.add_argument("--max-tokens", type=int, default=48, help="tokens generated at most")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args()

    cases = make_cases(args.per_file, args.seed)
    results = [evaluate(m, cases, args.threads, args.max_prefix, args.max_suffix, args.max_tokens) for m in args.models]
    print(f"{'model':40} {'mode':5} {'n':>4} {'exact':>7} {'edit sim':>9}")
    for r in results:
        for mode in ("line", "span"):
            s = r[mode]
            print(f"{Path(r['model']).name:40} {mode:5} {s['n']:4} {s['exact_match']:7.3f} {s['edit_similarity']:9.3f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

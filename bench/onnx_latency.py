"""Inline completion latency, llama.cpp against ONNX Runtime GenAI, side by side in one run.

The typing workload of bench/latency.py (its `run`: a real server, a file with lines removed,
typed back one character at a time with a completion after each keystroke), run with the
embedded model four ways: llama.cpp on the shipped Q8_0 GGUF and on a float32 GGUF of the same
weights, and the ONNX engine on the float32 and int4 exports (models/build_test_onnx.py). The
runs are interleaved, round after round, so that a busy machine slows all of them alike.
Prints p50/p95 of the end-to-end request time and of the engine time, and tokens/s.

Usage: python bench/onnx_latency.py [--rounds 2] [--lines 6] [--max-tokens 32] [--context off|on]
                                    [--file SOURCE.py] [--only NAME,NAME]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import sysconfig
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "models"))

from build_test_onnx import EMBEDDED, cached  # noqa: E402
from latency import percentile, run  # noqa: E402


def variants() -> dict[str, dict]:
    """name -> the engine and model settings of one configuration."""
    return {
        "llama.cpp Q8_0": {"engine": {"kind": "llama_cpp"}, "model": {"path": str(EMBEDDED)}},
        "llama.cpp f32": {"engine": {"kind": "llama_cpp"}, "model": {"path": str(cached("f32.gguf"))}},
        "onnx fp32": {"engine": {"kind": "onnx"}, "model": {"path": str(cached("fp32"))}},
        "onnx int4": {"engine": {"kind": "onnx"}, "model": {"path": str(cached("int4"))}},
    }


def pooled(results: list[dict], key: str) -> list[float]:
    return [value for result in results for value in result[key]]


def print_side_by_side(rows: dict[str, list[dict]]) -> None:
    print(
        f"\n{'engine':<18}{'requests':>9}{'e2e p50':>10}{'e2e p95':>10}{'engine p50':>12}{'engine p95':>12}{'tok/s':>8}"
    )
    for name, results in rows.items():
        end_to_end, engine, tps = pooled(results, "end_to_end"), pooled(results, "engine"), pooled(results, "tps")
        print(
            f"{name:<18}{len(end_to_end):>9}{percentile(end_to_end, 50):>10.1f}{percentile(end_to_end, 95):>10.1f}"
            f"{percentile(engine, 50):>12.1f}{percentile(engine, 95):>12.1f}"
            f"{(statistics.mean(tps) if tps else float('nan')):>8.0f}"
        )
    print("(ms; tok/s: the engine's decoding speed, mean over the requests that generated tokens)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", default=str(Path(sysconfig.get_paths()["stdlib"]) / "json" / "decoder.py"))
    parser.add_argument("--lines", type=int, default=6)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="runs of each configuration, interleaved")
    parser.add_argument("--context", choices=("on", "off"), default="off", help="cross-file context in the prompts")
    parser.add_argument("--only", help="comma-separated configuration names (default: all four)")
    args = parser.parse_args()
    chosen = variants()
    if args.only:
        wanted = [name.strip() for name in args.only.split(",")]
        chosen = {name: chosen[name] for name in wanted}
    print(f"file: {args.file}, {args.lines} lines retyped, maxTokens {args.max_tokens}, context {args.context}")
    print(f"machine: {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rows: dict[str, list[dict]] = {name: [] for name in chosen}
    for round_number in range(args.rounds):
        for name, settings in chosen.items():
            options = {
                **settings,
                # Same filters for all: no calibrated confidence cut (only the Q8_0 file has one), no
                # latency adapting.
                "completion": {"maxTokens": args.max_tokens, "latencyTargetMs": 0, "minConfidence": 0},
                "context": {"enabled": args.context == "on"},
            }
            result = asyncio.run(run(args, options))
            rows[name].append(result)
            print(
                f"round {round_number + 1} {name}: p50 {percentile(result['end_to_end'], 50):.1f} ms "
                f"{result['reasons']}",
                flush=True,
            )
    print_side_by_side(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

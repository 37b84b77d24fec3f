"""Inline completion latency, measured through a real LSP client.

Starts `python -m lsp_server serve`, opens a real source file with some lines
removed, and types them back one character at a time; after every keystroke
it sends textDocument/inlineCompletion and waits for the answer, as an editor
does. Prints p50/p95/p99 of the end-to-end request time, of the server's own
overhead (time outside the engine's generate call, reported by the server),
of the engine time, and the engine's tokens/s.

The file's folder is the workspace (indexed before typing starts), so cross-file context is
gathered for every request as in an editor; `--context both` (the default) runs the workload with
context on and off, to show what gathering it costs. The server's overhead includes the context.

With --engine remote the same workload runs twice in one go: once with the local
engine, once with engine.kind "remote" against llama-cpp-python's server started on
loopback with the same GGUF (its tokenizer loaded locally too, so both prompts are
the same tokens); the difference is what the network hop costs (HTTP, JSON, SSE,
and the server's own Python framework).

Usage: python bench/latency.py [--model GGUF] [--file SOURCE.py] [--lines 6] [--max-tokens 32]
                               [--engine local|remote] [--context on|off|both]
       (default model: the embedded one; default file: json/decoder.py of this Python)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

REPO = Path(__file__).resolve().parents[1]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def pick_lines(text: str, count: int) -> list[int]:
    """Indices of non-trivial code lines spread over the file, to be retyped."""
    lines = text.split("\n")
    candidates = [
        i
        for i, line in enumerate(lines)
        if 20 <= len(line.strip()) <= 70 and not line.strip().startswith(("#", '"', "'")) and i > 10
    ]
    step = max(1, len(candidates) // count)
    return candidates[::step][:count]


async def run(args, options: dict) -> dict:
    source = Path(args.file).read_text(encoding="utf-8")
    client = LanguageClient("infill-bench", "1")
    await client.start_io(sys.executable, "-m", "lsp_server", "serve")
    ready = asyncio.Event()
    client.feature("infill/status")(
        lambda ls, params: ready.set() if getattr(params, "state", None) in ("ready", "error") else None
    )
    root = Path(args.file).resolve().parent
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(
                text_document=types.TextDocumentClientCapabilities(
                    inline_completion=types.InlineCompletionClientCapabilities()
                )
            ),
            initialization_options=options,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        )
    )
    client.initialized(types.InitializedParams())
    await asyncio.wait_for(ready.wait(), 120)
    await asyncio.wait_for(wait_for_index(client, source), 120)

    uri = Path(args.file).resolve().as_uri()
    lines = source.split("\n")
    targets = pick_lines(source, args.lines)
    # Remove the target lines' text (keep their indentation): they are typed back.
    typed_lines = {i: lines[i] for i in targets}
    for i in targets:
        lines[i] = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
    version = 1
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text="\n".join(lines))
        )
    )
    reasons: dict[str, int]  # stop reason -> requests
    end_to_end, overhead, engine, tps, reasons, context_ms, prompt_ms = [], [], [], [], {}, [], []
    for i in targets:
        full = typed_lines[i]
        column = len(lines[i])
        for ch in full[column:]:
            version += 1
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[
                        types.TextDocumentContentChangePartial(
                            range=types.Range(
                                start=types.Position(line=i, character=column),
                                end=types.Position(line=i, character=column),
                            ),
                            text=ch,
                        )
                    ],
                )
            )
            column += 1
            started = time.perf_counter()
            await client.text_document_inline_completion_async(
                types.InlineCompletionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    position=types.Position(line=i, character=column),
                    context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic),
                )
            )
            end_to_end.append((time.perf_counter() - started) * 1000)
            stats = await client.protocol.send_request_async("infill/lastCompletion", {})
            stats = stats._asdict() if hasattr(stats, "_asdict") else stats
            overhead.append(stats["overheadMs"])
            if stats["reason"] in ("model", "empty"):
                context_ms.append(stats["contextMs"])
                prompt_ms.append(stats["promptMs"])
            reasons[stats["reason"]] = reasons.get(stats["reason"], 0) + 1
            if stats["reason"] in ("model", "empty"):
                engine.append(stats["engineMs"])
                if stats["tokensPerSecond"]:
                    tps.append(stats["tokensPerSecond"])
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return {
        "end_to_end": end_to_end,
        "overhead": overhead,
        "engine": engine,
        "tps": tps,
        "reasons": reasons,
        "context": context_ms,
        "prompt": prompt_ms,
    }


async def wait_for_index(client, source: str) -> None:
    """Until workspace/symbol finds a definition of the file: the workspace is indexed."""
    import re

    names = re.findall(r"^(?:def|class)\s+(\w+)", source, re.MULTILINE)
    if not names:
        return
    while not await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=names[0])):
        await asyncio.sleep(0.1)


def print_table(title: str, results: dict) -> None:
    print(f"\n{title}\nrequests: {len(results['end_to_end'])} {results['reasons']}")
    print(f"{'metric':<32}{'p50':>10}{'p95':>10}{'p99':>10}")
    for name, key in (
        ("end-to-end request (ms)", "end_to_end"),
        ("server overhead (ms)", "overhead"),
        ("engine generate (ms)", "engine"),
        ("  prompt building (ms)", "prompt"),
        ("  of which cross-file context (ms)", "context"),
    ):
        values = results[key]
        if not values:
            continue
        print(
            f"{name:<32}{percentile(values, 50):>10.2f}{percentile(values, 95):>10.2f}{percentile(values, 99):>10.2f}"
        )
    if results["tps"]:
        print(f"{'engine tokens/s (mean)':<32}{statistics.mean(results['tps']):>10.1f}")


def print_network_cost(local: dict, remote: dict) -> None:
    print("\nadded by the network hop (remote minus local)")
    print(f"{'metric':<32}{'p50':>10}{'p95':>10}")
    for name, key in (("end-to-end request (ms)", "end_to_end"), ("engine generate (ms)", "engine")):
        p50 = percentile(remote[key], 50) - percentile(local[key], 50)
        p95 = percentile(remote[key], 95) - percentile(local[key], 95)
        print(f"{name:<32}{p50:>+10.2f}{p95:>+10.2f}")


def http_round_trips(url: str, count: int = 100) -> list[float]:
    """Milliseconds of a request the server answers without the model: the hop itself."""
    from lsp_server.engine.remote_http import RemoteClient

    client = RemoteClient(url)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        client.get_json("/v1/models")
        times.append((time.perf_counter() - started) * 1000)
    client.close()
    return times


def syntax_check_times(text: str, language_id: str, count: int = 200) -> dict[str, list[float]]:
    """Milliseconds of the syntax check of a suggestion (lsp_server/completion/syntax_check.py) at
    `count` cursors spread over a document, each in the middle of a line whose rest is removed:
    the rest as the suggestion (valid code, kept: two parses) and with a stray `))` (cut)."""
    from lsp_server.completion.syntax_check import check_suggestion

    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    check_suggestion(text, 0, "x", language_id)  # loads the grammar: not part of a check
    times: dict[str, list[float]] = {"kept": [], "cut": []}
    for i in pick_lines(text, count):
        line = lines[i]
        column = len(line) - len(line.lstrip()) + len(line.strip()) // 2
        offset = starts[i] + column
        document = text[:offset] + text[starts[i] + len(line) :]
        for name, suggestion in (("kept", line[column:]), ("cut", line[column:] + "))")):
            started = time.perf_counter()
            check_suggestion(document, offset, suggestion, language_id)
            times[name].append((time.perf_counter() - started) * 1000)
    return times


def print_syntax_check() -> None:
    """The syntax check's cost on a 2,000-line Python file of this Python and a TypeScript file
    of the same size (bench/_synthetic.py), without the language server or a model."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import random

    from _synthetic import typescript_unit

    python = (Path(sysconfig.get_paths()["stdlib"]) / "subprocess.py").read_text(encoding="utf-8")
    rng = random.Random(0)
    typescript = ""
    while typescript.count("\n") < 2000:
        typescript += typescript_unit(rng)
    print("\nsyntax check of a suggestion, in the server's process (no model)")
    print(f"{'document, verdict':<32}{'p50':>10}{'p95':>10}{'p99':>10}")
    for language, text in (("python", python), ("typescript", typescript)):
        for verdict, values in syntax_check_times(text, language).items():
            name = f"{language} {text.count(chr(10))} lines, {verdict} (ms)"
            print(
                f"{name:<32}{percentile(values, 50):>10.2f}{percentile(values, 95):>10.2f}"
                f"{percentile(values, 99):>10.2f}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="GGUF file (default: models/infill-tiny-code.gguf)")
    parser.add_argument("--file", default=str(Path(sysconfig.get_paths()["stdlib"]) / "json" / "decoder.py"))
    parser.add_argument("--lines", type=int, default=6)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument(
        "--context",
        choices=("on", "off", "both"),
        default="both",
        help="cross-file context in the prompts (both: one run each)",
    )
    parser.add_argument(
        "--engine",
        choices=("local", "remote"),
        default="local",
        help="remote: also run against llama-cpp-python's server on loopback, and compare",
    )
    parser.add_argument(
        "--syntax-check-only",
        action="store_true",
        help="only the syntax check's microbenchmark (no server, no model); the full run ends with it",
    )
    args = parser.parse_args()
    if args.syntax_check_only:
        print_syntax_check()
        return 0
    if args.model is None:
        embedded = REPO / "models" / "infill-tiny-code.gguf"
        if embedded.exists():
            args.model = str(embedded)
        else:
            sys.path.insert(0, str(REPO / "models"))
            from build_test_model import build_test_model

            args.model = str(build_test_model(Path(tempfile.mkdtemp()) / "test.gguf"))
    completion = {"maxTokens": args.max_tokens}
    print(f"model: {args.model}\nfile: {args.file}")
    local: dict | None = None
    for context in ("on", "off") if args.context == "both" else (args.context,):
        options = {"model": {"path": args.model}, "completion": completion, "context": {"enabled": context == "on"}}
        results = asyncio.run(run(args, options))
        print_table(f"engine: local (llama.cpp in the language server), cross-file context {context}", results)
        local = local or results
    if args.engine == "remote":
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from _llama_server import llama_server

        from lsp_server.modelfiles.gguf_header import read_gguf_header

        metadata = read_gguf_header(args.model).metadata
        n_ctx_train = metadata.get(f"{metadata['general.architecture']}.context_length") or 4096
        # The local engine caps its context to the training context: the server gets the same.
        with llama_server(Path(args.model), n_ctx=min(4096, n_ctx_train)) as url:
            options = {
                "engine": {"kind": "remote", "url": url},
                "model": {"path": args.model},
                "completion": completion,
                "context": {"enabled": args.context != "off"},
            }
            remote = asyncio.run(run(args, options))
            round_trips = http_round_trips(url)
        print_table(f"engine: remote (llama-cpp-python server at {url}, same GGUF, one thread)", remote)
        assert local is not None  # the loop above ran at least once
        print_network_cost(local, remote)
        print(
            f"{'of which a bare HTTP round trip':<32}{percentile(round_trips, 50):>+10.2f}"
            f"{percentile(round_trips, 95):>+10.2f}   (GET /v1/models, kept-alive connection)"
        )
    print_syntax_check()
    return 0


if __name__ == "__main__":
    sys.exit(main())

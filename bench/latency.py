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

Speed you can feel (`--speed`, also part of the full run):
- after accept: at cursors along the retyped lines, a suggestion is shown, then accepted after
  a reading pause (`--accept-delay-ms`, and 0 ms: Tab at once) with the didChange that inserts
  it; the row is the time from that didChange to the next suggestion (the server computed it
  ahead, in the background, while the suggestion was shown);
- candidates 3 vs 1: the typing workload with completion.candidates 3 and 1, requests as the
  user's own (trigger kind Invoked, which gets every candidate), and as typed (Automatic);
  then as in the editor: typing shows the first, and Alt+] at that cursor asks for the others
  (the first comes from the cache, only the others are decoded);
- latency budget: the typing workload against a deliberately slow engine (a scripted
  OpenAI-compatible server on loopback: a delay per prompt token and per generated token),
  with completion.latencyTargetMs off and on (on: the budget's steps and each completion's
  deadline; `cut` counts the completions a deadline stopped).

Usage: python bench/latency.py [--model GGUF] [--file SOURCE.py] [--lines 6] [--max-tokens 32]
                               [--engine local|remote] [--context on|off|both] [--speed]
       (default model: the embedded one; default file: json/decoder.py of this Python)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import sysconfig
import tempfile
import time
from contextlib import contextmanager
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


async def start_client(args, options: dict, source: str) -> LanguageClient:
    """The real server on the file's folder as the workspace, ready and indexed."""
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
    return client


async def stop_client(client: LanguageClient) -> None:
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


async def last_completion(client: LanguageClient) -> dict:
    stats = await client.protocol.send_request_async("infill/lastCompletion", {})
    return as_dict(stats)


def as_dict(value):
    """pygls hands a custom request's objects over as named tuples."""
    return value._asdict() if hasattr(value, "_asdict") else value


async def complete(client: LanguageClient, uri: str, line: int, column: int, invoked: bool = False):
    trigger = types.InlineCompletionTriggerKind.Invoked if invoked else types.InlineCompletionTriggerKind.Automatic
    return await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=column),
            context=types.InlineCompletionContext(trigger_kind=trigger),
        )
    )


def insert(client: LanguageClient, uri: str, version: int, line: int, column: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=line, character=column),
                        end=types.Position(line=line, character=column),
                    ),
                    text=text,
                )
            ],
        )
    )


def blanked(source: str, targets: list[int]) -> list[str]:
    """The file's lines with the target lines' text removed (their indentation kept)."""
    lines = source.split("\n")
    for i in targets:
        lines[i] = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
    return lines


async def run(args, options: dict, invoked: bool = False, cycle: bool = False) -> dict:
    """The typing workload: the target lines typed back one character at a time, a completion
    after each keystroke (as typed: trigger kind Automatic; `invoked`: as if asked for). With
    `cycle`, each shown suggestion is followed by Alt+] (the same place, Invoked), timed apart."""
    source = Path(args.file).read_text(encoding="utf-8")
    client = await start_client(args, options, source)
    uri = Path(args.file).resolve().as_uri()
    targets = pick_lines(source, args.lines)
    typed_lines = {i: source.split("\n")[i] for i in targets}
    lines = blanked(source, targets)
    version = 1
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text="\n".join(lines))
        )
    )
    reasons: dict[str, int]  # stop reason -> requests
    end_to_end, overhead, engine, tps, reasons, context_ms, prompt_ms = [], [], [], [], {}, [], []
    steps: list[int] = []  # the latency budget's step of each model run
    cuts = 0  # model runs stopped by their deadline (completion/deadline.py)
    model_times: list[float] = []  # end-to-end times of the requests the model answered
    items: list[int] = []  # suggestions per answer
    decoded: list[int] = []  # prompt tokens the engine decoded (not found in its cache), per model run
    cached = 0  # prompt tokens found in the cache, in all (0: an engine that does not say)
    cycled: list[tuple[float, float]] = []  # (typed request, Alt+] after it) at the same cursor
    for i in targets:
        full = typed_lines[i]
        column = len(lines[i])
        for ch in full[column:]:
            version += 1
            insert(client, uri, version, i, column, ch)
            column += 1
            started = time.perf_counter()
            answer = await complete(client, uri, i, column, invoked)
            end_to_end.append((time.perf_counter() - started) * 1000)
            stats = await last_completion(client)
            overhead.append(stats["overheadMs"])
            if stats["reason"] in ("model", "empty"):
                context_ms.append(stats["contextMs"])
                prompt_ms.append(stats["promptMs"])
                decoded.append(stats["promptTokens"] - stats["promptTokensCached"])
                cached += stats["promptTokensCached"]
                steps.append(as_dict(stats["budgetStep"])["step"])
                cuts += bool(stats.get("deadlineCut"))
                model_times.append(end_to_end[-1])
            items.append(len(answer.items) if answer is not None else 0)
            if cycle and items[-1] and stats["reason"] == "model":
                started = time.perf_counter()
                await complete(client, uri, i, column, invoked=True)
                cycled.append((end_to_end[-1], (time.perf_counter() - started) * 1000))
            if stats["reason"] in ("model", "empty"):
                engine.append(stats["engineMs"])
                if stats["tokensPerSecond"]:
                    tps.append(stats["tokensPerSecond"])
    await stop_client(client)
    return {
        "end_to_end": end_to_end,
        "overhead": overhead,
        "engine": engine,
        "tps": tps,
        "reasons": reasons,
        "context": context_ms,
        "prompt": prompt_ms,
        "steps": steps,
        "deadline_cuts": cuts,
        "model_times": model_times,
        "item_counts": items,
        "decoded": decoded if cached else [],
        "cycled": cycled,
    }


async def run_after_accept(args, options: dict, delay_ms: float) -> dict:
    """Tab, then the next suggestion: at cursors along the target lines (every `--accept-every`
    characters of the line typed so far), a suggestion is asked for; when there is one, the
    user reads it for `delay_ms`, then Tab inserts it (one didChange) and the editor asks again
    at once. Timed: from that didChange to the answer. Up to three Tabs in a row."""
    source = Path(args.file).read_text(encoding="utf-8")
    client = await start_client(args, options, source)
    uri = Path(args.file).resolve().as_uri()
    targets = pick_lines(source, args.lines)
    original = source.split("\n")
    times: list[float] = []
    reasons: dict[str, int] = {}
    version = 1
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=source)
        )
    )
    for i in targets:
        indent = len(original[i]) - len(original[i].lstrip())
        for cut in range(indent + 1, len(original[i]), args.accept_every):
            lines = list(original)
            lines[i] = original[i][:cut]
            version += 1
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text="\n".join(lines))],
                )
            )
            line, column = i, cut
            shown = await complete(client, uri, line, column)
            for _ in range(3):
                if not shown.items:
                    break
                suggestion = shown.items[0].insert_text
                await asyncio.sleep(delay_ms / 1000)  # reading the suggestion
                version += 1
                started = time.perf_counter()
                insert(client, uri, version, line, column, suggestion)  # Tab
                parts = suggestion.split("\n")
                line, column = line + len(parts) - 1, (column + len(suggestion) if len(parts) == 1 else len(parts[-1]))
                shown = await complete(client, uri, line, column)
                times.append((time.perf_counter() - started) * 1000)
                reason = (await last_completion(client))["reason"]
                reasons[reason] = reasons.get(reason, 0) + 1
    await stop_client(client)
    return {"after_accept": times, "reasons": reasons}


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
    if results["decoded"]:
        # The rest of each prompt was in llama.cpp's cache from the request before.
        decoded = results["decoded"]
        print(
            f"{'prompt tokens decoded (mean)':<32}{statistics.mean(decoded):>10.1f}"
            f"   ({sum(d > 100 for d in decoded)} model runs decoded more than 100)"
        )


def p(values: list[float], q: float) -> str:
    return f"{percentile(values, q):.1f}"


def print_after_accept(rows: list[tuple[float, dict]]) -> None:
    print("\nafter accept: from Tab (the didChange inserting the suggestion) to the next suggestion")
    print(f"{'pause before Tab':<20}{'Tabs':>6}{'p50 ms':>10}{'p95 ms':>10}   answered by")
    for delay, result in rows:
        times = result["after_accept"]
        print(f"{f'{delay:.0f} ms':<20}{len(times):>6}{p(times, 50):>10}{p(times, 95):>10}   {result['reasons']}")


def pool(rows: dict[str, dict], name: str, result: dict) -> None:
    """Add one run's requests to the row `name` (several runs of one configuration)."""
    row = rows.setdefault(name, {"end_to_end": [], "item_counts": [], "runs": 0})
    row["end_to_end"] += result["end_to_end"]
    row["item_counts"] += result["item_counts"]
    row["runs"] += 1
    row["items"] = f"{statistics.mean(row['item_counts']):.2f}" if row["item_counts"] else ""


def print_candidates(rows: dict[str, dict], cycled: list[tuple[float, float]]) -> None:
    """The candidates rows, then Alt+] after typing: (typed request, Alt+] after it) pairs."""
    print("\ncandidates 3 vs 1: end-to-end request time of the typing workload")
    print(f"{'requests':<34}{'runs':>5}{'p50 ms':>10}{'p95 ms':>10}{'items/answer':>14}")
    for name, result in rows.items():
        times = result["end_to_end"]
        print(f"{name:<34}{result['runs']:>5}{p(times, 50):>10}{p(times, 95):>10}{result['items']:>14}")
    for kind in ("invoked", "typed"):
        one, three = rows.get(f"candidates 1, {kind}"), rows.get(f"candidates 3, {kind}")
        if one and three:
            ratio50 = percentile(three["end_to_end"], 50) / percentile(one["end_to_end"], 50)
            ratio95 = percentile(three["end_to_end"], 95) / percentile(one["end_to_end"], 95)
            print(f"{f'ratio 3/1, {kind}':<39}{ratio50:>9.2f}x{ratio95:>9.2f}x")
    if cycled:
        typed, alt = [t for t, _ in cycled], [a for _, a in cycled]
        print(f"{'typed request before Alt+]':<34}{'':>5}{p(typed, 50):>10}{p(typed, 95):>10}")
        print(f"{'Alt+] (the other two)':<34}{'':>5}{p(alt, 50):>10}{p(alt, 95):>10}")
        ratio50, ratio95 = percentile(alt, 50) / percentile(typed, 50), percentile(alt, 95) / percentile(typed, 95)
        print(f"{'ratio Alt+] / typed':<39}{ratio50:>9.2f}x{ratio95:>9.2f}x")


def print_budget(rows: dict[str, dict], target: int) -> None:
    print(f"\nlatency budget: the typing workload on a slowed engine, target {target} ms")
    print(
        f"{'budget':<22}{'requests':>9}{'p50 ms':>10}{'p95 ms':>10}{'p95 settled':>13}{'cut':>6}"
        "   steps (model runs per step)"
    )
    for name, result in rows.items():
        times, steps = result["end_to_end"], result["steps"]
        counts = {step: steps.count(step) for step in sorted(set(steps))}
        # Settled: the requests after the last change of step (the budget's own learning excluded).
        last_change = max((k for k in range(1, len(steps)) if steps[k] != steps[k - 1]), default=0)
        settled = result["model_times"][last_change:]
        cut = result["deadline_cuts"]
        print(f"{name:<22}{len(times):>9}{p(times, 50):>10}{p(times, 95):>10}{p(settled, 95):>13}{cut:>6}   {counts}")


@contextmanager
def slow_server(prompt_token_ms: float, token_ms: float):
    """An OpenAI-compatible server on loopback that writes ` + v0 + v1 ...` (valid code, never a
    loop), after a delay per prompt token (prefill) and per generated token: an engine slowed on
    purpose, whose cost follows maxTokens and the prompt's size as a real one's does."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/v1/models":
                self._send(200, json.dumps({"data": [{"id": "starcoder-slow", "object": "model"}]}).encode())
            else:
                self._send(404, b'{"error": {"message": "not found"}}')

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            prompt = body.get("prompt", "")
            prompt_tokens = len(prompt) if isinstance(prompt, list) else len(prompt) / 3.5
            time.sleep(prompt_tokens * prompt_token_ms / 1000)
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()

            def chunk(data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            try:
                count = int(body.get("max_tokens", 16))
                for i in range(count):
                    time.sleep(token_ms / 1000)
                    finish = "length" if i == count - 1 else None
                    event = {"choices": [{"index": 0, "text": f" + v{i}", "finish_reason": finish}]}
                    chunk(f"data: {json.dumps(event)}\n\n".encode())
                chunk(b"data: [DONE]\n\n")
                chunk(b"")
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address) -> None:
            # A completion stopped by its deadline hangs up mid-stream: expected, not an error.
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def speed_rows(args, model: str) -> None:
    """The after-accept, candidates and latency-budget rows (those named by --speed-rows)."""
    base = {"model": {"path": model}, "context": {"enabled": True}}
    completion = {"maxTokens": args.max_tokens}
    wanted = args.speed_rows.split(",")
    if "after-accept" in wanted:
        # Everything shown (minConfidence 0): more suggestions to accept than the calibrated bar
        # leaves this tiny model; what follows a Tab is held to the finished-line rule as always.
        options = {**base, "completion": {**completion, "minConfidence": 0}}
        after = [(delay, asyncio.run(run_after_accept(args, options, delay))) for delay in (args.accept_delay_ms, 0.0)]
        print_after_accept(after)

    if "candidates" in wanted:
        # Interleaved (1, 3, 3, 1, ...), each configuration's requests pooled over its runs: on a
        # shared machine the load drifts between runs as much as the difference measured.
        rows: dict[str, dict] = {}
        order = [1, 3, 3, 1] * ((args.candidate_rounds + 1) // 2)
        for count in order[: 2 * args.candidate_rounds]:
            options = {**base, "completion": {**completion, "candidates": count, "latencyTargetMs": 0}}
            pool(rows, f"candidates {count}, invoked", asyncio.run(run(args, options, invoked=True)))
        for count in (1, 3):
            options = {**base, "completion": {**completion, "candidates": count, "latencyTargetMs": 0}}
            pool(rows, f"candidates {count}, typed", asyncio.run(run(args, options)))
        # As in the editor: typing shows the first; Alt+] asks for the others at that cursor.
        options = {**base, "completion": {**completion, "candidates": 3, "latencyTargetMs": 0}}
        cycled = asyncio.run(run(args, options, cycle=True))["cycled"]
        print_candidates(rows, cycled)

    if "budget" not in wanted:
        return
    budget_rows: dict[str, dict] = {}
    with slow_server(args.slow_prompt_token_ms, args.slow_token_ms) as url:
        for name, target in (("off (target 0)", 0), (f"on (target {args.budget_target_ms} ms)", args.budget_target_ms)):
            options = {
                "engine": {"kind": "remote", "url": url},
                "completion": {"maxTokens": 64, "latencyTargetMs": target},
                "context": {"enabled": True},
            }
            budget_rows[name] = asyncio.run(run(args, options))
    print_budget(budget_rows, args.budget_target_ms)


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
        choices=("local", "remote", "onnx"),
        default="local",
        help="remote: also run against llama-cpp-python's server on loopback, and compare; onnx: ONNX Runtime "
        "GenAI (fp32 and int4) against llama.cpp on the same model, side by side (bench/onnx_latency.py)",
    )
    parser.add_argument(
        "--syntax-check-only",
        action="store_true",
        help="only the syntax check's microbenchmark (no server, no model); the full run ends with it",
    )
    parser.add_argument(
        "--speed", action="store_true", help="only the after-accept, candidates and latency-budget rows"
    )
    parser.add_argument(
        "--speed-rows",
        default="after-accept,candidates,budget",
        help="which of the speed rows to run (comma-separated)",
    )
    parser.add_argument(
        "--no-prefetch", action="store_true", help="completion.prefetch off (its cost on the typing workload)"
    )
    parser.add_argument("--accept-delay-ms", type=float, default=300.0, help="reading pause before Tab")
    parser.add_argument(
        "--candidate-rounds", type=int, default=2, help="runs of each candidates configuration, interleaved"
    )
    parser.add_argument("--accept-every", type=int, default=6, help="after-accept cursors: every N characters")
    parser.add_argument("--budget-target-ms", type=int, default=300, help="latencyTargetMs of the budget row")
    parser.add_argument("--slow-token-ms", type=float, default=8.0, help="slowed engine: ms per generated token")
    parser.add_argument(
        "--slow-prompt-token-ms", type=float, default=0.1, help="slowed engine: ms per prompt token (prefill)"
    )
    args, rest = parser.parse_known_args()
    if args.engine == "onnx":  # its own workload and table; further flags go to it
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import onnx_latency

        sys.argv = [sys.argv[0], *rest]
        return onnx_latency.main()
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
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
    completion = {"maxTokens": args.max_tokens, "prefetch": not args.no_prefetch}
    print(f"model: {args.model}\nfile: {args.file}")
    print(f"machine: {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.speed:
        speed_rows(args, args.model)
        return 0
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
    speed_rows(args, args.model)
    print_syntax_check()
    return 0


if __name__ == "__main__":
    sys.exit(main())

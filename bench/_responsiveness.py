"""The server's responsiveness while it indexes a workspace (part of bench/index.py --synthetic).

Starts the real server (`python -m lsp_server serve`, stdio) on a workspace with a fresh index
database, waits for the model, then types into the workspace's Python files as an editor does:
after each keystroke an inline completion, then a hover on a called name elsewhere in the file,
each awaited before the next, back to back until the index is built (the server's work-done
progress ends). Then the same workload once more, with the index finished ("quiet").

Every keystroke leads to a document state not seen before, so the completion cache never
answers for the model; the quiet phase goes on typing where the indexing phase stopped.
"""

from __future__ import annotations

import asyncio
import collections
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from latency import percentile, pick_lines
from lsprotocol import types
from pygls.lsp.client import LanguageClient

LINES_PER_FILE = 6
REQUEST_TIMEOUT_SECONDS = 120
ENGINE_TIMEOUT_SECONDS = 300
CALL = re.compile(r"\b([A-Za-z_]\w*)\(")
P95_GOAL_RATIO = 2.0  # p95 while indexing, at most this many times the quiet p95


@dataclass
class PhaseTimings:
    """Milliseconds per request of one phase."""

    completion: list[float] = field(default_factory=list)
    hover: list[float] = field(default_factory=list)


@dataclass
class Keystroke:
    uri: str
    line: int
    column: int  # where the character goes
    character: str
    version: int
    hover: tuple[int, int]  # line and column of a called name, away from the typed lines


@dataclass
class ResponsivenessResult:
    indexing: PhaseTimings
    quiet: PhaseTimings
    index_seconds: float  # from the server's start to the end of its indexing progress
    index_message: str  # the progress end message, e.g. "Indexed 10000 files, 512345 symbols"
    big_file_found: bool  # workspace/symbol found the name defined only in the too-large file
    server_peak_rss_mb: float | None


class Typist:
    """Opens the given files one after the other; in each, blanks a few lines (keeping their
    indentation) and yields the keystrokes that type them back."""

    def __init__(self, client: LanguageClient, files: Iterator[Path]) -> None:
        self.client = client
        self.files = files
        self.open_uri: str | None = None

    def keystrokes(self) -> Iterator[Keystroke]:
        for path in self.files:
            text = path.read_text(encoding="utf-8")
            targets = pick_lines(text, LINES_PER_FILE)
            lines = text.split("\n")
            hovers = [
                (number, match.start(1))
                for number, line in enumerate(lines)
                if number not in targets
                for match in CALL.finditer(line)
            ]
            if not targets or not hovers:
                continue
            typed = {number: lines[number] for number in targets}
            for number in targets:
                lines[number] = lines[number][: len(lines[number]) - len(lines[number].lstrip())]
            uri = path.resolve().as_uri()
            self._open(uri, "\n".join(lines))
            version, step = 1, 0
            for number in targets:
                for column in range(len(lines[number]), len(typed[number])):
                    version += 1
                    hover = hovers[step % len(hovers)]
                    step += 1
                    yield Keystroke(uri, number, column, typed[number][column], version, hover)

    def _open(self, uri: str, text: str) -> None:
        if self.open_uri is not None:
            self.client.text_document_did_close(
                types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=self.open_uri))
            )
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
            )
        )
        self.open_uri = uri


async def timed(request) -> float:
    started = time.perf_counter()
    await asyncio.wait_for(request, REQUEST_TIMEOUT_SECONDS)
    return (time.perf_counter() - started) * 1000


async def type_one(client: LanguageClient, key: Keystroke, timings: PhaseTimings) -> None:
    """One keystroke, then a completion after it and a hover elsewhere, as an editor asks."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=key.uri, version=key.version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=key.line, character=key.column),
                        end=types.Position(line=key.line, character=key.column),
                    ),
                    text=key.character,
                )
            ],
        )
    )
    document = types.TextDocumentIdentifier(uri=key.uri)
    completion = client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=document,
            position=types.Position(line=key.line, character=key.column + 1),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic),
        )
    )
    timings.completion.append(await timed(completion))
    hover = client.text_document_hover_async(
        types.HoverParams(text_document=document, position=types.Position(line=key.hover[0], character=key.hover[1]))
    )
    timings.hover.append(await timed(hover))


class ServerWatch:
    """What the server tells the client: engine state, indexing progress, its stderr."""

    def __init__(self, client: LanguageClient) -> None:
        self.engine_settled = asyncio.Event()
        self.engine_state = ""
        self.engine_message = ""
        self.indexing_done = asyncio.Event()
        self.indexing_done_at = 0.0  # time.perf_counter() at the end of the indexing progress
        self.index_message = ""
        self.log_tail: collections.deque[str] = collections.deque(maxlen=20)
        # pygls marks handlers with attributes, which a bound method cannot take: lambdas.
        client.feature("infill/status")(lambda ls, params: self._on_status(params))
        client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)(lambda ls, params: None)
        client.feature(types.PROGRESS)(lambda ls, params: self._on_progress(params))

    def _on_status(self, params) -> None:
        state = getattr(params, "state", None)
        if state in ("ready", "error", "disabled"):
            self.engine_state, self.engine_message = state, getattr(params, "message", "")
            self.engine_settled.set()

    def _on_progress(self, params: types.ProgressParams) -> None:
        value = params.value
        kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
        if kind == "end":
            message = value.get("message") if isinstance(value, dict) else getattr(value, "message", None)
            self.index_message = message or ""
            self.indexing_done_at = time.perf_counter()
            self.indexing_done.set()

    async def drain_stderr(self, stream: asyncio.StreamReader) -> None:
        """Read the server's log as it comes: a full pipe would block the server."""
        while line := await stream.readline():
            self.log_tail.append(line.decode("utf-8", errors="replace").rstrip())


def peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident memory (Linux /proc), in MiB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else None


def server_environment(cache_home: str) -> dict[str, str]:
    """A fresh user cache (so the index starts empty), with models still found where they are."""
    from lsp_server.modelfiles.registry import models_dir

    return {**os.environ, "INFILL_MODELS_DIR": str(models_dir()), "XDG_CACHE_HOME": cache_home}


async def measure_responsiveness(
    root: Path, python_files: Iterator[Path], quiet_requests: int, model: str | None, big_file_marker: str
) -> ResponsivenessResult:
    cache_home = tempfile.mkdtemp(prefix="infill-bench-cache-")
    client = LanguageClient("infill-bench", "1")
    started = time.perf_counter()
    await client.start_io(sys.executable, "-m", "lsp_server", "serve", env=server_environment(cache_home))
    server = client._server
    assert server is not None and server.stderr is not None, "start_io started the server with pipes"
    watch = ServerWatch(client)
    drain = asyncio.create_task(watch.drain_stderr(server.stderr))
    try:
        await client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(
                    text_document=types.TextDocumentClientCapabilities(
                        inline_completion=types.InlineCompletionClientCapabilities(),
                        hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
                    ),
                    window=types.WindowClientCapabilities(work_done_progress=True),
                ),
                initialization_options={"model": {"path": model}} if model else None,
                root_uri=root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            )
        )
        client.initialized(types.InitializedParams())
        await asyncio.wait_for(watch.engine_settled.wait(), ENGINE_TIMEOUT_SECONDS)
        if watch.engine_state != "ready":
            raise RuntimeError(f"the model did not load: {watch.engine_message}")
        typing = Typist(client, python_files).keystrokes()
        indexing, quiet = PhaseTimings(), PhaseTimings()
        while not watch.indexing_done.is_set() and (key := next(typing, None)) is not None:
            await type_one(client, key, indexing)
        await watch.indexing_done.wait()
        # workspace/symbol waits for the index thread: the build and the watcher's start are over.
        found = await asyncio.wait_for(
            client.workspace_symbol_async(types.WorkspaceSymbolParams(query=big_file_marker)), REQUEST_TIMEOUT_SECONDS
        )
        for _ in range(quiet_requests):
            if (key := next(typing, None)) is None:
                break  # a workspace too small to type this much into
            await type_one(client, key, quiet)
        rss = peak_rss_mb(server.pid)
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    except Exception:
        print("the server's last log lines:", *watch.log_tail, sep="\n", file=sys.stderr)
        raise
    finally:
        if server.returncode is None:
            server.kill()
        drain.cancel()
        shutil.rmtree(cache_home, ignore_errors=True)
    return ResponsivenessResult(
        indexing,
        quiet,
        watch.indexing_done_at - started,
        watch.index_message,
        any(symbol.name == big_file_marker for symbol in found or []),
        rss,
    )


def print_responsiveness(result: ResponsivenessResult, files: int) -> None:
    print(
        f"\nthe server indexing {files} files: {result.index_message or 'no end of progress'}, "
        f"{result.index_seconds:.1f} s after it started"
    )
    print("| phase | requests | completion p50 / p95 ms | hover p50 / p95 ms |")
    print("|---|---|---|---|")
    for name, timings in (("while indexing", result.indexing), ("quiet", result.quiet)):
        print(
            f"| {name} | {len(timings.completion)} + {len(timings.hover)} "
            f"| {percentile(timings.completion, 50):.1f} / {percentile(timings.completion, 95):.1f} "
            f"| {percentile(timings.hover, 50):.1f} / {percentile(timings.hover, 95):.1f} |"
        )
    if len(result.indexing.completion) < 20:
        print(f"note: only {len(result.indexing.completion)} requests while indexing; use more files for a firm p95")
    for kind in ("completion", "hover"):
        print(p95_goal_line(kind, getattr(result.indexing, kind), getattr(result.quiet, kind)))
    if result.server_peak_rss_mb is not None:
        print(f"server peak RSS: {result.server_peak_rss_mb:.0f} MB with the model loaded, parse workers not included")
    found = "FOUND: it was indexed" if result.big_file_found else "not found: skipped"
    print(f"the 50 MB file's symbol in workspace/symbol: {found}")


def p95_goal_line(kind: str, busy: list[float], quiet: list[float]) -> str:
    if not busy or not quiet:
        return f"{kind} p95 while indexing / quiet: not measured (no requests in one of the phases)"
    ratio = percentile(busy, 95) / percentile(quiet, 95)
    verdict = "met" if ratio <= P95_GOAL_RATIO else "NOT met"
    return f"{kind} p95 while indexing / quiet: {ratio:.2f}x (goal: at most {P95_GOAL_RATIO:g}x: {verdict})"

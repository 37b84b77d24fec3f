"""Soak test: a long typing session against the real server, watching memory, threads and latency.

Starts `python -m lsp_server serve` (stdio) on a real repository folder and, once the model is
loaded and the workspace indexed, types into some of its files through a real LSP client:

- every keystroke is a `textDocument/didChange` (one incremental change) followed by a
  `textDocument/inlineCompletion` at the cursor, awaited before the next keystroke, so the figures
  measure the server and not a queue;
- typing comes in bursts in one file: Enter at the end of a random line (the change carries the
  line's indentation, as an editor's Enter does), then a line of that same file retyped one
  character at a time, then Enter and another line; now and then a typo is typed and
  removed with Backspace; after the burst, another file;
- about 10% of the completion requests get a `$/cancelRequest` right after they are sent
  (each is still awaited: the server answers with RequestCancelled, or with its result when
  it had finished first); their times are not in the percentiles;
- every 10th keystroke also sends a `textDocument/hover` on a called function or a class name
  in the current file.

The server's resident memory, threads and open file descriptors are read from /proc/PID at the
start and after every window of keystrokes; each window prints one row with the completion
latency percentiles, the cancelled requests and the errors in it. A request that gets no answer
within --timeout seconds, or an error answer, is an error. The first window is warm-up; the
verdict compares what follows with it:
- RSS grows by at most 10% over its value after warm-up (the peak of the later rows counts);
- threads and open file descriptors stay at their value after warm-up;
- the last window's completion p99 is at most 1.2x the second window's;
- no request is left unanswered or fails.
The exit status is 0 when every goal is met, 1 otherwise.

The keystrokes come from a seeded RNG: the same seed and folder give the same session.
Without --root, the workspace is a copy of this Python's standard library `asyncio` package
(33 files in Python 3.11), in the temporary folder (a fixed path, so its index database is reused).

Usage: infill bench soak [--root DIR] [--model GGUF] [--keystrokes 20000] [--files 20]
                         [--window 2000] [--seed 0] [--timeout 15] [--json OUT.json]
       (or python bench/soak.py ...)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import keyword
import os
import random
import re
import resource
import shutil
import string
import sys
import sysconfig
import tempfile
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled
from pygls.lsp.client import LanguageClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the other benchmarks, also under `infill bench`

from latency import percentile as latency_percentile

from lsp_server.documents import DocumentError, read_source_file
from lsp_server.index.files import walk_folder
from lsp_server.index.ignore import IgnoreRules
from lsp_server.settings import Settings
from lsp_server.text import codepoint_to_utf16_column, split_lines

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PACKAGE = "asyncio"
HOVER_EVERY = 10
CANCEL_FRACTION = 0.10
TYPO_CHANCE = 0.03  # per typed character: a wrong letter, removed by the next keystroke
BURST_KEYSTROKES = (20, 200)  # keystrokes in one file before moving to another
MIN_RETYPED_LINES = 20  # a file needs this many lines worth retyping to be picked
STARTUP_TIMEOUT_S = 600  # model load plus a cold index of a large folder
UNANSWERED_TO_STOP = 3  # a server that stopped answering would otherwise cost a timeout per request
ERRORS_KEPT = 20  # errors described in the report; all are counted
LOG_LINES_KEPT = 40  # the server's last log lines, shown when something went wrong
# LSP language ids where they differ from the index's language names.
LSP_LANGUAGE_IDS = {"tsx": "typescriptreact"}
# llama.cpp's own lines (model loading, and one per generate call) would push the rest out of the tail.
LLAMA_CPP_LOG = re.compile(r"Llama\.generate: |\S+ \S+ \w+ llama\.cpp: ")
# A name followed by "(" (a call) or starting with a capital (a class, usually).
HOVERED_NAME = re.compile(r"\b(?:[A-Za-z_]\w*(?=\()|[A-Z]\w*)")
# Words nobody hovers to learn about.
NOT_HOVERED = frozenset([*keyword.kwlist, *keyword.softkwlist, "self", "cls"])


# -- the documents and the typist ---------------------------------------------------------------
@dataclass
class Document:
    path: Path
    language_id: str
    lines: list[str]  # the buffer as the server has it
    retypable: list[str]  # code lines of the original file, stripped, typed again in bursts
    version: int = 1

    @property
    def uri(self) -> str:
        return self.path.as_uri()


def is_retypable(line: str) -> bool:
    """A line of code worth typing: not blank, not a comment or a string, not too long."""
    text = line.strip()
    return 8 <= len(text) <= 80 and not text.startswith(("#", "//", "/*", "*", '"', "'"))


def load_document(path: Path, language: str) -> Document | None:
    try:
        lines = split_lines(read_source_file(path))
    except DocumentError:
        return None
    retypable = [line.strip() for line in lines if is_retypable(line)]
    if len(retypable) < MIN_RETYPED_LINES:
        return None
    return Document(path, LSP_LANGUAGE_IDS.get(language, language), lines, retypable)


def pick_documents(root: Path, count: int, rng: random.Random) -> list[Document]:
    """`count` files the server indexes, chosen at random among those with enough code."""
    candidates = walk_folder(root, IgnoreRules(root), Settings().index.max_file_bytes)
    rng.shuffle(candidates)
    documents: list[Document] = []
    for candidate in candidates:  # read only until enough fit: a large folder stays cheap
        document = load_document(candidate.path, candidate.language)
        if document is not None:
            documents.append(document)
        if len(documents) == count:
            break
    return documents


def leading_whitespace(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


class Typist:
    """Keystrokes from a seeded RNG, each applied to the local copy of the buffer and returned
    as the incremental change the editor would send."""

    def __init__(self, rng: random.Random, documents: list[Document]) -> None:
        self.rng = rng
        self.documents = documents
        self.document = documents[0]
        self.line = self.column = 0
        self.indent = ""
        self.to_type = ""  # the rest of the line being retyped
        self.burst_left = 0
        self.typo_to_remove = False
        self.typed_into: set[str] = set()  # URIs of the files typed into so far

    def cursor(self) -> types.Position:
        text = self.document.lines[self.line]
        return types.Position(line=self.line, character=codepoint_to_utf16_column(text, self.column))

    def next_change(self) -> types.TextDocumentContentChangePartial:
        if self.burst_left == 0:
            self._start_burst()
        self.burst_left -= 1
        self.document.version += 1
        if self.typo_to_remove:
            self.typo_to_remove = False
            return self._backspace()
        if not self.to_type:
            self.to_type = self.rng.choice(self.document.retypable)
            return self._enter()
        if self.rng.random() < TYPO_CHANCE:
            self.typo_to_remove = True
            return self._insert(self.rng.choice(string.ascii_lowercase))
        character, self.to_type = self.to_type[0], self.to_type[1:]
        return self._insert(character)

    def _start_burst(self) -> None:
        """Another file, the end of a random line in it."""
        self.document = self.rng.choice(self.documents)
        self.typed_into.add(self.document.uri)
        self.line = self.rng.randrange(len(self.document.lines))
        self.column = len(self.document.lines[self.line])
        self.indent = leading_whitespace(self.document.lines[self.line])
        self.to_type = ""
        self.typo_to_remove = False
        self.burst_left = self.rng.randint(*BURST_KEYSTROKES)

    def _insert(self, character: str) -> types.TextDocumentContentChangePartial:
        change = self._change(self.column, character)
        text = self.document.lines[self.line]
        self.document.lines[self.line] = text[: self.column] + character + text[self.column :]
        self.column += 1
        return change

    def _enter(self) -> types.TextDocumentContentChangePartial:
        change = self._change(self.column, "\n" + self.indent)
        text = self.document.lines[self.line]
        self.document.lines[self.line : self.line + 1] = [text[: self.column], self.indent + text[self.column :]]
        self.line += 1
        self.column = len(self.indent)
        return change

    def _backspace(self) -> types.TextDocumentContentChangePartial:
        change = self._change(self.column - 1, "")
        text = self.document.lines[self.line]
        self.document.lines[self.line] = text[: self.column - 1] + text[self.column :]
        self.column -= 1
        return change

    def _change(self, start_column: int, text: str) -> types.TextDocumentContentChangePartial:
        """Replace the buffer from start_column to the cursor, on the cursor's line, with text."""
        line_text = self.document.lines[self.line]
        start = types.Position(line=self.line, character=codepoint_to_utf16_column(line_text, start_column))
        return types.TextDocumentContentChangePartial(range=types.Range(start=start, end=self.cursor()), text=text)

    def hover_position(self) -> types.Position:
        """A called function or a class somewhere in the current file, as a mouse would rest on
        it to read what it does."""
        lines = self.document.lines
        for _ in range(20):
            line = self.rng.randrange(len(lines))
            names = [name for name in HOVERED_NAME.finditer(lines[line]) if name[0] not in NOT_HOVERED]
            if names:
                name = self.rng.choice(names)
                return types.Position(line=line, character=codepoint_to_utf16_column(lines[line], name.start() + 1))
        return self.cursor()


# -- the server process -------------------------------------------------------------------------
@dataclass
class ProcessStats:
    rss_mb: float
    threads: int
    fds: int


def read_process_stats(pid: int) -> ProcessStats:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.split()
    return ProcessStats(
        rss_mb=int(fields["VmRSS"][0]) / 1024,
        threads=int(fields["Threads"][0]),
        fds=len(os.listdir(f"/proc/{pid}/fd")),
    )


@dataclass
class Answer:
    """How a request ended: a result, RequestCancelled (after our cancel), or an error."""

    elapsed_ms: float
    result: object = None
    cancelled: bool = False
    error: str = ""


class StartupError(Exception):
    """The server could not start the session: the model or the index did not come up."""


class ServerSession:
    """The server over stdio: its status, its log (drained, or a full pipe would block it) and
    requests that can be cancelled and that give up after a timeout."""

    def __init__(self, timeout_s: float) -> None:
        self.client = LanguageClient("infill-soak", "1")
        self.timeout_s = timeout_s
        self.engine_settled = asyncio.Event()
        self.engine_error = ""
        self.index_built = asyncio.Event()
        self.log_tail: deque[str] = deque(maxlen=LOG_LINES_KEPT)
        self.messages: deque[str] = deque(maxlen=ERRORS_KEPT)  # window/showMessage texts
        self._next_id = 0
        self.unanswered_in_a_row = 0
        self._log_reader: asyncio.Future | None = None  # held: a task nobody references may be collected
        self._register_handlers()

    def _register_handlers(self) -> None:
        @self.client.feature("infill/status")
        def on_status(ls, params) -> None:
            state = getattr(params, "state", None)
            if state == "error":
                self.engine_error = getattr(params, "message", "") or "the model did not load"
            if state in ("ready", "error"):
                self.engine_settled.set()

        @self.client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def on_progress_create(ls, params) -> None:
            return None

        @self.client.feature(types.PROGRESS)
        def on_progress(ls, params) -> None:
            # The one progress the server reports at start is indexing; its end means built.
            value = params.value
            kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
            if kind == "end":
                self.index_built.set()

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def on_message(ls, params) -> None:
            self.messages.append(params.message)

    @property
    def process(self) -> asyncio.subprocess.Process:
        process = self.client._server  # pygls keeps the process it started here
        assert process is not None, "the server is started first"
        return process

    async def start(self, root: Path, options: dict) -> None:
        """Start the server and wait until its model is loaded and its index built."""
        await self.client.start_io(sys.executable, "-m", "lsp_server", "serve", cwd=str(REPO))
        self._log_reader = asyncio.ensure_future(self._drain_log())
        try:
            await self._initialize(root, options)
        except RuntimeError as error:  # pygls fails the pending request when the server exits
            raise StartupError(str(error)) from None
        waiting = asyncio.gather(self.engine_settled.wait(), self.index_built.wait())
        exit_ = asyncio.ensure_future(self.process.wait())
        either: set[asyncio.Future] = {waiting, exit_}
        await asyncio.wait(either, timeout=STARTUP_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        exit_.cancel()
        if self.exited():
            raise StartupError(f"the server exited with code {self.process.returncode} while starting")
        if self.engine_error:
            raise StartupError(f"the model did not load: {self.engine_error}")
        if not (self.engine_settled.is_set() and self.index_built.is_set()):
            raise StartupError(
                f"the server was not ready within {STARTUP_TIMEOUT_S} s "
                f"(model settled: {self.engine_settled.is_set()}, index built: {self.index_built.is_set()})"
            )

    async def _initialize(self, root: Path, options: dict) -> None:
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(
                    text_document=types.TextDocumentClientCapabilities(
                        inline_completion=types.InlineCompletionClientCapabilities()
                    ),
                    window=types.WindowClientCapabilities(work_done_progress=True),
                ),
                initialization_options=options,
                root_uri=root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            )
        )
        self.client.initialized(types.InitializedParams())

    async def _drain_log(self) -> None:
        """Read the server's log as it comes, keeping its last lines: read by chunks, as a
        line longer than the stream's limit would stop a line reader."""
        stderr = self.process.stderr
        assert stderr is not None
        partial = b""
        while chunk := await stderr.read(65536):
            *lines, partial = (partial + chunk).split(b"\n")
            texts = (line.decode("utf-8", "replace") for line in lines)
            self.log_tail.extend(text for text in texts if not LLAMA_CPP_LOG.match(text))
            partial = partial[-4096:]

    def exited(self) -> bool:
        return self.process.returncode is not None

    async def request(self, method: str, params: object, cancel: bool = False) -> Answer:
        """Send a request, cancel it at once when asked, and wait for its answer."""
        self._next_id += 1
        msg_id = f"soak-{self._next_id}"
        started = time.perf_counter()
        reply = asyncio.wrap_future(self.client.protocol.send_request(method, params, msg_id=msg_id))
        if cancel:
            self.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
        # asyncio.wait, not wait_for: an answer that arrives late must not hit a cancelled future.
        done, _ = await asyncio.wait({reply}, timeout=self.timeout_s)
        elapsed_ms = (time.perf_counter() - started) * 1000
        if not done:
            self.unanswered_in_a_row += 1
            reply.add_done_callback(lambda late: late.cancelled() or late.exception())  # nobody awaits it now
            return Answer(elapsed_ms, error=f"no answer within {self.timeout_s:g} s")
        self.unanswered_in_a_row = 0
        error = reply.exception()
        if error is None:
            return Answer(elapsed_ms, result=reply.result())
        if cancel and isinstance(error, JsonRpcRequestCancelled):
            return Answer(elapsed_ms, cancelled=True)
        return Answer(elapsed_ms, error=f"error answer: {error}")

    async def flush(self) -> None:
        """workspace/symbol flushes the index: when it answers, every change sent is applied."""
        await self.request(types.WORKSPACE_SYMBOL, types.WorkspaceSymbolParams(query="soak"))

    async def stop(self) -> None:
        """Shut the server down as an editor does; kill it when it does not go."""
        if not self.exited():
            try:
                await asyncio.wait_for(self.client.shutdown_async(None), self.timeout_s)
                self.client.exit(None)
                await asyncio.wait_for(self.process.wait(), self.timeout_s)
            except (TimeoutError, RuntimeError):
                if not self.exited():
                    self.process.kill()
        await self.client.stop()


# -- measuring ----------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float | None:
    """latency.percentile, None for an empty window."""
    return latency_percentile(values, q) if values else None


def rounded(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


@dataclass
class Window:
    """What happened in one window of keystrokes (the only per-keystroke data kept)."""

    latencies_ms: list[float] = field(default_factory=list)
    cancelled: int = 0
    errors: int = 0


@dataclass
class Row:
    keystrokes: int
    rss_mb: float
    threads: int
    fds: int
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    completions: int = 0  # timed completion requests (not cancelled, no error)
    cancelled: int = 0
    errors: int = 0


def make_row(keystrokes: int, stats: ProcessStats, window: Window | None) -> Row:
    row = Row(keystrokes, round(stats.rss_mb, 1), stats.threads, stats.fds)
    if window is not None:
        times = window.latencies_ms
        row.p50_ms, row.p95_ms, row.p99_ms = (rounded(percentile(times, q)) for q in (50, 95, 99))
        row.completions, row.cancelled, row.errors = len(times), window.cancelled, window.errors
    return row


@dataclass
class Tally:
    """Counts over the whole run: counters, and the first errors described."""

    keystrokes: int = 0
    completions_timed: int = 0
    completions_with_text: int = 0
    cancelled: int = 0
    cancels_acknowledged: int = 0  # answered RequestCancelled; the others had finished first
    hovers: int = 0
    hovers_with_content: int = 0
    errors: int = 0
    first_errors: list[str] = field(default_factory=list)

    def error(self, keystroke: int, method: str, message: str) -> None:
        self.errors += 1
        if len(self.first_errors) < ERRORS_KEPT:
            self.first_errors.append(f"keystroke {keystroke}: {method}: {message}")


# -- the session --------------------------------------------------------------------------------
@dataclass
class SoakResult:
    rows: list[Row]
    tally: Tally
    seconds: float = 0.0
    stopped_early: str = ""  # why the session ended before its last keystroke
    # The keystroke by which every file had been typed into: the caches hold the session's whole
    # working set from then on, so memory growth after it is the one that matters most.
    all_files_typed_at: int | None = None


def completion_params(document: Document, position: types.Position) -> types.InlineCompletionParams:
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=document.uri),
        position=position,
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic),
    )


def open_documents(session: ServerSession, documents: list[Document]) -> None:
    for document in documents:
        session.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=document.uri,
                    language_id=document.language_id,
                    version=document.version,
                    text="\n".join(document.lines),
                )
            )
        )


def send_change(session: ServerSession, typist: Typist) -> None:
    change = typist.next_change()
    document = typist.document
    session.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=document.uri, version=document.version),
            content_changes=[change],
        )
    )


async def complete_at_cursor(session: ServerSession, typist: Typist, number: int, window: Window, tally: Tally) -> None:
    cancel = typist.rng.random() < CANCEL_FRACTION
    params = completion_params(typist.document, typist.cursor())
    answer = await session.request(types.TEXT_DOCUMENT_INLINE_COMPLETION, params, cancel)
    if answer.error:
        window.errors += 1
        tally.error(number, "inlineCompletion", answer.error)
    elif cancel:
        window.cancelled += 1  # its time is the cancel's round trip, not a completion's
        tally.cancelled += 1
        tally.cancels_acknowledged += answer.cancelled
    else:
        window.latencies_ms.append(answer.elapsed_ms)
        tally.completions_timed += 1
        items = answer.result if isinstance(answer.result, list) else getattr(answer.result, "items", None)
        tally.completions_with_text += bool(items)


async def hover_somewhere(session: ServerSession, typist: Typist, number: int, window: Window, tally: Tally) -> None:
    params = types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=typist.document.uri), position=typist.hover_position()
    )
    answer = await session.request(types.TEXT_DOCUMENT_HOVER, params)
    tally.hovers += 1
    if answer.error:
        window.errors += 1
        tally.error(number, "hover", answer.error)
    else:
        tally.hovers_with_content += answer.result is not None


async def keystroke(session: ServerSession, typist: Typist, number: int, window: Window, tally: Tally) -> None:
    """One keystroke: the change, the completion at the cursor, and a hover every HOVER_EVERY."""
    send_change(session, typist)
    tally.keystrokes += 1
    await complete_at_cursor(session, typist, number, window, tally)
    if number % HOVER_EVERY == 0:
        await hover_somewhere(session, typist, number, window, tally)


def why_stop(session: ServerSession) -> str:
    """A reason to end the session early: the server is gone or no longer answers."""
    if session.exited():
        return f"the server exited with code {session.process.returncode}"
    if session.unanswered_in_a_row >= UNANSWERED_TO_STOP:
        return f"the server stopped answering ({UNANSWERED_TO_STOP} requests in a row)"
    return ""


async def soak(args: argparse.Namespace, root: Path, documents: list[Document], options: dict) -> SoakResult:
    session = ServerSession(args.timeout)
    try:
        await session.start(root, options)
    except StartupError:
        print_log_tail(session)
        await session.stop()
        raise
    open_documents(session, documents)
    await session.flush()
    pid = session.process.pid
    result = SoakResult([make_row(0, read_process_stats(pid), None)], Tally())
    print_header(pid)
    print_row(result.rows[0])
    typist = Typist(random.Random(args.seed), documents)
    window = Window()
    started = time.perf_counter()
    for number in range(1, args.keystrokes + 1):
        await keystroke(session, typist, number, window, result.tally)
        if result.all_files_typed_at is None and len(typist.typed_into) == len(documents):
            result.all_files_typed_at = number
        result.stopped_early = why_stop(session)
        if result.stopped_early:
            break
        if number % args.window == 0 or number == args.keystrokes:
            result.rows.append(make_row(number, read_process_stats(pid), window))
            print_row(result.rows[-1])
            window = Window()
    result.seconds = time.perf_counter() - started
    print_server_notes(session, result)
    await session.stop()
    return result


# -- the verdict --------------------------------------------------------------------------------
@dataclass
class Goal:
    name: str
    met: bool | None  # None: not enough windows to judge
    detail: str


def window_label(rows: list[Row], index: int) -> str:
    return f"window {index} (keystrokes {rows[index - 1].keystrokes + 1}-{rows[index].keystrokes})"


def judge_rss(rows: list[Row], max_growth: float = 0.10) -> Goal:
    warm, later = rows[1], rows[2:]
    if not later:
        return Goal("RSS", None, "needs a window after the warm-up")
    peak = max(later, key=lambda row: row.rss_mb)
    growth = (peak.rss_mb - warm.rss_mb) / warm.rss_mb
    detail = (
        f"{warm.rss_mb:.1f} MB after warm-up, peak {peak.rss_mb:.1f} MB at keystroke {peak.keystrokes}, "
        f"end {later[-1].rss_mb:.1f} MB: {growth:+.1%} (goal <= +{max_growth:.0%})"
    )
    return Goal("RSS", growth <= max_growth, detail)


def judge_constant(rows: list[Row], name: str, attribute: str) -> Goal:
    if len(rows) < 3:
        return Goal(name, None, "needs a window after the warm-up")
    values = [getattr(row, attribute) for row in rows[1:]]  # from the end of the warm-up on
    warm, later = values[0], values[1:]
    detail = f"{warm} after warm-up, then {min(later)}..{max(later)} (goal: constant)"
    steps = [
        f"{before} -> {after} by keystroke {row.keystrokes}"
        for before, after, row in zip(values, later, rows[2:], strict=False)
        if after != before
    ]
    if steps:
        detail += "; " + ", ".join(steps[:5]) + (" ..." if len(steps) > 5 else "")
    return Goal(name, all(value == warm for value in later), detail)


def judge_p99(rows: list[Row], max_ratio: float = 1.2) -> Goal:
    if len(rows) < 4:
        return Goal("completion p99", None, "needs at least 3 windows (warm-up, then two to compare)")
    first, last = rows[2].p99_ms, rows[-1].p99_ms
    compared = f"{window_label(rows, 2)} with {window_label(rows, len(rows) - 1)}"
    if first is None or last is None:
        return Goal("completion p99", False, f"{compared}: a window has no timed completion")
    ratio = last / first
    return Goal(
        "completion p99",
        ratio <= max_ratio,
        f"{compared}: {first:.1f} -> {last:.1f} ms = {ratio:.2f}x (goal <= {max_ratio}x)",
    )


def judge_errors(result: SoakResult, timeout_s: float) -> Goal:
    detail = f"{result.tally.errors} (no answer within {timeout_s:g} s, or an error answer; goal: none)"
    if result.stopped_early:
        return Goal("failed requests", False, f"{detail}; {result.stopped_early}")
    return Goal("failed requests", result.tally.errors == 0, detail)


def judge(result: SoakResult, timeout_s: float) -> list[Goal]:
    rows = result.rows
    if len(rows) < 2:
        return [Goal("run", False, "no window completed"), judge_errors(result, timeout_s)]
    return [
        judge_rss(rows),
        judge_constant(rows, "threads", "threads"),
        judge_constant(rows, "open fds", "fds"),
        judge_p99(rows),
        judge_errors(result, timeout_s),
    ]


# -- output -------------------------------------------------------------------------------------
COLUMNS = f"{'keystrokes':>10} {'RSS MB':>8} {'threads':>7} {'fds':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"


def print_header(pid: int) -> None:
    print(f"\nserver pid {pid}; one row per window (completion latency of the window's timed requests)")
    print(f"{COLUMNS} {'cancelled':>9} {'errors':>6}")


def format_ms(value: float | None) -> str:
    return f"{value:>8.1f}" if value is not None else f"{'-':>8}"


def print_row(row: Row) -> None:
    label = str(row.keystrokes) if row.keystrokes else "start"
    latency = " ".join(format_ms(value) for value in (row.p50_ms, row.p95_ms, row.p99_ms))
    counts = f"{row.cancelled:>9} {row.errors:>6}" if row.keystrokes else f"{'-':>9} {'-':>6}"
    print(f"{label:>10} {row.rss_mb:>8.1f} {row.threads:>7} {row.fds:>5} {latency} {counts}", flush=True)


def print_server_notes(session: ServerSession, result: SoakResult) -> None:
    """What the server said to the user, and its last log lines when something failed."""
    for message in session.messages:
        print(f"server message: {message}")
    if result.tally.errors or session.exited():
        print_log_tail(session)


def print_log_tail(session: ServerSession) -> None:
    print("\nserver log (last lines, without llama.cpp's own):")
    for line in session.log_tail or ["(none)"]:
        print(f"  {line}")


def print_summary(result: SoakResult) -> None:
    tally = result.tally
    client_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = tally.keystrokes / max(result.seconds, 1e-9)
    print(f"\n{tally.keystrokes} keystrokes in {result.seconds:.0f} s ({rate:.1f}/s)")
    if result.stopped_early:
        print(f"  stopped early: {result.stopped_early}")
    print(f"  completions timed: {tally.completions_timed} ({tally.completions_with_text} with ghost text)")
    print(
        f"  completions cancelled: {tally.cancelled} ({tally.cancels_acknowledged} answered RequestCancelled, "
        f"{tally.cancelled - tally.cancels_acknowledged} had finished first)"
    )
    print(f"  hovers: {tally.hovers} ({tally.hovers_with_content} with content)")
    print(f"  errors: {tally.errors}")
    for line in tally.first_errors:
        print(f"    at {line}")
    if tally.errors > len(tally.first_errors):
        print(f"    ... and {tally.errors - len(tally.first_errors)} more")
    print(f"  benchmark client peak RSS: {client_mb:.0f} MB")


def print_working_set(result: SoakResult) -> None:
    """RSS from the first row after every file was typed into: growth without new files."""
    at = result.all_files_typed_at
    later = [row for row in result.rows if at is not None and row.keystrokes >= at]
    if at is None or len(later) < 2:
        print("\nworking set: not every file was typed into before the last window")
        return
    first, peak = later[0], max(later[1:], key=lambda row: row.rss_mb)
    growth = (peak.rss_mb - first.rss_mb) / first.rss_mb
    print(
        f"\nworking set: every file typed into by keystroke {at}; RSS from keystroke {first.keystrokes} on: "
        f"{first.rss_mb:.1f} MB, peak {peak.rss_mb:.1f} MB at keystroke {peak.keystrokes} ({growth:+.1%})"
    )


def print_verdict(goals: list[Goal], rows: list[Row]) -> None:
    warm_up = f"keystrokes 1-{rows[1].keystrokes}" if len(rows) > 1 else "not completed"
    print(f"\nverdict (window 1, {warm_up}, is warm-up; the rest is compared with it):")
    for goal in goals:
        status = "not judged" if goal.met is None else ("met" if goal.met else "NOT MET")
        print(f"  {goal.name:<16} {status:<11} {goal.detail}")
    missed = [goal.name for goal in goals if goal.met is False]
    unjudged = [goal.name for goal in goals if goal.met is None]
    if missed:
        print(f"goals not met: {', '.join(missed)}")
    elif unjudged:
        print(f"no goal missed; not judged: {', '.join(unjudged)} (too few windows)")
    else:
        print("all goals met")


def write_json(path: Path, args: argparse.Namespace, root: Path, result: SoakResult, goals: list[Goal]) -> None:
    report = {
        "run": {
            "root": str(root),
            "model": args.model or "embedded",
            "keystrokes": args.keystrokes,
            "files": args.files,
            "window": args.window,
            "seed": args.seed,
            "timeoutS": args.timeout,
            "seconds": round(result.seconds, 1),
            "stoppedEarly": result.stopped_early,
            "allFilesTypedAt": result.all_files_typed_at,
        },
        "rows": [asdict(row) for row in result.rows],
        "goals": [asdict(goal) for goal in goals],
        "tally": asdict(result.tally),
    }
    path.write_text(json.dumps(report, indent=2) + "\n")


# -- setup --------------------------------------------------------------------------------------
def default_workspace() -> Path:
    """A fresh copy of a standard-library package at a fixed temporary path."""
    source = Path(sysconfig.get_paths()["stdlib"]) / DEFAULT_PACKAGE
    workspace = Path(tempfile.gettempdir()) / "infill-soak" / DEFAULT_PACKAGE
    shutil.rmtree(workspace, ignore_errors=True)
    # copy2 keeps modification times, so the index database of the previous run is reused.
    shutil.copytree(source, workspace, ignore=shutil.ignore_patterns("__pycache__"))
    return workspace


def server_options(model: str | None) -> dict:
    if model is None:
        return {}  # the server's default: the embedded model
    path = Path(model)
    return {"model": {"path": str(path.resolve()) if path.is_file() else model}}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--root", help=f"repository folder (default: a copy of the stdlib {DEFAULT_PACKAGE})")
    parser.add_argument("--model", help="GGUF file or registry name (default: the embedded model)")
    parser.add_argument("--keystrokes", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=20, help="files typed into")
    parser.add_argument("--window", type=int, default=2_000, help="keystrokes per row")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds before a request counts as unanswered")
    parser.add_argument("--json", type=Path, help="write the rows and the verdict here")
    args = parser.parse_args()
    if args.keystrokes < 1 or args.window < 1 or args.files < 1:
        parser.error("--keystrokes, --window and --files must be positive")
    return args


def main() -> int:
    args = parse_args()
    root = Path(args.root).resolve() if args.root else default_workspace()
    if not root.is_dir():
        print(f"soak: {root} is not a folder", file=sys.stderr)
        return 2
    documents = pick_documents(root, args.files, random.Random(args.seed))
    if not documents:
        print(f"soak: no file in {root} has {MIN_RETYPED_LINES} lines of code to type", file=sys.stderr)
        return 2
    print(f"workspace: {root}\nmodel: {args.model or 'embedded (models/infill-tiny-code.gguf)'}")
    fewer = f" (only {len(documents)} have enough code)" if len(documents) < args.files else ""
    print(
        f"{args.keystrokes} keystrokes into {len(documents)} files{fewer}, a row every {args.window}, "
        f"seed {args.seed}, request timeout {args.timeout:g} s"
    )
    try:
        result = asyncio.run(soak(args, root, documents, server_options(args.model)))
    except StartupError as error:
        print(f"soak: {error}", file=sys.stderr)
        return 1
    goals = judge(result, args.timeout)
    print_summary(result)
    print_working_set(result)
    print_verdict(goals, result.rows)
    if args.json:
        write_json(args.json, args, root, result, goals)
        print(f"rows written to {args.json}")
    return 0 if all(goal.met for goal in goals) else 1


if __name__ == "__main__":
    sys.exit(main())

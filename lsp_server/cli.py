"""The `infill` command line.

infill serve [--tcp HOST:PORT]        the language server (stdio by default)
infill complete FILE:LINE:COL         print the completion at a cursor (1-based line and column)
infill index PATH                     index a folder and print what was found
infill bench latency|index|...        run a benchmark from bench/
infill models list|pull|verify|rm     recommended models (see modelfiles/command.py)
infill doctor [--settings JSON] [--json]   check the setup: a verdict and a fix per check
"""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import json
import logging
import os
import re
import runpy
import signal
import sys
from pathlib import Path

from .settings import IndexSettings, parse_settings

REPO_ROOT = Path(__file__).resolve().parents[1]


def setup_logging(level: str) -> None:
    # Never stdout: in stdio mode it is the protocol channel. INFILL_LOG_TIMESTAMPS=0 leaves the
    # time out: an editor that shows the log (VS Code's output channel) stamps each line itself.
    timestamps = os.environ.get("INFILL_LOG_TIMESTAMPS", "1").strip() != "0"
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, level.upper(), logging.INFO),
        format=("%(asctime)s " if timestamps else "") + "%(levelname)s %(name)s: %(message)s",
    )
    if logging.getLogger().level > logging.DEBUG:  # at DEBUG, pygls shows every message too
        logging.getLogger("pygls").setLevel(logging.WARNING)


def cmd_serve(args: argparse.Namespace) -> int:
    from .app import create_server

    # `kill -USR1 PID` writes every thread's stack to the log: what a stuck server is doing.
    faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)
    if os.environ.get("INFILL_TRACEMALLOC"):
        _trace_memory()
    server = create_server()
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
    return 0


def _trace_memory() -> None:
    """INFILL_TRACEMALLOC=FILE: trace Python allocations; each `kill -USR2 PID` appends to FILE
    where memory grew since the previous signal (the 15 largest growths by source line)."""
    import tracemalloc

    tracemalloc.start(4)
    previous: list[tracemalloc.Snapshot] = []

    def report(signum: int, frame: object) -> None:
        snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        if previous:
            lines = [str(stat) for stat in snapshot.compare_to(previous[0], "lineno")[:15]]
            with open(os.environ["INFILL_TRACEMALLOC"], "a", encoding="utf-8") as report_file:
                report_file.write("memory growth since the last report:\n  " + "\n  ".join(lines) + "\n")
        previous[:] = [snapshot]

    signal.signal(signal.SIGUSR2, report)


_CURSOR = re.compile(r"^(?P<file>.+):(?P<line>-?\d+):(?P<col>-?\d+)$")


def cmd_complete(args: argparse.Namespace) -> int:
    from .completion.service import CompletionRequest, CompletionService
    from .context.provider import CrossFileContext
    from .documents import DocumentError, read_source_file
    from .engine.base import EngineError
    from .engine.host import EngineHost
    from .engine.worker import ModelWorker
    from .text import cursor_from_cli

    match = _CURSOR.match(args.cursor)
    if not match:
        print("infill complete: expected FILE:LINE:COL (1-based), e.g. app.py:12:5", file=sys.stderr)
        return 2
    path = Path(match["file"])
    try:
        text = read_source_file(path)
    except DocumentError as exc:
        print(f"infill complete: {exc}", file=sys.stderr)
        return 1
    try:
        cursor = cursor_from_cli(text, int(match["line"]), int(match["col"]))
    except ValueError as exc:
        print(f"infill complete: {path}: {exc}", file=sys.stderr)
        return 1

    raw: dict[str, dict[str, object]] = {"model": {"path": args.model}, "completion": {}}
    if args.engine is not None:
        raw["engine"] = {"kind": args.engine}
    if args.max_tokens is not None:
        raw["completion"]["maxTokens"] = args.max_tokens
    if args.min_confidence is not None:
        raw["completion"]["minConfidence"] = args.min_confidence
    if args.n_gpu_layers is not None:
        raw["model"]["nGpuLayers"] = args.n_gpu_layers
    settings, errors = parse_settings(raw)
    for error in errors:
        # Name the flag the user typed, not the setting it fills.
        for setting_name, flag in (
            ("infill.completion.maxTokens", "--max-tokens"),
            ("infill.completion.minConfidence", "--min-confidence"),
            ("infill.model.nGpuLayers", "--n-gpu-layers"),
        ):
            error = error.replace(setting_name, flag)
        print(f"infill complete: {error}", file=sys.stderr)
    worker = ModelWorker()
    host = EngineHost(worker)
    try:
        host.load_blocking(settings)
    except EngineError as exc:
        print(f"infill complete: {exc}", file=sys.stderr)
        return 1
    index = _context_index(path, args.root, args.no_context)
    context = CrossFileContext(lambda: index) if index is not None else None
    service = CompletionService(host, lambda: settings, context)
    # Asked for (explicit): no deadline, nothing learnt by the latency budget (a one-shot run);
    # whole: what the model wrote is reported below even when it is not shown.
    uri = path.resolve().as_uri()
    request = CompletionRequest(uri, text, cursor, path=path.resolve(), explicit=True, whole=True)
    outcome = asyncio.run(service.complete(request))
    worker.shutdown()
    if index is not None:
        index.close()
    if not outcome.text and outcome.candidate and outcome.confidence is not None:
        # The editor would show nothing here too; say why, and how to see the model's text.
        print(
            f"infill complete: the model's suggestion {outcome.candidate!r} has confidence "
            f"{outcome.confidence:.4f}, below minConfidence {outcome.min_confidence}; "
            "--min-confidence 0 shows it",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps({"completion": outcome.text, **outcome.timings()}))
    else:
        sys.stdout.write(outcome.text + "\n")
    return 0


def _context_index(path: Path, root: str | None, off: bool):
    """The workspace index for cross-file context: --root, else the file's git repository.
    It shares the server's database, so after the first run it loads in a moment."""
    if off:
        return None
    from .index import WorkspaceIndex

    folder = Path(root).resolve() if root else next((p for p in path.resolve().parents if (p / ".git").exists()), None)
    if folder is None:
        return None
    index = WorkspaceIndex([folder])
    index.build()
    return index


def cmd_index(args: argparse.Namespace) -> int:
    from .index.command import run_index_command

    return run_index_command(args.path, args.db, args.max_files)


def cmd_bench(args: argparse.Namespace) -> int:
    script = REPO_ROOT / "bench" / f"{args.name}.py"
    sys.argv = [str(script), *args.rest]
    runpy.run_path(str(script), run_name="__main__")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="infill", description="Infill: local code completion language server")
    parser.add_argument("--log-level", default=os.environ.get("INFILL_LOG_LEVEL", "WARNING"))
    commands = parser.add_subparsers(dest="command")

    serve = commands.add_parser("serve", help="run the language server")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    serve.add_argument("--stdio", action="store_true", help="use stdio (the default)")
    serve.set_defaults(func=cmd_serve)

    complete = commands.add_parser(
        "complete",
        help="print the completion at FILE:LINE:COL",
        description="LINE and COL are 1-based (COL counts characters; the end of the line, one past its last "
        "character, is valid). 0, negative, or past the end is an error.",
    )
    complete.add_argument("cursor", metavar="FILE:LINE:COL")
    complete.add_argument(
        "--model", help="GGUF model file, or an ONNX model folder with --engine onnx (default: the embedded model)"
    )
    complete.add_argument(
        "--engine",
        choices=("llama_cpp", "onnx"),
        help="where the model runs: llama_cpp (a GGUF file, the default) or onnx (a model folder, see "
        "`infill models convert`)",
    )
    complete.add_argument("--max-tokens", type=int, help="tokens to generate (default: completion.maxTokens)")
    complete.add_argument(
        "--min-confidence",
        type=float,
        help="show suggestions only at or above this confidence (default: the model's calibrated value; 0: all)",
    )
    complete.add_argument("--n-gpu-layers", type=int)
    complete.add_argument("--json", action="store_true", help="print the completion and its timings as JSON")
    complete.add_argument("--root", help="workspace folder for cross-file context (default: the file's git repository)")
    complete.add_argument("--no-context", action="store_true", help="complete from the file alone")
    complete.set_defaults(func=cmd_complete)

    index = commands.add_parser("index", help="index a folder and print counts")
    index.add_argument("path")
    index.add_argument("--db", help="database file (default: the user cache directory)")
    index.add_argument(
        "--max-files",
        type=int,
        default=IndexSettings().max_files,
        help="most files indexed, the first ones in walk order (default: %(default)s, as index.maxFiles)",
    )
    index.set_defaults(func=cmd_index)

    benchmarks = sorted(p.stem for p in (REPO_ROOT / "bench").glob("*.py") if not p.stem.startswith("_"))
    bench = commands.add_parser(
        "bench",
        help="run a benchmark from bench/",
        description="Benchmarks: " + ", ".join(benchmarks) + ". `infill bench NAME --help` tells each one's options.",
    )
    bench.add_argument("name", choices=benchmarks, metavar="NAME")
    bench.add_argument("rest", nargs=argparse.REMAINDER)
    bench.set_defaults(func=cmd_bench)

    from .modelfiles.command import add_parser as add_models_parser

    add_models_parser(commands)

    from .doctor.command import add_parser as add_doctor_parser

    add_doctor_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.log_level)
    if args.command is None:
        return cmd_serve(argparse.Namespace(tcp=None))
    return args.func(args)

"""Completion quality on held-out code, through Infill's real language server.

For a fixed, seeded sample of cursors in the held-out standard-library files
(models/train/heldout_files.txt: never used for training), the text after the cursor is
hidden and Infill is asked for it, exactly as an editor asks:

  * "line": the cursor sits after a code line's indentation; the whole line is hidden;
  * "span": the cursor sits at a token boundary inside a code line; the hidden text is the
    rest of the line, or (half of the time) a shorter span with the line's end still there.

Each case starts from the real file with only that text removed, opened in a real
`python -m lsp_server serve` subprocess driven over stdio by a pygls client, and the answer
of textDocument/inlineCompletion is compared with the hidden text: exact match (ignoring
surrounding whitespace) and edit similarity (1 - Levenshtein distance / longer length), on
the first line of the completion. Each model runs with cross-file context on and off
(settings `context.enabled`); the workspace is a copy of the standard library in which the
sampled hidden texts are blanked in the held-out files, so no context can leak the answer.

Models: the embedded one (models/infill-tiny-code.gguf) and, as the floor, the random-weight
model of models/build_test_model.py.

Confidence: the server runs with `completion.minConfidence` 0 (everything shown) and reports,
per cursor, the suggestion and its tokens' log-probabilities (infill/lastCompletion). The
benchmark replays the server's own confidence check (lsp_server/completion/confidence.py) at
each threshold and prints, per threshold, the coverage (share of cursors where something is
shown) and the precision among shown suggestions: exact match, and edit similarity >= 0.8.
`--plot PNG` draws precision against coverage; `--calibrate` picks the threshold with the
best exact precision that still shows at least CALIBRATION_MIN_COVERAGE of cursors and writes
it to models/calibration.json for the model's file name (calibrate on one seed, report on
another: the cursors differ). `--min-confidence BAR` (or `calibrated`) runs the server's own check
instead, as a user gets it: the model then also stops at the token that takes a suggestion under
the bar (GenerationRequest.min_logprob), which the replay cannot see; it drops some fragments that
post-processing or the syntax check would have cut back to a start above the bar.

Usage: python bench/quality.py [--n 150] [--seed 0] [--models embedded,random]
                               [--context on,off] [--model-path GGUF] [--json OUT.json]
                               [--plot OUT.png] [--calibrate] [--min-confidence BAR|calibrated]
       infill bench quality [same flags]
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import json
import os
import random
import re
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from lsp_server.completion.confidence import CALIBRATION_FILE, calibrated_threshold, judge
from lsp_server.engine.base import TokenScore

REPO = Path(__file__).resolve().parents[1]
HELDOUT_LIST = REPO / "models" / "train" / "heldout_files.txt"
EMBEDDED = REPO / "models" / "infill-tiny-code.gguf"
# minConfidence is the probability of the whole suggestion, so the table's steps are geometric.
THRESHOLDS = (0.0, 0.0001, 0.0003, 0.001, 0.002, 0.003, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5)
CALIBRATION_GRID = (0.0, *(round(10 ** (-5 + i / 10), 7) for i in range(0, 50)))
# Calibration: the lowest threshold at which this share of the shown suggestions is close to
# right (edit similarity >= 0.8: a quick fix at worst)...
CALIBRATION_TARGET_GOOD = 0.5
# ... unless that shows suggestions at fewer cursors than this (a goal of 20%, with a tenth more as margin).
CALIBRATION_MIN_COVERAGE = 0.22
GOOD_SIMILARITY = 0.8
# Standard-library folders left out of the workspace copy (test suites, GUI, bundled data),
# the same ones models/train/prepare_data.py leaves out of the training corpus.
STDLIB_SKIP = {
    "test",
    "tests",
    "idlelib",
    "lib2to3",
    "site-packages",
    "__pycache__",
    "turtledemo",
    "tkinter",
    "ensurepip",
    "pydoc_data",
    "encodings",
}


@dataclass
class Case:
    file: str  # relative to the standard library
    line: int  # 0-based
    start: int  # code-point columns of the hidden text in that line
    end: int
    mode: str  # "line" or "span"
    hidden: str


@dataclass
class Result:
    case: Case
    prediction: str
    exact: bool
    similarity: float
    latency_ms: float
    reason: str
    context_tokens: int = 0
    # The suggestion before the confidence check, and its tokens' (end, log-probability).
    candidate: str = ""
    scores: list[tuple[int, float]] | None = None
    syntax: str = ""  # what the syntax check did: kept, cut, dropped, unchecked


@dataclass
class Run:
    model: str
    context: bool
    results: list[Result] = field(default_factory=list)
    index_seconds: float = 0.0


# -- cases ------------------------------------------------------------------------------


def stdlib_dir() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def heldout_files() -> list[str]:
    lines = HELDOUT_LIST.read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def code_lines(text: str) -> list[int]:
    """0-based numbers of lines that are one whole statement, or the header of a compound
    statement written on one line: real code, never docstrings, comments or continuations."""
    lines = text.split("\n")  # not splitlines(): it also splits at form feeds, which ast does not
    found = set()
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.stmt):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue  # a docstring
        body = getattr(node, "body", None)
        if body and isinstance(body, list):
            header_end = body[0].lineno - 1  # the header ends on the line before the body starts
            if header_end != node.lineno or node.lineno == body[0].lineno:
                continue
        elif node.end_lineno != node.lineno:
            continue
        i = node.lineno - 1
        content = lines[i].strip()
        if 6 <= len(content) <= 100 and not content.startswith(("@", "#")) and content.isascii():
            found.add(i)
    return sorted(found)


def boundaries(line: str, indent: int) -> list[int]:
    """Columns inside the line where a word starts or ends (token-like boundaries)."""
    out = []
    for p in range(indent + 1, len(line)):
        if bool(re.match(r"\w", line[p - 1])) != bool(re.match(r"\w", line[p])) and line[p] != " ":
            out.append(p)
    return out


def make_cases(n: int, seed: int) -> list[Case]:
    """n cursors, half whole lines and half spans, spread over the held-out files; the same
    n and seed always give the same cases."""
    rng = random.Random(seed)
    files = heldout_files()
    texts = {f: (stdlib_dir() / f).read_text(encoding="utf-8") for f in files}
    pools = {f: code_lines(texts[f]) for f in files}
    for f in files:
        rng.shuffle(pools[f])
    cases: list[Case] = []
    order = files[:]
    rng.shuffle(order)
    k = 0
    while len(cases) < n:
        f = order[k % len(order)]
        k += 1
        if not pools[f]:
            if not any(pools.values()):
                break
            continue
        i = pools[f].pop()
        line = texts[f].split("\n")[i].rstrip()
        indent = len(line) - len(line.lstrip())
        if len(cases) % 2 == 0:
            start, end, mode = indent, len(line), "line"
        else:
            cuts = boundaries(line, indent)
            if not cuts:
                continue
            start = rng.choice(cuts)
            end = len(line)
            inner = [c for c in cuts if start < c <= start + 40]
            if inner and rng.random() < 0.5:
                end = rng.choice(inner)
            mode = "span"
        hidden = line[start:end]
        if not hidden.strip():
            continue
        cases.append(Case(f, i, start, end, mode, hidden))
    return cases


def without(text: str, cases: list[Case]) -> str:
    """text with the hidden part of each case (all in distinct lines) removed."""
    lines = text.split("\n")
    for c in cases:
        lines[c.line] = lines[c.line][: c.start] + lines[c.line][c.end :]
    return "\n".join(lines)


def build_workspace(cases: list[Case], root: Path) -> None:
    """A copy of the standard library's code, held-out files with every hidden text blanked."""
    stdlib = stdlib_dir()
    by_file: dict[str, list[Case]] = {}
    for c in cases:
        by_file.setdefault(c.file, []).append(c)
    for f in stdlib.rglob("*.py"):
        rel = f.relative_to(stdlib)
        if any(part in STDLIB_SKIP or part.startswith("config-") for part in rel.parts):
            continue
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if str(rel) in by_file:
            dest.write_text(without(f.read_text(encoding="utf-8"), by_file[str(rel)]), encoding="utf-8")
        else:
            shutil.copyfile(f, dest)
    for name in heldout_files():  # held-out files that were not sampled still belong to the workspace
        if not (root / name).exists():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(stdlib / name, root / name)


# -- scores -----------------------------------------------------------------------------


def levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def edit_similarity(a: str, b: str) -> float:
    a, b = a.strip(), b.strip()
    if not a and not b:
        return 1.0
    return 1.0 - levenshtein(a, b) / max(len(a), len(b))


def first_line(text: str) -> str:
    return text.split("\n", 1)[0]


# -- the LSP session ----------------------------------------------------------------------


def utf16_column(line: str, column: int) -> int:
    return len(line[:column].encode("utf-16-le")) // 2


class Session:
    def __init__(self) -> None:
        self.client = LanguageClient("infill-quality", "1")
        self.statuses: list[str | None] = []  # None: a status without a state
        self.engine_ready = asyncio.Event()
        self.index_done = asyncio.Event()
        self.stderr_tail: list[str] = []

        @self.client.feature("infill/status")
        def status(ls, params):
            state = params.get("state") if isinstance(params, dict) else getattr(params, "state", None)
            self.statuses.append(state)
            if state in ("ready", "error", "disabled"):
                self.engine_ready.set()

        @self.client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def progress_create(ls, params):
            return None

        @self.client.feature(types.PROGRESS)
        def progress(ls, params):
            value = params.value if hasattr(params, "value") else params.get("value")
            kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
            if kind == "end":
                self.index_done.set()

        for method in (types.WINDOW_SHOW_MESSAGE, types.WINDOW_LOG_MESSAGE):
            self.client.feature(method)(lambda ls, params: None)

    async def start(
        self, model: str, context: bool, root: Path, cache: Path, max_tokens: int, min_confidence: float | None = 0
    ) -> float:
        env = {**os.environ, "XDG_CACHE_HOME": str(cache), "INFILL_LOG_LEVEL": "WARNING"}
        await self.client.start_io(sys.executable, "-m", "lsp_server", "serve", env=env, cwd=str(REPO))
        asyncio.get_running_loop().create_task(self._drain_stderr())
        # Everything shown (0): the confidence check is replayed per threshold from the reports.
        # Otherwise the server's own check at that bar (None: the model's calibrated one).
        completion: dict[str, float] = {"maxTokens": max_tokens}
        if min_confidence is not None:
            completion["minConfidence"] = min_confidence
        options = {"model": {"path": model}, "context": {"enabled": context}, "completion": completion}
        started = time.perf_counter()
        await asyncio.wait_for(
            self.client.initialize_async(
                types.InitializeParams(
                    capabilities=types.ClientCapabilities(
                        text_document=types.TextDocumentClientCapabilities(
                            synchronization=types.TextDocumentSyncClientCapabilities(dynamic_registration=False),
                            inline_completion=types.InlineCompletionClientCapabilities(dynamic_registration=False),
                        ),
                        window=types.WindowClientCapabilities(work_done_progress=True),
                        workspace=types.WorkspaceClientCapabilities(workspace_folders=True),
                    ),
                    initialization_options=options,
                    root_uri=root.as_uri(),
                    workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
                )
            ),
            60,
        )
        self.client.initialized(types.InitializedParams())
        await asyncio.wait_for(self.engine_ready.wait(), 180)
        if self.statuses[-1] != "ready":
            raise RuntimeError(f"engine not ready ({self.statuses}): {''.join(self.stderr_tail[-20:])}")
        try:  # both context settings wait for the index, so they run under the same load
            await asyncio.wait_for(self.index_done.wait(), 300)
        except TimeoutError:
            print("warning: no end of indexing reported within 300 s", file=sys.stderr)
        return time.perf_counter() - started

    async def _drain_stderr(self) -> None:
        server = self.client._server
        assert server is not None and server.stderr is not None  # start_io() ran, with stderr=PIPE
        stream = server.stderr
        while True:
            line = await stream.readline()
            if not line:
                return
            self.stderr_tail = (self.stderr_tail + [line.decode("utf-8", "replace")])[-200:]

    async def complete(self, uri: str, text: str, line: int, column: int, version: int) -> tuple[str, float, dict]:
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)
            )
        )
        line_text = text.split("\n")[line]
        started = time.perf_counter()
        result = await asyncio.wait_for(
            self.client.text_document_inline_completion_async(
                types.InlineCompletionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    position=types.Position(line=line, character=utf16_column(line_text, column)),
                    context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
                )
            ),
            120,
        )
        latency = (time.perf_counter() - started) * 1000
        stats = await self.client.protocol.send_request_async("infill/lastCompletion", {})
        stats = stats._asdict() if hasattr(stats, "_asdict") else dict(stats)
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        items = result.items if isinstance(result, types.InlineCompletionList) else (result or [])
        if not items:
            return "", latency, stats
        item = items[0]
        insert = item.insert_text if isinstance(item.insert_text, str) else item.insert_text.value
        if item.range is not None and item.range.start.line == line:
            # A range that starts before the cursor repeats the text between its start and the cursor.
            before = utf16_column(line_text, column) - item.range.start.character
            if before > 0:
                insert = insert[before:]
        return insert, latency, stats

    async def stop(self) -> None:
        try:
            await asyncio.wait_for(self.client.shutdown_async(None), 10)
            self.client.exit(None)
        except Exception:
            if self.client._server is not None and self.client._server.returncode is None:
                self.client._server.kill()
        await asyncio.wait_for(self.client.stop(), 20)


async def run_one(
    model_name: str,
    model_path: str,
    context: bool,
    cases: list[Case],
    root: Path,
    max_tokens: int,
    min_confidence: float | None = 0,
) -> Run:
    run = Run(model_name, context)
    cache = Path(tempfile.mkdtemp(prefix="infill-quality-cache-"))
    session = Session()
    try:
        run.index_seconds = await session.start(model_path, context, root, cache, max_tokens, min_confidence)
        originals = {c.file: (stdlib_dir() / c.file).read_text(encoding="utf-8") for c in cases}
        for version, case in enumerate(cases, 1):
            text = without(originals[case.file], [case])
            uri = (root / case.file).as_uri()
            prediction, latency, stats = await session.complete(uri, text, case.line, case.start, version)
            got = first_line(prediction)
            run.results.append(
                Result(
                    case,
                    got,
                    got.strip() == case.hidden.strip(),
                    edit_similarity(got, case.hidden),
                    latency,
                    str(stats.get("reason")),
                    int(stats.get("contextTokens") or 0),
                    str(stats.get("candidate") or ""),
                    [tuple(x) for x in stats["candidateScores"]] if stats.get("candidateScores") else None,
                    str(stats.get("syntaxCheck") or ""),
                )
            )
    finally:
        await session.stop()
        shutil.rmtree(cache, ignore_errors=True)
    return run


def summarize(run: Run) -> dict:
    res = run.results

    def pct(xs):
        return round(100.0 * sum(xs) / len(xs), 1) if xs else float("nan")

    lat = sorted(r.latency_ms for r in res)
    return {
        "model": run.model,
        "context": "on" if run.context else "off",
        "cases": len(res),
        "exact_pct": pct([r.exact for r in res]),
        "edit_sim": round(statistics.mean(r.similarity for r in res), 3) if res else float("nan"),
        "line_exact_pct": pct([r.exact for r in res if r.case.mode == "line"]),
        "span_exact_pct": pct([r.exact for r in res if r.case.mode == "span"]),
        "p50_ms": round(lat[len(lat) // 2], 1) if lat else float("nan"),
        "context_used_pct": pct([r.context_tokens > 0 for r in res]),
        "empty_pct": pct([not r.prediction.strip() for r in res]),
        "index_and_load_s": round(run.index_seconds, 1),
    }


def shown_at(result: Result, threshold: float) -> str:
    """The first line the server would show at this minConfidence (its own check, replayed)."""
    if threshold <= 0 or result.scores is None:
        return result.prediction
    scores = [TokenScore(int(end), float(logprob)) for end, logprob in result.scores]
    return first_line(judge(result.candidate, scores, threshold).text)


def precision_coverage(results: list[Result], thresholds=THRESHOLDS) -> list[dict]:
    """Per threshold: coverage, and among shown suggestions the share that is exact, close
    (edit similarity >= 0.8), and right as far as it goes (exact or a correct start)."""
    rows = []
    for threshold in thresholds:
        shown = [(r, text) for r in results if (text := shown_at(r, threshold)).strip()]
        exact = sum(text.strip() == r.case.hidden.strip() for r, text in shown)
        good = sum(edit_similarity(text, r.case.hidden) >= GOOD_SIMILARITY for r, text in shown)
        right = sum(r.case.hidden.strip().startswith(text.strip()) for r, text in shown)

        def share(count: int, shown: list = shown) -> float:
            return round(100.0 * count / len(shown), 1) if shown else float("nan")

        rows.append(
            {
                "threshold": threshold,
                "coverage_pct": round(100.0 * len(shown) / len(results), 1) if results else float("nan"),
                "exact_precision_pct": share(exact),
                "good_precision_pct": share(good),
                "right_precision_pct": share(right),
                "shown": len(shown),
            }
        )
    return rows


def calibrate(results: list[Result]) -> float:
    """The lowest threshold at which CALIBRATION_TARGET_GOOD of the shown suggestions are
    close to right, or, when reaching that would show suggestions at fewer than
    CALIBRATION_MIN_COVERAGE of cursors, the highest threshold that still shows that many.
    A good model keeps a low bar and most of its suggestions; a weak one is held to its best."""
    rows = precision_coverage(results, CALIBRATION_GRID)
    rows = [r for r in rows if r["coverage_pct"] >= 100 * CALIBRATION_MIN_COVERAGE]
    if not rows:
        return 0.0
    reaching = [r for r in rows if r["good_precision_pct"] >= 100 * CALIBRATION_TARGET_GOOD]
    return float(reaching[0]["threshold"] if reaching else rows[-1]["threshold"])


def write_calibration(model_file: str, threshold: float, note: str, path: Path = CALIBRATION_FILE) -> None:
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data.setdefault(
        "about",
        "completion.minConfidence per model file, from `infill bench quality --calibrate` on held-out code.",
    )
    data.setdefault("models", {})[model_file] = {"min_confidence": threshold, "calibrated_on": note}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def confidence_table(name: str, rows: list[dict], marked: float | None) -> str:
    out = [
        f"{name}: precision among shown suggestions and coverage, by completion.minConfidence",
        "| minConfidence | coverage % | exact % of shown | edit sim >= 0.8 % of shown | right so far % of shown |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        mark = " (calibrated)" if marked is not None and abs(r["threshold"] - marked) < 1e-9 else ""
        out.append(
            f"| {r['threshold']}{mark} | {r['coverage_pct']} | {r['exact_precision_pct']} | "
            f"{r['good_precision_pct']} | {r['right_precision_pct']} |"
        )
    return "\n".join(out)


def plot(curves: dict[str, list[dict]], marked: dict[str, float], out: Path) -> None:
    try:
        import matplotlib
    except ImportError:
        raise SystemExit("--plot needs matplotlib: .venv/bin/pip install -e '.[bench]'") from None

    matplotlib.use("Agg")  # no display: write the file only
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, rows in curves.items():
        if not any(r["good_precision_pct"] > 0 for r in rows):
            continue  # a model that is never right (the random-weight floor) is a line at zero
        kinds = (("exact_precision_pct", "-o", "exact"), ("good_precision_pct", "--s", "edit sim >= 0.8"))
        for key, style, label in kinds:
            line = ax.plot(
                [r["coverage_pct"] for r in rows], [r[key] for r in rows], style, markersize=3, label=f"{name}: {label}"
            )[0]
            if name in marked:  # the model's calibrated threshold, as a star on each curve
                at = min(rows, key=lambda r: abs(r["threshold"] - marked[name]))
                ax.plot(at["coverage_pct"], at[key], "*", markersize=12, color=line.get_color())
    ax.plot([], [], "*", color="gray", markersize=12, label="calibrated minConfidence")
    ax.set_xlabel("coverage: cursors with a suggestion shown (%)")
    ax.set_ylabel("precision among shown suggestions (%)")
    ax.set_title("Completion precision against coverage (held-out standard-library code)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def table(rows: list[dict]) -> str:
    head = (
        "| model | context | exact % | edit sim | exact % (line) | exact % (span) | empty % | context used % | p50 ms |"
    )
    out = [head, "|" + "---|" * 9]
    for r in rows:
        out.append(
            f"| {r['model']} | {r['context']} | {r['exact_pct']} | {r['edit_sim']:.3f} | "
            f"{r['line_exact_pct']} | {r['span_exact_pct']} | {r['empty_pct']} | "
            f"{r['context_used_pct']} | {r['p50_ms']:.0f} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=150, help="number of cursors (half lines, half spans)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models", default="embedded,random", help="comma list of embedded, random")
    parser.add_argument("--context", default="on,off", help="comma list of on, off")
    parser.add_argument("--model-path", default=str(EMBEDDED), help="GGUF used as the 'embedded' model")
    parser.add_argument("--max-tokens", type=int, default=48, help="completion.maxTokens for the server")
    parser.add_argument("--json", type=Path, help="write the summary and every case's result here")
    parser.add_argument("--plot", type=Path, help="write a PNG of precision against coverage here")
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help=f"write the best minConfidence of the first model to {CALIBRATION_FILE.relative_to(REPO)}",
    )
    parser.add_argument(
        "--replay",
        type=Path,
        metavar="JSON",
        help="no model: report (and --calibrate, --plot) from a run saved with --json",
    )
    parser.add_argument(
        "--min-confidence",
        default="0",
        metavar="BAR|calibrated",
        help="the server's own confidence check at this bar instead of everything shown (0, replayed "
        "per threshold): what a user sees, with the model stopped where nothing more could be shown",
    )
    args = parser.parse_args(argv)
    try:
        server_bar(args.min_confidence)
    except ValueError:
        parser.error(f"--min-confidence: a number or 'calibrated', not {args.min_confidence!r}")
    if args.calibrate and server_bar(args.min_confidence) != 0:
        parser.error("--calibrate needs everything shown (--min-confidence 0)")
    if args.replay:
        cases, paths, runs, args.seed = load_runs(args.replay)
    else:
        cases, paths, runs = measure(args, parser)
    report(args, cases, paths, runs)
    return 0


def server_bar(value: str) -> float | None:
    """--min-confidence as the server's setting: a number, or None for the calibrated one."""
    return None if value == "calibrated" else float(value)


def measure(args: argparse.Namespace, parser: argparse.ArgumentParser) -> tuple[list[Case], dict, list[Run]]:
    """Every model and context setting over the same cursors, through the real server."""
    cases = make_cases(args.n, args.seed)
    work = Path(tempfile.mkdtemp(prefix="infill-quality-"))
    try:
        root = work / "stdlib"
        build_workspace(cases, root)
        paths = {}
        for name in args.models.split(","):
            if name == "embedded":
                paths[name] = args.model_path
            elif name == "random":
                sys.path.insert(0, str(REPO / "models"))
                from build_test_model import build_test_model

                paths[name] = str(build_test_model(work / "random.gguf"))
            else:
                parser.error(f"unknown model {name!r}")
        runs = []
        for name, path in paths.items():
            for ctx in args.context.split(","):
                started = time.perf_counter()
                bar = server_bar(args.min_confidence)
                run = asyncio.run(run_one(name, path, ctx == "on", cases, root, args.max_tokens, bar))
                runs.append(run)
                s = summarize(run)
                print(
                    f"{name} context={s['context']}: exact {s['exact_pct']}%, edit sim {s['edit_sim']}, "
                    f"{time.perf_counter() - started:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return cases, paths, runs


def load_runs(path: Path) -> tuple[list[Case], dict, list[Run], int]:
    """The cursors, model files and results of a run saved with --json."""
    saved = json.loads(path.read_text(encoding="utf-8"))
    case_fields = {f.name for f in fields(Case)}
    runs: list[Run] = []
    cases: list[Case] = []
    for key, rows in saved["cases"].items():
        model, _, context = key.partition("/context-")
        run = Run(model, context == "on")
        for row in rows:
            case = Case(**{k: v for k, v in row.items() if k in case_fields})
            scores = [(int(end), float(lp)) for end, lp in row["scores"]] if row.get("scores") else None
            run.results.append(
                Result(
                    case,
                    row["prediction"],
                    row["exact"],
                    row["similarity"],
                    row["latency_ms"],
                    row["reason"],
                    row.get("context_tokens", 0),
                    row.get("candidate", ""),
                    scores,
                    row.get("syntax", ""),
                )
            )
        cases = cases or [r.case for r in run.results]
        runs.append(run)
    paths = saved.get("model_files") or {"embedded": str(EMBEDDED), "random": "random.gguf"}
    return cases, paths, runs, int(saved.get("seed", 0))


def report(args: argparse.Namespace, cases: list[Case], paths: dict, runs: list[Run]) -> None:
    rows = [summarize(r) for r in runs]
    print(
        f"{len(cases)} cursors in {len(set(c.file for c in cases))} held-out files "
        f"({sum(c.mode == 'line' for c in cases)} lines, {sum(c.mode == 'span' for c in cases)} spans), "
        f"seed {args.seed}"
    )
    print(table(rows))
    for run in runs:
        syntax = [r.syntax for r in run.results if r.syntax]
        if syntax:
            counts = ", ".join(f"{action} {syntax.count(action)}" for action in sorted(set(syntax)))
            print(f"syntax check, {run.model} context {'on' if run.context else 'off'}: {counts}")
    curves: dict[str, list[dict]] = {}
    marked: dict[str, float] = {}
    for run in runs:
        label = f"{run.model} context {'on' if run.context else 'off'}"
        model_file = Path(paths[run.model]).name
        if args.calibrate and run is runs[0]:
            marked[label] = calibrate(run.results)
            write_calibration(model_file, marked[label], f"{len(cases)} cursors, seed {args.seed}")
            print(f"calibrated minConfidence for {model_file}: {marked[label]}")
        else:
            marked[label] = calibrated_threshold(model_file)
        # The model's own threshold is a row of its table too.
        curves[label] = precision_coverage(run.results, sorted({*THRESHOLDS, marked[label]}))
        print()
        print(confidence_table(label, curves[label], marked[label]))
    if args.plot:
        plot(curves, marked, args.plot)
        print(f"\nplot: {args.plot}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "n": len(cases),
                    "seed": args.seed,
                    "model_files": {name: Path(path).name for name, path in paths.items()},
                    "summary": rows,
                    "precision_coverage": curves,
                    "cases": {
                        f"{r.model}/context-{'on' if r.context else 'off'}": [
                            {
                                **asdict(x.case),
                                "prediction": x.prediction,
                                "exact": x.exact,
                                "similarity": round(x.similarity, 3),
                                "latency_ms": round(x.latency_ms, 1),
                                "reason": x.reason,
                                "context_tokens": x.context_tokens,
                                "candidate": x.candidate,
                                "scores": x.scores,
                                "syntax": x.syntax,
                            }
                            for x in r.results
                        ]
                        for r in runs
                    },
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    sys.exit(main())

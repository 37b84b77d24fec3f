"""Model-free benchmark of cross-file context retrieval: `python bench/context.py [REPO_PATH ...]`.

Without arguments it measures the standard library's `asyncio` and `email` packages and the
corpus of `bench/_context_corpus.py` (Python, TypeScript/JavaScript, Go, Java, Rust and C code
from PyPI, npm and Debian packages, fetched into `bench/.cache/` on first use). Each repository
is indexed into a temporary database; cursors are placed right before uses of names defined in
another file of the repository (`bench/_context_samples.py` says which, and which definitions
count); the rest of the file, the name included, is hidden from the index and the retriever.
Context is gathered exactly as the server does for a completion (`CrossFileContext.prompt_tokens`):
the default budgets (the context share of the prompt budget, `context.timeBudgetMs`), tokens
counted and rendered by StarCoder's real tokenizer in the repository format. A sample counts as
found when a chosen snippet shows one of its definitions: the first line of its signature is in
the snippet's text, within the lines the snippet covers.

Prints recall per repository (and per kind of sample), per language, mean context tokens and
p50/p95 of the gathering (candidates and ranking, what the time budget bounds; wall clock and
the gathering thread's CPU time) and of the whole call (plus rendering to token ids).
`--explain` sorts every miss into why it was missed and shows a few of each (see `explain`).
`--typed N` puts each cursor N characters into its name (at most all but one), as when a
suggestion is asked for with part of the name typed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import sysconfig
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _context_corpus import CORPUS, available, fetched_version
from _context_samples import Sample, find_samples

from lsp_server.context.provider import CrossFileContext
from lsp_server.context.snippets import Snippet, names_itself
from lsp_server.index import Symbol, WorkspaceIndex
from lsp_server.prompts.fim import FimTokens
from lsp_server.settings import Settings

SAMPLES = 200
DEFAULTS = Settings()
BUDGET_TOKENS = int(DEFAULTS.completion.prompt_budget_tokens * DEFAULTS.context.budget_fraction)
TIME_BUDGET_MS = DEFAULTS.context.time_budget_ms
VOCAB = Path(__file__).resolve().parents[1] / "models" / "vocab" / "ggml-vocab-starcoder.gguf"
WINDOW_LINES_BEFORE = 40  # lines of the current file the local window shows at the default budget
UNLIMITED_MS = 10_000.0  # the time budget of the second gathering `--explain` runs for a miss

# Why a sample was missed (`--explain`), in the order they are checked.
MISS_TIME = "cut by the time budget"
MISS_NOT_SHOWN = "a definition that no snippet shows"
MISS_RANKED_OUT = "resolved but ranked out of the budget"
MISS_UNRESOLVED = "not resolved"
MISS_CLASSES = (MISS_UNRESOLVED, MISS_RANKED_OUT, MISS_TIME, MISS_NOT_SHOWN)


def starcoder_tokenizer():
    """StarCoder's tokenizer (text only, never control tokens) and its FIM ids."""
    import llama_cpp

    vocab = llama_cpp.Llama(model_path=str(VOCAB), vocab_only=True, verbose=False)

    def tokenize(text: str) -> list[int]:
        return vocab.tokenize(text.encode("utf-8"), add_bos=False, special=False) if text else []

    def control(text: str) -> int:
        return vocab.tokenize(text.encode(), add_bos=False, special=True)[0]

    fim = FimTokens(
        "starcoder",
        control("<fim_prefix>"),
        control("<fim_suffix>"),
        control("<fim_middle>"),
        "psm",
        repo_name=control("<repo_name>"),
        file_sep=control("<file_sep>"),
    )
    return tokenize, fim


def _head(symbol: Symbol) -> str:
    """A definition's first line; a name its line does not name as code (an attribute that
    `__slots__ = (` declares) is shown by the name itself, as listings show it."""
    line = symbol.signature.split("\n")[0].strip()
    return line if names_itself(line, symbol.name) else symbol.name


_GO_RECEIVER = re.compile(r"^func\s*\([^)]*\)\s*")


def shows(snippet: Snippet, symbol: Symbol) -> bool:
    """Whether a snippet's text shows a definition: all its lines, or the first line of its
    signature, within the lines the snippet covers (an outline covers its whole file). A listing of a Go type's
    methods shows them without the receiver (`Close() error` under `type Conn struct {`)."""
    if snippet.path != symbol.path:
        return False
    if snippet.kind != "outline" and not snippet.start_line <= symbol.start_line <= snippet.end_line:
        return False
    if snippet.kind != "outline" and snippet.whole and symbol.end_line <= snippet.end_line:
        return True  # every line of the definition, as written
    head = _head(symbol)
    if snippet.kind == "outline" and symbol.language == "go" and symbol.parent is not None:
        head = _GO_RECEIVER.sub("", head)
    return bool(head) and head in snippet.materialize()


def covers(snippet: Snippet, symbol: Symbol) -> bool:
    """Whether a snippet is about the definition's lines, shown or not (cut, or left out of a
    long class or module listing)."""
    return snippet.path == symbol.path and snippet.start_line <= symbol.start_line <= snippet.end_line


def is_found(snippets: list[Snippet], sample: Sample) -> bool:
    return any(shows(snippet, target) for snippet in snippets for target in sample.targets)


@dataclass
class Miss:
    sample: Sample
    why: str
    line: str  # the cursor's line up to the cursor


@dataclass
class Row:
    name: str
    language: str
    files: int
    hits: dict[str, list[bool]] = field(default_factory=dict)  # kind -> found per sample
    tokens: list[int] = field(default_factory=list)
    call_ms: list[float] = field(default_factory=list)
    gather_ms: list[float] = field(default_factory=list)
    gather_cpu_ms: list[float] = field(default_factory=list)
    timed_out: int = 0
    misses: list[Miss] = field(default_factory=list)

    @property
    def every(self) -> list[bool]:
        return [hit for hits in self.hits.values() for hit in hits]


def explain(context: CrossFileContext, sample: Sample, text: str, offset: int, window, timed_out: bool) -> str:
    """Why a sample was missed. Gathers again with no time limit, keeping every candidate:
    - cut by the time budget: the normal gathering ran out of time, the unlimited one shows it;
    - a definition that no snippet shows: a chosen snippet (or a candidate) is about the
      definition's lines, but its text leaves the definition out (cut to fit, or past the
      members or names a class or module listing shows);
    - resolved but ranked out of the budget: a candidate shows it, but was not chosen;
    - not resolved: no candidate is about it at all."""
    retriever = context._retriever
    assert retriever is not None, "explain runs after a gathering"
    from lsp_server.context.provider import estimate_tokens

    full = retriever.gather(
        sample.path,
        text,
        offset,
        BUDGET_TOKENS,
        estimate_tokens,
        context.recent,
        UNLIMITED_MS,
        window,
        keep_candidates=True,
    )
    if timed_out and is_found(full.snippets, sample):
        return MISS_TIME
    chosen_cover = any(covers(s, t) for s in full.snippets for t in sample.targets)
    candidates = full.considered
    if any(shows(s, t) for s in candidates for t in sample.targets):
        return MISS_NOT_SHOWN if chosen_cover else MISS_RANKED_OUT
    if chosen_cover or any(covers(s, t) for s in candidates for t in sample.targets):
        return MISS_NOT_SHOWN
    return MISS_UNRESOLVED


def measure(
    name: str, repo: Path, samples: int, tokenizer, with_explain: bool, seed: int, language: str = "", typed: int = 0
) -> Row:
    """One repository's row. `typed`: characters of each sample's name already typed at the
    cursor (at most all but one), as when a suggestion is asked for in the middle of a name."""
    tokenize, fim = tokenizer
    with tempfile.TemporaryDirectory(prefix="infill-bench-context-") as scratch:
        index = WorkspaceIndex([repo], db_path=Path(scratch) / "index.sqlite3", workers=0)
        stats = index.build()
        chosen = find_samples(index, samples, seed)
        languages = Counter(sample.language for sample in chosen)
        top_language = max(stats.files_per_language.items(), key=lambda item: item[1], default=("?", 0))[0]
        row = Row(name, language or (languages.most_common(1)[0][0] if languages else top_language), stats.files)
        context = CrossFileContext(lambda: index)
        for sample in chosen:
            text = sample.path.read_bytes().decode("utf-8", "replace")
            cursor = sample.offset + min(typed, len(sample.name) - 1)
            visible = text[:cursor]  # everything from the cursor on is hidden
            index.update_document(sample.path, visible)
            line = visible.count("\n")
            window = (max(0, line - WINDOW_LINES_BEFORE), line)
            started = time.perf_counter()
            ids, result = context.prompt_tokens(
                sample.path,
                visible,
                cursor,
                window,
                BUDGET_TOKENS,
                TIME_BUDGET_MS,
                tokenize,
                fim,
                sample.language,
            )
            row.call_ms.append((time.perf_counter() - started) * 1000)
            assert result is not None  # None only without an index, and there is one
            row.gather_ms.append(result.elapsed_ms)
            row.gather_cpu_ms.append(result.cpu_ms)
            row.timed_out += result.timed_out
            row.tokens.append(len(ids))
            found = is_found(result.snippets, sample)
            row.hits.setdefault(sample.kind, []).append(found)
            if not found and with_explain:
                why = explain(context, sample, visible, cursor, window, result.timed_out)
                cursor_line = visible[visible.rfind("\n") + 1 :]
                row.misses.append(Miss(sample, why, cursor_line))
            index.close_document(sample.path)
        index.close()
    return row


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _ratio(hits: list[bool]) -> float:
    return sum(hits) / max(1, len(hits))


def print_table(rows: list[Row]) -> None:
    kinds = ("name", "module attribute", "member")
    header = (
        f"{'repository':<22} {'language':<10} {'files':>5} {'samples':>7} {'recall':>7} "
        + " ".join(f"{kind:>17}" for kind in kinds)
        + f" {'tokens':>6} {'gather p50/p95 ms':>17} {'cpu p50/p95':>12} {'+render p50/p95':>16} {'t/o':>4}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        cells = " ".join(
            f"{_ratio(row.hits[kind]):>9.1%} ({len(row.hits[kind]):>4})" if row.hits.get(kind) else f"{'-':>17}"
            for kind in kinds
        )
        print(
            f"{row.name:<22} {row.language:<10} {row.files:>5} {len(row.every):>7} {_ratio(row.every):>7.1%} {cells} "
            f"{statistics.mean(row.tokens) if row.tokens else 0:>6.0f} "
            f"{percentile(row.gather_ms, 0.5):>7.2f} / {percentile(row.gather_ms, 0.95):>6.2f} "
            f"{percentile(row.gather_cpu_ms, 0.5):>5.2f} / {percentile(row.gather_cpu_ms, 0.95):>5.2f} "
            f"{percentile(row.call_ms, 0.5):>7.2f} / {percentile(row.call_ms, 0.95):>6.2f} {row.timed_out:>4}"
        )
    print()
    by_language: dict[str, list[Row]] = {}
    for row in rows:
        by_language.setdefault(row.language, []).append(row)
    print(
        f"{'language':<12} {'repositories':>12} {'samples':>7} {'recall':>7} {'worst repository':>24} "
        f"{'gather p95 ms':>13} {'+render p95':>11}"
    )
    for language, group in by_language.items():
        every = [hit for row in group for hit in row.every]
        worst = min(group, key=lambda row: _ratio(row.every))
        gather = [ms for row in group for ms in row.gather_ms]
        calls = [ms for row in group for ms in row.call_ms]
        print(
            f"{language:<12} {len(group):>12} {len(every):>7} {_ratio(every):>7.1%} "
            f"{worst.name + f' {_ratio(worst.every):.1%}':>24} {percentile(gather, 0.95):>13.2f} "
            f"{percentile(calls, 0.95):>11.2f}"
        )


def print_explain(rows: list[Row], examples: int) -> None:
    print()
    print("misses by cause (--explain):")
    total = Counter(miss.why for row in rows for miss in row.misses)
    print(f"{'repository':<22} " + " ".join(f"{cause[:26]:>27}" for cause in MISS_CLASSES))
    for row in rows:
        counts = Counter(miss.why for miss in row.misses)
        print(f"{row.name:<22} " + " ".join(f"{counts.get(cause, 0):>27}" for cause in MISS_CLASSES))
    print(f"{'all':<22} " + " ".join(f"{total.get(cause, 0):>27}" for cause in MISS_CLASSES))
    for cause in MISS_CLASSES:
        misses = [(row, miss) for row in rows for miss in row.misses if miss.why == cause]
        if not misses:
            continue
        print(f"\n{cause}: {len(misses)}")
        step = max(1, len(misses) // examples)
        for row, miss in misses[::step][:examples]:
            sample, target = miss.sample, miss.sample.targets[0]
            where = f"{sample.path.name}:{_line_of(sample) + 1}"
            print(
                f"  [{row.name}] {where} {sample.kind} `{miss.line.strip()[-60:]}|{sample.name}` -> "
                f"{target.path.name}:{target.start_line + 1} {_head(target)[:60]}"
            )


def _line_of(sample: Sample) -> int:
    return sample.path.read_bytes().decode("utf-8", "replace")[: sample.offset].count("\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "repos", nargs="*", help="repositories to measure (default: stdlib asyncio and email, and the corpus)"
    )
    parser.add_argument("--samples", type=int, default=SAMPLES, help="samples per repository")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="", help="comma-separated corpus names or languages (default: all)")
    parser.add_argument("--no-corpus", action="store_true", help="the standard library packages only")
    parser.add_argument(
        "--explain",
        nargs="?",
        const=4,
        type=int,
        default=0,
        metavar="N",
        help="sort every miss by its cause and show N examples of each (default 4)",
    )
    parser.add_argument("--json", help="write the per-repository figures to this file")
    parser.add_argument(
        "--typed", type=int, default=0, metavar="N", help="characters of each name already typed at the cursor"
    )
    arguments = parser.parse_args()
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    targets: list[tuple[str, Path, str]]  # name, folder, language ("": the samples' most common)
    if arguments.repos:
        targets = [(Path(p).resolve().name, Path(p).resolve(), "") for p in arguments.repos]
    else:
        targets = [("asyncio (stdlib)", stdlib / "asyncio", "python"), ("email (stdlib)", stdlib / "email", "python")]
        wanted = {part.strip() for part in arguments.only.split(",") if part.strip()}
        targets = [t for t in targets if not wanted or "python" in wanted or t[0].split()[0] in wanted]
        if not arguments.no_corpus:
            sources = tuple(s for s in CORPUS if not wanted or s.name in wanted or s.language in wanted)
            ready = available(sources)
            targets += [(source.name, path, source.language) for source, path in ready]
            debian = [f"{s.package} {fetched_version(s)}" for s, _ in ready if s.registry == "deb"]
            if debian:  # not pinned: what the archive had when they were fetched
                print("Debian sources: " + ", ".join(dict.fromkeys(debian)))
    tokenizer = starcoder_tokenizer()
    load = os.getloadavg()
    print(
        f"context budget {BUDGET_TOKENS} tokens (StarCoder tokenizer), time budget {TIME_BUDGET_MS} ms; "
        f"{os.cpu_count()} cores, load average {load[0]:.2f} at the start"
    )
    rows = []
    for name, path, language in targets:
        rows.append(
            measure(
                name,
                path,
                arguments.samples,
                tokenizer,
                bool(arguments.explain),
                arguments.seed,
                language,
                arguments.typed,
            )
        )
        print(f"  measured {name}: {_ratio(rows[-1].every):.1%}", file=sys.stderr)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    print_table(rows)
    if arguments.explain:
        print_explain(rows, arguments.explain)
    if arguments.json:
        Path(arguments.json).write_text(
            json.dumps(
                [
                    {
                        "repository": row.name,
                        "language": row.language,
                        "files": row.files,
                        "samples": len(row.every),
                        "recall": _ratio(row.every),
                        "recall_by_kind": {kind: _ratio(hits) for kind, hits in row.hits.items()},
                        "gather_p95_ms": percentile(row.gather_ms, 0.95),
                        "call_p95_ms": percentile(row.call_ms, 0.95),
                        "misses": dict(Counter(miss.why for miss in row.misses)),
                    }
                    for row in rows
                ],
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

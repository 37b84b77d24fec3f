"""Model-free benchmark of cross-file context retrieval: `python bench/context.py [REPO_PATH ...]`.

For a real repository that is not this project (default: the standard library's `asyncio` and
`email` packages), index it into a temporary database and pick lines that use a name defined in
ANOTHER file of the repository, found through the file's imports:
- `from .x import name` ... `name(...)`: the cursor goes right before `name`;
- `from . import x` / `import pkg.x as x` ... `x.name`: the cursor goes right before `name`.
The editor buffer is cut at the cursor (the rest of the file, the hidden line included, is
unknown to the index and the retriever), and context is gathered exactly as the server does for
a completion (`CrossFileContext.prompt_tokens`): the server's default budgets (the context share
of the prompt budget, 5 ms time budget), tokens counted and rendered by StarCoder's real
tokenizer in the repository format. A sample counts as found when a chosen snippet shows the
definition: a definition snippet covering its line, or an outline listing its signature.
Prints recall, mean context tokens, p50/p95 of the gathering (candidates and ranking, what the
time budget bounds) and of the whole call (plus rendering the snippets to token ids).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lsp_server.context.provider import CrossFileContext
from lsp_server.context.resolve import Resolver
from lsp_server.index import Symbol, WorkspaceIndex
from lsp_server.prompts.fim import FimTokens
from lsp_server.settings import Settings

SAMPLES = 200
DEFAULTS = Settings()
BUDGET_TOKENS = int(DEFAULTS.completion.prompt_budget_tokens * DEFAULTS.context.budget_fraction)
TIME_BUDGET_MS = DEFAULTS.context.time_budget_ms
VOCAB = Path(__file__).resolve().parents[1] / "models" / "vocab" / "ggml-vocab-starcoder.gguf"
WINDOW_LINES_BEFORE = 40  # lines of the current file the local window shows at the default budget


IMPORT_STATEMENT = re.compile(r"^[ \t]*(?:from[ \t]+\S+[ \t]+)?import\b[^\n(]*(?:\([^)]*\))?", re.MULTILINE)


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


def find_samples(index: WorkspaceIndex, limit: int, seed: int = 0) -> list[tuple[Path, int, str, Symbol, str]]:
    """(file, cursor offset, name, the definition, "name" | "attribute") for uses of names
    defined in other files of the repository."""
    resolver = Resolver(index)
    found: list[tuple[Path, int, str, Symbol, str]] = []
    for path in index.files():
        resolver.begin()
        entry = resolver.entry(path)
        if entry is None:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        import_lines = {item.line for item in entry.imports}
        for statement in IMPORT_STATEMENT.finditer(text):  # multi-line `from x import (...)`
            first = text.count("\n", 0, statement.start())
            import_lines.update(range(first, first + statement.group().count("\n") + 1))
        line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        for local, item in resolver.bindings(entry).items():
            target_path, symbol = resolver.resolve_import(entry, item)
            if target_path is None or target_path == path:
                continue
            if symbol is not None:  # a name imported from another file
                pattern = re.compile(rf"(?<![\w.]){re.escape(local)}\b")
                kind = "name"
            else:  # a module: its attributes
                pattern = re.compile(rf"(?<![\w.]){re.escape(local)}\.(\w+)")
                kind = "attribute"
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start())
                stripped = text[line_starts[line] : match.start()].lstrip()
                if line in import_lines or line <= item.line or stripped.startswith(("#", "import", "from")):
                    continue
                if symbol is not None:  # kind "name": the imported definition itself
                    found.append((path, match.start(), local, symbol, kind))
                else:
                    target = resolver.entry(target_path)
                    if target is None:  # not in the index: no members to look for
                        continue
                    member = next((s for s in target.symbols if s.name == match.group(1) and s.parent is None), None)
                    if member is not None:
                        found.append((path, match.start(1), member.name, member, kind))
    random.Random(seed).shuffle(found)
    return found[:limit]


def is_found(snippets, symbol: Symbol) -> bool:
    head = symbol.signature.split("\n")[0].strip()
    for snippet in snippets:
        if snippet.path != symbol.path:
            continue
        if snippet.kind == "outline" and head and head in snippet.text:
            return True
        if snippet.kind != "outline" and snippet.start_line <= symbol.start_line <= snippet.end_line:
            return True
    return False


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure(repo: Path, samples: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="infill-bench-context-") as scratch:
        index = WorkspaceIndex([repo], db_path=Path(scratch) / "index.sqlite3", workers=0)
        stats = index.build()
        chosen = find_samples(index, samples)
        tokenize, fim = starcoder_tokenizer()
        context = CrossFileContext(lambda: index)
        hits: dict[str, list[bool]]  # sample kind -> found or not, per sample
        hits, tokens, times, gathering = {"name": [], "attribute": []}, [], [], []
        for path, offset, _name, symbol, kind in chosen:
            text = path.read_text(encoding="utf-8", errors="replace")
            visible = text[:offset]  # everything from the cursor on is hidden
            index.update_document(path, visible)
            line = visible.count("\n")
            window = (max(0, line - WINDOW_LINES_BEFORE), line)
            started = time.perf_counter()
            ids, result = context.prompt_tokens(
                path, visible, offset, window, BUDGET_TOKENS, TIME_BUDGET_MS, tokenize, fim, "python"
            )
            times.append((time.perf_counter() - started) * 1000)
            assert result is not None  # None only without an index, and there is one
            gathering.append(result.elapsed_ms)
            index.close_document(path)
            tokens.append(len(ids))
            hits[kind].append(is_found(result.snippets, symbol))
        index.close()
    every = hits["name"] + hits["attribute"]
    return {
        "repo": str(repo),
        "files": stats.files,
        "samples": len(every),
        "recall": sum(every) / max(1, len(every)),
        "recall_name": sum(hits["name"]) / max(1, len(hits["name"])),
        "names": len(hits["name"]),
        "recall_attribute": sum(hits["attribute"]) / max(1, len(hits["attribute"])),
        "attributes": len(hits["attribute"]),
        "mean_tokens": statistics.mean(tokens) if tokens else 0,
        "p50_ms": percentile(times, 0.5) if times else 0,
        "p95_ms": percentile(times, 0.95) if times else 0,
        "gather_p50_ms": percentile(gathering, 0.5) if gathering else 0,
        "gather_p95_ms": percentile(gathering, 0.95) if gathering else 0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="*", help="repositories to measure (default: stdlib asyncio and email)")
    parser.add_argument("--samples", type=int, default=SAMPLES)
    arguments = parser.parse_args()
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    repos = [Path(p).resolve() for p in arguments.repos] or [stdlib / "asyncio", stdlib / "email"]
    rows = [measure(repo, arguments.samples) for repo in repos]
    print(f"context budget {BUDGET_TOKENS} tokens (StarCoder tokenizer), time budget {TIME_BUDGET_MS} ms")
    header = (
        f"{'repository':<28} {'files':>5} {'samples':>7} {'recall':>7} {'names':>13} {'attributes':>13} "
        f"{'tokens':>7} {'gather p50/p95 ms':>18} {'+render p50/p95 ms':>19}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{Path(row['repo']).name:<28} {row['files']:>5} {row['samples']:>7} {row['recall']:>7.1%} "
            f"{row['recall_name']:>6.1%} ({row['names']:>3}) {row['recall_attribute']:>6.1%} ({row['attributes']:>3}) "
            f"{row['mean_tokens']:>7.0f} {row['gather_p50_ms']:>8.2f} / {row['gather_p95_ms']:>6.2f} "
            f"{row['p50_ms']:>9.2f} / {row['p95_ms']:>6.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`infill models list | pull NAME | verify [NAME] | rm NAME`.

Models from the registry (models/registry.json) go to the user cache directory
(INFILL_MODELS_DIR overrides it), one folder per name. A pulled model is used by
naming it in the `model.path` setting (a completion model) or the `explain.model`
setting (an explain model). Every failure is one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from .discovery import find_models, gib
from .download import DownloadError, download, sha256_of
from .registry import ModelEntry, RegistryError, cached_file, get_entry, load_registry, models_dir

GGUF_MAGIC = b"GGUF"


def _fail(message: str) -> int:
    print(f"infill models: {message}", file=sys.stderr)
    return 1


def recorded_hash_file(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _progress_bar(desc: str):
    def make(total: int | None, initial: int):
        from tqdm import tqdm

        # disable=None: no bar when stderr is not a terminal (logs, tests).
        return tqdm(
            total=total,
            initial=initial,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=desc,
            file=sys.stderr,
            disable=None,
        )

    return make


def _state(entry: ModelEntry) -> str:
    path = cached_file(entry)
    if path.is_file():
        return "pulled"
    if path.with_name(path.name + ".part").exists():
        return "partial"
    return "-"


def cmd_list(args: argparse.Namespace) -> int:
    entries = load_registry()
    rows = [("name", "role", "size", "fim family", "context", "vram", "state", "source")]
    for entry in entries.values():
        rows.append(
            (
                entry.name,
                entry.role,
                f"{entry.size_mb / 1000:.1f} GB" if entry.size_mb else "?",
                entry.fim_family or "-",
                str(entry.context_length),
                f"~{entry.vram_mb / 1000:.1f} GB" if entry.vram_mb else "?",
                _state(entry),
                entry.source,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        # widths has no entry for the last column (printed unpadded), so zip stops before it.
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])
    _print_found(args)
    print(
        f"\nmodels directory: {models_dir()}\n"
        'use a completion model: set infill.model.path to its name, e.g. "qwen2.5-coder-1.5b"\n'
        'use an explain model: set infill.explain.model to its name, e.g. "qwen2.5-coder-1.5b-instruct"'
    )
    return 0


def _print_found(args: argparse.Namespace) -> None:
    """The GGUF models already on this machine (Hugging Face, LM Studio, Ollama, llama.cpp
    caches and --search folders), each with what its header says."""
    budget = getattr(args, "vram_budget_mb", 8192)
    found = find_models(getattr(args, "search", None) or [], vram_budget_mb=budget)
    print(
        "\nfound on this machine"
        + ("" if found else ": none (searched the Hugging Face, LM Studio, Ollama and llama.cpp caches)")
    )
    if not found:
        return
    rows = [("name", "kind", "size", "fim family", "context", "gpu", f"fits {budget} MB", "source")]
    for model in found:
        rows.append(
            (
                model.name,
                model.kind,
                gib(model.size_bytes),
                model.fim_family or "-",
                str(model.context_length or "?"),
                f"~{model.gpu_mb / 1024:.1f} GB" if model.gpu_mb else "?",
                {True: "yes", False: "no", None: "?"}[model.fits],
                f"{model.source}: {model.path}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])
    print("use one: set infill.model.path to its name (completion models need FIM tokens)")


def cmd_pull(args: argparse.Namespace) -> int:
    entry = get_entry(args.name)
    dest = cached_file(entry)
    if dest.is_file():
        print(f"{entry.name} is already pulled: {dest}")
        return 0
    try:
        result = download(entry.url, dest, entry.sha256, _progress_bar(entry.name), timeout=args.timeout)
    except DownloadError:
        remove_if_empty(dest.parent)  # a failed pull leaves no empty model folder behind
        raise
    recorded_hash_file(dest).write_text(result.sha256 + "\n")
    checked = "matches the registry" if entry.sha256 else "recorded (the registry has no hash for it)"
    print(f"pulled {entry.name} -> {dest} ({result.size / 1e6:.1f} MB, sha256 {checked})")
    return 0


def remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:  # not empty (a partial download to resume), or already gone
        pass


def _verify_one(entry: ModelEntry) -> str | None:
    """None when the pulled file is intact, else what is wrong."""
    path = cached_file(entry)
    with path.open("rb") as f:
        if f.read(4) != GGUF_MAGIC:
            return f"{entry.name}: not a GGUF file ({path})"
    recorded_file = recorded_hash_file(path)
    recorded = recorded_file.read_text().strip() if recorded_file.exists() else None
    expected = entry.sha256 or recorded
    bar = _progress_bar(f"verify {entry.name}")(path.stat().st_size, 0)
    try:
        actual = sha256_of(path, bar.update)
    finally:
        bar.close()
    if expected is None:
        print(f"{entry.name}: sha256 {actual} (nothing to compare with: no registry hash, none recorded)")
        return None
    if actual != expected:
        return (
            f"{entry.name}: checksum mismatch: expected {expected}, got {actual}; "
            f"run: infill models rm {entry.name} && infill models pull {entry.name}"
        )
    origin = "registry" if entry.sha256 else "hash recorded at download"
    print(f"{entry.name}: ok (sha256 matches the {origin})")
    return None


def cmd_verify(args: argparse.Namespace) -> int:
    if args.name:
        entries = [get_entry(args.name)]
        if not cached_file(entries[0]).is_file():
            return _fail(f"{args.name} is not pulled; run: infill models pull {args.name}")
    else:
        entries = [e for e in load_registry().values() if cached_file(e).is_file()]
        if not entries:
            print("no pulled models to verify")
            return 0
    problems = [problem for entry in entries if (problem := _verify_one(entry))]
    for problem in problems:
        print(f"infill models: {problem}", file=sys.stderr)
    return 1 if problems else 0


def cmd_rm(args: argparse.Namespace) -> int:
    entry = get_entry(args.name)
    folder = cached_file(entry).parent
    if not folder.exists():
        return _fail(f"{args.name} is not pulled")
    shutil.rmtree(folder)  # the file, a partial download and the recorded hash
    print(f"removed {entry.name} ({folder})")
    return 0


def add_parser(commands) -> None:
    models = commands.add_parser("models", help="list, download, verify or remove recommended models")
    actions = models.add_subparsers(dest="models_command", required=True)
    listing = actions.add_parser("list", help="the registry, what is pulled, and models found on this machine")
    listing.add_argument("--search", action="append", metavar="DIR", help="also search this folder (repeatable)")
    listing.add_argument(
        "--vram-budget-mb", type=int, default=8192, help="GPU memory to check each found model against"
    )
    listing.set_defaults(models_func=cmd_list)
    pull = actions.add_parser("pull", help="download a model (resumes an interrupted download)")
    pull.add_argument("name")
    pull.add_argument("--timeout", type=float, default=30.0, help="network timeout in seconds")
    pull.set_defaults(models_func=cmd_pull)
    verify = actions.add_parser("verify", help="check pulled models against their SHA-256")
    verify.add_argument("name", nargs="?")
    verify.set_defaults(models_func=cmd_verify)
    rm = actions.add_parser("rm", help="delete a pulled model")
    rm.add_argument("name")
    rm.set_defaults(models_func=cmd_rm)
    from .convert import add_convert_parser

    add_convert_parser(actions)
    models.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        return args.models_func(args)
    except (RegistryError, DownloadError, OSError) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return _fail("interrupted; run the same command again to resume")

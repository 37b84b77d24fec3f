"""The models the editor offers to pick ("Infill: Select Model"), as plain JSON.

Three kinds: the embedded model; the registry's recommended models, pulled or not; and the
GGUF models found on this machine (modelfiles/discovery.py). Each says its size, what it is
for, whether it fits the GPU budget (model.vramBudgetMb) and whether a setting names it now.
This does disk work (stat calls, GGUF headers): run it off the protocol loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from ..engine.host import EMBEDDED_MODEL
from ..modelfiles.discovery import FoundModel, find_models
from ..modelfiles.registry import ModelEntry, RegistryError, cached_file, load_registry, models_dir
from ..settings import Settings

InUse = Literal["completion", "explain"] | None


def model_choices(settings: Settings) -> dict[str, Any]:
    """The result of infill/models (see feature.py for its shape)."""
    budget = settings.model.vram_budget_mb
    completion = settings.model.path or ""
    explain = settings.explain.model or ""
    errors: list[str] = []
    try:
        entries = list(load_registry().values())
    except RegistryError as exc:
        entries, errors = [], [str(exc)]
    found = find_models(settings.model.search_paths, vram_budget_mb=budget)
    embedded_in_use = settings.engine.kind == "llama_cpp" and (not completion or _same_file(completion, EMBEDDED_MODEL))
    return {
        "modelPath": completion,
        "explainModel": explain,
        "engineKind": settings.engine.kind,
        "vramBudgetMb": budget,
        "modelsDir": str(models_dir()),
        "embedded": {
            "name": EMBEDDED_MODEL.stem,
            "path": str(EMBEDDED_MODEL),
            "sizeBytes": _size(EMBEDDED_MODEL),
            "inUse": "completion" if embedded_in_use else None,
        },
        "registry": [registry_choice(entry, budget, completion, explain) for entry in entries],
        "found": [found_choice(model, completion, explain) for model in found],
        "errors": errors,
    }


def registry_choice(entry: ModelEntry, budget_mb: int, completion: str, explain: str) -> dict[str, Any]:
    path = cached_file(entry)
    pulled = path.is_file()
    part = path.with_name(path.name + ".part")
    if pulled:
        size, approximate = _size(path), False
    elif entry.size_bytes:
        size, approximate = entry.size_bytes, False
    else:  # the registry's size_mb is decimal megabytes, rounded
        size, approximate = (entry.size_mb * 1_000_000 if entry.size_mb else None), True
    return {
        "name": entry.name,
        "role": entry.role,
        "description": entry.description,
        "source": entry.source,
        "sizeBytes": size,
        "sizeApproximate": approximate,
        "vramMb": entry.vram_mb,
        "fits": entry.vram_mb <= budget_mb if entry.vram_mb is not None else None,
        "pulled": pulled,
        "partialBytes": _size(part) if not pulled else None,
        "path": str(path),
        "inUse": _in_use((entry.name,), path, completion, explain),
    }


def found_choice(model: FoundModel, completion: str, explain: str) -> dict[str, Any]:
    return {
        "name": model.name,
        "path": str(model.path),
        "source": model.source,
        "kind": model.kind,
        "sizeBytes": model.size_bytes,
        "gpuMb": model.gpu_mb,
        "fits": model.fits,
        "fimFamily": model.fim_family,
        "inUse": _in_use(model.names, model.path, completion, explain),
    }


def _in_use(names: Iterable[str], path: Path, completion: str, explain: str) -> InUse:
    """Which setting names this model: by one of its names (ignoring case) or by its file."""
    known = {name.lower() for name in names}

    def named(value: str) -> bool:
        return bool(value) and (value.strip().lower() in known or _same_file(value, path))

    if named(completion):
        return "completion"
    if named(explain):
        return "explain"
    return None


def _same_file(value: str | Path, path: Path) -> bool:
    try:
        candidate = Path(value).expanduser()
        return candidate.exists() and candidate.resolve() == path.resolve()
    except OSError:
        return False


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None

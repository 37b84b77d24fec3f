"""The registry of recommended models (models/registry.json) and where pulled ones live.

A `model.path` setting may name a registry entry ("qwen2.5-coder-1.5b") instead of a
file; it then means the copy `infill models pull NAME` put in the models directory.
INFILL_REGISTRY points at another registry file and INFILL_MODELS_DIR at another models
directory (tests use both; so can a team with an internal mirror).

An entry's role says what it is for: "completion" (a base model that fills in the middle,
for `model.path`) or "explain" (an instruct model that follows a chat template, for
`explain.model`; it has no FIM family).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from ..errors import EngineError
from ..model_data import data_file
from .discovery import find_model

REGISTRY_FILE = data_file("registry.json")
ModelRole = Literal["completion", "explain"]
ROLES: tuple[ModelRole, ...] = ("completion", "explain")


class RegistryError(EngineError):
    """The registry is unreadable, or a name is not in it, or a model is not pulled."""


@dataclass(frozen=True)
class ModelEntry:
    name: str
    url: str
    filename: str
    sha256: str | None
    fim_family: str | None  # None for an explain model
    context_length: int
    size_mb: int | None = None
    size_bytes: int | None = None
    vram_mb: int | None = None
    source: str = ""
    description: str = ""
    role: ModelRole = "completion"


def registry_path() -> Path:
    return Path(os.environ.get("INFILL_REGISTRY") or REGISTRY_FILE)


def models_dir() -> Path:
    override = os.environ.get("INFILL_MODELS_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("infill")) / "models"


def load_registry(path: Path | None = None) -> dict[str, ModelEntry]:
    path = path or registry_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        models = raw["models"]
        entries = {}
        for name, item in models.items():
            sha = item.get("sha256")
            role = item.get("role", "completion")
            if role not in ROLES:
                raise ValueError(f"model {name}: role {role!r} is not one of {', '.join(ROLES)}")
            entries[name] = ModelEntry(
                name=name,
                url=item["url"],
                filename=item["filename"],
                sha256=sha.lower() if sha else None,
                fim_family=item.get("fim_family", "auto"),
                context_length=int(item.get("context_length") or 0),
                size_mb=item.get("size_mb"),
                size_bytes=item.get("size_bytes"),
                vram_mb=item.get("vram_mb"),
                source=item.get("source", ""),
                description=item.get("description", ""),
                role=cast(ModelRole, role),
            )
        return entries
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise RegistryError(f"cannot read the model registry {path}: {exc}") from exc


def get_entry(name: str) -> ModelEntry:
    entries = load_registry()
    if name not in entries:
        raise RegistryError(f"no model {name!r} in the registry; known: {', '.join(sorted(entries))}")
    return entries[name]


def cached_file(entry: ModelEntry) -> Path:
    # One folder per entry: two entries may share a file name upstream.
    return models_dir() / entry.name / entry.filename


def looks_like_registry_name(value: str) -> bool:
    """A setting value that cannot be a file path but may be a registry name."""
    return "/" not in value and "\\" not in value and not value.lower().endswith(".gguf")


def resolve_model_setting(value: str | None, search_paths: Sequence[str] = ()) -> str | None:
    """The file a `model.path` value stands for: a file as it is; a registry name becomes its
    cached file (which may not exist yet); the name of a model found on this machine
    (modelfiles/discovery.py) becomes its file; anything else is returned unchanged."""
    if not value or Path(value).expanduser().exists():
        return value
    if looks_like_registry_name(value):
        try:
            entry = load_registry().get(value)
        except RegistryError:
            entry = None
        if entry is not None:
            return str(cached_file(entry))
    found = find_model(value, search_paths)
    return str(found) if found is not None else value


def require_pulled(value: str | None, search_paths: Sequence[str] = ()) -> None:
    """Raise a message with the command to run when value names a model not pulled yet, or
    names nothing at all."""
    if not value or Path(value).expanduser().exists():
        return
    entry = load_registry().get(value) if looks_like_registry_name(value) else None
    if entry is not None:
        if not cached_file(entry).is_file():
            raise RegistryError(f"model {value} is not downloaded yet; run: infill models pull {value}")
        return
    if find_model(value, search_paths) is None and looks_like_registry_name(value):
        raise RegistryError(
            f"model {value!r} is neither a file, a registry name nor a model found on this machine "
            "(see: infill models list)"
        )

"""Check 'model file': the configured model exists, is readable, is a GGUF and its header reads.

model.path is a file, the name of a registry model (its pulled copy), or unset (the embedded
model), resolved as the engine host resolves it. The later model checks (FIM tokens, VRAM
plan, self-test) work on the file found here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..engine.base import EngineError
from ..engine.host import EMBEDDED_MODEL
from ..engine.llama_cpp_engine import check_model_file
from ..modelfiles.gguf_header import read_gguf_header
from ..modelfiles.registry import RegistryError, load_registry, require_pulled, resolve_model_setting
from ..settings import Settings
from .check import USE_SUGGESTED_MODEL, Check, failed, ok, skipped

NAME = "model file"


@dataclass
class ModelFile:
    """The outcome of the check, and the file the later checks read (None when it failed)."""

    check: Check
    path: Path | None = None
    metadata: dict = field(default_factory=dict)  # the GGUF header's key/value pairs

    @property
    def name(self) -> str:
        if self.path is None:
            return ""
        return str(self.metadata.get("general.name") or self.path.name)


def _in_registry(name: str) -> bool:
    try:
        return name in load_registry()
    except RegistryError:
        return False


def _size(n_bytes: int) -> str:
    if n_bytes >= 1e9:
        return f"{n_bytes / 1e9:.1f} GB"
    return f"{n_bytes / 1e6:.0f} MB" if n_bytes >= 1e7 else f"{n_bytes / 1e6:.1f} MB"


def inspect_model_file(settings: Settings) -> ModelFile:
    kind = settings.engine.kind
    value = settings.model.path
    if kind == "none":
        return ModelFile(skipped(NAME, "engine.kind is none: no model"))
    if kind == "remote" and not value:
        return ModelFile(skipped(NAME, "remote engine and no model.path: no local tokenizer (it is optional)"))
    try:
        require_pulled(value, settings.model.search_paths)
    except RegistryError as exc:
        pullable = bool(value) and _in_registry(str(value))
        fix = f"infill models pull {value}" if pullable else "set infill.model.path to a .gguf file or a registry name"
        return ModelFile(failed(NAME, str(exc), fix))
    path = resolve_model_setting(value, settings.model.search_paths) or str(EMBEDDED_MODEL)
    try:
        model_path = check_model_file(path)
    except EngineError as exc:
        message = str(exc)
        if message.startswith("cannot read"):
            fix = "make the file readable by your user (check its permissions)"
        elif message.startswith("not a GGUF"):
            fix = f"point infill.model.path at a GGUF model file; {USE_SUGGESTED_MODEL}"
        else:
            fix = f"set infill.model.path to an existing .gguf file; {USE_SUGGESTED_MODEL}"
        return ModelFile(failed(NAME, message, fix))
    try:
        metadata = read_gguf_header(model_path).metadata
    except Exception as exc:  # a truncated or damaged file: any parse error means the same
        return ModelFile(
            failed(NAME, f"the GGUF header of {model_path} does not read: {exc}", "download the file again")
        )
    arch = metadata.get("general.architecture", "unknown architecture")
    trained = metadata.get(f"{arch}.context_length")
    facts = [str(arch), _size(model_path.stat().st_size)] + ([f"trained context {trained}"] if trained else [])
    model = ModelFile(ok(NAME, ""), model_path, metadata)
    embedded = "the embedded model " if model_path == EMBEDDED_MODEL else ""
    model.check = ok(NAME, f"{embedded}{model.name} ({', '.join(facts)}): {model_path}")
    return model

"""Settings: fully defaulted dataclasses, parsed leniently from client JSON.

Clients send settings as initializationOptions and as the "infill" section of
workspace/configuration. Unknown keys are ignored; a value of the wrong type or
out of range is reported (the server shows the message to the user) and the
default is kept, so a typo never takes the server down.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

FIM_FAMILIES = ("auto", "qwen2.5-coder", "starcoder", "deepseek-coder", "codellama", "codestral")
ENGINE_KINDS = ("llama_cpp", "remote", "none")


@dataclass
class ModelSettings:
    path: str | None = None  # None: the embedded default model
    n_gpu_layers: int | None = None  # None: all layers when llama.cpp was built with GPU support
    n_ctx: int = 4096
    n_threads: int | None = None  # None: llama.cpp's default
    fim_family: str = "auto"  # "auto": from the GGUF's own FIM tokens and name
    # GPU memory Infill may plan for when n_gpu_layers is None (see engine/vram.py).
    vram_budget_mb: int = 8192


@dataclass
class CompletionSettings:
    enabled: bool = True
    max_tokens: int = 64
    max_lines: int = 12
    prompt_budget_tokens: int = 1536  # prefix + suffix around the cursor
    suffix_fraction: float = 0.25  # share of the budget given to the suffix
    debounce_ms: int = 0  # newest-request-wins cancellation already absorbs bursts
    disabled_languages: list[str] = field(default_factory=list)
    stop: list[str] = field(default_factory=list)


@dataclass
class ContextSettings:
    """Cross-file context: definitions, similar chunks and recent edits from the workspace."""

    enabled: bool = True
    budget_fraction: float = 0.35  # share of completion.prompt_budget_tokens given to snippets
    budget_tokens: int | None = None  # instead of the share: this many tokens (at most 80% of the budget)
    time_budget_ms: float = 10.0  # gathering stops here and sends what is ready


@dataclass
class HoverSettings:
    enabled: bool = True
    generated_summaries: bool = True  # summarise symbols without a docstring with the model


@dataclass
class EngineSettings:
    kind: str = "llama_cpp"
    # engine.kind "remote": an OpenAI-compatible server (engine/remote.py).
    url: str | None = None
    api_key_env: str | None = None  # name of the environment variable holding the key
    model: str | None = None  # None: the server's first model
    api: str = "auto"  # "auto", "openai" (/v1/completions) or "infill" (llama.cpp server /infill)
    connect_timeout_ms: int = 2000
    timeout_ms: int = 15000  # longest wait for the next streamed token
    verify_tls: bool = True


@dataclass
class IndexSettings:
    enabled: bool = True
    max_file_bytes: int = 1_000_000  # larger files are skipped (minified bundles, data dumps)


@dataclass
class Settings:
    model: ModelSettings = field(default_factory=ModelSettings)
    completion: CompletionSettings = field(default_factory=CompletionSettings)
    context: ContextSettings = field(default_factory=ContextSettings)
    hover: HoverSettings = field(default_factory=HoverSettings)
    engine: EngineSettings = field(default_factory=EngineSettings)
    index: IndexSettings = field(default_factory=IndexSettings)


# Range checks beyond the type: (min, max) inclusive.
_LIMITS: dict[str, tuple[float, float]] = {
    "model.n_ctx": (256, 131072),
    "model.n_gpu_layers": (-1, 1000),
    "model.n_threads": (1, 512),
    "model.vram_budget_mb": (256, 1_048_576),
    "engine.connect_timeout_ms": (100, 60_000),
    "engine.timeout_ms": (500, 600_000),
    "completion.max_tokens": (1, 1024),
    "completion.max_lines": (1, 200),
    "completion.prompt_budget_tokens": (32, 131072),
    "completion.suffix_fraction": (0.0, 0.9),
    "completion.debounce_ms": (0, 2000),
    "index.max_file_bytes": (1_000, 100_000_000),
    "context.budget_fraction": (0.0, 0.8),
    "context.budget_tokens": (0, 131072),
    "context.time_budget_ms": (0.5, 1000.0),
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "model.fim_family": FIM_FAMILIES,
    "engine.kind": ENGINE_KINDS,
}


def _camel_to_snake(name: str) -> str:
    out = []
    for ch in name:
        if ch.isupper():
            out.append("_")
            out.append(ch.lower())
        else:
            out.append(ch)
    return "".join(out)


def _type_ok(value: Any, annotation: str) -> bool:
    if value is None:
        return "None" in annotation
    if "bool" in annotation:
        return isinstance(value, bool)
    if annotation.startswith("int"):
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation.startswith("float"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation.startswith("str"):
        return isinstance(value, str)
    if annotation.startswith("list[str]"):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return False


def _fill(target: Any, raw: dict, prefix: str, errors: list[str]) -> None:
    fields = {f.name: f for f in dataclasses.fields(target)}
    for key, value in raw.items():
        name = _camel_to_snake(key)
        if name not in fields:
            continue  # unknown keys are ignored: other tools share the section
        current = getattr(target, name)
        dotted = f"{prefix}{name}"
        if dataclasses.is_dataclass(current):
            if isinstance(value, dict):
                _fill(current, value, dotted + ".", errors)
            else:
                errors.append(f"infill.{dotted} must be an object")
            continue
        annotation = str(fields[name].type)
        if not _type_ok(value, annotation):
            errors.append(f"infill.{dotted}: {value!r} is not a valid {annotation}; using {current!r}")
            continue
        if dotted in _LIMITS and value is not None:
            low, high = _LIMITS[dotted]
            if not low <= value <= high:
                errors.append(f"infill.{dotted}: {value!r} is outside {low}..{high}; using {current!r}")
                continue
        if dotted in _CHOICES and value not in _CHOICES[dotted]:
            errors.append(
                f"infill.{dotted}: {value!r} is not one of {', '.join(_CHOICES[dotted])}; using {current!r}"
            )
            continue
        setattr(target, name, value)


def parse_settings(raw: Any) -> tuple[Settings, list[str]]:
    """Settings from client JSON (camelCase or snake_case keys), plus error messages.

    Accepts either the section itself or an object with an "infill" key.
    """
    settings = Settings()
    errors: list[str] = []
    if raw is None:
        return settings, errors
    if not isinstance(raw, dict):
        return settings, [f"Infill settings must be an object, got {type(raw).__name__}; using defaults"]
    if isinstance(raw.get("infill"), dict):
        raw = raw["infill"]
    _fill(settings, raw, "", errors)
    return settings, errors

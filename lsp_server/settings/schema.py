"""Every Infill setting, declared once: type, default, range, choices and description.

The dataclasses below are the schema. From them come:
- the server's parsed settings (settings/parse.py);
- the VS Code extension's `contributes.configuration` and the README's settings table
  (settings/generate.py; a test fails when either drifts from this file).

A setting that may be "unset" (None: the embedded model, an automatic layer count) also
declares the value that stands for unset in an editor (`editor_unset`): VS Code's Settings UI
has no editor for a `null` value, so there it is an empty string or a number outside the range.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

FimFamily = Literal["auto", "qwen2.5-coder", "starcoder", "deepseek-coder", "codellama", "codestral"]
EngineKind = Literal["llama_cpp", "onnx", "remote", "none"]
RemoteApi = Literal["auto", "openai", "infill"]
FIM_FAMILIES: tuple[str, ...] = typing.get_args(FimFamily)


@dataclass(frozen=True)
class SettingInfo:
    """What the schema says about one setting beyond its type and default."""

    description: str
    minimum: float | None = None
    maximum: float | None = None
    editor_unset: Any = None  # the editor's stand-in for None (see the module docstring)
    default_text: str | None = None  # the README's words for the default, when not the value itself
    choice_descriptions: tuple[str, ...] = ()


def setting(default: Any, description: str, **info: Any) -> Any:
    """A dataclass field carrying its SettingInfo; lists get a default factory."""
    metadata = {"setting": SettingInfo(description, **info)}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class ModelSettings:
    path: str | None = setting(
        None,
        "GGUF model file (an ONNX model folder with engine kind `onnx`), or the name of a pulled registry model "
        "or of a model found on this machine (`infill models list`).",
        editor_unset="",
        default_text="embedded model",
    )
    search_paths: list[str] = setting(
        [],
        "Folders searched for GGUF models, besides the Hugging Face, LM Studio, Ollama and llama.cpp caches.",
    )
    n_gpu_layers: int | None = setting(
        None,
        "Model layers offloaded to the GPU: -1 all, 0 none (CPU only). "
        "Unset (-2 in the editor): as many as fit `model.vramBudgetMb`.",
        minimum=-1,
        maximum=1000,
        editor_unset=-2,
        default_text="as many as fit when the build has GPU support, else 0",
    )
    n_ctx: int = setting(
        4096, "Context window, in tokens (capped to the model's training context).", minimum=256, maximum=131072
    )
    n_threads: int | None = setting(
        None,
        "CPU threads for the model (unset, 0 in the editor: half the cores).",
        minimum=1,
        maximum=512,
        editor_unset=0,
        default_text="half the cores",
    )
    fim_family: FimFamily = setting(
        "auto",
        "Fill-in-the-middle template; `auto` reads it from the GGUF's own tokens.",
    )
    vram_budget_mb: int = setting(
        8192,
        "GPU memory (MB) Infill plans the GPU layers for, when `model.nGpuLayers` is unset.",
        minimum=256,
        maximum=1_048_576,
    )


@dataclass(frozen=True)
class CompletionSettings:
    enabled: bool = setting(True, "Inline (ghost text) completions on or off.")
    max_tokens: int = setting(64, "Most tokens generated for one completion.", minimum=1, maximum=1024)
    max_lines: int = setting(12, "Most lines in a multi-line completion.", minimum=1, maximum=200)
    prompt_budget_tokens: int = setting(
        1536, "Prompt tokens around the cursor (prefix and suffix, with context).", minimum=32, maximum=131072
    )
    suffix_fraction: float = setting(
        0.25, "Share of the prompt budget for the text after the cursor.", minimum=0.0, maximum=0.9
    )
    debounce_ms: int = setting(
        0, "Server-side debounce in ms (a newer request already cancels an older one).", minimum=0, maximum=2000
    )
    disabled_languages: list[str] = setting([], "Language ids (e.g. `markdown`, `plaintext`) with no completions.")
    stop: list[str] = setting([], "Extra texts that end a completion.")
    candidates: int = setting(
        1,
        "Suggestions offered at a cursor (VS Code cycles through them with Alt+] and Alt+[).",
        minimum=1,
        maximum=3,
    )
    prefetch: bool = setting(
        True,
        "While a suggestion is shown, compute in the background what follows its acceptance, so Tab shows the next "
        "one at once (one more model request per shown suggestion).",
    )
    latency_target_ms: int = setting(
        300,
        "End-to-end time a completion should take (p95). Above it Infill steps down the tokens generated, then "
        "the prompt and context budgets; below it, back up. 0: no adapting.",
        minimum=0,
        maximum=60_000,
    )
    min_confidence: float | None = setting(
        None,
        "Suggestions the model is less sure of are cut to their confident start, or not shown "
        "(0: show everything, 1: almost nothing). Unset (-1 in the editor): the model's calibrated value.",
        minimum=0.0,
        maximum=1.0,
        editor_unset=-1,
        default_text="calibrated per model",
    )


@dataclass(frozen=True)
class ContextSettings:
    """Cross-file context: definitions, similar chunks and recent edits from the workspace."""

    enabled: bool = setting(True, "Cross-file snippets from the workspace index in the completion prompt.")
    budget_fraction: float = setting(
        0.35, "Share of `completion.promptBudgetTokens` the snippets may use.", minimum=0.0, maximum=0.8
    )
    budget_tokens: int | None = setting(
        None,
        "Instead of the share, this many tokens (at most 80% of the budget; 0: none). "
        "Unset (-1 in the editor): the share.",
        minimum=0,
        maximum=131072,
        editor_unset=-1,
        default_text="the share",
    )
    time_budget_ms: float = setting(
        10.0,
        "CPU time (ms) the gathering thread may spend on cross-file snippets before it sends what is ready; "
        "waiting for a core does not count, and a wall-clock cap (50 ms, or five budgets when more) still applies.",
        minimum=0.5,
        maximum=1000.0,
    )


@dataclass(frozen=True)
class HoverSettings:
    enabled: bool = setting(True, "Hover documentation.")
    generated_summaries: bool = setting(
        True,
        "The model writes a summary for symbols without documentation (marked as generated; "
        "not with the embedded model).",
    )


@dataclass(frozen=True)
class ExplainSettings:
    model: str | None = setting(
        None,
        "An instruct (chat) GGUF model, or the name of a pulled registry model, for Explain Selection and "
        "generated hover summaries. Unset: the completion model, when it has a chat template.",
        editor_unset="",
        default_text="the completion model, if it can chat",
    )


@dataclass(frozen=True)
class EngineSettings:
    kind: EngineKind = setting(
        "llama_cpp",
        "Where the model runs.",
        choice_descriptions=(
            "The GGUF model in the server process (llama.cpp).",
            "An ONNX Runtime GenAI model folder in the server process (`model.path`; int4, GPTQ, fp16).",
            "An OpenAI-compatible or llama.cpp server (`engine.url`).",
            "No model: index features only.",
        ),
    )
    url: str | None = setting(
        None, "Base URL of the serving engine (engine kind `remote`).", editor_unset="", default_text="none"
    )
    api_key_env: str | None = setting(
        None,
        "Name of the environment variable that holds the remote server's API key.",
        editor_unset="",
        default_text="none",
    )
    model: str | None = setting(
        None, "Model name sent to the remote server.", editor_unset="", default_text="the server's first model"
    )
    api: RemoteApi = setting(
        "auto",
        "Remote API: `openai` (/v1/completions), `infill` (llama.cpp server /infill) or `auto`.",
    )
    connect_timeout_ms: int = setting(
        2000, "Longest wait for a connection to the remote server, in ms.", minimum=100, maximum=60_000
    )
    timeout_ms: int = setting(15000, "Longest wait for the next streamed token, in ms.", minimum=500, maximum=600_000)
    verify_tls: bool = setting(True, "Check the remote server's TLS certificate.")


@dataclass(frozen=True)
class IndexSettings:
    enabled: bool = setting(True, "Index the workspace folders (hover, workspace symbols, cross-file context).")
    max_file_bytes: int = setting(
        1_000_000, "Larger files are not indexed (minified bundles, data dumps).", minimum=1_000, maximum=100_000_000
    )
    max_files: int = setting(
        100_000,
        "Most files indexed in one workspace: past it, indexing stops and the status says so "
        "(at this many the server stays under about 1 GB of memory).",
        minimum=100,
        maximum=10_000_000,
    )


@dataclass(frozen=True)
class Settings:
    model: ModelSettings = field(default_factory=ModelSettings)
    completion: CompletionSettings = field(default_factory=CompletionSettings)
    context: ContextSettings = field(default_factory=ContextSettings)
    hover: HoverSettings = field(default_factory=HoverSettings)
    explain: ExplainSettings = field(default_factory=ExplainSettings)
    engine: EngineSettings = field(default_factory=EngineSettings)
    index: IndexSettings = field(default_factory=IndexSettings)


@dataclass(frozen=True)
class SettingField:
    """One leaf of the schema, e.g. section "completion", name "max_tokens"."""

    section: str
    name: str
    type: Any  # the resolved annotation: int, int | None, list[str], a Literal
    default: Any
    info: SettingInfo

    @property
    def key(self) -> str:
        """The name users write: `completion.maxTokens`."""
        return f"{self.section}.{camel_case(self.name)}"

    @property
    def choices(self) -> tuple[str, ...]:
        return typing.get_args(self.type) if typing.get_origin(self.type) is Literal else ()


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def section_types() -> dict[str, type]:
    """The dataclass of each section of Settings, by section name."""
    hints = typing.get_type_hints(Settings)
    return {f.name: hints[f.name] for f in dataclasses.fields(Settings)}


def setting_fields() -> Iterator[SettingField]:
    """Every setting, in declaration order."""
    for section, cls in section_types().items():
        hints = typing.get_type_hints(cls)
        defaults = cls()
        for f in dataclasses.fields(cls):
            yield SettingField(section, f.name, hints[f.name], getattr(defaults, f.name), f.metadata["setting"])


# Settings of the VS Code extension itself (how it starts the server, tracing); the server
# ignores them. Written out here so that package.json is generated from this file alone.
EDITOR_ONLY_SETTINGS: dict[str, dict[str, Any]] = {
    "infill.serverCommand": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "markdownDescription": "The whole command that starts the language server, e.g. "
        '`["/opt/venv/bin/python", "-m", "lsp_server", "serve"]`. Overrides `#infill.pythonPath#`.',
    },
    "infill.pythonPath": {
        "type": "string",
        "default": "",
        "markdownDescription": "Python interpreter with Infill installed; the server is started as "
        "`<python> -m lsp_server serve`. When empty: the `infill` command on PATH, else "
        "`python3 -m lsp_server serve`.",
    },
    "infill.trace.server": {
        "type": "string",
        "enum": ["off", "messages", "verbose"],
        "default": "off",
        "description": "Log the messages between VS Code and the language server in the output channel.",
    },
}

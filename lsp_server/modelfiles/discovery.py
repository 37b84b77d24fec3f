"""GGUF models the user already has: found in the places other tools keep them.

A developer who tried local models before has gigabytes of them on disk already. Infill looks,
read-only, in:
- the Hugging Face hub cache (`HF_HUB_CACHE`, else `HF_HOME/hub`, else ~/.cache/huggingface/hub):
  models--ORG--NAME/snapshots/REVISION/FILE.gguf;
- LM Studio's model folders (~/.lmstudio/models, ~/.cache/lm-studio/models): PUBLISHER/REPO/FILE.gguf;
- Ollama's store (`OLLAMA_MODELS`, else ~/.ollama/models and the system service's
  /usr/share/ollama/.ollama/models): a manifest per MODEL/TAG names the blob that holds the GGUF;
- llama.cpp's download cache (`LLAMA_CACHE`, else ~/.cache/llama.cpp): flat FILE.gguf;
- folders the user lists in `model.searchPaths`.

Each file's header is read (never its weights): architecture, name, FIM support, chat template,
trained context and the GPU memory it needs. `model.path` may then name a found model (see
FoundModel.names) instead of a path.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..prompts.fim import TEMPLATES
from .gguf_header import MAGIC, read_gguf_header
from .vram import GIB, plan_offload, shape_from_tensors

log = logging.getLogger(__name__)

# Deep enough for PUBLISHER/REPO/FILE and snapshot folders, shallow enough to stay fast in a
# folder such as the home directory.
MAX_DEPTH = 5
MAX_FILES_PER_FOLDER = 2000
# A vision projector or the second part of a split model is not a model to pick.
_NOT_A_MODEL = re.compile(r"mmproj|-0000[2-9]-of-|-000[1-9][0-9]-of-", re.IGNORECASE)
_OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"
# Context assumed when saying whether a model fits (what Infill asks for by default).
PLAN_CONTEXT = 4096
FIM_STRINGS = frozenset(
    token for t in TEMPLATES.values() for token in (t.prefix, t.suffix, t.middle) if token is not None
)


@dataclass(frozen=True)
class FoundModel:
    name: str  # how the list shows it and `model.path` may name it
    path: Path
    source: str  # where it was found: "Hugging Face cache", "LM Studio", "Ollama", ...
    size_bytes: int
    architecture: str = ""
    model_name: str = ""  # general.name from the header
    fim_family: str | None = None  # the FIM template its vocabulary has, None: no FIM tokens
    chat_template: bool = False
    context_length: int = 0
    gpu_mb: int | None = None  # estimated GPU memory with every layer offloaded
    fits: bool | None = None  # whether that fits the VRAM budget (None: unknown)
    aliases: tuple[str, ...] = field(default=())

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    @property
    def kind(self) -> str:
        """What it is good for: completion needs FIM tokens; a chat template alone means chat."""
        if self.fim_family and not self.chat_template:
            return "completion"
        if self.fim_family:
            return "completion or chat"
        return "chat" if self.chat_template else "no FIM tokens"


def default_places(env: Mapping[str, str], home: Path) -> list[tuple[str, Path, str]]:
    """(source, folder, layout) of every place other tools keep models."""
    hf_home = Path(env["HF_HOME"]) if env.get("HF_HOME") else home / ".cache" / "huggingface"
    hf_hub = Path(env["HF_HUB_CACHE"]) if env.get("HF_HUB_CACHE") else hf_home / "hub"
    ollama = [Path(env["OLLAMA_MODELS"])] if env.get("OLLAMA_MODELS") else []
    ollama += [home / ".ollama" / "models", Path("/usr/share/ollama/.ollama/models")]
    llama_cache = Path(env["LLAMA_CACHE"]) if env.get("LLAMA_CACHE") else home / ".cache" / "llama.cpp"
    return [
        ("Hugging Face cache", hf_hub, "hf"),
        ("LM Studio", home / ".lmstudio" / "models", "files"),
        ("LM Studio", home / ".cache" / "lm-studio" / "models", "files"),
        *[("Ollama", folder, "ollama") for folder in ollama],
        ("llama.cpp cache", llama_cache, "files"),
    ]


def find_models(
    search_paths: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    vram_budget_mb: int | None = None,
) -> list[FoundModel]:
    """Every GGUF model found, each file once, in the order of the places above, with its
    header's facts."""
    found = []
    for name, path, source, aliases in locate_models(search_paths, env, home):
        model = describe(name, path, source, aliases, vram_budget_mb)
        if model is not None:
            found.append(model)
    return found


def locate_models(
    search_paths: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> Iterator[tuple[str, Path, str, tuple[str, ...]]]:
    """(name, file, source, aliases) of every .gguf file in the places, each file once,
    without reading them."""
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    places = default_places(env, home)
    places += [("folder", Path(p).expanduser(), "files") for p in search_paths]
    seen: set[Path] = set()
    for source, folder, layout in places:
        if not folder.is_dir():
            continue
        for name, path, aliases in _candidates(folder, layout):
            real = path.resolve()
            if real not in seen:
                seen.add(real)
                yield name, real, source, aliases


def find_model(
    wanted: str,
    search_paths: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> Path | None:
    """The file of the model `wanted` names (its name or an alias, ignoring case), if found."""
    key = wanted.strip().lower()
    for name, path, _source, aliases in locate_models(search_paths, env, home):
        if key in (n.lower() for n in (name, *aliases)):
            return path
    return None


def describe(
    name: str, path: Path, source: str, aliases: tuple[str, ...] = (), vram_budget_mb: int | None = None
) -> FoundModel | None:
    """The header facts of a GGUF file; None when it is not one (or unreadable)."""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            if f.read(4) != MAGIC:
                return None
        header = read_gguf_header(path, FIM_STRINGS)
    except (OSError, ValueError) as exc:
        log.info("skipping %s: %s", path, exc)
        return None
    metadata = header.metadata
    architecture = str(metadata.get("general.architecture") or "")
    family = next(
        (
            t.family
            for t in TEMPLATES.values()
            if {t.prefix, t.suffix} <= header.found_strings and (t.middle is None or t.middle in header.found_strings)
        ),
        None,
    )
    if family is None and int(metadata.get("tokenizer.ggml.fim_pre_token_id", -1)) >= 0:
        family = "auto"  # the GGUF names its FIM tokens itself
    context = int(metadata.get(f"{architecture}.context_length") or 0)
    gpu_mb, fits = None, None
    try:
        shape = shape_from_tensors(metadata, ((t.name, t.n_bytes) for t in header.tensors))
        n_ctx = min(PLAN_CONTEXT, context) if context else PLAN_CONTEXT
        plan = plan_offload(shape, n_ctx, 1 << 50)  # unlimited: what everything on the GPU takes
        gpu_mb = round(plan.gpu_bytes / (1 << 20))
        if vram_budget_mb is not None:
            fits = plan.gpu_bytes <= vram_budget_mb * (1 << 20)
    except Exception as exc:  # an architecture the planner does not know: size unknown
        log.debug("no VRAM plan for %s: %s", path, exc)
    return FoundModel(
        name,
        path,
        source,
        size,
        architecture,
        str(metadata.get("general.name") or ""),
        family,
        "tokenizer.chat_template" in metadata,
        context,
        gpu_mb,
        fits,
        aliases,
    )


def _candidates(folder: Path, layout: str) -> Iterator[tuple[str, Path, tuple[str, ...]]]:
    if layout == "ollama":
        yield from _ollama(folder)
        return
    for path in _gguf_files(folder):
        relative = path.relative_to(folder)
        if layout == "hf":
            yield _hf_name(relative), path, (path.stem,)
        elif len(relative.parts) > 1:
            yield str(relative.with_suffix("")), path, (path.stem,)
        else:
            yield path.stem, path, ()


def _gguf_files(folder: Path) -> Iterator[Path]:
    count = 0
    for root, dirs, files in os.walk(folder, followlinks=False):
        depth = len(Path(root).relative_to(folder).parts)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "blobs" and depth < MAX_DEPTH)
        for name in sorted(files):
            if name.lower().endswith(".gguf") and not _NOT_A_MODEL.search(name):
                count += 1
                if count > MAX_FILES_PER_FOLDER:
                    return
                yield Path(root) / name


def _hf_name(relative: Path) -> str:
    """models--Qwen--Qwen2.5-Coder-1.5B-GGUF/snapshots/REV/f.gguf -> Qwen/Qwen2.5-Coder-1.5B-GGUF/f"""
    repo = relative.parts[0]
    inside = relative.parts[3:] if len(relative.parts) > 3 and relative.parts[1] == "snapshots" else relative.parts[1:]
    org_and_name = repo.removeprefix("models--").replace("--", "/")
    return "/".join([org_and_name, *inside])[: -len(".gguf")]


def _ollama(folder: Path) -> Iterator[tuple[str, Path, tuple[str, ...]]]:
    """Each manifest (manifests/HOST/NAMESPACE/MODEL/TAG) names its model layer's blob."""
    manifests = folder / "manifests"
    if not manifests.is_dir():
        return
    for manifest in sorted(p for p in manifests.rglob("*") if p.is_file()):
        parts = manifest.relative_to(manifests).parts
        if len(parts) != 4:
            continue
        _host, namespace, model, tag = parts
        try:
            layers = json.loads(manifest.read_text(encoding="utf-8")).get("layers", [])
            digest = next(layer["digest"] for layer in layers if layer.get("mediaType") == _OLLAMA_MODEL_LAYER)
        except (OSError, ValueError, StopIteration, KeyError, TypeError, AttributeError):
            continue
        blob = folder / "blobs" / str(digest).replace(":", "-")
        if blob.is_file():
            short = f"{model}:{tag}" if namespace == "library" else f"{namespace}/{model}:{tag}"
            yield f"ollama:{short}", blob, (short,)


def gib(size_bytes: int) -> str:
    return f"{size_bytes / GIB:.2f} GiB" if size_bytes >= GIB / 10 else f"{size_bytes / (1 << 20):.0f} MiB"

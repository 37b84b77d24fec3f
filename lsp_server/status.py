"""What the status bar says: one state and message composed from the engine's and the index's.

Two things change the status: the engine (idle, loading, then ready, error or disabled) and
the workspace index (running with progress, then done, capped or failed). When each sent its
own status, the bar showed "indexing" before "loading" and then flipped between them. The
status is now a function of both:

- an engine that is not ready yet (idle, loading) or failed wins over the index;
- "ready" only when the model is ready and the index is not being built; while it is, the
  state is "indexing" and the message leads with its progress ("indexing 120/1800 files");
- an index that stopped at index.maxFiles, or failed, is added to the engine's message so
  that it does not go unnoticed.

The model in use is named beside the state (`model_label`), so the editor can show it.
Pure: no LSP here; the server sends what this module composes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .engine.host import EMBEDDED_MODEL, EngineState
from .modelfiles.registry import looks_like_registry_name
from .settings import Settings

StatusState = Literal["loading", "ready", "error", "disabled", "indexing"]
IndexPhase = Literal["none", "running", "done", "failed"]


@dataclass(frozen=True)
class IndexStatus:
    phase: IndexPhase = "none"
    done: int = 0
    total: int = 0  # 0 while the files are still being counted
    message: str = ""  # the outcome, once done or failed
    notable: bool = False  # the outcome belongs in the status line (a partial or failed index)

    def progress_text(self) -> str:
        return f"indexing {self.done}/{self.total} files" if self.total else "indexing the workspace"


@dataclass(frozen=True)
class Status:
    state: StatusState
    message: str


def compose_status(engine: EngineState, index: IndexStatus) -> Status:
    """The one status shown for the engine's state and the index's."""
    outcome = index.message if index.phase in ("done", "failed") and index.notable else ""
    if engine.state == "error":
        return Status("error", _join(engine.message, outcome))
    if engine.state in ("idle", "loading"):
        # idle: the server started and the model is about to load; indexing may already run.
        return Status("loading", engine.message or "starting")
    if index.phase == "running":
        return Status("indexing", _join(index.progress_text(), engine.message))
    settled: StatusState = "ready" if engine.state == "ready" else "disabled"
    if outcome:
        return Status(settled, _join(engine.message, outcome))
    return Status(settled, engine.message or index.message)


def model_label(settings: Settings) -> tuple[str, bool]:
    """(the completion model's name as the user knows it, whether it is the embedded model).

    A registry name or the name of a model found on this machine is shown as written; a file
    by its name without .gguf; a remote engine by its model or URL.
    """
    engine = settings.engine
    if engine.kind == "none":
        return "", False
    if engine.kind == "remote":
        return engine.model or engine.url or "", False
    value = settings.model.path
    if not value:
        return EMBEDDED_MODEL.stem, True
    path = Path(value).expanduser()
    if looks_like_registry_name(value) and not path.exists():
        return value, False
    try:
        embedded = path.resolve() == EMBEDDED_MODEL.resolve()
    except OSError:
        embedded = False
    return (path.stem if path.suffix.lower() == ".gguf" else value), embedded


def _join(first: str, second: str) -> str:
    return "; ".join(part for part in (first, second) if part)

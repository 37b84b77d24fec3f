"""The Engine protocol every model backend implements.

An engine turns token ids into generated text. It knows nothing about LSP,
documents or prompts beyond token ids, which keeps it swappable (local GGUF,
remote OpenAI-compatible server) and testable on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol


# GGUF metadata key naming a model's FIM order, "psm" or "spm" (Bavarian et al. 2022). No
# standard key exists; Infill's embedded model sets it (models/train/export_gguf.py), and a
# model without it is taken to be PSM, like every published code model with FIM token ids.
FIM_ORDER_KEY = "infill.fim_order"


class EngineError(RuntimeError):
    """An engine could not load or run; the message is meant for the user."""


@dataclass(frozen=True)
class SpecialTokens:
    """Control token ids of a model; -1 where the model has none."""

    bos: int = -1
    eos: int = -1
    eot: int = -1
    fim_prefix: int = -1
    fim_suffix: int = -1
    fim_middle: int = -1
    fim_pad: int = -1
    fim_repo: int = -1
    fim_file_sep: int = -1
    add_bos: bool = False
    fim_order: str = "psm"  # the order the FIM token ids above were trained in

    def stop_ids(self) -> frozenset[int]:
        """Token ids that end a generation."""
        return frozenset(t for t in (self.eos, self.eot, self.fim_pad) if t >= 0)


@dataclass
class GenerationRequest:
    prompt_tokens: list[int]
    max_tokens: int = 64
    stop: list[str] = field(default_factory=list)
    stop_ids: frozenset[int] = frozenset()
    # Called once per generated token; returning True ends generation early.
    should_stop: Callable[[], bool] = lambda: False
    # Called with the text so far after each token; returning True ends generation
    # (used for "stop at end of block" without waiting for max_tokens).
    text_is_complete: Callable[[str], bool] = lambda text: False


@dataclass
class GenerationResult:
    text: str
    prompt_tokens: int
    generated_tokens: int
    stopped_by: str  # "eos", "stop", "max_tokens", "cancelled", "complete"
    prefill_seconds: float = 0.0
    total_seconds: float = 0.0

    @property
    def tokens_per_second(self) -> float:
        decode = self.total_seconds - self.prefill_seconds
        if self.generated_tokens <= 1 or decode <= 0:
            return 0.0
        return (self.generated_tokens - 1) / decode


class Engine(Protocol):
    """A loaded model. Not thread-safe: call it from one worker thread only."""

    name: str
    special: SpecialTokens
    n_ctx: int

    def tokenize(self, text: str) -> list[int]:
        """Token ids of user text; control-token strings stay plain text."""

    def tokenize_control(self, text: str) -> list[int]:
        """Token ids of Infill's own template text, control tokens parsed."""

    def token_id(self, piece: str) -> int:
        """Id of one control token written as text (e.g. "<fim_prefix>"), or -1."""

    def detokenize(self, tokens: list[int], special: bool = False) -> str: ...

    def generate(self, request: GenerationRequest) -> GenerationResult: ...

    def chat_template(self) -> str | None:
        """The model's own chat template (Jinja text) if the GGUF carries one."""

    def close(self) -> None: ...

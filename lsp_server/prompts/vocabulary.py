"""What a prompt builder needs to know of a model's vocabulary: its control token ids.

Kept apart from the engines, so that prompt formats (FIM, chat) are built and tested
against any tokenizer, a loaded model or a stand-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

# GGUF metadata key naming a model's FIM order, "psm" or "spm" (Bavarian et al. 2022). No
# standard key exists; Infill's embedded model sets it (models/train/export_gguf.py), and a
# model without it is taken to be PSM, like every published code model with FIM token ids.
FIM_ORDER_KEY = "infill.fim_order"
# "psm": prefix, suffix, middle; "spm": suffix, then prefix (then middle, if any).
FimOrder = Literal["psm", "spm"]


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
    fim_order: FimOrder = "psm"  # the order the FIM token ids above were trained in

    def stop_ids(self) -> frozenset[int]:
        """Token ids that end a generation."""
        return frozenset(t for t in (self.eos, self.eot, self.fim_pad) if t >= 0)


class Vocabulary(Protocol):
    """A model's tokenizer as prompt builders use it."""

    name: str
    special: SpecialTokens

    def tokenize(self, text: str) -> list[int]:
        """Token ids of user text; control-token strings stay plain text."""
        ...

    def token_id(self, piece: str) -> int:
        """Id of one control token written as text (e.g. "<fim_prefix>"), or -1."""
        ...

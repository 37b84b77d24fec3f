"""The files Infill ships beside its code: the embedded model, the model registry, the
confidence calibration, and the tokenizer vocabularies of the test models.

In a source checkout they live in the repository's `models/` folder; a wheel carries copies
of them in this package (setup.py copies them at build time), read through
importlib.resources, so an installed Infill finds them wherever pip put it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

# The repository's models/ folder, when this package runs from a checkout.
CHECKOUT_MODELS = Path(__file__).resolve().parents[2] / "models"
# What a wheel carries (setup.py's build step copies exactly these from models/).
SHIPPED = ("infill-tiny-code.gguf", "registry.json", "calibration.json")


def data_file(name: str) -> Path:
    """The path of a shipped file: the wheel's copy when installed, else the checkout's."""
    packaged = resources.files(__name__) / name
    if packaged.is_file():
        return Path(str(packaged))
    return CHECKOUT_MODELS / name

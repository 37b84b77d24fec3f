"""Infill's settings: the schema (schema.py), parsing client JSON (parse.py), and the files
generated from the schema (generate.py)."""

from .parse import parse_settings, with_values
from .schema import (
    ENGINE_KINDS,
    FIM_FAMILIES,
    CompletionSettings,
    ContextSettings,
    EngineSettings,
    HoverSettings,
    IndexSettings,
    ModelSettings,
    Settings,
)

__all__ = [
    "ENGINE_KINDS",
    "FIM_FAMILIES",
    "CompletionSettings",
    "ContextSettings",
    "EngineSettings",
    "HoverSettings",
    "IndexSettings",
    "ModelSettings",
    "Settings",
    "parse_settings",
    "with_values",
]

"""Infill's settings: the schema (schema.py), parsing client JSON (parse.py), and the files
generated from the schema (generate.py)."""

from .parse import parse_settings
from .schema import (
    FIM_FAMILIES,
    CompletionSettings,
    ContextSettings,
    EngineSettings,
    ExplainSettings,
    HoverSettings,
    IndexSettings,
    ModelSettings,
    Settings,
)

__all__ = [
    "FIM_FAMILIES",
    "CompletionSettings",
    "ContextSettings",
    "ExplainSettings",
    "EngineSettings",
    "HoverSettings",
    "IndexSettings",
    "ModelSettings",
    "Settings",
    "parse_settings",
]

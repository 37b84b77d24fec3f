"""Check 'settings': the values parse_settings rejected, under the names the user wrote.

Also reads `--settings JSON_OR_FILE` for the command line: the `infill` section as JSON (or an
object holding it under "infill"), inline or in a file. A VS Code settings.json works too: its
flat "infill.model.path" keys are nested into the section.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..settings import Settings
from .check import Check, failed, ok, warning

NAME = "settings"
FLAT_PREFIX = "infill."


class SettingsArgumentError(ValueError):
    """--settings is neither JSON nor a readable file of JSON."""


def _nest_flat_keys(raw: dict[str, Any]) -> dict[str, Any]:
    """{"infill.model.path": X} -> {"infill": {"model": {"path": X}}}, other keys kept."""
    nested: dict[str, Any] = {k: v for k, v in raw.items() if not k.startswith(FLAT_PREFIX)}
    for key, value in raw.items():
        if key.startswith(FLAT_PREFIX):
            *sections, leaf = key.split(".")
            target = nested
            for section in sections:
                child = target.get(section)
                target = target.setdefault(section, {}) if child is None or not isinstance(child, dict) else child
            target[leaf] = value
    return nested


def load_settings_argument(value: str | None) -> Any:
    """The raw settings from --settings (None when it is not given: the defaults)."""
    if value is None:
        return None
    text = value
    if not value.lstrip().startswith("{"):
        try:
            text = Path(value).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            raise SettingsArgumentError(f"--settings: cannot read {value}: {exc.strerror or exc}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsArgumentError(f"--settings: not valid JSON ({exc})") from None
    return _nest_flat_keys(raw) if isinstance(raw, dict) else raw


def check_settings(settings: Settings, errors: list[str]) -> Check:
    if errors:
        names = [error.split(":", 1)[0] for error in errors]
        detail = f"{len(errors)} rejected (their defaults are used): " + " | ".join(errors)
        return failed(NAME, detail, f"correct or remove {'it' if len(errors) == 1 else 'them'}: {', '.join(names)}")
    if settings.engine.kind == "none":
        return warning(NAME, "engine.kind is none: no model, so no completions", "set infill.engine.kind to llama_cpp")
    if not settings.completion.enabled:
        return warning(
            NAME, "completion.enabled is false: no inline completions", "set infill.completion.enabled to true"
        )
    return ok(NAME, "every setting is valid")

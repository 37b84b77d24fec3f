"""Settings from client JSON: each value checked against the schema, bad ones reported.

Clients send settings as initializationOptions and as the "infill" section of
workspace/configuration, with camelCase keys (snake_case is accepted too). Values are
structured by cattrs against the schema's types, with no coercion ("64" is not an int, and
true is not 1); then ranges apply. A value that fails is reported under the name the user
wrote (`infill.completion.maxTokens`) and its default is kept, so a typo never takes the
server down. Unknown keys are ignored: other tools may share the section.
"""

from __future__ import annotations

from typing import Any

import cattrs

from .schema import SettingField, Settings, camel_case, section_types, setting_fields

# Strict structuring: cattrs' default hooks call int()/str()/bool() on anything.
_converter = cattrs.Converter()


def _strict(kind: type, accepts: Any, name: str) -> None:
    def structure(value: Any, _: type) -> Any:
        if not accepts(value):
            raise TypeError(f"{value!r} is not {name}")
        return float(value) if kind is float else value

    _converter.register_structure_hook(kind, structure)


_strict(bool, lambda v: isinstance(v, bool), "true or false")
_strict(int, lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer")
_strict(float, lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "a number")
_strict(str, lambda v: isinstance(v, str), "a string")


def _string_list(value: Any, _: type) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TypeError(f"{value!r} is not a list of strings")
    return list(value)


_converter.register_structure_hook_func(lambda kind: kind == list[str], _string_list)


def _check(spec: SettingField, value: Any) -> Any:
    """The value as the schema's type, or ValueError/TypeError with a message."""
    unset = spec.info.editor_unset
    if unset is not None and type(value) is type(unset) and value == unset:  # false is not 0
        return None
    if isinstance(value, str) and spec.info.editor_unset == "" and not value.strip():
        return None
    if spec.choices and value not in spec.choices:
        raise ValueError(f"{value!r} is not one of {', '.join(spec.choices)}")
    result = _converter.structure(value, spec.type)
    low, high = spec.info.minimum, spec.info.maximum
    if result is not None and isinstance(result, (int, float)) and low is not None and high is not None:
        if not low <= result <= high:
            raise ValueError(f"{value!r} is outside {low:g}..{high:g}")
    return result


def _lookup(raw: dict, name: str) -> tuple[str, Any] | None:
    """The key the user wrote for a field (camelCase or snake_case) and its value."""
    for key in (camel_case(name), name):
        if key in raw:
            return key, raw[key]
    return None


def parse_settings(raw: Any) -> tuple[Settings, list[str]]:
    """Settings from client JSON, plus one message per rejected value.

    Accepts either the section itself or an object with an "infill" key.
    """
    if raw is None:
        return Settings(), []
    if not isinstance(raw, dict):
        return Settings(), [f"Infill settings must be an object, got {type(raw).__name__}; using defaults"]
    if isinstance(raw.get("infill"), dict):
        raw = raw["infill"]
    errors: list[str] = []
    values: dict[str, dict[str, Any]] = {section: {} for section in section_types()}
    sections_seen: dict[str, tuple[str, dict] | None] = {}
    for section in values:
        found = _lookup(raw, section)
        if found is not None and not isinstance(found[1], dict):
            errors.append(f"infill.{found[0]} must be an object; using its defaults")
            found = None
        sections_seen[section] = found
    for spec in setting_fields():
        seen = sections_seen[spec.section]
        if seen is None:
            continue
        section_key, section_values = seen
        found = _lookup(section_values, spec.name)
        if found is None:
            continue
        key, value = found
        try:
            values[spec.section][spec.name] = _check(spec, value)
        except (TypeError, ValueError) as exc:
            errors.append(f"infill.{section_key}.{key}: {exc}; using {_shown(spec.default)}")
    parsed = {name: cls(**values[name]) for name, cls in section_types().items()}
    return Settings(**parsed), errors


def _shown(default: Any) -> str:
    return "the default" if default is None else repr(default)

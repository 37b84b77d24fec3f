"""Files generated from the settings schema: the extension's configuration and the README table.

    python -m lsp_server.settings.generate          rewrite both
    python -m lsp_server.settings.generate --check  exit 1 when either is out of date

tests/settings/test_generated.py runs the check, so the schema, package.json and the README
cannot drift apart.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .schema import EDITOR_ONLY_SETTINGS, SettingField, setting_fields

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_JSON = REPO_ROOT / "client-vscode" / "package.json"
README = REPO_ROOT / "README.md"
TABLE_START = "<!-- settings table: generated from lsp_server/settings/schema.py -->"
TABLE_END = "<!-- end of settings table -->"


def _json_type(spec: SettingField) -> str:
    if spec.choices:
        return "string"
    base = next((t for t in (bool, int, float, str, list) if _is(spec.type, t)), None)
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array"}[base]  # type: ignore[index]


def _is(annotation: Any, kind: type) -> bool:
    """Whether annotation is kind, kind | None, or (for list) a list[...] type."""
    text = str(annotation)
    if annotation is kind:
        return True
    if kind is list:
        return text.startswith("list[")
    return text in (f"{kind.__name__} | None", f"typing.Optional[{kind.__name__}]")


def vscode_property(spec: SettingField) -> dict[str, Any]:
    """The `contributes.configuration` entry of one setting; every one has a Settings UI editor."""
    default = spec.info.editor_unset if spec.default is None else spec.default
    prop: dict[str, Any] = {"type": _json_type(spec), "default": default}
    if prop["type"] == "array":
        prop["items"] = {"type": "string"}
    if spec.choices:
        prop["enum"] = list(spec.choices)
        if spec.info.choice_descriptions:
            prop["enumDescriptions"] = list(spec.info.choice_descriptions)
    if spec.info.minimum is not None:
        unset = spec.info.editor_unset if spec.default is None else None
        prop["minimum"] = min(spec.info.minimum, unset) if isinstance(unset, (int, float)) else spec.info.minimum
    if spec.info.maximum is not None:
        prop["maximum"] = spec.info.maximum
    prop["markdownDescription"] = spec.info.description
    return prop


def vscode_configuration() -> dict[str, Any]:
    properties = {f"infill.{spec.key}": vscode_property(spec) for spec in setting_fields()}
    properties.update(EDITOR_ONLY_SETTINGS)
    return {"title": "Infill", "properties": properties}


def readme_table() -> str:
    rows = ["| setting | default | meaning |", "|---|---|---|"]
    for spec in setting_fields():
        if spec.info.default_text is not None:
            default = spec.info.default_text
        elif isinstance(spec.default, bool):
            default = str(spec.default).lower()
        elif spec.default == []:
            default = "[]"
        else:
            default = f"`{spec.default}`" if isinstance(spec.default, str) else str(spec.default)
        meaning = spec.info.description.replace("|", "\\|")
        if spec.choices:
            meaning += " One of " + ", ".join(f"`{c}`" for c in spec.choices) + "."
        if spec.info.minimum is not None and spec.info.maximum is not None:
            meaning += f" Range {spec.info.minimum:g}..{spec.info.maximum:g}."
        rows.append(f"| `{spec.key}` | {default} | {meaning} |")
    return "\n".join(rows)


def package_json_text(current: str) -> str:
    package = json.loads(current)
    package["contributes"]["configuration"] = vscode_configuration()
    return json.dumps(package, indent=2, ensure_ascii=False) + "\n"


def readme_text(current: str) -> str:
    head, start, rest = current.partition(TABLE_START)
    _, end, tail = rest.partition(TABLE_END)
    if not start or not end:
        raise ValueError(f"README.md lacks the markers {TABLE_START!r} ... {TABLE_END!r}")
    return f"{head}{TABLE_START}\n{readme_table()}\n{TABLE_END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail when a generated file is out of date")
    args = parser.parse_args(argv)
    stale = []
    for path, render in ((PACKAGE_JSON, package_json_text), (README, readme_text)):
        current = path.read_text(encoding="utf-8")
        wanted = render(current)
        if current != wanted:
            stale.append(path)
            if not args.check:
                path.write_text(wanted, encoding="utf-8")
    if args.check and stale:
        names = ", ".join(str(p.relative_to(REPO_ROOT)) for p in stale)
        print(f"out of date: {names}; run python -m lsp_server.settings.generate", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

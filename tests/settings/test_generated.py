"""The files generated from the settings schema match it: package.json and the README table."""

from __future__ import annotations

import json

from lsp_server.settings import generate
from lsp_server.settings.schema import setting_fields


def test_package_json_and_readme_are_up_to_date():
    """Fails when the schema changed and `python -m lsp_server.settings.generate` was not run."""
    assert generate.main(["--check"]) == 0


def test_every_server_setting_has_a_settings_ui_editor():
    """No `null` types: VS Code's Settings UI shows only "Edit in settings.json" for those."""
    properties = json.loads(generate.PACKAGE_JSON.read_text())["contributes"]["configuration"]["properties"]
    for spec in setting_fields():
        prop = properties[f"infill.{spec.key}"]
        assert isinstance(prop["type"], str) and prop["type"] != "null", spec.key
        assert prop["default"] is not None, spec.key
        if "minimum" in prop and isinstance(prop["default"], (int, float)):
            assert prop["minimum"] <= prop["default"] <= prop.get("maximum", float("inf")), spec.key
    for key, prop in properties.items():
        assert isinstance(prop["type"], str), key


def test_editor_defaults_parse_to_the_server_defaults():
    """What VS Code sends when the user changed nothing is exactly the server's defaults."""
    from lsp_server.settings import Settings, parse_settings

    properties = json.loads(generate.PACKAGE_JSON.read_text())["contributes"]["configuration"]["properties"]
    raw: dict = {}
    for key, prop in properties.items():
        parts = key.split(".")[1:]
        node = raw
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = prop["default"]
    settings, errors = parse_settings(raw)
    assert errors == [] and settings == Settings()


def test_the_readme_table_lists_every_setting():
    table = generate.readme_table()
    for spec in setting_fields():
        assert f"| `{spec.key}` |" in table

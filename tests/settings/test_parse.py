from lsp_server.settings import Settings, parse_settings


def test_defaults():
    settings, errors = parse_settings(None)
    assert settings == Settings() and errors == []


def test_camel_case_and_nested_section():
    settings, errors = parse_settings(
        {"infill": {"model": {"path": "/m.gguf", "nGpuLayers": 0, "nCtx": 2048}, "completion": {"maxTokens": 32}}}
    )
    assert errors == []
    assert settings.model.path == "/m.gguf"
    assert settings.model.n_gpu_layers == 0
    assert settings.model.n_ctx == 2048
    assert settings.completion.max_tokens == 32


def test_invalid_values_keep_defaults_and_say_why():
    settings, errors = parse_settings(
        {"model": {"nCtx": "big", "fimFamily": "gpt9"}, "completion": {"maxTokens": 0, "enabled": "yes"}, "engine": 3}
    )
    assert settings == Settings()
    text = " ".join(errors)
    # Each under the name the user wrote.
    assert "infill.model.nCtx" in text and "infill.model.fimFamily" in text
    assert "infill.completion.maxTokens" in text and "infill.completion.enabled" in text
    assert "engine must be an object" in text


def test_not_an_object():
    settings, errors = parse_settings(["x"])
    assert settings == Settings() and "must be an object" in errors[0]


def test_unknown_keys_are_ignored():
    settings, errors = parse_settings({"somethingElse": 1, "model": {"colour": "red"}})
    assert errors == [] and settings == Settings()


def test_context_budget_in_tokens_or_as_a_share():
    from lsp_server.completion.service import context_share

    settings, errors = parse_settings({"context": {"budgetTokens": 256}})
    assert not errors and context_share(1536, settings.context) == 256
    assert context_share(400, settings.context) == 256
    assert context_share(300, settings.context) == 240  # the local window keeps a fifth
    assert context_share(1000, parse_settings({})[0].context) == 350
    assert context_share(1000, parse_settings({"context": {"budgetTokens": 0}})[0].context) == 0
    _, errors = parse_settings({"context": {"budgetTokens": -5}})
    assert errors and "infill.context.budgetTokens" in errors[0]


def test_snake_case_keys_are_reported_as_written():
    settings, errors = parse_settings({"completion": {"max_tokens": 8, "prompt_budget_tokens": "x"}})
    assert settings.completion.max_tokens == 8
    assert errors == ["infill.completion.prompt_budget_tokens: 'x' is not an integer; using 1536"]


def test_no_coercion_between_types():
    settings, errors = parse_settings(
        {"completion": {"maxTokens": "64", "enabled": 1, "disabledLanguages": "markdown", "suffixFraction": True}}
    )
    assert settings == Settings() and len(errors) == 4
    assert any("disabledLanguages: 'markdown' is not a list of strings" in e for e in errors)


def test_integers_are_accepted_where_numbers_are_wanted():
    settings, errors = parse_settings({"context": {"timeBudgetMs": 20}})
    assert not errors and settings.context.time_budget_ms == 20.0


def test_editor_stand_ins_for_unset_values():
    """VS Code's Settings UI cannot edit null: "" and an out-of-range number mean unset there."""
    settings, errors = parse_settings(
        {
            "model": {"path": "", "nGpuLayers": -2, "nThreads": 0},
            "engine": {"url": "  "},
            "context": {"budgetTokens": -1},
        }
    )
    assert errors == []
    assert settings.model.path is None and settings.model.n_gpu_layers is None and settings.model.n_threads is None
    assert settings.engine.url is None and settings.context.budget_tokens is None
    explicit, errors = parse_settings({"model": {"nGpuLayers": -1, "nThreads": 4}})
    assert errors == [] and explicit.model.n_gpu_layers == -1 and explicit.model.n_threads == 4


def test_ranges_and_choices_come_from_the_schema():
    from lsp_server.settings.schema import setting_fields

    for spec in setting_fields():
        if spec.info.maximum is not None:
            _, errors = parse_settings({spec.section: {spec.key.split(".")[1]: spec.info.maximum * 2 + 1}})
            assert errors and spec.key in errors[0] and "outside" in errors[0], spec.key
        if spec.choices:
            _, errors = parse_settings({spec.section: {spec.key.split(".")[1]: "no-such-choice"}})
            assert errors and "is not one of" in errors[0], spec.key


def test_settings_are_immutable_values():
    import dataclasses

    import pytest

    settings = Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.completion.max_tokens = 3  # type: ignore[misc]
    assert parse_settings({})[0] == Settings()


def test_a_boolean_is_not_taken_for_the_editor_stand_in():
    """`false` equals 0 in Python; for model.nThreads (0 stands for unset) it is still no integer."""
    settings, errors = parse_settings({"model": {"nThreads": False}})
    assert settings.model.n_threads is None and errors == [
        "infill.model.nThreads: False is not an integer; using the default"
    ]

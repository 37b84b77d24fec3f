from lsp_server.config import Settings, parse_settings


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
    assert "n_ctx" in text and "fim_family" in text and "max_tokens" in text and "enabled" in text
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
    _, errors = parse_settings({"context": {"budgetTokens": -1}})
    assert errors and "context.budget_tokens" in errors[0]

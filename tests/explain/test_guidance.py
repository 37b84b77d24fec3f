"""What Explain answers when no model can explain (explain/guidance.py)."""

from __future__ import annotations

from lsp_server.engine.explain_host import ExplainChoice
from lsp_server.explain.guidance import no_model_markdown
from lsp_server.explain.sanitize import sanitize_markdown


def test_the_guidance_says_why_and_how_to_get_a_chat_model():
    for reason, why in (
        ("embedded", "Infill's small embedded model"),
        ("no_chat_template", "`base-model` has no chat template"),
        ("disabled", "`infill.engine.kind` is `none`"),
    ):
        text = no_model_markdown(ExplainChoice("none", reason=reason, model_name="base-model"))  # type: ignore[arg-type]
        assert text.startswith("**No chat model is configured for Explain.**") and why in text
        assert "```sh\ninfill models pull qwen2.5-coder-1.5b-instruct\n```" in text
        assert '`infill.explain.model` to `"qwen2.5-coder-1.5b-instruct"`' in text
        assert "qwen2.5-coder-7b-instruct" in text
        assert sanitize_markdown(text) == text  # fit for the page as it is


def test_the_recommended_models_are_in_the_registry(monkeypatch):
    monkeypatch.delenv("INFILL_REGISTRY", raising=False)
    from lsp_server.explain.guidance import RECOMMENDED, RECOMMENDED_LARGE
    from lsp_server.modelfiles.registry import load_registry

    entries = load_registry()
    assert entries[RECOMMENDED].role == entries[RECOMMENDED_LARGE].role == "explain"

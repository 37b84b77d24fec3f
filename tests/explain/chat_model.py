"""A chat (explain) model for the explain tests: the random-weight test model with a ChatML
chat template, as instruct models carry. It is wider than the completion test model so that
an explanation (384 tokens) takes a few seconds: long enough to ask for a completion while
it is being written.

Import the fixture where it is used: `from chat_model import chat_model_fixture`."""

from __future__ import annotations

from pathlib import Path

import pytest
from build_test_model import CHATML_TEMPLATE, build_test_model


@pytest.fixture(scope="session", name="chat_model")
def chat_model_fixture(tmp_path_factory) -> Path:
    return build_test_model(
        tmp_path_factory.mktemp("chat-model") / "infill-test-chat.gguf",
        embd=512,
        layers=2,
        ffn=512,
        chat_template=CHATML_TEMPLATE,
        name="infill-test-chat",
    )

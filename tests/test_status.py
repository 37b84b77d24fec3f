"""The status line: one state composed from the engine's and the index's (lsp_server/status.py),
and, end to end, a start that goes loading -> (indexing) -> ready without flipping back."""

from __future__ import annotations

import pytest
from conftest import lsp_session

from lsp_server.engine.host import EMBEDDED_MODEL, EngineState
from lsp_server.settings import parse_settings
from lsp_server.status import IndexStatus, Status, compose_status, model_label

READY = EngineState("ready", "tiny ready (starcoder FIM; CPU only)")
CAPPED = IndexStatus("done", message="Indexed 100 files (the index.maxFiles limit); 30 more not indexed", notable=True)


@pytest.mark.parametrize(
    ("engine", "index", "expected"),
    [
        # Before the model loads: "loading", even while the index is already being built.
        (EngineState("idle"), IndexStatus(), Status("loading", "starting")),
        (EngineState("idle"), IndexStatus("running", 3, 10), Status("loading", "starting")),
        (EngineState("loading", "loading m.gguf"), IndexStatus("running", 3, 10), Status("loading", "loading m.gguf")),
        # The model is ready: "indexing" with the progress first, "ready" once the index is built.
        (READY, IndexStatus("running", 120, 1800), Status("indexing", f"indexing 120/1800 files; {READY.message}")),
        (READY, IndexStatus("running"), Status("indexing", f"indexing the workspace; {READY.message}")),
        (READY, IndexStatus("done", message="Indexed 3 files, 9 symbols"), Status("ready", READY.message)),
        (READY, IndexStatus(), Status("ready", READY.message)),
        # A partial or failed index stays visible behind the engine's message.
        (READY, CAPPED, Status("ready", f"{READY.message}; {CAPPED.message}")),
        (
            READY,
            IndexStatus("failed", message="Indexing failed: disk", notable=True),
            Status("ready", f"{READY.message}; Indexing failed: disk"),
        ),
        # The engine's error wins over everything the index says.
        (EngineState("error", "model not found"), IndexStatus("running", 1, 2), Status("error", "model not found")),
        (EngineState("error", "model not found"), CAPPED, Status("error", f"model not found; {CAPPED.message}")),
        # No model at all: the index's own words.
        (
            EngineState("disabled", "completions disabled"),
            CAPPED,
            Status("disabled", f"completions disabled; {CAPPED.message}"),
        ),
        (
            EngineState("disabled", ""),
            IndexStatus("done", message="Indexed 3 files, 9 symbols"),
            Status("disabled", "Indexed 3 files, 9 symbols"),
        ),
    ],
)
def test_the_status_is_composed_from_the_engine_and_the_index(engine, index, expected):
    assert compose_status(engine, index) == expected


def label(raw: dict) -> tuple[str, bool]:
    settings, errors = parse_settings(raw)
    assert not errors
    return model_label(settings)


def test_the_model_is_named_as_the_user_knows_it(tmp_path):
    model = tmp_path / "Qwen2.5-Coder-1.5B.Q4_K_M.gguf"
    model.write_bytes(b"GGUF")
    assert label({}) == (EMBEDDED_MODEL.stem, True)
    assert label({"model": {"path": str(EMBEDDED_MODEL)}}) == (EMBEDDED_MODEL.stem, True)
    assert label({"model": {"path": "qwen2.5-coder-1.5b"}}) == ("qwen2.5-coder-1.5b", False)
    assert label({"model": {"path": str(model)}}) == ("Qwen2.5-Coder-1.5B.Q4_K_M", False)
    assert label({"model": {"path": "Qwen/Qwen2.5-Coder-1.5B-GGUF/q4"}}) == ("Qwen/Qwen2.5-Coder-1.5B-GGUF/q4", False)
    assert label({"engine": {"kind": "remote", "url": "http://gpu:8080", "model": "coder"}}) == ("coder", False)
    assert label({"engine": {"kind": "none"}}) == ("", False)


async def test_a_start_goes_from_loading_to_ready_without_flipping_back(test_model, tmp_path):
    for number in range(60):
        (tmp_path / f"module_{number:02}.py").write_text(f"def function_{number:02}():\n    return {number}\n")
    async with lsp_session({"model": {"path": str(test_model)}}, tmp_path) as s:
        states = [status["state"] for status in s.statuses]
    assert states[0] == "loading", s.statuses
    assert states[-1] == "ready", s.statuses
    order = {"loading": 0, "indexing": 1, "ready": 2}
    ranks = [order[state] for state in states]
    assert ranks == sorted(ranks), f"the status went back: {s.statuses}"

"""Check 'remote server' (engine.kind "remote"): the server at engine.url answers, and which API.

Connects as the engine does when the server starts (engine/remote.py RemoteEngine.connect):
/v1/models for the model list, llama.cpp server's /props for its context size, and the
completion endpoint that follows (/v1/completions, or /infill on a llama.cpp server).
"""

from __future__ import annotations

from ..engine.base import EngineError
from ..engine.remote import LLAMA_SERVER, RemoteEngine
from ..modelfiles.registry import resolve_model_setting
from ..settings import Settings
from .check import Check, failed, ok, skipped

NAME = "remote server"


def check_remote(settings: Settings) -> Check:
    e = settings.engine
    if e.kind != "remote":
        return skipped(NAME, f"engine.kind is {e.kind}")
    try:
        engine = RemoteEngine.connect(
            settings, vocab_path=resolve_model_setting(settings.model.path, settings.model.search_paths)
        )
    except EngineError as exc:
        if not e.url:
            fix = "set infill.engine.url to the server's address, e.g. http://127.0.0.1:8080"
        elif "apiKeyEnv" in str(exc):
            fix = f"export {e.api_key_env} with the server's API key before starting the editor"
        else:
            fix = f"check infill.engine.url ({e.url}), and start the server there (e.g. llama-server --port PORT)"
        return failed(NAME, str(exc), fix)
    try:
        spoken = "/v1/models, /props (llama.cpp server)" if engine.server_kind == LLAMA_SERVER else "/v1/models"
        endpoint = "/infill" if engine.api == "infill" else "/v1/completions"
        return ok(
            NAME,
            f"{engine.client.base_url} answers {spoken}: {engine.server_kind}, model {engine.model_id}, "
            f"n_ctx {engine.n_ctx}; completions through {endpoint}",
        )
    finally:
        engine.close()

"""Run every doctor check, in the order a setup is built: settings, llama.cpp, the model, its
FIM tokens, the GPU plan, the remote server, a real completion, the workspace index.

The blocking checks (file reads, a vocabulary load, HTTP, a folder walk) run in a thread, so
that in the server the protocol loop keeps answering; in the server, those that load a
vocabulary run on the model thread, and so does the self-test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from ..engine.host import EngineHost
from ..settings import Settings
from .build import check_llama_cpp
from .check import Check, skipped
from .fim_tokens import check_fim_tokens
from .index_state import check_index
from .model_file import inspect_model_file
from .onnx_model import check_onnx_model
from .remote import check_remote
from .selftest import NAME as SELF_TEST
from .selftest import self_test_loading, self_test_with_host
from .user_settings import check_settings
from .vram import check_vram


async def run_checks(
    settings: Settings, errors: list[str], roots: list[Path], host: EngineHost | None = None
) -> list[Check]:
    """The checks for settings (and the errors parse_settings gave for them) and the workspace
    roots. With `host` (the server's engine host) the self-test runs on its loaded model;
    without, the model is loaded here for the self-test and unloaded after it."""

    async def with_llama_cpp(check: Callable[[], Check]) -> Check:
        # Checks that load a vocabulary run on the server's model thread: llama-cpp-python swaps
        # sys.stderr while it loads a model, which two threads must never do at once.
        if host is None:
            return await asyncio.to_thread(check)
        return await host.worker.run(None, lambda flag: check())

    checks = [check_settings(settings, errors), await asyncio.to_thread(check_llama_cpp)]
    remote = await with_llama_cpp(lambda: check_remote(settings))
    if settings.engine.kind == "onnx":  # a model folder, not a GGUF file
        model_check, fim, vram = await asyncio.to_thread(check_onnx_model, settings)
    else:
        model = await asyncio.to_thread(inspect_model_file, settings)
        model_check = model.check
        fim = await with_llama_cpp(lambda: check_fim_tokens(settings, model))
        vram = await asyncio.to_thread(check_vram, settings, model)
    checks += [model_check, fim, vram, remote]
    if settings.engine.kind == "none":
        checks.append(skipped(SELF_TEST, "engine.kind is none: no model"))
    elif "failed" in (model_check.verdict, fim.verdict, remote.verdict):
        checks.append(skipped(SELF_TEST, "needs a model that loads (see the failed check above)"))
    elif host is not None:
        checks.append(await self_test_with_host(host, settings))
    else:
        checks.append(await self_test_loading(settings))
    checks.append(await asyncio.to_thread(check_index, settings, roots))
    return checks


def any_failed(checks: list[Check]) -> bool:
    return any(check.verdict == "failed" for check in checks)

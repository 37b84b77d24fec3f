"""End to end over LSP: infill/models lists what can be picked, infill/pullModel downloads a
registry model from a loopback file server with work-done progress, a cancel keeps the .part
and the next pull resumes it with a Range request, and a failed pull is a clear error after
which the server keeps serving.

The registry is a test file (INFILL_REGISTRY) and pulled models go to a temp folder
(INFILL_MODELS_DIR); the server inherits both from the test's environment.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import sys
import threading
from pathlib import Path

import pytest
from conftest import lsp_session
from lsprotocol import types
from pygls.exceptions import JsonRpcException

# The loopback file servers of the `infill models` tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "modelfiles"))
from file_server import serve_files
from slow_file_server import serve_files_slowly

from lsp_server.engine.host import EMBEDDED_MODEL
from lsp_server.modelchoice.pull import PullCancelled, PullProgressBar, progress_text

REQUEST_CANCELLED = -32800
REQUEST_FAILED = -32803
INVALID_PARAMS = -32602


def entry(url: str, payload: bytes, **overrides) -> dict:
    item = {
        "url": url,
        "filename": "model.gguf",
        "sha256": hashlib.sha256(payload).hexdigest(),
        "fim_family": "starcoder",
        "context_length": 4096,
        "size_bytes": len(payload),
        "vram_mb": 100,
        "source": "test",
        "description": "a test model",
    }
    item.update(overrides)
    return item


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """write(models) writes the registry the server reads; returns the models folder."""
    path = tmp_path / "registry.json"
    models = tmp_path / "pulled"
    monkeypatch.setenv("INFILL_REGISTRY", str(path))
    monkeypatch.setenv("INFILL_MODELS_DIR", str(models))

    def write(models_json: dict) -> None:
        path.write_text(json.dumps({"models": models_json}))

    return write, models


async def request(session, method: str, params: object, timeout: float = 60):
    result = await asyncio.wait_for(session.client.protocol.send_request_async(method, params), timeout)
    return as_dict(result)


def as_dict(value):
    """pygls hands untyped results over as named tuples: plain dicts and lists, recursively."""
    if hasattr(value, "_asdict"):
        return {key: as_dict(item) for key, item in value._asdict().items()}
    if isinstance(value, list):
        return [as_dict(item) for item in value]
    return value


def progress_of(session, token: str) -> list:
    return session.client.progress_reports.get(token, [])


async def test_models_lists_embedded_registry_and_found_models(registry, test_model, tmp_path):
    write, models = registry
    payload = test_model.read_bytes()
    write(
        {
            "small-coder": entry("http://127.0.0.1:9/small.gguf", payload),
            "huge-coder": entry("http://127.0.0.1:9/huge.gguf", b"", size_bytes=None, size_mb=40000, vram_mb=60000),
            "small-chat": entry("http://127.0.0.1:9/chat.gguf", b"", role="explain", fim_family=None, vram_mb=900),
        }
    )
    (models / "small-coder").mkdir(parents=True)
    shutil.copy(test_model, models / "small-coder" / "model.gguf")  # pulled already
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    shutil.copy(test_model, shelf / "house-coder.gguf")
    options = {"model": {"searchPaths": [str(shelf)], "vramBudgetMb": 4096}, "explain": {"model": "small-chat"}}
    async with lsp_session(options, tmp_path) as s:
        result = await request(s, "infill/models", None)

    assert result["modelPath"] == "" and result["explainModel"] == "small-chat"
    assert result["vramBudgetMb"] == 4096 and result["modelsDir"] == str(models) and result["errors"] == []
    embedded = result["embedded"]
    assert embedded["name"] == EMBEDDED_MODEL.stem and embedded["inUse"] == "completion"
    assert embedded["sizeBytes"] == EMBEDDED_MODEL.stat().st_size

    by_name = {item["name"]: item for item in result["registry"]}
    small, huge, chat = by_name["small-coder"], by_name["huge-coder"], by_name["small-chat"]
    assert (small["pulled"], small["sizeBytes"], small["fits"], small["role"]) == (
        True,
        len(payload),
        True,
        "completion",
    )
    assert small["inUse"] is None and small["path"] == str(models / "small-coder" / "model.gguf")
    assert (huge["pulled"], huge["sizeBytes"], huge["sizeApproximate"], huge["fits"]) == (
        False,
        40_000_000_000,
        True,
        False,
    )
    assert (chat["role"], chat["fits"], chat["inUse"], chat["partialBytes"]) == ("explain", True, "explain", None)

    found = [item for item in result["found"] if item["path"] == str((shelf / "house-coder.gguf").resolve())]
    assert len(found) == 1, result["found"]
    house = found[0]
    assert (house["name"], house["kind"], house["sizeBytes"], house["fits"]) == (
        "house-coder",
        "completion",
        len(payload),
        True,
    )
    assert house["gpuMb"] > 0 and house["source"] == "folder" and house["inUse"] is None

    # Named by model.path: the found model is in use, the embedded one is not.
    async with lsp_session({**options, "model": {**options["model"], "path": "house-coder"}}, tmp_path) as s:
        result = await request(s, "infill/models", None)
    assert result["embedded"]["inUse"] is None
    assert [item["inUse"] for item in result["found"] if item["name"] == "house-coder"] == ["completion"]


async def test_pull_reports_progress_and_the_model_loads_by_its_name(registry, test_model, tmp_path):
    write, models = registry
    payload = test_model.read_bytes()
    with serve_files() as (server, url):
        server.files["/tiny.gguf"] = payload
        write({"tiny-coder": entry(f"{url}/tiny.gguf", payload)})
        async with lsp_session({"engine": {"kind": "none"}}, tmp_path) as s:
            s.client.progress_reports["pull-1"] = []  # the client's own token, as VS Code sends one
            result = await request(s, "infill/pullModel", {"name": "tiny-coder", "workDoneToken": "pull-1"})
            again = await request(s, "infill/pullModel", {"name": "tiny-coder"})

            # Choosing it is the editor's part: the setting changes and the server loads it.
            raw_statuses: list = []
            s.on_status = lambda params: raw_statuses.append(as_dict(params))
            s.client.workspace_did_change_configuration(
                types.DidChangeConfigurationParams(
                    settings={"infill": {"engine": {"kind": "llama_cpp"}, "model": {"path": "tiny-coder"}}}
                )
            )

            async def ready() -> dict:
                while not any(status["state"] == "ready" for status in raw_statuses):
                    await asyncio.sleep(0.05)
                return next(status for status in raw_statuses if status["state"] == "ready")

            status = await asyncio.wait_for(ready(), 60)

    dest = models / "tiny-coder" / "model.gguf"
    assert result == {
        "name": "tiny-coder",
        "path": str(dest),
        "sizeBytes": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
        "resumedFrom": 0,
        "alreadyPulled": False,
    }
    assert dest.read_bytes() == payload
    assert (models / "tiny-coder" / "model.gguf.sha256").read_text().strip() == result["sha256"]
    assert again["alreadyPulled"] is True and again["path"] == str(dest)

    reports = progress_of(s, "pull-1")
    kinds = [type(report).__name__ for report in reports]
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd", kinds
    assert reports[0].cancellable is True and reports[0].message == "Downloading tiny-coder"
    middle = [report for report in reports if isinstance(report, types.WorkDoneProgressReport)]
    total_mb = f"{len(payload) / 1e6:.1f}"
    assert middle[0].message == f"0.0 of {total_mb} MB" and middle[0].percentage == 0
    assert middle[-1].message == f"{total_mb} of {total_mb} MB" and middle[-1].percentage == 100
    assert reports[-1].message == "Downloaded tiny-coder"

    assert status["model"] == "tiny-coder" and status["embedded"] is False, status


async def test_a_cancelled_pull_keeps_its_part_and_the_next_pull_resumes(registry, tmp_path):
    write, models = registry
    payload = b"GGUF" + bytes(range(256)) * (24 << 12)  # about 24 MB
    with serve_files_slowly() as (server, url):
        server.files["/big.gguf"] = payload
        server.bytes_per_second = 4 << 20  # about 6 s for the whole file
        write({"big-coder": entry(f"{url}/big.gguf", payload)})
        async with lsp_session({"engine": {"kind": "none"}}, tmp_path) as s:
            s.client.progress_reports["pull-1"] = []
            pull = asyncio.ensure_future(
                request(s, "infill/pullModel", {"name": "big-coder", "workDoneToken": "pull-1"})
            )
            part = models / "big-coder" / "model.gguf.part"

            async def some_bytes_arrived() -> None:
                while not (part.exists() and part.stat().st_size >= 2 << 20):
                    await asyncio.sleep(0.05)

            await asyncio.wait_for(some_bytes_arrived(), 30)
            s.client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token="pull-1"))
            with pytest.raises(JsonRpcException) as cancelled:
                await pull
            assert cancelled.value.code == REQUEST_CANCELLED, cancelled.value
            assert "resumes where it stopped" in cancelled.value.message
            kept = part.stat().st_size
            assert 0 < kept < len(payload)
            assert not (models / "big-coder" / "model.gguf").exists()
            assert progress_of(s, "pull-1")[-1].message == "Cancelled; pick the model again to resume"

            server.bytes_per_second = None
            result = await request(s, "infill/pullModel", {"name": "big-coder"})

    assert result["resumedFrom"] == kept and result["sizeBytes"] == len(payload)
    assert server.requests[-1]["range"] == f"bytes={kept}-"
    assert server.requests[-1]["if-range"] == server.etag("/big.gguf")
    assert (models / "big-coder" / "model.gguf").read_bytes() == payload
    assert not part.exists()


async def test_a_failed_pull_is_a_clear_error_and_the_server_keeps_serving(registry, tmp_path):
    write, models = registry
    with serve_files() as (_server, url):
        write({"gone-coder": entry(f"{url}/gone.gguf", b"GGUF")})
        async with lsp_session({"engine": {"kind": "none"}}, tmp_path) as s:
            with pytest.raises(JsonRpcException) as failed:
                await request(s, "infill/pullModel", {"name": "gone-coder"})
            assert failed.value.code == REQUEST_FAILED
            assert (
                failed.value.message
                == f"cannot download gone-coder: download failed: HTTP 404 Not Found for {url}/gone.gguf"
            )

            with pytest.raises(JsonRpcException) as unknown:
                await request(s, "infill/pullModel", {"name": "no-such-model"})
            assert (
                unknown.value.code == INVALID_PARAMS
                and "no model 'no-such-model' in the registry" in unknown.value.message
            )
            with pytest.raises(JsonRpcException) as no_name:
                await request(s, "infill/pullModel", {})
            assert no_name.value.code == INVALID_PARAMS

            listing = await request(s, "infill/models", None)  # still serving
            assert [item["name"] for item in listing["registry"]] == ["gone-coder"]
    assert not (models / "gone-coder").exists()  # no empty folder left behind


def test_progress_text_and_the_progress_bar_stop():
    assert progress_text(3_200_000, 14_500_000) == ("3.2 of 14.5 MB", 22)
    assert progress_text(400_000_000, 986_000_000) == ("400 of 986 MB", 40)
    assert progress_text(5_000_000, None) == ("5.0 MB", None)

    reports: list[tuple[int, int | None]] = []
    now = [0.0]
    stop = threading.Event()
    bar = PullProgressBar(10_000, 1_000, lambda done, total: reports.append((done, total)), stop, clock=lambda: now[0])
    bar.update(1_000)  # too soon after the first report: not sent
    now[0] = 1.0
    bar.update(1_000)
    bar.update(7_000)  # the whole file: always sent
    assert reports == [(1_000, 10_000), (3_000, 10_000), (10_000, 10_000)]
    stop.set()
    with pytest.raises(PullCancelled):
        bar.update(1)

"""`infill models list | pull | verify | rm` against a file server on loopback.

The registry is a test file (INFILL_REGISTRY) and models go to a temp folder
(INFILL_MODELS_DIR); nothing touches the network or the user's cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import namedtuple

import pytest
from file_server import serve_files

from lsp_server.cli import main
from lsp_server.engine.host import EngineHost
from lsp_server.engine.worker import ModelWorker
from lsp_server.modelfiles import download as download_module
from lsp_server.settings import parse_settings

PAYLOAD = b"GGUF" + bytes(range(256)) * 4000  # ~1 MB, starts like a GGUF file
SHA = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture
def server():
    with serve_files() as (state, url):
        state.files["/tiny.gguf"] = PAYLOAD
        yield state, url


@pytest.fixture
def registry(tmp_path, monkeypatch, server):
    """Writes a registry with the given entries; returns (write, models folder)."""
    state, url = server
    models = tmp_path / "models"
    monkeypatch.setenv("INFILL_MODELS_DIR", str(models))
    path = tmp_path / "registry.json"
    monkeypatch.setenv("INFILL_REGISTRY", str(path))

    def write(**overrides) -> None:
        entry = {
            "url": f"{url}/tiny.gguf",
            "filename": "tiny.gguf",
            "sha256": SHA,
            "fim_family": "starcoder",
            "context_length": 4096,
            "size_mb": 1,
            "vram_mb": 100,
            "source": "test",
        }
        entry.update(overrides)
        path.write_text(json.dumps({"models": {"tiny": entry}}))

    write()
    return write, models


def run(capsys, *args) -> tuple[int, str, str]:
    code = main(["models", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_pull_list_verify_rm(registry, capsys):
    _, models = registry
    code, out, err = run(capsys, "pull", "tiny")
    assert code == 0, err
    path = models / "tiny" / "tiny.gguf"
    assert path.read_bytes() == PAYLOAD
    assert "sha256 matches the registry" in out
    assert not list(models.rglob("*.part*"))  # renamed into place, no leftovers
    assert run(capsys, "list")[1].splitlines()[1].split() == [
        "tiny",
        "completion",
        "0.0",
        "GB",
        "starcoder",
        "4096",
        "~0.1",
        "GB",
        "pulled",
        "test",
    ]
    code, out, _ = run(capsys, "verify")
    assert code == 0 and "tiny: ok (sha256 matches the registry)" in out
    assert run(capsys, "pull", "tiny")[1].startswith("tiny is already pulled")
    code, out, _ = run(capsys, "rm", "tiny")
    assert code == 0 and not path.exists()
    assert run(capsys, "rm", "tiny")[0] == 1


def test_an_interrupted_download_resumes_with_a_range_request(registry, server, capsys):
    state, _ = server
    _, models = registry
    state.cut_after = 300_000
    code, _, err = run(capsys, "pull", "tiny")
    assert code == 1
    assert err.count("\n") == 1 and "run the same command again to resume" in err
    part = models / "tiny" / "tiny.gguf.part"
    assert part.stat().st_size == 300_000
    assert run(capsys, "list")[1].splitlines()[1].split()[-2] == "partial"

    code, out, err = run(capsys, "pull", "tiny")
    assert code == 0, err
    assert state.requests[-1]["range"] == "bytes=300000-"
    assert state.requests[-1]["if-range"] == state.etag("/tiny.gguf")
    assert (models / "tiny" / "tiny.gguf").read_bytes() == PAYLOAD


def test_a_file_changed_upstream_restarts_instead_of_splicing(registry, server, capsys):
    state, _ = server
    write, models = registry
    state.cut_after = 300_000
    run(capsys, "pull", "tiny")
    changed = b"GGUF" + b"x" * 500_000
    state.files["/tiny.gguf"] = changed  # new ETag: If-Range no longer matches
    write(sha256=hashlib.sha256(changed).hexdigest())
    code, _, err = run(capsys, "pull", "tiny")
    assert code == 0, err
    assert (models / "tiny" / "tiny.gguf").read_bytes() == changed


def test_a_complete_part_file_is_finished_without_downloading_again(registry, server, capsys):
    state, _ = server
    _, models = registry
    (models / "tiny").mkdir(parents=True)
    (models / "tiny" / "tiny.gguf.part").write_bytes(PAYLOAD)
    code, _, err = run(capsys, "pull", "tiny")
    assert code == 0, err
    assert state.requests[-1]["range"] == f"bytes={len(PAYLOAD)}-"  # answered 416, nothing sent
    assert (models / "tiny" / "tiny.gguf").read_bytes() == PAYLOAD


def test_checksum_mismatch_deletes_the_download(registry, capsys):
    write, models = registry
    write(sha256="0" * 64)
    code, _, err = run(capsys, "pull", "tiny")
    assert code == 1
    assert err.startswith("infill models: checksum mismatch for tiny.gguf: expected 000") and err.count("\n") == 1
    assert not (models / "tiny").exists()  # no file, and no empty folder


def test_http_404_is_one_clear_line(registry, server, capsys):
    write, _ = registry
    write(url=server[1] + "/missing.gguf")
    code, _, err = run(capsys, "pull", "tiny")
    assert code == 1 and "HTTP 404" in err and err.count("\n") == 1


def test_no_network_is_one_clear_line(registry, capsys):
    write, _ = registry
    write(url="http://127.0.0.1:9/tiny.gguf")  # the discard port: nothing listens
    code, _, err = run(capsys, "pull", "tiny")
    assert code == 1 and "cannot reach 127.0.0.1:9" in err and "no network?" in err and err.count("\n") == 1


def test_disk_space_is_checked_before_downloading(registry, monkeypatch, capsys):
    _, models = registry
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(download_module.shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 1000, 1000))
    code, _, err = run(capsys, "pull", "tiny")
    assert code == 1 and "not enough disk space" in err
    assert not (models / "tiny" / "tiny.gguf").exists()


def test_without_a_registry_hash_verify_uses_the_hash_recorded_at_download(registry, capsys):
    write, models = registry
    write(sha256=None)
    code, out, _ = run(capsys, "pull", "tiny")
    assert code == 0 and "recorded" in out
    code, out, _ = run(capsys, "verify", "tiny")
    assert code == 0 and "hash recorded at download" in out
    path = models / "tiny" / "tiny.gguf"
    path.write_bytes(PAYLOAD[:-1] + b"!")  # bit rot
    code, _, err = run(capsys, "verify", "tiny")
    assert code == 1 and "checksum mismatch" in err and "infill models rm tiny" in err


def test_unknown_name_lists_the_known_ones(registry, capsys):
    code, _, err = run(capsys, "pull", "nope")
    assert code == 1 and "no model 'nope' in the registry; known: tiny" in err


def test_the_real_command_exits_non_zero_with_one_line(registry, server):
    write, _ = registry
    write(url=server[1] + "/missing.gguf")
    result = subprocess.run(
        [sys.executable, "-m", "lsp_server", "models", "pull", "tiny"],
        capture_output=True,
        text=True,
        env=os.environ,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "HTTP 404" in result.stderr


async def test_a_registry_name_in_model_path_means_the_pulled_file(registry, capsys):
    _, models = registry
    settings, errors = parse_settings({"model": {"path": "tiny"}})
    assert not errors
    worker = ModelWorker()
    host = EngineHost(worker)
    try:
        assert host.model_path(settings) == str(models / "tiny" / "tiny.gguf")
        state = await host.load(settings)
        assert state.state == "error"
        assert state.message == "model tiny is not downloaded yet; run: infill models pull tiny"
        assert run(capsys, "pull", "tiny")[0] == 0
        # Pulled now: the host gets past the registry and llama.cpp reads the file (a fake GGUF).
        state = await host.load(settings)
        assert state.state == "error" and str(models / "tiny" / "tiny.gguf") in state.message
    finally:
        worker.shutdown()


def test_the_shipped_registry_is_complete(monkeypatch):
    monkeypatch.delenv("INFILL_REGISTRY", raising=False)
    from lsp_server.modelfiles.registry import load_registry
    from lsp_server.settings import FIM_FAMILIES

    entries = load_registry()
    assert {
        "qwen2.5-coder-0.5b",
        "qwen2.5-coder-1.5b",
        "qwen2.5-coder-3b",
        "qwen2.5-coder-7b",
        "starcoder2-3b",
        "starcoder2-7b",
        "deepseek-coder-1.3b",
        "deepseek-coder-6.7b",
        "codellama-7b",
        "codestral-22b",
        "qwen2.5-coder-1.5b-instruct",
        "qwen2.5-coder-7b-instruct",
    } <= set(entries)
    for entry in entries.values():
        assert entry.url.startswith("https://huggingface.co/") and entry.url.endswith("/" + entry.filename)
        assert "/resolve/" in entry.url
        if entry.role == "completion":  # base models fill in the middle
            assert "instruct" not in entry.url.lower()
            assert entry.fim_family in FIM_FAMILIES and entry.fim_family != "auto"
        else:  # explain models follow a chat template
            assert entry.role == "explain" and "instruct" in entry.filename and entry.fim_family is None
        assert entry.context_length >= 16384 and entry.size_mb and entry.vram_mb > entry.size_mb
        assert entry.sha256 is None or len(entry.sha256) == 64
    explain = entries["qwen2.5-coder-1.5b-instruct"]
    assert explain.source == "Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF"
    assert explain.filename == "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    assert entries["qwen2.5-coder-7b-instruct"].filename == "qwen2.5-coder-7b-instruct-q4_k_m.gguf"


def test_list_shows_explain_models_as_such(monkeypatch, capsys):
    monkeypatch.delenv("INFILL_REGISTRY", raising=False)
    code, out, _ = run(capsys, "list")
    assert code == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert rows["name"][1] == "role"
    assert rows["qwen2.5-coder-1.5b-instruct"][1:2] == ["explain"]
    assert rows["qwen2.5-coder-1.5b"][1:2] == ["completion"]
    assert 'set infill.explain.model to its name, e.g. "qwen2.5-coder-1.5b-instruct"' in out


def test_an_unknown_role_is_a_registry_error(tmp_path):
    from lsp_server.modelfiles.registry import RegistryError, load_registry

    path = tmp_path / "registry.json"
    path.write_text(json.dumps({"models": {"x": {"url": "https://h/x.gguf", "filename": "x.gguf", "role": "chat"}}}))
    with pytest.raises(RegistryError, match="role 'chat' is not one of completion, explain"):
        load_registry(path)


def test_a_download_without_a_length_shows_progress_and_completes(tmp_path):
    """A server that sends no Content-Length (a close-delimited body): the progress bar has no
    total, and must not break the download (tqdm's bool() raises on such a bar)."""
    import http.server
    import threading

    from lsp_server.modelfiles.command import _progress_bar

    body = b"GGUF" + bytes(range(256)) * 64

    class NoLength(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NoLength)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        dest = tmp_path / "m.gguf"
        download_module.download(
            f"http://127.0.0.1:{server.server_port}/m.gguf", dest, progress_factory=_progress_bar("m")
        )
        assert dest.read_bytes() == body
    finally:
        server.shutdown()

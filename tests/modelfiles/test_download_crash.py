"""`infill models pull` killed with SIGKILL mid-download resumes from its .part file, and a pull
refused outright (404, connection refused, no disk space) leaves no empty model folder behind."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from file_server import serve_files
from slow_file_server import serve_files_slowly
from waiting import size_of, wait_until

from lsp_server.cli import main
from lsp_server.modelfiles import download as download_module

REPO = Path(__file__).resolve().parents[2]
PAYLOAD = b"GGUF" + random.Random(0).randbytes(24 << 20)  # 24 MB, starts like a GGUF file
SHA = hashlib.sha256(PAYLOAD).hexdigest()
RATE = 12 << 20  # bytes per second while a pull is to be killed: about 2 s for the whole file


def write_registry(path: Path, url: str, sha256: str = SHA) -> None:
    entry = {"url": url, "filename": "big.gguf", "sha256": sha256, "fim_family": "starcoder", "context_length": 4096}
    path.write_text(json.dumps({"models": {"big": entry}}))


@pytest.fixture
def slow_registry(tmp_path):
    """A throttled server holding big.gguf, and the environment that points a pull at it."""
    with serve_files_slowly() as (state, url):
        state.files["/big.gguf"] = PAYLOAD
        registry = tmp_path / "registry.json"
        write_registry(registry, f"{url}/big.gguf")
        environment = {**os.environ, "INFILL_REGISTRY": str(registry), "INFILL_MODELS_DIR": str(tmp_path / "models")}
        yield state, environment, tmp_path / "models" / "big"


def start_pull(environment: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "lsp_server", "models", "pull", "big"],
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def kill_once_part_reaches(process: subprocess.Popen, part: Path, size: int) -> int:
    """SIGKILL the pull once its .part holds `size` bytes; returns the .part's size after."""
    try:
        wait_until(
            lambda: size_of(part) >= size or process.poll() is not None, 30, f"{part.name} to reach {size} bytes"
        )
        assert process.poll() is None, "the pull ended before it could be killed"
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=10)
    return size_of(part)


def test_a_killed_pull_resumes_from_its_part_file(slow_registry):
    state, environment, folder = slow_registry
    part, model = folder / "big.gguf.part", folder / "big.gguf"
    state.bytes_per_second = RATE

    kept = 0
    for fraction in (1 / 3, 2 / 3):  # killed twice: a resumed download resumes again
        process = start_pull(environment)
        now_kept = kill_once_part_reaches(process, part, int(len(PAYLOAD) * fraction))
        assert kept < now_kept < len(PAYLOAD)
        assert not model.exists(), "the model file appears only once complete"
        if kept:
            assert state.requests[-1]["range"] == f"bytes={kept}-"
        kept = now_kept

    state.bytes_per_second = None
    finished = subprocess.run(
        [sys.executable, "-m", "lsp_server", "models", "pull", "big"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 0, finished.stderr
    resumed = state.requests[-1]
    assert resumed["range"] == f"bytes={kept}-"
    assert resumed["if-range"] == state.etag("/big.gguf")
    # The handler counts a slice once it is written; the client may exit a moment before that.
    wait_until(lambda: state.body_bytes_sent(resumed) == len(PAYLOAD) - kept, 5, "the server to count the resumed body")
    assert hashlib.sha256(model.read_bytes()).hexdigest() == SHA
    assert (folder / "big.gguf.sha256").read_text().strip() == SHA
    assert sorted(path.name for path in folder.iterdir()) == ["big.gguf", "big.gguf.sha256"]


def free_port() -> int:
    """A loopback port nothing listens on (free a moment ago): connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("failure", ["not found", "connection refused", "no disk space"])
def test_a_pull_refused_outright_leaves_no_empty_model_folder(tmp_path, monkeypatch, capsys, failure):
    models = tmp_path / "cache" / "models"
    registry = tmp_path / "registry.json"
    monkeypatch.setenv("INFILL_MODELS_DIR", str(models))
    monkeypatch.setenv("INFILL_REGISTRY", str(registry))
    with serve_files() as (state, url):
        state.files["/big.gguf"] = PAYLOAD[:100_000]
        if failure == "not found":
            write_registry(registry, f"{url}/missing.gguf")
        elif failure == "connection refused":
            write_registry(registry, f"http://127.0.0.1:{free_port()}/big.gguf")
        else:
            write_registry(registry, f"{url}/big.gguf")
            monkeypatch.setattr(download_module, "DISK_RESERVE", 1 << 60)
        code = main(["models", "pull", "big", "--timeout", "5"])
    assert code == 1
    assert capsys.readouterr().err.startswith("infill models: ")
    assert not (tmp_path / "cache").exists(), sorted(str(path) for path in tmp_path.rglob("*"))

"""llama-cpp-python's OpenAI-compatible server on loopback, serving one GGUF.

Used by `infill bench latency --engine remote` and by the remote engine's tests
(tests/engine/remote/llama_server.py) to have a real server to talk to.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

# The served name tells the remote engine the FIM family (the test model has StarCoder's tokenizer).
ALIAS = "starcoder-tiny-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/v1/models", timeout=1):
                return
        except urllib.error.HTTPError:
            return  # answering (e.g. 401 without a key): it is up
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"llama_cpp.server did not come up in {timeout} s:\n{log.read_text()[-2000:]}")


@contextmanager
def llama_server(model: Path, port: int | None = None, api_key: str | None = None, n_ctx: int = 4096):
    """Yields the server's base URL; the process is ended (by its id) on exit."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--model_alias",
        ALIAS,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--n_threads",
        "1",
        "--n_threads_batch",
        "1",
        "--verbose",
        "False",
    ]
    if api_key:
        command += ["--api_key", api_key]
    log = Path(tempfile.mkstemp(prefix="llama-server-", suffix=".log")[1])
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        log.unlink(missing_ok=True)

"""A JSON-RPC client that speaks raw bytes to `python -m lsp_server serve` over stdio.

pytest-lsp's typed client cannot send malformed messages; this one sends whatever bytes a
test gives it and collects every message the server writes, by id.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class RawClient:
    def __init__(self, command: list[str] | None = None, env: dict | None = None) -> None:
        self.cache_home = tempfile.mkdtemp(prefix="infill-raw-")
        self.process = subprocess.Popen(
            command or [sys.executable, "-m", "lsp_server", "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "XDG_CACHE_HOME": self.cache_home, **(env or {})},
        )
        self.messages: queue.Queue[dict] = queue.Queue()
        self.responses: dict[Any, dict] = {}
        self.notifications: list[dict] = []
        self.stderr: list[str] = []
        self._next_id = 1000
        self.reader_error: str | None = None
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    # -- reading ----------------------------------------------------------------------
    def _read(self) -> None:
        try:
            self._read_messages()
        except Exception as exc:  # the server wrote something that is not a framed message
            self.reader_error = repr(exc)

    def _read_messages(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
                if line in (b"\r\n", b"\n"):
                    break
            if length is None:
                raise ValueError(f"a message without Content-Length; last line {line!r}")
            body = stream.read(length)
            try:
                self.messages.put(json.loads(body))
            except ValueError as exc:
                raise ValueError(f"not JSON: {body[:200]!r}") from exc

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line.decode("utf-8", "replace"))

    def _pump(self, timeout: float) -> dict | None:
        try:
            message = self.messages.get(timeout=timeout)
        except queue.Empty:
            return None
        if "method" in message and "id" in message:  # a request from the server: answer it
            self._answer_server_request(message)
        elif "method" in message:
            self.notifications.append(message)
        else:
            self.responses[message.get("id")] = message
        return message

    def _answer_server_request(self, message: dict) -> None:
        result: Any = None
        if message["method"] == "workspace/configuration":
            result = [None for _ in message["params"]["items"]]
        self.send({"jsonrpc": "2.0", "id": message["id"], "result": result})

    # -- writing ----------------------------------------------------------------------
    def send_bytes(self, body: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(frame(body))
        self.process.stdin.flush()

    def send(self, message: Any) -> None:
        self.send_bytes(json.dumps(message).encode())

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def request(self, method: str, params: Any = None, msg_id: Any = None, send_params: bool = True) -> Any:
        """Send a request; returns its id (see `response`)."""
        msg_id = self.new_id() if msg_id is None else msg_id
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if send_params:
            message["params"] = params
        self.send(message)
        return msg_id

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def response(self, msg_id: Any, timeout: float = 20.0) -> dict:
        """The response to msg_id (a result or an error); AssertionError after timeout."""
        deadline = time.monotonic() + timeout
        while msg_id not in self.responses:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no response to {msg_id!r} within {timeout} s; {self.stacks()}")
            self._pump(min(left, 0.5))
        return self.responses.pop(msg_id)

    def call(self, method: str, params: Any = None, timeout: float = 20.0) -> dict:
        return self.response(self.request(method, params), timeout)

    def wait_for_notification(self, method: str, predicate=lambda params: True, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for message in self.notifications:
                if message["method"] == method and predicate(message.get("params")):
                    return message
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {method} notification within {timeout} s")
            self._pump(min(left, 0.5))

    def initialize(self, root: Path | None = None, options: Any = None) -> dict:
        params = {
            "processId": None,
            "rootUri": root.as_uri() if root else None,
            "capabilities": {"window": {"workDoneProgress": False}},
            "initializationOptions": options,
        }
        if root:
            params["workspaceFolders"] = [{"uri": root.as_uri(), "name": root.name}]
        result = self.call("initialize", params)
        self.notify("initialized", {})
        return result

    def stacks(self) -> str:
        """The server's thread stacks (it dumps them on SIGUSR1), and the end of its log."""
        if self.alive():
            self.process.send_signal(signal.SIGUSR1)
            time.sleep(1)
        log = Path(self.cache_home) / "server-stderr.log"
        log.write_text("".join(self.stderr))
        return f"reader error: {self.reader_error}\nwhole log in {log}\nserver log:\n" + "".join(self.stderr[-200:])

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        if self.alive():
            try:
                self.call("shutdown", None, timeout=10)
                self.notify("exit", None)
                self.process.wait(10)
            except Exception:
                self.process.kill()
        self.process.wait(10)

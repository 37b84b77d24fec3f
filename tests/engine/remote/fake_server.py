"""A scriptable OpenAI-compatible server on loopback, for the remote engine's unit tests.

Each POST takes the next scripted answer (or the default one): a status code, a
stream of completion events with a delay between them, or silence. Every request
is recorded (path, headers, JSON body), and so is a client that hung up mid-stream.
"""

from __future__ import annotations

import json
import socket
import ssl
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int = 200
    pieces: list[str] = field(default_factory=lambda: ["hello", " world"])
    finish: str = "stop"
    delay: float = 0.0  # seconds before each event
    hang: float = 0.0  # seconds of silence before the status line
    body: str = ""  # for error statuses
    llama_events: bool = False  # llama.cpp /infill event format instead of OpenAI's
    logprobs: list[float] | None = None  # one per piece, sent in OpenAI's legacy format


@dataclass
class FakeState:
    models: list[dict] = field(default_factory=lambda: [{"id": "qwen2.5-coder-1.5b", "object": "model"}])
    props: dict | None = None  # set: behave like llama.cpp server
    script: list[Answer] = field(default_factory=list)
    default: Answer = field(default_factory=Answer)
    requests: list[dict] = field(default_factory=list)
    hung_up: threading.Event = field(default_factory=threading.Event)
    events_sent: int = 0
    connections: list = field(default_factory=list)  # open client sockets, closed by stop()


def _handler(state: FakeState):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, chunked streams: like real servers

        def log_message(self, *args) -> None:
            pass

        def setup(self) -> None:
            super().setup()
            state.connections.append(self.connection)

        def _record(self, body: dict | None) -> None:
            state.requests.append({"method": self.command, "path": self.path,
                                   "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})

        def _json(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._record(None)
            if self.path == "/v1/models":
                self._json(200, {"object": "list", "data": state.models})
            elif self.path == "/props" and state.props is not None:
                self._json(200, state.props)
            else:
                self._json(404, {"error": {"message": "not found"}})

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"null")
            self._record(body)
            answer = state.script.pop(0) if state.script else state.default
            if answer.hang:
                time.sleep(answer.hang)
            if answer.status != 200:
                self._json(answer.status, {"error": {"message": answer.body or "scripted failure"}})
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for i, piece in enumerate(answer.pieces):
                    time.sleep(answer.delay)
                    last = i == len(answer.pieces) - 1
                    if answer.llama_events:
                        event = {"content": piece, "stop": False}
                    else:
                        event = {"choices": [{"text": piece, "index": 0,
                                              "finish_reason": answer.finish if last else None}]}
                        if answer.logprobs is not None:
                            event["choices"][0]["logprobs"] = {"tokens": [piece],
                                                               "token_logprobs": [answer.logprobs[i]]}
                    self._chunk(f"data: {json.dumps(event)}\n\n".encode())
                    state.events_sent += 1
                final = ({"content": "", "stop": True, "stop_type": answer.finish} if answer.llama_events
                         else None)
                if final:
                    self._chunk(f"data: {json.dumps(final)}\n\n".encode())
                else:
                    self._chunk(b"data: [DONE]\n\n")
                self._chunk(b"")
            except (BrokenPipeError, ConnectionResetError):
                state.hung_up.set()
                self.close_connection = True

    return Handler


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        # A client that hung up mid-stream (a cancelled or cut completion): expected, not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeServer:
    def __init__(self, port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        self.state = FakeState()
        self._server = _QuietServer(("127.0.0.1", port), _handler(self.state))
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        self._stopped = False

    def stop(self) -> None:
        """Stop answering and close the port (a server going down)."""
        if not self._stopped:
            self._stopped = True
            self._server.shutdown()
            self._server.server_close()
            for connection in self.state.connections:  # kept-alive connections die with a server
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@contextmanager
def fake_server(port: int = 0, tls: ssl.SSLContext | None = None):
    """Yields a started FakeServer; stopped on exit."""
    server = FakeServer(port, tls)
    try:
        yield server
    finally:
        server.stop()

"""The download tests' file server (file_server.py) with a throttle on response bodies, and a
count of the body bytes each request was sent: slow enough to kill a client mid-download."""

from __future__ import annotations

import time

from file_server import FileServer, _handler, serve_files

SLICE = 64 * 1024  # bytes written between two throttle pauses


class SlowFileServer(FileServer):
    def __init__(self) -> None:
        super().__init__()
        self.bytes_per_second: float | None = None  # None: as fast as the client reads

    def body_bytes_sent(self, request: dict) -> int:
        return request.get("body_bytes_sent", 0)


class _ThrottledBody:
    """Stands in for a handler's wfile once the headers are out: writes the body in slices at
    the server's rate, counts what the client was sent, and stops quietly when it hangs up."""

    def __init__(self, wfile, state: SlowFileServer, request: dict):
        self._wfile = wfile
        self._state = state
        self._request = request
        self._gone = False

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        for start in range(0, len(view), SLICE):
            if self._gone:
                break
            piece = view[start : start + SLICE]
            try:
                self._wfile.write(piece)
                self._wfile.flush()
            except OSError:  # the client was killed: nothing more to send
                self._gone = True
                break
            self._request["body_bytes_sent"] = self._request.get("body_bytes_sent", 0) + len(piece)
            rate = self._state.bytes_per_second
            if rate:
                time.sleep(len(piece) / rate)
        return len(data)

    def flush(self) -> None:
        if not self._gone:
            try:
                self._wfile.flush()
            except OSError:
                self._gone = True

    def close(self) -> None:
        try:
            self._wfile.close()
        except OSError:
            pass


def _slow_handler(state: SlowFileServer):
    class SlowHandler(_handler(state)):
        def end_headers(self) -> None:
            super().end_headers()  # sends the headers; what follows is the body
            self.wfile = _ThrottledBody(self.wfile, state, state.requests[-1])

    return SlowHandler


def serve_files_slowly():
    """serve_files with the throttled handler: yields (SlowFileServer, base URL)."""
    return serve_files(SlowFileServer(), _slow_handler)

"""HTTP for the remote engine: JSON requests and server-sent event streams.

Standard library only (http.client), because the remote engine needs what
urllib hides: a connect timeout separate from the per-token read timeout, the
socket itself (to hang up on a cancelled completion, which makes llama.cpp and
vLLM stop generating), and one kept-alive connection (a TLS handshake per
keystroke would cost more than the completion).

Connection refused, a connection dropped before the answer, and 5xx answers are
retried a few times with a short backoff; timeouts are not (a dead host would
multiply the wait). The API key goes into the Authorization header and nowhere
else: messages and logs never contain it.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass

from .base import EngineError

log = logging.getLogger(__name__)

RETRY_DELAYS = (0.1, 0.3)  # seconds before the 2nd and 3rd attempts
_RETRY_STATUS = {500, 502, 503, 504}


class RemoteError(EngineError):
    """A remote request failed; status is the HTTP status (0 when there was none)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class _Retryable(Exception):
    def __init__(self, error: RemoteError) -> None:
        self.error = error


@dataclass
class RemoteClient:
    base_url: str  # scheme://host[:port][/prefix], no trailing slash
    api_key: str | None = None
    connect_timeout: float = 2.0
    read_timeout: float = 15.0
    verify_tls: bool = True

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise EngineError(f"infill.engine.url must be an http:// or https:// URL, got {self.base_url!r}")
        self._scheme, self._host, self._port = parts.scheme, parts.hostname, parts.port
        self._prefix = parts.path.rstrip("/")
        self._conn: http.client.HTTPConnection | None = None
        if parts.scheme == "https":
            self._tls = ssl.create_default_context()  # honours SSL_CERT_FILE for a private CA
            if not self.verify_tls:
                log.warning("TLS certificate verification is off for %s (infill.engine.verifyTls)", self.base_url)
                self._tls.check_hostname = False
                self._tls.verify_mode = ssl.CERT_NONE

    # -- connection ---------------------------------------------------------------
    def _connect(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection
        if self._scheme == "https":
            conn = http.client.HTTPSConnection(self._host, self._port, timeout=self.connect_timeout, context=self._tls)
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=self.connect_timeout)
        conn.connect()
        conn.sock.settimeout(self.read_timeout)  # from here on: the longest wait for a byte
        return conn

    def _open(self) -> http.client.HTTPConnection:
        try:
            return self._connect()
        except ConnectionRefusedError:
            raise _Retryable(self._fail("is not reachable (connection refused)")) from None
        except ssl.SSLCertVerificationError as exc:
            raise self._fail(f"failed TLS certificate verification ({exc.verify_message})") from None
        except TimeoutError:
            raise self._fail(f"did not accept a connection within {self.connect_timeout:g} s") from None
        except socket.gaierror:
            raise self._fail("is not reachable (unknown host name)") from None
        except OSError as exc:
            raise self._fail(f"is not reachable ({exc.strerror or exc})") from None

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _headers(self, body: bytes | None) -> dict[str, str]:
        headers = {"Accept": "application/json, text/event-stream", "User-Agent": "infill"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def _scrub(self, text: str) -> str:
        return text.replace(self.api_key, "***") if self.api_key else text

    def _fail(self, what: str, status: int = 0) -> RemoteError:
        return RemoteError(self._scrub(f"remote server {self.base_url} {what}"), status)

    # -- one request --------------------------------------------------------------
    def _send(self, method: str, path: str, payload: dict | None) -> http.client.HTTPResponse:
        """A response with a 2xx status; raises _Retryable or RemoteError otherwise."""
        body = json.dumps(payload).encode("utf-8") if payload is not None else None
        conn = self._conn
        fresh = conn is None
        if conn is None:
            conn = self._conn = self._open()
        try:
            conn.request(method, self._prefix + path, body=body, headers=self._headers(body))
            response = conn.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
            self.close()
            if not fresh:  # a kept-alive connection the server had closed: just reconnect
                return self._send(method, path, payload)
            raise _Retryable(self._fail(f"dropped the connection ({type(exc).__name__})")) from None
        except TimeoutError:
            self.close()
            raise self._fail(f"did not answer within {self.read_timeout:g} s") from None
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise self._fail(f"failed: {exc}") from None
        if 200 <= response.status < 300:
            return response
        detail = _error_detail(response)
        self.close()
        error = self._fail(f"answered HTTP {response.status} {response.reason}{detail}", response.status)
        if response.status in (401, 403):
            hint = "; check the key in the variable named by infill.engine.apiKeyEnv"
            raise RemoteError(str(error) + hint, response.status)
        if response.status in _RETRY_STATUS:
            raise _Retryable(error)
        raise error

    def _with_retries(
        self, method: str, path: str, payload: dict | None, should_stop: Callable[[], bool]
    ) -> http.client.HTTPResponse | None:
        for attempt in range(len(RETRY_DELAYS) + 1):
            try:
                return self._send(method, path, payload)
            except _Retryable as retry:
                if attempt == len(RETRY_DELAYS):
                    raise retry.error from None
                log.info("%s; retrying in %.1f s", retry.error, RETRY_DELAYS[attempt])
                time.sleep(RETRY_DELAYS[attempt])
                if should_stop():
                    return None
        return None

    def get_json(self, path: str) -> dict:
        return self.request_json("GET", path, None)

    def request_json(self, method: str, path: str, payload: dict | None) -> dict:
        response = self._with_retries(method, path, payload, lambda: False)
        assert response is not None  # None only when should_stop says so, and it never does here
        try:
            data = response.read()
        except TimeoutError:
            self.close()
            raise self._fail(f"sent nothing for {self.read_timeout:g} s") from None
        try:
            return json.loads(data)
        except ValueError:
            raise self._fail(f"sent a non-JSON answer to {path}") from None

    def stream(self, path: str, payload: dict, should_stop: Callable[[], bool]) -> Generator[dict, None, None]:
        """The JSON events of a server-sent event stream, until [DONE] or the end.

        Stopping the iteration early (cancel, stop text found) hangs up: the server
        notices the closed socket and stops generating."""
        response = self._with_retries("POST", path, payload, should_stop)
        if response is None:
            return
        finished = False
        try:
            for data in _sse_data(response):
                if data == "[DONE]":
                    finished = True
                    break
                try:
                    event = json.loads(data)
                except ValueError:
                    raise self._fail(f"sent a malformed event: {data[:80]!r}") from None
                if isinstance(event, dict) and "error" in event:
                    raise self._fail(f"reported an error: {_message_of(event['error'])}")
                yield event
                if isinstance(event, dict) and event.get("stop") is True:  # llama.cpp /infill and /completion
                    finished = True
                    break
            else:
                finished = True
            if finished:
                finished = self._drain(response)
        except TimeoutError:
            finished = False
            raise self._fail(f"sent nothing for {self.read_timeout:g} s") from None
        except (http.client.IncompleteRead, ConnectionError) as exc:
            finished = False
            raise self._fail(f"dropped the connection mid-answer ({type(exc).__name__})") from None
        finally:
            if not finished or response.will_close:
                self.close()

    def _drain(self, response: http.client.HTTPResponse) -> bool:
        """Read the end of the chunked body so the connection can be reused; a server
        that does not end it at once costs a reconnect, never the completion."""
        sock = self._conn.sock if self._conn is not None else None
        if sock is None:  # closed, or handed to a response that will close it (will_close)
            return False
        try:
            sock.settimeout(0.5)
            response.read()
            sock.settimeout(self.read_timeout)
            return True
        except (OSError, http.client.HTTPException):
            return False


def _sse_data(response: http.client.HTTPResponse) -> Iterator[str]:
    """The data fields of server-sent events (multi-line data joined with newlines)."""
    lines: list[str] = []
    while True:
        raw = response.readline()
        if not raw:
            if lines:
                yield "\n".join(lines)
            return
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not line:
            if lines:
                yield "\n".join(lines)
                lines = []
        elif line.startswith("data:"):
            lines.append(line[5:].lstrip(" "))
        # other fields (event:, id:, retry:) and comments (": ping") carry nothing for us


def _message_of(error) -> str:
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(error)


def _error_detail(response: http.client.HTTPResponse) -> str:
    try:
        body = response.read(2000).decode("utf-8", errors="replace")
    except (OSError, http.client.HTTPException):
        return ""
    try:
        parsed = json.loads(body)
        text = _message_of(parsed.get("error") or parsed.get("detail") or parsed) if isinstance(parsed, dict) else body
    except ValueError:
        text = body
    text = " ".join(str(text).split())[:200]
    return f": {text}" if text else ""

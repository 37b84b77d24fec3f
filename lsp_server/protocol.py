"""The protocol layer: one response per request, and documents kept as LSP defines them.

JSON-RPC 2.0 wants an answer to every request. pygls answers unknown methods and handler
errors (-32603 with the traceback logged), but drops a message whose params cannot be
structured ("Unable to deserialize message") and one that is not JSON: a client would wait
on that id forever. Here, at the protocol layer:

- a request whose params do not fit the method's types gets -32602, naming the field;
- a notification with bad params is logged and dropped (notifications get no response);
- a body that is not JSON gets -32700, and one that is not a JSON-RPC message -32600, both
  with a null id; reading goes on with the next message.

Documents: LSP ends lines at "\n", "\r\n" and "\r" only. pygls splits them with
str.splitlines, which also breaks at form feeds, vertical tabs and U+2028 (form feeds are
common in Python sources), so an edit after such a character landed on the wrong line and the
server's copy drifted from the editor's. LspWorkspace's documents split lines as LSP does.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cattrs
from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol
from pygls.workspace import TextDocument, Workspace

log = logging.getLogger(__name__)

INVALID_PARAMS = -32602
PARSE_ERROR = -32700
INVALID_REQUEST = -32600


@dataclass(frozen=True)
class MalformedMessage:
    """A message that names a method but whose params could not be structured."""

    id: int | str | None  # None for a notification
    method: str
    problem: str
    is_request: bool


def describe_structure_error(error: BaseException | None) -> str:
    """cattrs' errors as short lines that name the fields: "expected int @ $.params.position.line"."""
    if isinstance(error, cattrs.BaseValidationError):
        lines = cattrs.transform_error(error, path="$")
        return "; ".join(lines[:5]) + (f"; and {len(lines) - 5} more" if len(lines) > 5 else "")
    return str(error) if error is not None else "invalid params"


def _message_id(data: dict) -> int | str | None:
    value = data.get("id")
    return value if isinstance(value, (int, str)) and not isinstance(value, bool) else None


class InfillProtocol(LanguageServerProtocol):
    def structure_message(self, data: dict[str, Any]) -> Any:
        if "jsonrpc" not in data or not isinstance(data.get("method"), str):
            return super().structure_message(data)
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            return MalformedMessage(
                _message_id(data), data["method"], describe_structure_error(exc.__cause__), "id" in data
            )

    def handle_message(self, message: Any) -> None:
        if isinstance(message, MalformedMessage):
            if message.is_request:
                text = f"Invalid params for {message.method}: {message.problem}"
                self.send_error(message.id, INVALID_PARAMS, text)
            else:
                log.warning("dropped %s notification with invalid params: %s", message.method, message.problem)
            return
        if not hasattr(message, "jsonrpc"):  # valid JSON, but not a JSON-RPC message object
            self.send_error(None, INVALID_REQUEST, "Invalid Request: not a JSON-RPC 2.0 message")
            return
        super().handle_message(message)

    def _check_handler_result(self, future: Any) -> None:
        """A notification's handler finished. pygls files the future of an async or generator
        handler (didOpen, didChange, didClose are generators) under a fresh uuid in
        `_request_futures` and never removes it: one future, lock and condition leaked per
        keystroke. Remove it here; what remains in the dict is what is still running."""
        super()._check_handler_result(future)
        for key, pending in list(self._request_futures.items()):
            if pending is future:
                del self._request_futures[key]
                break

    def send_error(self, msg_id: int | str | None, code: int, message: str) -> None:
        log.warning("answering %s with error %d: %s", msg_id, code, message)
        # Written as plain JSON: pygls' response types cannot carry the null id that JSON-RPC
        # wants when the request's own id is unknown.
        self._send_data({"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}})

    def reader_error(self, error: Exception) -> bool:
        """A message the reader could not turn into JSON: answer it; True when handled."""
        if isinstance(error, (json.JSONDecodeError, UnicodeDecodeError)):
            self.send_error(None, PARSE_ERROR, f"Parse error: {error}")
            return True
        return False


# A line and its terminator; LSP's terminators only.
_LSP_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


class LspTextDocument(TextDocument):
    @property
    def lines(self) -> Sequence[str]:
        """Lines with their terminators, as str.splitlines(True) gives them, but split at
        LSP's line terminators only."""
        return tuple(_LSP_LINE.findall(self.source))


class LspWorkspace(Workspace):
    def _create_text_document(
        self, doc_uri: str, source: str | None = None, version: int | None = None, language_id: str | None = None
    ) -> TextDocument:
        document = super()._create_text_document(doc_uri, source, version, language_id)
        document.__class__ = LspTextDocument  # same state; only how lines are split differs
        return document


def use_lsp_lines(workspace: Workspace) -> None:
    """Make the workspace pygls created at initialize create LspTextDocuments (it holds no
    document yet: the client sends didOpen only after initialize)."""
    workspace.__class__ = LspWorkspace

"""Every request gets one response, with raw JSON-RPC bytes as a client with bugs sends them."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from raw_client import RawClient

HERE = Path(__file__).parent


@pytest.fixture
def client(tmp_path):
    (tmp_path / "a.py").write_text("def f(x):\n    return x\n")
    client = RawClient()
    client.initialize(tmp_path, {"engine": {"kind": "none"}})
    client.uri = (tmp_path / "a.py").as_uri()
    client.notify(
        "textDocument/didOpen",
        {
            "textDocument": {
                "uri": client.uri,
                "languageId": "python",
                "version": 1,
                "text": "def f(x):\n    return x\n",
            }
        },
    )
    yield client
    client.close()


def still_serving(client: RawClient) -> None:
    """The server is alive and answers a valid request."""
    response = client.call(
        "textDocument/hover", {"textDocument": {"uri": client.uri}, "position": {"line": 0, "character": 4}}
    )
    assert "error" not in response and client.alive()


def test_a_negative_position_is_invalid_params_naming_the_field(client):
    response = client.call(
        "textDocument/inlineCompletion",
        {"textDocument": {"uri": client.uri}, "position": {"line": -1, "character": -5}, "context": {"triggerKind": 2}},
    )
    assert response["error"]["code"] == -32602
    assert "position" in response["error"]["message"] and "line" in response["error"]["message"]
    still_serving(client)


def test_empty_and_missing_params_are_invalid_params(client):
    for params in ({}, None):
        response = client.call("textDocument/inlineCompletion", params)
        assert response["error"]["code"] == -32602, response
    response = client.response(client.request("textDocument/hover", send_params=False))
    assert response["error"]["code"] == -32602
    still_serving(client)


def test_params_of_the_wrong_types_are_invalid_params(client):
    response = client.call("textDocument/hover", {"textDocument": 5, "position": "x"})
    assert response["error"]["code"] == -32602
    message = response["error"]["message"]
    assert "textDocument" in message and "position" in message
    still_serving(client)


def test_a_body_that_is_not_json_is_a_parse_error_with_a_null_id(client):
    client.send_bytes(b'{"jsonrpc": "2.0", "id": 7, "method": "textDocument/hover", "params": {')
    client.send_bytes(b"\xff\xfe not utf-8")
    errors = [client.response(None), client.response(None)]
    assert [e["error"]["code"] for e in errors] == [-32700, -32700]
    still_serving(client)


def test_json_that_is_not_a_message_is_an_invalid_request(client):
    for body in (b"[1, 2, 3]", b'"hello"', b'{"id": 3, "method": "textDocument/hover"}'):
        client.send_bytes(body)
        assert client.response(None)["error"]["code"] == -32600, body
    still_serving(client)


def test_a_notification_with_bad_params_gets_no_response(client):
    client.notify("textDocument/didOpen", {"textDocument": 5})
    client.notify("textDocument/didChange", {"textDocument": {"uri": client.uri}, "contentChanges": "nope"})
    client.notify("$/cancelRequest", {"id": {"not": "an id"}})
    still_serving(client)
    assert None not in client.responses  # nothing answered the notifications


def test_unknown_methods_and_commands_are_answered(client):
    assert client.call("no/suchMethod", {})["error"]["code"] == -32601
    response = client.call("workspace/executeCommand", {"command": "no.such.command", "arguments": []})
    assert response["error"]["code"] == -32602
    response = client.call("workspace/executeCommand", {"command": "infill.explain", "arguments": ["nonsense"]})
    assert response["error"]["code"] == -32602 and "expects" in response["error"]["message"]
    still_serving(client)


def test_a_handler_that_raises_is_an_internal_error_and_logged(tmp_path):
    client = RawClient([sys.executable, str(HERE.parent / "failing_feature_server.py")])
    try:
        client.initialize(tmp_path, {"engine": {"kind": "none"}})
        response = client.call("infill/testFailure", {})
        assert response["error"]["code"] == -32603
        assert "this feature always fails" in response["error"]["message"]
        assert client.call("workspace/symbol", {"query": "x"}).get("result") is not None
        deadline = time.monotonic() + 10  # stderr arrives on its own pipe: give it a moment
        while not any("Traceback" in line for line in client.stderr) and time.monotonic() < deadline:
            time.sleep(0.1)
        log = "".join(client.stderr)
        assert "Traceback" in log and 'raise RuntimeError("this feature always fails")' in log
    finally:
        client.close()

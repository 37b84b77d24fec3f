"""Requests answered while the model loads: loading must not touch the protocol channel.

llama-cpp-python's quiet mode redirects file descriptor 1 (stdout, the LSP channel) to
/dev/null during a load, so every response written meanwhile was lost and the client waited
forever. A burst of hovers across the load shows it: each one must be answered.
"""

from __future__ import annotations

import time

from raw_client import RawClient


def test_every_request_sent_while_the_model_loads_is_answered(test_model, tmp_path):
    (tmp_path / "lib.py").write_text("def helper(value):\n    return value\n")
    client = RawClient()
    try:
        client.initialize(tmp_path, {"model": {"path": str(test_model)}})
        uri = (tmp_path / "lib.py").as_uri()
        client.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": "python",
                    "version": 1,
                    "text": "def helper(value):\n    return value\n",
                }
            },
        )
        hover = {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 5}}
        ready_at = None
        started = time.monotonic()
        answered = 0
        # Until a second after the engine is ready (or 60 s): the load falls inside the burst.
        while time.monotonic() - started < 60 and (ready_at is None or time.monotonic() - ready_at < 1.0):
            response = client.call("textDocument/hover", hover, timeout=10)
            assert "result" in response, response
            answered += 1
            states = [n["params"]["state"] for n in client.notifications if n["method"] == "infill/status"]
            if ready_at is None and "ready" in states:
                ready_at = time.monotonic()
        assert ready_at is not None, "the engine never became ready"
        assert answered > 10
    finally:
        client.close()

"""Long sessions keep the server's per-request bookkeeping flat."""

from __future__ import annotations

from raw_client import RawClient


def test_notifications_leave_no_futures_behind(tmp_path):
    """pygls kept one future per didOpen/didChange/didClose notification forever; the count of
    futures the protocol tracks stays flat over many edits."""
    client = RawClient()
    try:
        client.initialize(tmp_path, {"engine": {"kind": "none"}})
        uri = (tmp_path / "a.py").as_uri()
        client.notify(
            "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": ""}}
        )
        counts = []
        for round_ in range(3):
            for i in range(200):
                version = 2 + round_ * 200 + i
                position = {"line": 0, "character": round_ * 200 + i}
                change = {"range": {"start": position, "end": position}, "text": "x"}
                client.notify(
                    "textDocument/didChange",
                    {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
                )
            counts.append(client.call("infill/serverState", {})["result"]["pendingRequests"])
        assert counts[-1] <= counts[0] <= 5, counts
    finally:
        client.close()

"""Infill's server with one more feature that fails in every hook (tests/test_feature.py)."""

from __future__ import annotations

import logging
import sys

from lsp_server.app import create_server
from lsp_server.feature import Feature


class FailingFeature(Feature):
    name = "failing"

    def _fail(self, *args: object) -> None:
        raise RuntimeError("this feature always fails")

    initialized = settings_changed = document_opened = document_changed = document_closed = shutdown = _fail


def add_failing_request(server) -> None:
    """A request whose handler raises (tests/protocol/test_malformed.py)."""

    @server.feature("infill/testFailure")
    def fail(ls, params) -> None:
        raise RuntimeError("this feature always fails")


if __name__ == "__main__":
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    server = create_server()
    # First in the list: the features after it must still hear of every event.
    server.features.features.insert(0, FailingFeature())
    add_failing_request(server)
    server.start_io()

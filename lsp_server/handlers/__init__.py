"""LSP feature handlers: the only modules that register @server.feature.

Each handler turns LSP params into one domain call and its result back into
LSP types, in a few lines.
"""

from __future__ import annotations

from . import debug, explain, hover, inline_completion, lifecycle, workspace_index


def register_all(server) -> None:
    for module in (lifecycle, workspace_index, inline_completion, hover, explain, debug):
        module.register(server)

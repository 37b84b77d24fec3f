"""The server as it ships: InfillServer with its features, in the order they are called.

The index feature comes first: the others read the index it keeps.
"""

from __future__ import annotations

from .completion.feature import CompletionFeature
from .doctor.feature import DoctorFeature
from .explain.feature import ExplainFeature
from .hover.feature import HoverFeature
from .indexing.feature import IndexFeature
from .modelchoice.feature import ModelChoiceFeature
from .server import InfillServer


def create_server() -> InfillServer:
    server = InfillServer()
    index = IndexFeature(server)
    server.add_feature(index)
    server.add_feature(CompletionFeature(server, index.current_index))
    server.add_feature(HoverFeature(server, index.current_index))
    server.add_feature(ExplainFeature(server, index.current_index))
    server.add_feature(DoctorFeature(server))
    server.add_feature(ModelChoiceFeature(server))
    return server

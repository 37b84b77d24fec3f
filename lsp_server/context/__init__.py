"""Prompt context: cross-file snippets for a cursor, ranked within a token and time budget.

Domain code only (no pygls, no lsprotocol). The completion service calls `gather_context`
(or a long-lived `ContextRetriever`) and then `render_context` to turn the snippets into token
ids placed before the FIM prefix; the server feeds `RecentEdits` on didOpen/didChange.
"""

from .gather import ContextResult, ContextRetriever, gather_context
from .prompt import render_context
from .recent import RecentEdits
from .snippets import Snippet

__all__ = [
    "ContextResult",
    "ContextRetriever",
    "RecentEdits",
    "Snippet",
    "gather_context",
    "render_context",
]

"""Prompt context: cross-file snippets for a cursor, ranked within a token and time budget.

Domain code only (no pygls, no lsprotocol). The completion service calls
`CrossFileContext.prompt_tokens`: a long-lived `ContextRetriever` gathers and ranks snippets, and
`render_context` turns them into token ids placed before the FIM prefix; the server feeds
`RecentEdits` on didOpen/didChange.
"""

from .gather import ContextResult, ContextRetriever
from .prompt import render_context
from .provider import CrossFileContext
from .recent import RecentEdits
from .snippets import Snippet

__all__ = [
    "ContextResult",
    "ContextRetriever",
    "CrossFileContext",
    "RecentEdits",
    "Snippet",
    "render_context",
]

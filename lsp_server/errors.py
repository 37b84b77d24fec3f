"""The error every model backend raises: its message is meant for the user."""

from __future__ import annotations


class EngineError(RuntimeError):
    """An engine or a model file could not load or run; the message is meant for the user."""

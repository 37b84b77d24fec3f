"""Signatures and docs of Python builtins (`len`, `dict`, `ValueError`), read with inspect."""

from __future__ import annotations

import builtins
import inspect


def python_builtin(name: str) -> tuple[str, str] | None:
    """(signature, doc) of a Python builtin, or None when `name` is not one."""
    if name.startswith("_") or not hasattr(builtins, name):
        return None
    value = getattr(builtins, name)
    doc = inspect.getdoc(value) or ""
    keyword = "class" if isinstance(value, type) else "def"
    try:
        signature = f"{keyword} {name}{inspect.signature(value)}"
    except (TypeError, ValueError):
        # Many builtins have no introspectable signature; their docstring starts with it.
        first = doc.split("\n", 1)[0]
        if first.startswith(name + "("):
            signature = f"{keyword} {first}"
            doc = doc.split("\n", 1)[1].strip() if "\n" in doc else ""
        elif callable(value):
            signature = f"{keyword} {name}(...)"
        else:
            signature = f"{name}: {type(value).__name__}"
    return signature, doc

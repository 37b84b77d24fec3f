"""Explain Selection: the `infill.explain` command (feature.py) and its prompt (prompt.py)."""

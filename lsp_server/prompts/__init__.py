"""Prompt formats, built as token ids: fill-in-the-middle templates (fim.py), the control
tokens of a vocabulary (vocabulary.py), and token reuse while the user types (token_cache.py)."""

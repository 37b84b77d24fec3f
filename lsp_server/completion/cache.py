"""A small cache of recent completions, with typed-ahead forwarding.

When the user types exactly the characters the shown completion predicted,
the rest of that completion is still right: answer from the cache instead of
running the model again.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

# How much text around the cursor identifies a completion. Enough to tell
# two places apart, small enough to compare cheaply.
PREFIX_KEY_CHARS = 2000
SUFFIX_KEY_CHARS = 500
ANCHOR_CHARS = 200


@dataclass(frozen=True)
class CacheKey:
    uri: str
    prefix: str
    suffix: str

    @classmethod
    def of(cls, uri: str, prefix: str, suffix: str) -> CacheKey:
        return cls(uri, prefix[-PREFIX_KEY_CHARS:], suffix[:SUFFIX_KEY_CHARS])


class CompletionCache:
    def __init__(self, capacity: int = 64) -> None:
        self._entries: OrderedDict[CacheKey, str] = OrderedDict()
        self._capacity = capacity

    def put(self, key: CacheKey, completion: str) -> None:
        self._entries[key] = completion
        self._entries.move_to_end(key)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def get(self, key: CacheKey) -> str | None:
        """An exact hit, or the remainder of a completion the user has typed into."""
        hit = self._entries.get(key)
        if hit is not None:
            self._entries.move_to_end(key)
            return hit
        for old, completion in reversed(self._entries.items()):
            if old.uri != key.uri or old.suffix != key.suffix:
                continue
            typed = _typed_since(old.prefix, key.prefix)
            if typed is None or not typed or "\n" in typed:
                continue
            if completion.startswith(typed) and len(completion) > len(typed):
                return completion[len(typed) :]
        return None

    def clear(self) -> None:
        self._entries.clear()


def _typed_since(old_prefix: str, new_prefix: str, max_typed: int = 32) -> str | None:
    """What was appended to old_prefix to give new_prefix, when that is all that changed.

    Both are windows cut from the end of a longer text, so only their ends can be
    compared: the last ANCHOR_CHARS characters of old_prefix must sit right before
    the typed text. One substring search, so a cache of many entries stays cheap.
    """
    anchor = old_prefix[-ANCHOR_CHARS:]
    if len(old_prefix) < ANCHOR_CHARS and not new_prefix.startswith(old_prefix):
        return None
    search_from = max(0, len(new_prefix) - len(anchor) - max_typed)
    at = new_prefix.rfind(anchor, search_from)
    if at < 0:
        return None
    typed = new_prefix[at + len(anchor) :]
    return typed if 0 < len(typed) <= max_typed else None

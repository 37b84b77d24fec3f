"""A small cache of recent completions, with typed-ahead forwarding.

When the user types exactly the characters the shown completion predicted, or accepts part of
it (VS Code's accept-word and accept-line insert its first word or line), the rest of that
completion is still right: answer from the cache instead of running the model again. An entry
holds every suggestion shown at its place (completion.candidates), and says whether it was
computed ahead, for a document the user had not reached yet (speculative.py).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal

# How much text around the cursor identifies a completion. Enough to tell
# two places apart, small enough to compare cheaply.
PREFIX_KEY_CHARS = 2000
SUFFIX_KEY_CHARS = 500
ANCHOR_CHARS = 200
# Typed-ahead forwarding looks at least this far back for what was typed (more for longer
# suggestions: an accepted line can be long).
MIN_TYPED_SEARCH = 32

# "model": answered by the model for a request; "prefetch": computed ahead, in the background.
Origin = Literal["model", "prefetch"]


@dataclass(frozen=True)
class CacheKey:
    uri: str
    prefix: str
    suffix: str

    @classmethod
    def of(cls, uri: str, prefix: str, suffix: str) -> CacheKey:
        return cls(uri, prefix[-PREFIX_KEY_CHARS:], suffix[:SUFFIX_KEY_CHARS])


@dataclass(frozen=True)
class CachedCompletion:
    """The suggestions shown at one place, most probable first (none: nothing to show there)."""

    texts: tuple[str, ...]
    asked: int = 1  # candidates asked of the model
    origin: Origin = "model"

    @property
    def text(self) -> str:
        return self.texts[0] if self.texts else ""


@dataclass(frozen=True)
class CacheHit:
    texts: tuple[str, ...]
    asked: int
    reason: Literal["cache", "prefetched"]  # "prefetched": an exact hit on an entry computed ahead

    @property
    def text(self) -> str:
        return self.texts[0] if self.texts else ""


class CompletionCache:
    def __init__(self, capacity: int = 64) -> None:
        self._entries: OrderedDict[CacheKey, CachedCompletion] = OrderedDict()
        self._capacity = capacity

    def put(self, key: CacheKey, completion: str) -> None:
        self.store(key, CachedCompletion((completion,) if completion else ()))

    def store(self, key: CacheKey, entry: CachedCompletion) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def has(self, key: CacheKey) -> bool:
        """An exact entry for key (no forwarding)."""
        return key in self._entries

    def get(self, key: CacheKey) -> str | None:
        """An exact hit, or the remainder of a completion the user has typed into."""
        hit = self.lookup(key)
        return None if hit is None else hit.text

    def lookup(self, key: CacheKey) -> CacheHit | None:
        """An exact hit, or the remainders of the suggestions the user has typed into (or
        accepted part of): those that start with what was typed, and go on past it."""
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            return CacheHit(entry.texts, entry.asked, "prefetched" if entry.origin == "prefetch" else "cache")
        for old, cached in reversed(self._entries.items()):
            if old.uri != key.uri or old.suffix != key.suffix or not cached.texts:
                continue
            longest = max(len(text) for text in cached.texts)
            typed = _typed_since(old.prefix, key.prefix, max(MIN_TYPED_SEARCH, longest))
            if not typed:
                continue
            rests = tuple(
                text[len(typed) :] for text in cached.texts if text.startswith(typed) and len(text) > len(typed)
            )
            if rests:
                return CacheHit(rests, cached.asked, "cache")
        return None

    def clear(self) -> None:
        self._entries.clear()


def _typed_since(old_prefix: str, new_prefix: str, max_typed: int = MIN_TYPED_SEARCH) -> str | None:
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

from lsp_server.completion.cache import CacheKey, CompletionCache


def test_exact_hit_and_typed_ahead_forwarding():
    cache = CompletionCache()
    cache.put(CacheKey.of("u", "def f(x):\n    ret", "\n"), "urn x + 1")
    assert cache.get(CacheKey.of("u", "def f(x):\n    ret", "\n")) == "urn x + 1"
    # The user typed "ur": the rest of the shown completion is still right.
    assert cache.get(CacheKey.of("u", "def f(x):\n    retur", "\n")) == "n x + 1"
    # Typed something else: no hit.
    assert cache.get(CacheKey.of("u", "def f(x):\n    reto", "\n")) is None
    # Other document or other suffix: no hit.
    assert cache.get(CacheKey.of("v", "def f(x):\n    retur", "\n")) is None
    assert cache.get(CacheKey.of("u", "def f(x):\n    retur", "\nother")) is None


def test_typed_ahead_with_long_prefix_windows():
    cache = CompletionCache()
    body = "a = 1\n" * 1000
    cache.put(CacheKey.of("u", body + "val", ""), "ue = 2")
    assert cache.get(CacheKey.of("u", body + "valu", "")) == "e = 2"


def test_capacity():
    cache = CompletionCache(capacity=2)
    for i in range(3):
        cache.put(CacheKey.of("u", f"p{i}", ""), str(i))
    assert cache.get(CacheKey.of("u", "p0", "")) is None
    assert cache.get(CacheKey.of("u", "p2", "")) == "2"

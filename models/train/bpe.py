"""StarCoder's byte-level BPE tokenizer in plain Python, token for token what llama.cpp does.

Why: the GPU training machine may have neither llama.cpp nor any tokenizer library, but the
fill-in-the-middle samples (fim.py) tokenize prefix, suffix and middle separately, at a
cursor chosen in the text, exactly as Infill builds its prompts. This module needs only
the standard library; the vocabulary (tokens and merges) comes from
models/vocab/ggml-vocab-starcoder.gguf (read with the gguf package) or from the vocab.json
that build_corpus.py writes next to the shards (read with json alone).

What llama.cpp does for the "starcoder" pre-tokenizer (llama-vocab.cpp, unicode.cpp):
  1. split the text around every \\p{N} character (each digit is a piece of its own);
  2. split each piece with GPT-2's pattern
     's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
     where \\s is Unicode's White_Space set;
  3. map each piece's UTF-8 bytes to GPT-2's printable characters and apply the merges,
     lowest rank first and, on a tie, the leftmost pair first, one pair at a time.
tests/models/test_train_gpu_script.py checks the result against llama.cpp's tokenizer.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
VOCAB_GGUF = HERE.parent / "vocab" / "ggml-vocab-starcoder.gguf"

# Unicode's White_Space property: llama.cpp's \s (Python's str.isspace() also has U+001C-U+001F).
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)


def _char_class(categories: str) -> str:
    """A regex character class body for every code point whose category starts with one of
    `categories` (e.g. "L" for \\p{L}), as ranges."""
    ranges, start, prev = [], None, None
    for cp in range(sys.maxunicode + 1):
        if unicodedata.category(chr(cp))[0] in categories:
            if start is None:
                start = cp
            prev = cp
        elif start is not None:
            ranges.append((start, prev))
            start = None
    if start is not None:
        ranges.append((start, prev))
    esc = lambda cp: re.escape(chr(cp))
    return "".join(esc(a) if a == b else f"{esc(a)}-{esc(b)}" for a, b in ranges)


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from bytes to printable characters (the token strings use it)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {bs[i]: chr(cs[i]) for i in range(256)}


class StarCoderBPE:
    """encode(text) -> token ids; decode(ids) -> text. Plain text only: control tokens such as
    <fim_prefix> are never parsed from text (llama.cpp's special=False); callers add them by id."""

    def __init__(self, tokens: list[str], merges: list[str], n_control: int = 38):
        self.tokens, self.n_control = tokens, n_control
        self.token_to_id = {t: i for i, t in enumerate(tokens)}
        self.ranks = {tuple(m.split(" ", 1)): i for i, m in enumerate(merges)}
        self.byte_map = _bytes_to_unicode()
        inverse = {c: b for b, c in self.byte_map.items()}
        # Token id -> bytes, for decoding; the control tokens (ids below n_control: <|endoftext|>,
        # the FIM tokens, ...) decode to nothing.
        self.token_bytes = [b"" if i < n_control else bytes(inverse[c] for c in t) for i, t in enumerate(tokens)]
        letters, numbers = _char_class("L"), _char_class("N")
        ws = re.escape(WHITESPACE)
        self.digit_split = re.compile(f"([{numbers}])")
        self.pattern = re.compile(
            f"'s|'t|'re|'ve|'m|'ll|'d| ?[{letters}]+| ?[{numbers}]+| ?[^{ws}{letters}{numbers}]+"
            f"|[{ws}]+(?![^{ws}])|[{ws}]+"
        )
        self.cache: dict[str, tuple[int, ...]] = {}

    @classmethod
    def from_gguf(cls, path: Path = VOCAB_GGUF) -> StarCoderBPE:
        import gguf

        r = gguf.GGUFReader(str(path))
        types = r.fields["tokenizer.ggml.token_type"].contents()
        n_control = next(i for i, t in enumerate(types) if t != 3)  # StarCoder's control tokens come first
        return cls(
            r.fields["tokenizer.ggml.tokens"].contents(), r.fields["tokenizer.ggml.merges"].contents(), n_control
        )

    @classmethod
    def from_json(cls, path: Path) -> StarCoderBPE:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(data["tokens"], data["merges"], data["n_control"])

    def save_json(self, path: Path) -> None:
        merges = [" ".join(p) for p, _ in sorted(self.ranks.items(), key=lambda kv: kv[1])]
        Path(path).write_text(
            json.dumps({"tokens": self.tokens, "merges": merges, "n_control": self.n_control}), encoding="utf-8"
        )

    def pretokenize(self, text: str) -> list[str]:
        out = []
        for i, piece in enumerate(self.digit_split.split(text)):
            if i % 2:  # a single \p{N} character
                out.append(piece)
            elif piece:
                out.extend(self.pattern.findall(piece))
        return out

    def _bpe(self, piece: str) -> tuple[int, ...]:
        word = [self.byte_map[b] for b in piece.encode("utf-8")]
        ranks = self.ranks
        while len(word) > 1:
            best, best_rank = -1, None
            for i in range(len(word) - 1):
                r = ranks.get((word[i], word[i + 1]))
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = i, r
            if best < 0:
                break
            word[best : best + 2] = [word[best] + word[best + 1]]
        ids = []
        for sym in word:
            tid = self.token_to_id.get(sym)
            if tid is None:  # llama.cpp falls back to one token per byte
                ids.extend(self.token_to_id[c] for c in sym)
            else:
                ids.append(tid)
        return tuple(ids)

    def encode(self, text: str) -> list[int]:
        cache = self.cache
        ids: list[int] = []
        for piece in self.pretokenize(text):
            got = cache.get(piece)
            if got is None:
                got = self._bpe(piece)
                if len(cache) < 500_000:
                    cache[piece] = got
            ids.extend(got)
        return ids

    __call__ = encode

    def decode_bytes(self, ids) -> bytes:
        tb = self.token_bytes
        return b"".join(tb[i] for i in ids)

    def decode(self, ids) -> str:
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

"""Turn source text into training sequences: plain next-token, or fill-in-the-middle.

FIM sequences come in one of the two orders of Bavarian et al., "Efficient Training of
Language Models to Fill in the Middle" (2022), each exactly the prompt Infill sends for it:

    psm: <fim_prefix> prefix <fim_suffix> suffix <fim_middle> middle <|endoftext|>
    spm: <fim_suffix> suffix <fim_prefix> prefix <fim_middle> middle <|endoftext|>

The embedded model uses SPM: the middle continues the text right before the cursor, which a
tiny model learns far sooner than PSM's jump back over the suffix (see models/MODEL_CARD.md).
Each text piece is tokenised on its own with special=False and the control tokens added
by id. The middle is what inline completion asks for: the rest of a line, one to a few
whole lines, or a short span, so that the model learns to stop (<|endoftext|>) soon.
"""

from __future__ import annotations

import random
from collections.abc import Callable

# StarCoder tokenizer ids (checked in tests/models/test_embedded_model.py).
EOT, FIM_PREFIX, FIM_MIDDLE, FIM_SUFFIX, FIM_PAD = 0, 1, 2, 3, 4
IGNORE = -100  # label for padding: no loss

Tokenize = Callable[[str], list[int]]


def line_starts(text: str) -> list[int]:
    starts = [0]
    starts += [i + 1 for i, ch in enumerate(text) if ch == "\n" and i + 1 < len(text)]
    return starts


def choose_middle(text: str, rng: random.Random) -> tuple[int, int]:
    """Pick [start, end) of the hidden middle, biased to line boundaries."""
    starts = line_starts(text)
    line = rng.randrange(len(starts))
    ls = starts[line]
    le = text.find("\n", ls)
    le = len(text) if le < 0 else le
    kind = rng.random()
    if kind < 0.5:
        # Cursor inside a line (after its indentation); the middle is the rest of the line.
        indent = len(text[ls:le]) - len(text[ls:le].lstrip())
        start = rng.randint(ls + indent, max(ls + indent, le - 1)) if le > ls + indent else ls
        return start, le
    if kind < 0.9:
        # Cursor at the start of a line (after its indentation); the middle is 1-4 whole lines,
        # mostly one (what an editor asks for on an empty line).
        indent = len(text[ls:le]) - len(text[ls:le].lstrip())
        n = rng.choice([1, 1, 1, 1, 2, 2, 3, 4])
        last = min(line + n, len(starts)) - 1
        end = text.find("\n", starts[last])
        end = len(text) if end < 0 else end + 1
        return ls + indent, end
    # A random span of up to 60 characters (a word or an expression inside a line).
    start = rng.randrange(len(text))
    return start, min(len(text), start + rng.randint(1, 60))


def fim_sequence(text: str, tokenize: Tokenize, seq_len: int, rng: random.Random,
                 max_middle_tokens: int = 96, order: str = "psm") -> tuple[list[int], int]:
    """One FIM sequence (order "psm" or "spm") of at most seq_len + 1 tokens, built from a
    window of text, and the index of its <fim_middle> token (what follows it is the middle,
    then <|endoftext|>)."""
    for _ in range(4):
        start, end = choose_middle(text, rng)
        middle = tokenize(text[start:end])
        if 0 < len(middle) <= max_middle_tokens:
            break
    else:
        middle = middle[:max_middle_tokens]
    prefix = tokenize(text[:start])
    suffix = tokenize(text[end:])
    budget = seq_len + 1 - len(middle) - 4  # four control tokens
    # Give the suffix a random share of what is left, then fill the rest with prefix (kept
    # from the right: the text just before the cursor matters most).
    keep = rng.randint(0, max(0, budget // 2)) if len(suffix) > budget // 2 else len(suffix)
    prefix = prefix[max(0, len(prefix) - (budget - keep)):]
    # A short prefix (cursor near the top of the window) leaves room: give it to the suffix
    # rather than to padding, which costs as much compute as real tokens.
    suffix = suffix[: max(keep, budget - len(prefix))]
    seq = assemble(prefix, suffix, middle, order)
    return seq, len(seq) - len(middle) - 2


def assemble(prefix: list[int], suffix: list[int], middle: list[int], order: str) -> list[int]:
    """The FIM sequence of token ids in the given order, ending with <|endoftext|>."""
    if order == "spm":
        return [FIM_SUFFIX] + suffix + [FIM_PREFIX] + prefix + [FIM_MIDDLE] + middle + [EOT]
    return [FIM_PREFIX] + prefix + [FIM_SUFFIX] + suffix + [FIM_MIDDLE] + middle + [EOT]


def to_inputs_and_labels(seq: list[int], seq_len: int, middle_at: int | None = None,
                         middle_weight: float = 1.0) -> tuple[list[int], list[int], list[float]]:
    """Shift by one and pad to seq_len; padded positions get no loss.

    The loss weights are 1, except for the middle and its <|endoftext|> in a FIM sequence
    (the labels after position middle_at), which get middle_weight: the middle is only a few
    percent of a FIM sequence's tokens but it is what inline completion asks for.
    """
    seq = seq[: seq_len + 1]
    inputs, labels = seq[:-1], seq[1:]
    weights = [1.0] * len(labels)
    if middle_at is not None:
        for i in range(middle_at, len(labels)):
            weights[i] = middle_weight
    pad = seq_len - len(inputs)
    return inputs + [FIM_PAD] * pad, labels + [IGNORE] * pad, weights + [0.0] * pad

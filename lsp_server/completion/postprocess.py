"""Post-processing of raw model output into an inline completion.

Small named filters, each with one job and its own tests: decide whether the
cursor wants one line or a block, cut the text at the end of the current block,
drop text that repeats what already follows the cursor, cut where the model falls
into a loop, never offer blank text.
"""

from __future__ import annotations

from dataclasses import dataclass

from .loops import loop_start

BLOCK_OPENERS = (":", "{", "(", "[", "=>", "->", " do", " then")
CLOSERS = {")": "(", "]": "[", "}": "{"}


@dataclass(frozen=True)
class CursorContext:
    line_prefix: str  # text of the cursor's line before the cursor
    line_suffix: str  # text of the cursor's line after the cursor
    previous_line: str  # nearest non-blank line above, "" when none


def indentation(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def wants_multiline(ctx: CursorContext) -> bool:
    """A block is wanted at the end of a line that opens one, or on a blank line;
    in the middle of a line, or after a finished statement, one line is enough."""
    if ctx.line_suffix.strip() and ctx.line_suffix.strip() not in (")", "]", "}", "):", "):\n"):
        return False
    prefix = ctx.line_prefix.rstrip()
    if not prefix:
        return True
    return prefix.endswith(BLOCK_OPENERS)


def block_lines(text: str, ctx: CursorContext, max_lines: int) -> tuple[list[str], bool]:
    """The lines of text that belong to the cursor's block, and whether the block
    ended inside text (so generating more is pointless).

    The first line continues the cursor's line. A later line indented less than
    the block ends it; when the cursor's line opens a block, a line back at its
    level ends it too, and is kept when it is a closing bracket (C-like blocks).
    Two blank lines in a row, or max_lines, also end it.
    """
    lines = text.split("\n")
    first_line = ctx.line_prefix + lines[0]
    base = indentation(first_line) if first_line.strip() else indentation(ctx.line_prefix)
    opens_block = first_line.rstrip().endswith(BLOCK_OPENERS)
    kept = [lines[0]]
    blank_run = 0
    for line in lines[1:]:
        if len(kept) >= max_lines:
            return kept, True
        if not line.strip():
            blank_run += 1
            if blank_run >= 2:
                return kept, True
            kept.append(line)
            continue
        blank_run = 0
        indent = indentation(line)
        if indent < base:
            return kept, True
        if opens_block and indent == base:
            if line.strip()[0] in CLOSERS:
                kept.append(line)
            return kept, True
        kept.append(line)
    return kept, False


def cut_at_block_end(text: str, ctx: CursorContext, max_lines: int) -> str:
    return "\n".join(block_lines(text, ctx, max_lines)[0]).rstrip()


def block_finished(text: str, ctx: CursorContext, max_lines: int) -> bool:
    """True once the complete lines generated so far end the cursor's block."""
    last_newline = text.rfind("\n")
    return last_newline >= 0 and block_lines(text[:last_newline], ctx, max_lines)[1]


def first_line_only(text: str) -> str:
    return text.split("\n", 1)[0].rstrip()


def bracket_depth(text: str) -> int:
    """Brackets opened minus brackets closed (strings and comments are not told apart)."""
    depth = 0
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
    return depth


def trim_suffix_overlap(text: str, ctx: CursorContext, suffix_lines: list[str]) -> str:
    """Drop the end of the completion where it repeats what follows the cursor.

    Same line: if the completion ends by retyping the rest of the line, or
    closes brackets that the rest of the line already closes, cut that part.
    Later lines: drop trailing completion lines equal to the suffix's first lines.
    """
    rest = ctx.line_suffix.strip()
    if rest and "\n" not in text:
        retyped = text.rstrip().endswith(rest) and len(text.rstrip()) > len(rest)
        # "f(x)" before ")" closes its own bracket: only trim when the completion
        # closes more than it opens, or the repeated text has no brackets at all.
        closes_extra = bracket_depth(text) < 0 or not any(c in rest for c in CLOSERS)
        if retyped and closes_extra:
            return text.rstrip()[: -len(rest)]
        # Extra closers the line already has: "foo(x))" before ")" -> "foo(x)"
        stripped = text.rstrip()
        while stripped and stripped[-1] in CLOSERS and bracket_depth(stripped) < 0 and rest.startswith(stripped[-1]):
            stripped = stripped[:-1]
            rest = rest[1:]
        return stripped
    lines = text.split("\n")
    following = [line.strip() for line in suffix_lines if line.strip()][:8]
    for n in range(min(len(lines) - 1, len(following)), 0, -1):
        tail = [line.strip() for line in lines[-n:]]
        if tail == following[:n]:
            return "\n".join(lines[:-n]).rstrip()
    return text


def cut_loops(text: str, ctx: CursorContext) -> str:
    """Cut the completion where it falls into a loop, keeping one copy of what repeats.

    Greedy decoding, above all with small models, can repeat a phrase along a line, run one
    character on, or write the same few lines over and over until max_lines. The rules are
    the ones that stop such a generation early (loops.py), applied to each finished line in
    turn: the first loop found is cut.
    """
    line_end = -1
    while line_end < len(text):
        line_end = text.find("\n", line_end + 1)
        if line_end < 0:
            line_end = len(text)
        cut = loop_start(text[:line_end], ctx.line_prefix, final=True)
        if cut is not None:
            return text[:cut]
    return text


def is_blank(text: str) -> bool:
    return not text.strip()


def postprocess(raw: str, ctx: CursorContext, suffix_lines: list[str], multiline: bool, max_lines: int) -> str:
    """The full pipeline; returns "" when there is nothing worth showing."""
    text = raw.replace("\r\n", "\n")
    if not ctx.line_prefix.strip() and not multiline:
        text = text.lstrip("\n")
    text = cut_at_block_end(text, ctx, max_lines) if multiline else first_line_only(text)
    text = cut_loops(text, ctx)
    text = trim_suffix_overlap(text, ctx, suffix_lines)
    return "" if is_blank(text) else text

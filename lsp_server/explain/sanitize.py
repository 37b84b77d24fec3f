"""Model text made fit for the page: what a model writes is shown as Markdown, so it must not
be able to break the page it is shown on.

`sanitize_markdown` is applied to every explanation (each streamed part too) and
`sanitize_inline` to generated hover summaries:

- no large headings: a model's `# Title` would be the biggest text in the panel (a small model
  writes `#` line after line), so ATX headings are levelled to at most `###`, empty ones are
  dropped, and setext underlines (`===`, `---` under a line) no longer make headings;
- no raw HTML: `<` outside code is written `&lt;`, so no tag (a script, a form, a tracking
  image) reaches the page; Markdown images become plain text for the same reason;
- no loops: a line, or a block of up to MAX_REPEAT_BLOCK lines, written again right after
  itself is kept once, and blank lines do not pile up;
- bounded: at most MAX_LINES lines and MAX_CHARS characters, cut at a line, with a note;
- a code block the model left open is closed.

Code blocks and code spans keep their text as written (there `<` is shown as it is).
"""

from __future__ import annotations

import re

MAX_CHARS = 8000
MAX_LINES = 200
MAX_REPEAT_BLOCK = 8
SMALLEST_HEADING = 3  # `#` and `##` become `###`
CUT_NOTE = "*(cut: the answer was too long)*"
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# A heading, also inside list items and quotes (`- # Title`, `> # Title`).
_ATX = re.compile(r"^((?: {0,3}(?:>|[-*+][ \t]|\d{1,9}[.)][ \t])[ \t]*)*) {0,3}(#{1,6})(?:[ \t]+|$)(.*)$")
_ATX_CLOSE = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_UNDERLINE = re.compile(r"^[ \t]*(=+|-+)[ \t]*$")
_PLAIN = re.compile(r"^ {0,3}(?![-*+>|]|\d{1,9}[.)]|`{3}|~{3})\S")  # a paragraph line (no list, quote, table)
_BACKTICKS = re.compile(r"`+")


def sanitize_markdown(text: str) -> str:
    """The model's Markdown, fit to show (see the module docstring)."""
    lines = _level_headings(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    lines = _cut_repeats(lines)
    lines, cut = _bound(lines)
    while lines and not lines[-1].strip():
        lines.pop()
    lines = _close_fence(lines)
    result = "\n".join(lines).strip("\n")
    return f"{result}\n\n{CUT_NOTE}" if cut else result


def sanitize_inline(text: str) -> str:
    """One line of model text (a hover summary) for inline Markdown: no HTML, no image, and
    no heading or quote marker at its start."""
    line = " ".join(text.split())
    line = re.sub(r"^(?:[#>]+[ \t]*)+", "", line)
    return _escape_outside_code(line)


def _fence_of(line: str) -> str | None:
    match = _FENCE.match(line)
    return match.group(1) if match else None


def _closes(fence: str, line: str) -> bool:
    """Whether line closes a code block opened with `fence` (same character, at least as long,
    nothing after it)."""
    match = _FENCE.match(line)
    if match is None:
        return False
    marks = match.group(1)
    return marks[0] == fence[0] and len(marks) >= len(fence) and not line[match.end() :].strip()


def _level_headings(lines: list[str]) -> list[str]:
    out: list[str] = []
    fence: str | None = None
    for line in lines:
        if fence is not None:
            out.append(line)
            if _closes(fence, line):
                fence = None
            continue
        opened = _fence_of(line)
        if opened is not None:
            fence = opened
            out.append(line)
            continue
        heading = _ATX.match(line)
        if heading:
            prefix, marks, title = heading.group(1), heading.group(2), heading.group(3).strip()
            title = _ATX_CLOSE.sub("", title).strip()
            if title:
                level = max(len(marks), SMALLEST_HEADING)
                out.append(prefix + "#" * level + " " + _escape_outside_code(title))
            elif prefix.strip():
                out.append(prefix.rstrip())
            continue  # an empty heading (`#` alone) says nothing
        if _UNDERLINE.match(line) and out and out[-1].strip() and not _ATX.match(out[-1]):
            # Under a line of text, `===` or `---` makes it a large heading: a small one instead.
            if _PLAIN.match(out[-1]):
                out[-1] = "#" * SMALLEST_HEADING + " " + out[-1].strip()
            elif line.strip()[0] == "-":
                out.extend(["", line])  # after a blank line, `---` is a rule
            continue
        out.append(_escape_outside_code(line))
    return out


def _escape_outside_code(line: str) -> str:
    """`<` as `&lt;` and `![` as `!\\[` outside code spans (a backtick run up to the next run
    of the same length; an unmatched run is literal text)."""
    parts: list[str] = []
    position = 0
    while position < len(line):
        opening = _BACKTICKS.search(line, position)
        if opening is None:
            break
        closing = next(
            (m for m in _BACKTICKS.finditer(line, opening.end()) if len(m.group()) == len(opening.group())), None
        )
        if closing is None:
            break
        parts.append(_escape_text(line[position : opening.start()]))
        parts.append(line[opening.start() : closing.end()])
        position = closing.end()
    parts.append(_escape_text(line[position:]))
    return "".join(parts)


def _escape_text(text: str) -> str:
    return text.replace("<", "&lt;").replace("![", "!\\[")


def _cut_repeats(lines: list[str]) -> list[str]:
    """A block of non-blank lines written again right after itself (blank lines between
    them aside) is kept once; in code, where a line may well come twice, twice. Runs of
    blank lines become one. Fence lines are never dropped: that would turn the rest of the
    answer into code."""
    out: list[str] = []
    filled: list[int] = []  # indexes in out of the non-blank lines
    in_code: list[bool] = []  # per entry of filled: inside a code block
    fence: str | None = None
    for line in lines:
        if not line.strip():
            if out and out[-1].strip():
                out.append(line)
            continue
        is_fence = _closes(fence, line) if fence is not None else _fence_of(line) is not None
        code = fence is not None and not is_fence
        if is_fence:
            fence = None if fence is not None else _fence_of(line)
        out.append(line)
        filled.append(len(out) - 1)
        in_code.append(code)
        for size in range(1, MAX_REPEAT_BLOCK + 1):
            copies = 3 if all(in_code[-size:]) else 2
            if len(filled) < copies * size:
                break
            blocks = [
                [out[i].rstrip() for i in filled[len(filled) - (n + 1) * size : len(filled) - n * size]]
                for n in range(copies)
            ]
            if any(_fence_of(item) for item in blocks[0]):
                continue
            if all(block == blocks[0] for block in blocks):
                del out[filled[-size - 1] + 1 :]  # the copy and the blank lines before it
                del filled[-size:], in_code[-size:]
                break
    return out


def _bound(lines: list[str]) -> tuple[list[str], bool]:
    kept: list[str] = []
    total = 0
    for line in lines:
        if len(kept) >= MAX_LINES or total + len(line) + 1 > MAX_CHARS:
            if not kept:  # one overlong line: keep its start
                kept.append(line[:MAX_CHARS])
            return kept, True
        kept.append(line)
        total += len(line) + 1
    return kept, False


def _close_fence(lines: list[str]) -> list[str]:
    fence: str | None = None
    for line in lines:
        if fence is None:
            fence = _fence_of(line)
        elif _closes(fence, line):
            fence = None
    return [*lines, fence] if fence is not None else lines

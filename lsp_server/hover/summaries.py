"""Generated summaries for symbols without documentation, written by the code model.

A code model is best at what it was trained on, so instead of an instruction ("summarize
this"), which a base model follows poorly, the summary is asked for as fill-in-the-middle: the
symbol's own source with an empty docstring (Python) or doc comment (other languages) where
documentation would go. The model writes the first line of it; that line is the summary.
Works with any FIM model, and with no chat template.

An explain model (`explain.model`, an instruct model) is asked in its own terms instead: a
chat message with the symbol's source (`chat_summary_message`). Either way the line is
cleaned (`clean_summary`) and made safe for the hover's Markdown (explain/sanitize.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..index import Symbol

MAX_SUMMARY_CHARS = 240
MAX_CHAT_SOURCE_CHARS = 6000  # of the symbol's source, in a chat summary prompt
CHAT_SUMMARY_SYSTEM = "You are a senior software engineer. You write short, precise documentation."
# Doc comment openers and closers by language (the part before the model's text, and after).
_DOC_COMMENTS = {
    "go": ("// ", ""),
    "rust": ("/// ", ""),
}
_BLOCK_COMMENT = ("/** ", " */")


@dataclass
class SummaryPrompt:
    prefix: str  # source text up to where the documentation goes, opener included
    suffix: str  # closer and the rest of the symbol
    stop: list[str]  # text that ends the summary


def _python_body_line(lines: list[str], symbol: Symbol) -> int | None:
    """Index of the first line after the `def ...:` / `class ...:` header."""
    header = re.compile(rf"^\s*(async\s+def|def|class)\s+{re.escape(symbol.name)}\b")
    line = symbol.start_line
    while line <= symbol.end_line and line < len(lines) and not header.match(lines[line]):
        line += 1  # decorators
    depth = 0
    while line <= symbol.end_line and line < len(lines):
        code = lines[line].split("#", 1)[0].rstrip()
        depth += sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")
        if depth <= 0 and code.endswith(":"):
            return line + 1
        line += 1
    return None


def summary_prompt_for(symbol: Symbol, file_text: str, context_lines: int = 40) -> SummaryPrompt | None:
    """The FIM prompt whose middle is the symbol's one-line documentation, or None when the
    symbol's source cannot be laid out that way (a one-line body such as `def f(): pass`)."""
    lines = file_text.split("\n")
    if not 0 <= symbol.start_line < len(lines):
        return None
    end = min(symbol.end_line, len(lines) - 1)
    before = lines[max(0, symbol.start_line - context_lines) : symbol.start_line]
    if symbol.language == "python":
        body = _python_body_line(lines, symbol)
        if body is None or body > end:
            return None
        header = lines[symbol.start_line : body]
        indent = next((ln[: len(ln) - len(ln.lstrip())] for ln in lines[body : end + 1] if ln.strip()), None)
        if indent is None:
            return None
        prefix = "\n".join(before + header) + "\n" + indent + '"""'
        suffix = '"""\n' + "\n".join(lines[body : end + 1]) + "\n"
        return SummaryPrompt(prefix, suffix, ['"""', "\n"])
    opener, closer = _DOC_COMMENTS.get(symbol.language, _BLOCK_COMMENT)
    first = lines[symbol.start_line]
    indent = first[: len(first) - len(first.lstrip())]
    prefix = "\n".join(before) + ("\n" if before else "") + indent + opener
    suffix = closer + "\n" + "\n".join(lines[symbol.start_line : end + 1]) + "\n"
    return SummaryPrompt(prefix, suffix, ["*/", "\n"])


def chat_summary_message(symbol: Symbol, file_text: str) -> str | None:
    """The chat message that asks an instruct model for the symbol's one-line summary, or
    None when the symbol is not in the text."""
    lines = file_text.split("\n")
    if not 0 <= symbol.start_line < len(lines):
        return None
    source = "\n".join(lines[symbol.start_line : min(symbol.end_line, len(lines) - 1) + 1])
    return (
        f"Write the one-sentence summary of `{symbol.qualified_name}` for its documentation: what it does, "
        "in at most 25 words. Answer with that sentence only.\n\n"
        f"```{symbol.language}\n{source[:MAX_CHAT_SOURCE_CHARS]}\n```"
    )


def clean_summary(text: str) -> str:
    """The model's line as a summary: one sentence, no comment markers; "" when unusable."""
    text = " ".join(text.replace('"""', " ").replace("*/", " ").split()).strip(" */-")
    if len(text) > MAX_SUMMARY_CHARS:
        cut = text.rfind(" ", 0, MAX_SUMMARY_CHARS)
        text = text[: cut if cut > 0 else MAX_SUMMARY_CHARS] + " …"
    if sum(ch.isalpha() for ch in text) < 3:
        return ""
    return text[0].upper() + text[1:]

"""Python docstrings as Markdown a hover can show.

A docstring is not Markdown: shown as is, a `# ...` line became a heading, `>>>` examples
became nested quotes, `*args` turned into italics and an indented usage block ran into one
paragraph. reStructuredText, Google and NumPy docstrings are converted by docstring-to-markdown
(the converter python-lsp-server and jedi-language-server use); a plain docstring, which that
library declines, is converted here block by block:

- a doctest block (`>>> ...` and its output) becomes a Python code block;
- an indented block, or one laid out in columns, stays as it is, in a code block;
- any other paragraph is prose: its lines are joined as Markdown joins them, with the
  characters that Markdown would read as markup escaped.
"""

from __future__ import annotations

import inspect
import logging
import re
import textwrap

log = logging.getLogger(__name__)

# Characters Markdown reads as markup inside prose (escaped with a backslash).
_MARKUP = re.compile(r"([\\`*_{}\[\]<>#|~])")
# Spaces that lay text out in columns (a table, an aligned list): three or more, or two that do
# not follow the end of a sentence (some write two spaces there).
_COLUMNS = re.compile(r"\S {3,}\S|[^\s.?!:] {2}\S")
# A line of only =, - or ~ under text: Markdown (setext) would make the text a heading.
_UNDERLINE = re.compile(r"^\s*([=~-])\1{2,}\s*$")


def docstring_markdown(doc: str) -> str:
    """Markdown for a Python docstring."""
    text = inspect.cleandoc(doc)
    try:
        import docstring_to_markdown

        return docstring_to_markdown.convert(text).strip()
    except Exception as error:  # UnknownFormatError for plain docstrings; any failure: our own
        if type(error).__name__ != "UnknownFormatError":
            log.debug("docstring-to-markdown failed (%s); converting as plain text", error)
    return plain_docstring_markdown(text)


def plain_docstring_markdown(text: str) -> str:
    parts: list[str] = []
    for block in _blocks(text):
        parts.extend(_render(block))
    return "\n\n".join(part for part in parts if part)


def _blocks(text: str) -> list[list[str]]:
    """Runs of non-blank lines."""
    blocks: list[list[str]] = [[]]
    for line in text.split("\n"):
        if line.strip():
            blocks[-1].append(line.rstrip())
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _render(block: list[str]) -> list[str]:
    if block[0].lstrip().startswith(">>>"):
        return [_fence(block, "python")]
    if _indent(block[0]) > 0 or any(_COLUMNS.search(line.strip()) for line in block):
        return [_fence(block, "text")]
    # Prose, then maybe an indented part ("Usage:" followed by the usage lines).
    split = next((i for i, line in enumerate(block) if _indent(line) > 0), len(block))
    prose = " ".join(_escape(line.strip()) for line in block[:split])
    rest = [_fence(block[split:], "text")] if split < len(block) else []
    return [prose, *rest]


def _escape(line: str) -> str:
    if _UNDERLINE.match(line):
        return "\\" + line
    escaped = _MARKUP.sub(r"\\\1", line)
    # A line that starts like a list item or a numbered item stays text.
    escaped = re.sub(r"^([-+]) ", r"\\\1 ", escaped)
    return re.sub(r"^(\d+)\. ", r"\1\\. ", escaped)


def _fence(lines: list[str], language: str) -> str:
    body = textwrap.dedent("\n".join(lines))
    fence = "```" if "```" not in body else "~~~"
    return f"{fence}{language}\n{body}\n{fence}"

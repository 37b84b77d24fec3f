"""Hover shows docstrings as Markdown that reads as the docstring does: golden cases with real
standard-library docstrings (copied into docstring_cases/cases.json, so that they do not change
with the Python running the tests), and the rules each case is there for."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lsp_server.hover import HoverInfo
from lsp_server.hover.docstrings import docstring_markdown

CASES = json.loads((Path(__file__).parent / "docstring_cases" / "cases.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_golden_docstrings(case):
    assert docstring_markdown(case["doc"]) == case["markdown"]


def markdown_of(name: str) -> str:
    return next(case["markdown"] for case in CASES if case["name"].startswith(name))


def test_no_line_of_a_docstring_becomes_a_heading_or_a_quote():
    for case in CASES:
        prose = re.sub(r"(```|~~~).*?\1", "", case["markdown"], flags=re.S)  # outside code blocks
        for line in prose.splitlines():
            assert not re.match(r"^ {0,3}(#{1,6} |>)", line) or line.startswith("#### "), (case["name"], line)


def test_doctest_examples_are_python_code():
    text = markdown_of("statistics.mean")
    assert "```python\nmean([1, 2, 3, 4, 4])\n```" in text and ">" not in text.split("```")[0]


def test_a_usage_block_keeps_its_lines_and_a_column_list_its_layout():
    text = markdown_of("a comment-like line")
    assert "```text\nfnmatch(name, pat)\nfnmatchcase(name, pat)\n```" in text
    assert "```text\n*       matches everything\n?       matches any single character\n```" in text
    assert "\\# Wildcard matching" in text and "\\*args and \\*\\*kwargs" in text


def test_prose_with_two_spaces_after_a_sentence_stays_prose():
    assert "```" not in markdown_of("fnmatch module")


def test_hover_markdown_converts_python_docstrings_only():
    python = HoverInfo(name="match", signature="def match(name)", doc="Match.\n\n# not a heading", language="python")
    assert "\\# not a heading" in python.markdown()
    rust = HoverInfo(name="main", signature="fn main()", doc="Runs `main`.\n\n# Examples", language="rust")
    assert "# Examples" in rust.markdown()  # Rust doc comments are Markdown already

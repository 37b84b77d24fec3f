"""Model text made fit for the page (explain/sanitize.py): golden cases, each a model's text
(`NAME.model.md`, one of them what the embedded model wrote for 12 lines of shutil.py) and
what the page gets (`NAME.page.md`), and the rules each case is there for.

INFILL_UPDATE_GOLDEN=1 rewrites the .page.md files from the code (then read the diff)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from lsp_server.explain.sanitize import CUT_NOTE, MAX_CHARS, MAX_LINES, sanitize_inline, sanitize_markdown

CASES = Path(__file__).parent / "sanitize_cases"
NAMES = sorted(path.name.removesuffix(".model.md") for path in CASES.glob("*.model.md"))


def page(name: str) -> str:
    return (CASES / f"{name}.page.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_golden_cases(name):
    result = sanitize_markdown((CASES / f"{name}.model.md").read_text(encoding="utf-8"))
    if os.environ.get("INFILL_UPDATE_GOLDEN") == "1":
        (CASES / f"{name}.page.md").write_text(result, encoding="utf-8")
    assert result == page(name)


@pytest.mark.parametrize("name", NAMES)
def test_sanitizing_twice_changes_nothing(name):
    assert sanitize_markdown(page(name)) == page(name)


def outside_code(markdown: str) -> str:
    return re.sub(r"(`+)[^`]*?\1", "", re.sub(r"^```.*?^```", "", markdown, flags=re.S | re.M))


@pytest.mark.parametrize("name", NAMES)
def test_no_large_heading_and_no_html_reaches_the_page(name):
    prose = outside_code(page(name))
    assert not re.search(r"^ {0,3}(?:[-*>]\s*|\d+\.\s*)*#{1,2}(\s|$)", prose, flags=re.M)
    assert not re.search(r"^ {0,3}(=+|-+)\s*$", prose.replace("\n\n---", ""), flags=re.M)  # no setext heading
    assert "<" not in prose and "![" not in prose


def test_the_embedded_models_hashes_leave_nothing():
    assert page("embedded_model_on_shutil") == ""


def test_a_good_answer_is_kept_as_it_was():
    assert page("good_answer") == (CASES / "good_answer.model.md").read_text(encoding="utf-8").strip()


def test_code_keeps_its_text():
    text = page("headings")
    assert "```python\n# a comment in code stays as it is\n## and so does this one\n```" in text
    html = page("raw_html")
    assert "`a < b`" in html and "``x <y> z``" in html and "```html\n<p>inside a code block</p>\n```" in html


def test_loops_are_cut_to_one_copy_and_code_to_two():
    text = page("repeats")
    assert text.count("The loop copies the data.") == 1
    assert text.count("It reads a chunk.\nIt writes the chunk.") == 1
    assert text.count("This paragraph is repeated.") == 1
    assert text.count("x = read()") == 2
    assert text.count("```") % 2 == 0  # fence lines are never cut


def test_an_open_code_block_is_closed():
    assert page("open_code_block").endswith("    if not buf:\n```")


def test_overlong_output_is_cut_at_a_line_with_a_note():
    many = "\n".join(f"line {i}" for i in range(MAX_LINES * 2))
    text = sanitize_markdown(many)
    assert text.endswith(f"line {MAX_LINES - 1}\n\n{CUT_NOTE}")
    wide = sanitize_markdown("\n".join("x" * 100 + str(i) for i in range(MAX_LINES)))
    assert len(wide) <= MAX_CHARS + len(CUT_NOTE) + 2 and wide.endswith(CUT_NOTE)
    one_line = sanitize_markdown("y" * (MAX_CHARS * 3))
    assert one_line == "y" * MAX_CHARS + "\n\n" + CUT_NOTE


def test_a_cut_inside_code_still_closes_the_block():
    text = sanitize_markdown("```python\n" + "\n".join(f"x{i} = {i}" for i in range(MAX_LINES * 2)))
    assert text.endswith(f"```\n\n{CUT_NOTE}")


def test_line_endings_are_normalised():
    assert sanitize_markdown("# A\r\nB\rC") == "### A\nB\nC"


def test_inline_text_for_a_hover_summary():
    assert sanitize_inline("## Returns <b>the</b> total") == "Returns &lt;b>the&lt;/b> total"
    assert sanitize_inline("> # Quoted") == "Quoted"
    assert (
        sanitize_inline("Adds `a<b` to ![x](http://e.invalid/x.png)") == "Adds `a<b` to !\\[x](http://e.invalid/x.png)"
    )
    assert sanitize_inline("Sums the\n values.") == "Sums the values."

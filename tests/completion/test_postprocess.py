"""Post-processing, one test per filter, over golden cases kept as data.

Each file in postprocess_cases/ is named after a filter of lsp_server/completion/postprocess.py
and holds its cases: the cursor (text before and after it on its line, the line above), the
filter's other arguments, and the expected result. A new case is a new row, no code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lsp_server.completion import postprocess as filters
from lsp_server.completion.postprocess import CursorContext

CASES = Path(__file__).parent / "postprocess_cases"


def cases(filter_name: str) -> list:
    rows = json.loads((CASES / f"{filter_name}.json").read_text(encoding="utf-8"))
    return [pytest.param(row, id=row["name"]) for row in rows]


def cursor(row: dict) -> CursorContext:
    return CursorContext(**row["cursor"])


def test_every_case_file_names_a_filter():
    for path in CASES.glob("*.json"):
        assert callable(getattr(filters, path.stem, None)), path.name


@pytest.mark.parametrize("row", cases("wants_multiline"))
def test_wants_multiline(row):
    assert filters.wants_multiline(cursor(row)) is row["expect"]


@pytest.mark.parametrize("row", cases("cut_at_block_end"))
def test_cut_at_block_end(row):
    assert filters.cut_at_block_end(row["text"], cursor(row), row["max_lines"]) == row["expect"]


@pytest.mark.parametrize("row", cases("block_finished"))
def test_block_finished(row):
    assert filters.block_finished(row["text"], cursor(row), row["max_lines"]) is row["expect"]


@pytest.mark.parametrize("row", cases("trim_suffix_overlap"))
def test_trim_suffix_overlap(row):
    assert filters.trim_suffix_overlap(row["text"], cursor(row), row["suffix_lines"]) == row["expect"]


@pytest.mark.parametrize("row", cases("cut_loops"))
def test_cut_loops(row):
    assert filters.cut_loops(row["text"], cursor(row)) == row["expect"]


@pytest.mark.parametrize("row", cases("postprocess"))
def test_postprocess(row):
    result = filters.postprocess(row["text"], cursor(row), row["suffix_lines"], row["multiline"], row["max_lines"])
    assert result == row["expect"]

"""Context gathering: resolution through imports, ranking, budgets, overlap, dedupe."""

from __future__ import annotations

import pytest
from workspace_fixture import FILES, count_tokens, make_workspace

from lsp_server.context import ContextRetriever, RecentEdits
from lsp_server.context.ranking import select_snippets
from lsp_server.context.snippets import Snippet


@pytest.fixture
def index(tmp_path):
    index = make_workspace(tmp_path)
    yield index
    index.close()


def gather(index, relative, text, offset=None, budget=1024, **options):
    path = index.roots[0] / relative
    offset = len(text) if offset is None else offset
    return ContextRetriever(index).gather(path, text, offset, budget, count_tokens, time_budget_ms=1000, **options)


def names(result):
    return [(s.kind, s.path.name, s.name) for s in result.snippets]


def test_python_definitions_resolved_through_imports(index):
    text = FILES["app/main.py"]
    result = gather(index, "app/main.py", text)
    found = names(result)
    assert ("definition", "shapes.py", "make_circle") in found
    assert ("definition", "util.py", "clamp") in found  # util.clamp: attribute of an imported module
    assert ("definition", "shapes.py", "Circle") in found  # re-exported by pkg/__init__.py
    make_circle = next(s for s in result.snippets if s.name == "make_circle")
    assert "def make_circle(radius):" in make_circle.text and "Build a Circle" in make_circle.text


def test_names_near_cursor_rank_above_other_imports(index):
    text = FILES["app/main.py"] + "\n\ndef other():\n    return make_circle("
    result = gather(index, "app/main.py", text)
    assert result.snippets[0].name == "make_circle"


def test_module_attribute_at_cursor_gives_outline_first(index):
    text = FILES["app/main.py"] + "\n\ndef other():\n    return util."
    result = gather(index, "app/main.py", text)
    first = result.snippets[0]
    assert first.kind == "outline" and first.path.name == "util.py"
    assert "def clamp(value, low, high): ..." in first.text and "def unused_helper(): ..." in first.text


def test_typescript_named_and_namespace_imports(index):
    text = FILES["web/src/app.ts"] + "\nexport const f = fmt."
    result = gather(index, "web/src/app.ts", text)
    found = names(result)
    assert found[0][:2] == ("outline", "format.ts")
    assert ("definition", "format.ts", "formatPrice") in found
    assert ("definition", "format.ts", "Cart") in found
    price = next(s for s in result.snippets if s.name == "formatPrice")
    assert "export function formatPrice(cents: number): string" in price.text


def test_budget_is_respected(index):
    text = FILES["app/main.py"]
    for budget in (30, 60, 120, 400):
        result = gather(index, "app/main.py", text, budget=budget)
        assert result.tokens <= budget
        assert sum(count_tokens(s.text + "\n") for s in result.snippets) <= budget


def test_time_budget_returns_what_is_ready(index):
    path = index.roots[0] / "app/main.py"
    result = ContextRetriever(index).gather(path, FILES["app/main.py"], 10, 1024, count_tokens, time_budget_ms=0)
    assert result.timed_out and result.snippets == []


def test_snippets_overlapping_the_local_window_are_dropped(index):
    path = index.roots[0] / "pkg/shapes.py"
    text = FILES["pkg/shapes.py"]
    recent = RecentEdits()
    recent.note_edit(path, text, 12)  # an edit inside the window the prompt shows anyway
    other = index.roots[0] / "pkg/geometry/util.py"
    recent.note_edit(other, FILES["pkg/geometry/util.py"], 1)
    result = gather(index, "pkg/shapes.py", text, recent=recent, window_lines=(0, 30))
    assert all(s.path != path for s in result.snippets)
    assert any(s.kind == "recent" and s.path == other for s in result.snippets)


def test_recent_edits_ring_buffer_replaces_overlaps_and_drops_oldest(tmp_path):
    recent = RecentEdits(capacity=2, radius=1)
    text = "\n".join(f"line {n}" for n in range(20))
    recent.note_edit(tmp_path / "a.py", text, 5)
    recent.note_edit(tmp_path / "a.py", text, 6)  # overlaps: replaces the first
    assert len(recent) == 1 and recent.ranges()[0].text == "line 5\nline 6\nline 7"
    recent.note_edit(tmp_path / "b.py", text, 1)
    recent.note_open(tmp_path / "c.py", text)
    assert [r.path.name for r in recent.ranges()] == ["c.py", "b.py"]


def test_select_dedupes_same_text_and_overlapping_ranges(tmp_path):
    a = tmp_path / "a.py"
    candidates = [
        Snippet(a, 0, 10, "def f():\n    pass", "definition", 3.0),
        Snippet(a, 5, 8, "    pass", "similar", 2.0),  # inside the better snippet
        Snippet(tmp_path / "b.py", 0, 1, "def f():\n    pass", "similar", 1.0),  # same text
        Snippet(tmp_path / "c.py", 0, 1, "x = 1", "recent", 0.5),
    ]
    chosen = select_snippets(candidates, 1000, count_tokens, tmp_path / "cur.py", (0, 10))
    assert [(s.path.name, s.kind) for s in chosen] == [("a.py", "definition"), ("c.py", "recent")]


def test_unindexed_file_still_gets_definitions_by_name(index, tmp_path):
    result = ContextRetriever(index).gather(
        tmp_path / "scratch.py", "x = make_circle(", 16, 1024, count_tokens, time_budget_ms=1000
    )
    assert ("definition", "shapes.py", "make_circle") in names(result)

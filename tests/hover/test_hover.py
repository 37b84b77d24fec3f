"""Hover resolution across files, attributes, builtins, and the Markdown it renders."""

from __future__ import annotations

import pytest
from workspace_fixture import FILES, make_workspace

from lsp_server.hover import HoverInfo, SummaryCache, resolve_hover


@pytest.fixture
def index(tmp_path):
    index = make_workspace(tmp_path)
    yield index
    index.close()


def hover(index, relative, text, word, occurrence=0, offset_in_word=1):
    """Hover on the `occurrence`-th appearance of `word` in text."""
    position = -1
    for _ in range(occurrence + 1):
        position = text.index(word, position + 1)
    line = text.count("\n", 0, position)
    column = position - (text.rfind("\n", 0, position) + 1) + offset_in_word
    return resolve_hover(index, index.roots[0] / relative, text, line, column)


def test_imported_function_from_another_file(index):
    info = hover(index, "app/main.py", FILES["app/main.py"], "make_circle(")
    assert info.symbol.name == "make_circle" and info.location == "pkg/shapes.py:15"
    markdown = info.markdown()
    assert markdown.startswith("```python\ndef make_circle(radius)\n```")
    assert "Build a Circle, checking the radius." in markdown
    assert markdown.endswith("Defined in `pkg/shapes.py:15`")


def test_module_attribute_and_reexported_class(index):
    text = FILES["app/main.py"]
    clamp = hover(index, "app/main.py", text, "clamp")
    assert clamp.symbol.qualified_name == "clamp" and clamp.location == "pkg/geometry/util.py:1"
    circle = hover(index, "app/main.py", text, "Circle")  # `from pkg import Circle`, re-exported
    assert circle.symbol.path.name == "shapes.py" and circle.doc == "A circle of a given radius."


def test_class_method_attribute_and_self_member(index):
    text = FILES["app/main.py"] + "\nCircle.area\n"
    info = hover(index, "app/main.py", text, "area", occurrence=2)
    assert info.symbol.qualified_name == "Circle.area" and "The area of the circle." in info.markdown()
    shapes = FILES["pkg/shapes.py"]
    # `self.radius ** 2`: instance attributes are not indexed as symbols, so there is nothing
    # to show, and in particular not some other `radius` (a parameter of make_circle).
    info = hover(index, "pkg/shapes.py", shapes, "radius", occurrence=3)
    assert info is None


def test_local_definition_in_same_file(index):
    shapes = FILES["pkg/shapes.py"]
    info = hover(index, "pkg/shapes.py", shapes, "Circle(radius)")
    assert info.symbol.qualified_name == "Circle" and info.location == "pkg/shapes.py:4"


def test_python_builtins(index):
    info = hover(index, "pkg/shapes.py", FILES["pkg/shapes.py"], "ValueError")
    assert info.symbol is None and info.signature.startswith("class ValueError")
    assert "Inappropriate argument value" in info.markdown()
    info = hover(index, "pkg/geometry/util.py", FILES["pkg/geometry/util.py"], "max(")
    assert info.signature.startswith("def max(") or info.signature.startswith("class max")


def test_typescript_import_and_namespace(index):
    text = FILES["web/src/app.ts"] + "fmt.formatPrice(1);\n"
    info = hover(index, "web/src/app.ts", text, "formatPrice", occurrence=1)
    assert info.location == "web/src/format.ts:2" and info.language == "typescript"
    assert "Format a price in euros." in info.markdown()
    info = hover(index, "web/src/app.ts", text, "formatPrice", occurrence=2)  # fmt.formatPrice
    assert info.symbol.name == "formatPrice"
    cart = hover(index, "web/src/app.ts", text, "Cart", occurrence=1)
    assert cart.symbol.kind == "interface"


def test_nothing_known_gives_none(index):
    assert hover(index, "app/main.py", FILES["app/main.py"], "size") is None  # a local variable
    assert resolve_hover(index, index.roots[0] / "app/main.py", "   \n", 0, 1) is None


def test_generated_summary_shown_when_no_doc():
    info = HoverInfo("f", "def f()", "", "python", location="a.py:1", generated_summary="Adds numbers.")
    assert "*Generated summary:* Adds numbers." in info.markdown()


def test_summary_cache_persists_by_content_hash(tmp_path, index):
    cache = SummaryCache(tmp_path / "summaries.json")
    cache.put("abc", "  Returns   the answer. ")
    assert SummaryCache(tmp_path / "summaries.json").get("abc") == "Returns the answer."
    assert cache.get("other") is None


CONSTRUCTORS = {
    "req.py": (
        "class Request(Base):\n"
        '    """A request."""\n\n'
        "    def __init__(self, method: str, url: str, headers=None):\n"
        "        self.method = method\n",
        "Request",
        "def __init__(self, method: str, url: str, headers=None)",
    ),
    "point.ts": (
        "export class Point {\n  constructor(public x: number, public y: number) {}\n  norm(): number { return 0; }\n}\n",
        "Point",
        "constructor(public x: number, public y: number)",
    ),
    "Box.java": (
        "public class Box {\n    private int size;\n    public Box(int size) { this.size = size; }\n}\n",
        "Box",
        "public Box(int size)",
    ),
    "counter.rs": (
        "pub struct Counter { n: u32 }\nimpl Counter {\n    pub fn new(start: u32) -> Self { Counter { n: start } }\n}\n",
        "Counter",
        "pub fn new(start: u32) -> Self",
    ),
}


@pytest.mark.parametrize("file", sorted(CONSTRUCTORS))
def test_a_class_shows_its_constructor_signature(tmp_path, file):
    from lsp_server.index import WorkspaceIndex

    text, name, constructor = CONSTRUCTORS[file]
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / file).write_text(text, encoding="utf-8")
    index = WorkspaceIndex([tmp_path / "ws"], db_path=tmp_path / "index.sqlite3", workers=0)
    try:
        index.build()
        info = hover(index, file, text, name)
        assert info is not None and info.symbol.name == name
        signature_block = info.markdown().split("```")[1]
        assert constructor in signature_block and signature_block.index(name) < signature_block.index(constructor)
    finally:
        index.close()


def test_a_class_without_a_docstring_shows_its_constructors(tmp_path):
    from lsp_server.index import WorkspaceIndex

    text = 'class Plain:\n    def __init__(self, value):\n        """Wrap value."""\n        self.value = value\n'
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "plain.py").write_text(text, encoding="utf-8")
    index = WorkspaceIndex([tmp_path / "ws"], db_path=tmp_path / "index.sqlite3", workers=0)
    try:
        index.build()
        info = hover(index, "plain.py", text, "Plain")
        assert "Wrap value." in info.markdown()
    finally:
        index.close()

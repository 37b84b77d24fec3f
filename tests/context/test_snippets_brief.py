"""How a definition is rendered: its brief form, and which members a large class lists."""

from __future__ import annotations

from pathlib import Path

from lsp_server.context.snippets import MAX_MEMBERS, definition_text, members_snippet, signature_text
from lsp_server.index import Symbol

PATH = Path("/ws/lib.py")


def symbol(kind: str, name: str, signature: str, start: int, end: int, language: str = "python", parent=None):
    qualified = f"{parent}.{name}" if parent else name
    return Symbol(kind, name, qualified, signature, "", start, 0, end, 0, parent, "", PATH, language)


def test_brief_form_is_the_signature_marked_as_having_a_body():
    function = symbol("function", "load", "def load(\n    path: str,\n    strict: bool = False,\n) -> dict", 0, 40)
    assert signature_text(function) == "def load(\n    path: str,\n    strict: bool = False,\n) -> dict: ..."
    assert signature_text(symbol("variable", "Headers", "Headers = dict[str, str]", 0, 0)) == (
        "Headers = dict[str, str]"
    )
    go = symbol("function", "Serve", "func Serve(l Listener) error", 0, 30, language="go")
    assert signature_text(go) == "func Serve(l Listener) error"
    long = symbol("function", "f", "def f(\n" + "    a,\n" * 10 + ")", 0, 40)
    assert signature_text(long).count("\n") == 3 and signature_text(long).endswith(" ...: ...")


def test_a_large_class_lists_the_members_the_file_uses_first():
    owner = symbol("class", "Big", "class Big", 0, 200)
    members = [
        symbol("method", f"m{n:02}", f"def m{n:02}(self)", 1 + 4 * n, 3 + 4 * n, parent="Big") for n in range(40)
    ]
    lines = {n: f"line {n}" for n in range(201)}
    lines[0] = "class Big:"
    text = definition_text(owner, lines, members, used=frozenset({"m35", "m39"}))
    listed = [line.strip() for line in text.split("\n")[1:]]
    assert len(listed) == MAX_MEMBERS
    assert listed[:2] == ["def m35(self): ...", "def m39(self): ..."]
    assert "def m00(self): ..." in listed and "def m20(self): ..." not in listed


def test_a_listing_names_each_python_member_once_and_slots_by_their_names():
    owner = symbol("class", "Converter", "class Converter", 0, 40)
    members = [
        symbol("variable", "_hooks", '__slots__ = ("_hooks", "_cache")', 1, 1, parent="Converter"),
        symbol("variable", "_cache", '__slots__ = ("_hooks", "_cache")', 1, 1, parent="Converter"),
        symbol("function", "register", "def register(self, cls: type) -> Callable", 3, 4, parent="Converter"),
        symbol(
            "function", "register", "def register(self, cls: type, func: Callable) -> None", 6, 7, parent="Converter"
        ),
        symbol("function", "register", "def register(self, cls, func=None)", 9, 12, parent="Converter"),
    ]
    text = members_snippet(owner, members, 3.0).materialize()
    assert text.split("\n") == [
        "class Converter:",
        "    def register(self, cls: type) -> Callable: ...",  # the first overload stands for all
        "    _hooks",
        "    _cache",
    ]


def test_a_rust_listing_keeps_each_impl_of_a_name():
    """`from` of `From<String>` and of `From<&str>` take different things: both are worth a line."""
    owner = symbol("struct", "Rc", "pub struct Rc<T>", 0, 3, language="rust")
    members = [
        symbol("function", "from", "fn from(s: String) -> Rc<str>", 5, 7, language="rust", parent="Rc"),
        symbol("function", "from", "fn from(s: &str) -> Rc<str>", 9, 11, language="rust", parent="Rc"),
    ]
    text = members_snippet(owner, members, 3.0).materialize()
    assert "fn from(s: String) -> Rc<str>" in text and "fn from(s: &str) -> Rc<str>" in text

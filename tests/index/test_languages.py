"""Symbols, doc comments and imports per language, on the small files in fixtures/."""

from __future__ import annotations

import pytest

from lsp_server.index.languages import LANGUAGES, language_for_path

from index_helpers import FIXTURES, extract_file, extract_text, symbols_of


def kinds(path_name: str) -> dict[str, str]:
    return {name: symbol.kind for name, symbol in symbols_of(extract_file(FIXTURES / path_name)).items()}


def test_every_language_has_a_fixture_that_yields_symbols_and_imports():
    covered = {language_for_path(path).name for path in FIXTURES.iterdir()}
    assert covered == {spec.name for spec in LANGUAGES}
    for path in FIXTURES.iterdir():
        extraction = extract_file(path)
        assert extraction.symbols, path
        assert extraction.imports, path
        assert extraction.chunks, path


def test_python_symbols_docstrings_and_imports():
    extraction = extract_file(FIXTURES / "sample.py")
    symbols = symbols_of(extraction)
    assert kinds("sample.py") == {
        "MAX_RETRIES": "constant",
        "default_name": "variable",
        "greet": "function",
        "Greeter": "class",
        "Greeter.greeting": "field",
        "Greeter.__init__": "method",
        "Greeter.shout": "method",
        "Greeter.Inner": "class",
        "Greeter.who": "field",  # an instance attribute: self.who = ... in __init__
        "fetch": "function",
    }  # the nested helper() inside greet() is local, not a workspace symbol
    greet = symbols["greet"]
    assert greet.signature == "def greet(name: str = default_name) -> str"
    assert greet.doc == "Return a greeting.\n\nUsed by the tests."
    assert (greet.start_line, greet.start_column, greet.end_line) == (13, 0, 20)
    greeter = symbols["Greeter"]
    assert greeter.start_line == 23  # the decorator belongs to the class's range
    assert greeter.signature == "class Greeter(Base)" and greeter.doc == "Greets people."
    assert symbols["Greeter.shout"].parent == "Greeter"
    assert symbols["Greeter.shout"].doc == "Loud greeting."
    assert symbols["fetch"].signature == "async def fetch(url)"
    assert extraction.imports == [
        ("os", None, None, 3),
        ("os.path", None, "osp", 4),
        ("collections", "OrderedDict", None, 5),
        ("collections", "defaultdict", "dd", 5),
        (".", "sibling", None, 6),
        ("..pkg.mod", "thing", None, 7),
    ]


def test_javascript_symbols_docs_and_imports():
    extraction = extract_file(FIXTURES / "sample.js")
    symbols = symbols_of(extraction)
    assert kinds("sample.js") == {
        "add": "function",
        "TIMEOUT_MS": "constant",
        "counter": "variable",
        "multiply": "function",  # const multiply = (a, b) => ...
        "Shape": "class",
        "Shape.constructor": "method",
        "Shape.area": "method",
        "Shape.create": "method",
        "Circle": "class",
        "ids": "function",
    }
    assert symbols["add"].doc == "Adds two numbers.\n@param {number} a"
    assert symbols["add"].start_line == 8  # "export function": the range includes "export"
    assert symbols["TIMEOUT_MS"].doc == "The default timeout."
    assert symbols["Shape.area"].doc == "The area."
    assert symbols["Shape"].signature == "class Shape extends Base"
    assert extraction.imports == [
        ("react", "default", "React", 0),
        ("react", "useState", None, 0),
        ("react", "useEffect", "useEff", 0),
        ("path", "*", "path", 1),
        ("./side-effect.css", None, None, 2),
    ]


def test_typescript_symbols_docs_and_imports():
    extraction = extract_file(FIXTURES / "sample.ts")
    symbols = symbols_of(extraction)
    assert kinds("sample.ts") == {
        "ClientOptions": "interface",
        "ClientOptions.retry": "method",
        "ClientOptions.url": "field",
        "Id": "type",
        "Color": "enum",
        "Client": "class",
        "Client.url": "field",
        "Client.constructor": "method",
        "Client.send": "method",
        "Repo": "class",
        "Repo.find": "method",
        "VERSION": "constant",
        "makeClient": "function",
        "Util": "module",
        "Util.helper": "function",
    }
    assert symbols["ClientOptions"].doc == "Options for the client."
    assert symbols["Client"].doc == "A client."  # above the decorator of an exported class
    assert symbols["Client"].start_line == 17
    assert symbols["Client.send"].signature == "async send(body: T): Promise<void>"
    assert symbols["Client.send"].doc == "Sends a request."
    assert extraction.imports == [
        ("@angular/core", "Injectable", None, 0),
        ("./config", "Config", None, 1),
        ("./all", "default", "defaultExport", 2),
        ("./all", "*", "all", 2),
    ]


def test_tsx_symbols():
    symbols = symbols_of(extract_file(FIXTURES / "sample.tsx"))
    assert {name: s.kind for name, s in symbols.items()} == {
        "ButtonProps": "interface",
        "ButtonProps.label": "field",
        "Button": "function",
        "Link": "function",
    }
    assert symbols["Button"].doc == "A button."


def test_go_symbols_doc_comments_and_imports():
    extraction = extract_file(FIXTURES / "sample.go")
    symbols = symbols_of(extraction)
    assert kinds("sample.go") == {
        "MaxSize": "constant",
        "Small": "constant",
        "Large": "constant",
        "defaultName": "variable",
        "Server": "struct",
        "Handler": "interface",
        "Server.Name": "field",
        "Handler.Handle": "method",
        "NewServer": "function",
        "Server.Start": "method",
    }
    assert symbols["Server"].doc == "Server serves things.\nIt has two lines of docs."
    assert symbols["Server"].signature == "type Server struct"
    assert symbols["Small"].doc == "Small is small."  # a comment inside a const ( ... ) group
    assert symbols["Large"].doc == ""
    assert symbols["Server.Start"].parent == "Server"
    assert symbols["Server.Start"].signature == "func (s *Server) Start(port int) error"
    assert extraction.imports == [
        ("fmt", None, None, 4),
        ("strings", None, "str", 5),
        ("embed", None, "_", 6),
        ("os", None, None, 9),
    ]


def test_rust_symbols_doc_comments_and_imports():
    extraction = extract_file(FIXTURES / "sample.rs")
    symbols = symbols_of(extraction)
    assert kinds("sample.rs") == {
        "MAX": "constant",
        "GREETING": "variable",
        "Point": "struct",
        "Shape": "enum",
        "Point::x": "field",
        "Point::y": "field",
        "Shape::Circle": "field",  # an enum variant
        "Area": "trait",
        "Area::area": "method",
        "Point::new": "method",
        "Point::area": "method",  # from `impl Area for Point`
        "add": "function",
        "inner": "module",
        "inner::helper": "function",
        "square": "macro",
        "Map": "type",
    }
    assert symbols["Point"].doc == "A point in space."  # the #[derive] between doc and struct is skipped
    assert symbols["Point::new"].doc == "Makes a point."
    assert symbols["Point::new"].parent == "Point"
    assert symbols["MAX"].doc == "The maximum size."
    assert extraction.imports == [
        ("std::collections", "HashMap", None, 2),
        ("std::io", None, None, 3),
        ("std::io", "Read", "R", 3),
        ("std::io", "Write", None, 3),
        ("crate::util", "*", None, 4),
    ]


def test_java_symbols_javadoc_and_imports():
    extraction = extract_file(FIXTURES / "Sample.java")
    symbols = symbols_of(extraction)
    assert kinds("Sample.java") == {
        "Sample": "class",
        "Sample.MAX": "constant",
        "Sample.name": "field",
        "Sample.Sample": "method",
        "Sample.run": "method",
        "Sample.Listener": "interface",
        "Sample.Listener.onEvent": "method",
        "Sample.Mode": "enum",
        "Sample.Mode.ON": "constant",
        "Sample.Mode.OFF": "constant",
        "Pair": "class",
    }
    assert symbols["Sample"].doc == "A sample class."
    assert symbols["Sample.run"].doc == "Runs it."
    assert symbols["Sample.MAX"].doc == "The maximum."
    assert extraction.imports == [
        ("java.util", "List", None, 2),
        ("java.util", "*", None, 3),
        ("java.lang.Math", "max", None, 4),
    ]


def test_c_symbols_comments_and_includes():
    extraction = extract_file(FIXTURES / "sample.c")
    symbols = symbols_of(extraction)
    assert kinds("sample.c") == {
        "MAX_LEN": "constant",
        "SQUARE": "macro",
        "point": "struct",
        "point.x": "field",
        "point.y": "field",
        "point_t": "type",
        "color": "enum",
        "counter": "variable",
        "add": "function",
        "make_point": "function",  # returns a pointer: name under a pointer_declarator
        "prototype_only": "function",
    }
    assert symbols["add"].doc == "Adds two ints."
    assert symbols["add"].signature == "int add(int a, int b)"
    assert symbols["make_point"].doc == "Makes a point."
    assert symbols["point"].doc == "A point."
    assert (symbols["MAX_LEN"].start_line, symbols["MAX_LEN"].end_line) == (3, 3)
    assert extraction.imports == [("stdio.h", None, None, 0), ("local.h", None, None, 1)]


def test_a_c_typedef_of_an_unnamed_struct_is_signed_with_its_name():
    """`typedef struct { ... } CTX;` names the type after the body: its first line names nothing."""
    text = "typedef struct {\n    int a;\n} MD_CTX;\n\ntypedef union {\n    int i;\n} word;\n\ntypedef int count_t;\n"
    symbols = symbols_of(extract_text("x.c", text))
    assert symbols["MD_CTX"].signature == "typedef struct {...} MD_CTX"
    assert symbols["word"].signature == "typedef union {...} word"
    assert symbols["count_t"].signature == "typedef int count_t"


def test_cpp_symbols_namespaces_and_out_of_class_methods():
    extraction = extract_file(FIXTURES / "sample.cpp")
    symbols = symbols_of(extraction)
    assert kinds("sample.cpp") == {
        "geo": "module",
        "geo::Shape": "class",
        "geo::Shape::area": "method",
        "geo::Shape::sides": "field",
        "geo::Circle": "struct",
        "geo::Circle::area": "method",
        "geo::Circle::perimeter": "method",  # double Circle::perimeter() const {...}
        "geo::maximum": "function",
        "main": "function",
    }
    assert symbols["geo::Shape"].doc == "A shape."
    assert symbols["geo::Shape::area"].doc == "The area."
    assert symbols["geo::maximum"].start_line == 22  # template<...> belongs to the range
    assert extraction.imports == [("vector", None, None, 0), ("util.hpp", None, None, 1)]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("a.py", "python"),
        ("a.pyi", "python"),
        ("a.mjs", "javascript"),
        ("a.jsx", "javascript"),
        ("a.ts", "typescript"),
        ("a.tsx", "tsx"),
        ("a.go", "go"),
        ("a.rs", "rust"),
        ("A.java", "java"),
        ("a.c", "c"),
        ("a.h", "c"),
        ("a.cc", "cpp"),
        ("a.HPP", "cpp"),
        ("a.txt", None),
        ("Makefile", None),
    ],
)
def test_language_for_path(name, expected):
    spec = language_for_path(name)
    assert (spec.name if spec else None) == expected


def test_headers_with_cpp_syntax_are_parsed_as_cpp():
    from lsp_server.index.languages import language_for_source

    assert language_for_source("a.h", b"struct point { int x; };\nint add(int a, int b);\n").name == "c"
    assert language_for_source("a.h", b"#pragma once\nnamespace geo {\nclass Shape {};\n}\n").name == "cpp"
    assert language_for_source("a.h", b"inline int f() { return std::max(1, 2); }\n").name == "cpp"
    assert language_for_source("a.c", b"namespace x {}\n").name == "c"  # only .h is ambiguous

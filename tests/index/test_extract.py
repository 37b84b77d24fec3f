"""Extraction details that hold for every language: positions, encodings, docs, chunks, re-parsing."""

from __future__ import annotations

from lsp_server.index.chunks import MAX_CHUNK_LINES
from lsp_server.index.languages import LANGUAGES_BY_NAME
from lsp_server.index.parsing import parse_source, reparse_incrementally

from index_helpers import extract_text, symbols_of


def test_columns_count_code_points_not_bytes_or_utf16_units():
    # "😀" is 4 UTF-8 bytes and 2 UTF-16 units but one code point.
    symbols = symbols_of(extract_text("a.py", 'v = "😀é"; w = 2\n'))
    assert symbols["w"].start_column == len('v = "😀é"; ')  # 11 code points, 15 bytes
    assert symbols["v"].end_column == len('v = "😀é"')
    symbols = symbols_of(extract_text("a.go", 'package p\n\nvar é, s = 1, "😀"; const K = 2\n'))
    assert symbols["K"].start_column == len('var é, s = 1, "😀"; ')


def test_invalid_utf8_is_indexed_with_replacement_characters():
    from lsp_server.index.extract import extract

    spec = LANGUAGES_BY_NAME["python"]
    source = b'"""Caf\xe9 docs."""\ndef caf\xc3\xa9():\n    "B\xffd."\n    return 1\n'
    extraction = extract(parse_source(source, spec), source, spec)
    (row,) = [row for row in extraction.symbols]
    assert row[1] == "café" and row[4] == "B\ufffdd."
    assert "\ufffd" in extraction.chunks[0][2]


def test_locals_inside_functions_are_not_symbols():
    text = "def outer():\n    x = 1\n    class Local:\n        def m(self): pass\n    def inner(): pass\n"
    assert list(symbols_of(extract_text("a.py", text))) == ["outer"]
    js = "function outer() { function inner() {} class C { m() {} } }\nconst f = function () {};\n"
    assert {name: s.kind for name, s in symbols_of(extract_text("a.js", js)).items()} == {
        "outer": "function",
        "f": "function",
    }


def test_comment_separated_by_a_blank_line_or_trailing_code_is_not_a_doc():
    text = "// License header.\n\nfunc A() {}\nvar x = 1 // about x\nfunc B() {}\n"
    symbols = symbols_of(extract_text("a.go", "package p\n" + text))
    assert symbols["A"].doc == "" and symbols["B"].doc == ""
    rust = "//! Crate docs.\nfn first() {}\n/* plain */\n/// Outer docs.\nfn second() {}\n"
    symbols = symbols_of(extract_text("a.rs", rust))
    assert symbols["first"].doc == ""  # inner docs belong to the module
    assert symbols["second"].doc == "plain\nOuter docs."


def test_python_docstring_forms():
    text = (
        'def a():\n    r"""Raw doc."""\n'
        "def b():\n    '''\n    Indented\n      more\n    '''\n"
        'def c():\n    x = "not a doc"\n'
        "# Comment doc.\ndef d(): pass\n"
    )
    symbols = symbols_of(extract_text("a.py", text))
    assert symbols["a"].doc == "Raw doc."
    assert symbols["b"].doc == "Indented\n  more"
    assert symbols["c"].doc == ""
    assert symbols["d"].doc == "Comment doc."


def test_content_hash_changes_with_the_symbol_text_only():
    before = symbols_of(extract_text("a.py", "def f():\n    return 1\n\ndef g():\n    return 2\n"))
    after = symbols_of(extract_text("a.py", "\n\ndef f():\n    return 1\n\ndef g():\n    return 3\n"))
    assert before["f"].content_hash == after["f"].content_hash  # moved, not changed
    assert before["g"].content_hash != after["g"].content_hash


def test_chunks_follow_syntax_boundaries_and_cover_the_code():
    functions = [f"def f{i}():\n" + "".join(f"    x{j} = {j}\n" for j in range(20)) for i in range(6)]
    big_class = "class Big:\n" + "".join(
        f"    def m{i}(self):\n" + "".join(f"        y{j} = {j}\n" for j in range(15)) for i in range(8)
    )
    text = "\n".join(functions) + "\n# About Big.\n" + big_class
    extraction = extract_text("a.py", text)
    lines = text.split("\n")
    starts = {start for start, _, _ in extraction.chunks}
    for start, end, chunk_text in extraction.chunks:
        assert end - start + 1 <= MAX_CHUNK_LINES + 2  # a glued comment may add a line or two
        assert chunk_text == "\n".join(lines[start : end + 1])
        first = lines[start]
        assert first.startswith(("def ", "class ", "    def ", "# ")), first  # never mid-function
    assert lines.index("# About Big.") in starts  # the comment starts the chunk of its class
    covered = set()
    for start, end, _ in extraction.chunks:
        covered.update(range(start, end + 1))
    assert all(index in covered for index, line in enumerate(lines) if line.strip())


def test_a_huge_function_is_cut_into_windows():
    text = "def huge():\n" + "".join(f"    v{i} = {i}\n" for i in range(200))
    chunks = extract_text("a.py", text).chunks
    assert len(chunks) == 4 and all(end - start + 1 <= MAX_CHUNK_LINES for start, end, _ in chunks)


def test_incremental_reparse_equals_a_fresh_parse():
    spec = LANGUAGES_BY_NAME["typescript"]
    versions = [
        b"function a(): number { return 1 }\n",
        b"function a(): number { return 12 }\n",
        b"// new\nfunction a(): number { return 12 }\nclass \xc3\xa9 {}\n",
        b"class \xc3\xa9 {}\n",
        b"",
        b"const x = 1;\n",
    ]
    tree = parse_source(versions[0], spec)
    for old, new in zip(versions, versions[1:], strict=False):
        tree = reparse_incrementally(tree, old, new, spec)
        assert str(tree.root_node) == str(parse_source(new, spec).root_node)

"""The syntax check of a suggestion before it is shown (lsp_server/completion/syntax_check.py).

Each case is a document with `|` at the cursor, a suggestion, and what should be shown: the
whole suggestion ("kept"), its longest valid prefix ("cut"), nothing ("dropped"), or the
suggestion untouched because the language or the place is not checked ("unchecked").
"""

from __future__ import annotations

import pytest

from lsp_server.completion.syntax_check import SyntaxVerdict, check_suggestion


def check(language_id: str, document: str, suggestion: str, path: str | None = None) -> SyntaxVerdict:
    offset = document.index("|")
    return check_suggestion(document.replace("|", "", 1), offset, suggestion, language_id, path)


PYTHON_CLASS = """import os


class Client:
    def __init__(self, headers):
        self.headers = {}
        self.headers.update(headers)|

    def get(self, url):
        return url
"""
PYTHON_BODY = PYTHON_CLASS.replace("update(headers)|", "update(headers)\n        |")
PYTHON_CALL = PYTHON_CLASS.replace("update(headers)|", "update(|)")
PYTHON_OPEN_CALL = PYTHON_CLASS.replace("update(headers)|", "update(|")
# The file is broken elsewhere (a bad signature above) and the user is mid-statement.
PYTHON_BROKEN = """def broken(:
    pass


def total(a, b):
    result = compute(|
    return result
"""
PYTHON_DICT = """def config():
    settings = {
        "a": 1,
        |
    return settings
"""
PYTHON_UNICODE = 's = "héllo 😀 wörld"\nprint(|\nx = 1\n'

GO = """package main

import "fmt"

func count() int {
	x := 1
	|
	return x
}

func other() {}
"""
C = """#include <stdio.h>

int f(int a) {
	int x = 1;
	|
	return x;
}
"""
C_COMMENT = "int f(void) {\n    /* a comment |\n    return 0;\n}\n"
C_MACRO = "#define API\n\nstatic void |\nname(void)\n{\n    return;\n}\n"
CPP = """namespace app {
class Box {
 public:
  int size() {
    |
  }
};
}  // namespace app
"""
JAVA = """class Counter {
    int next(int a) {
        int x = 1;
        |
        return x;
    }
}
"""
RUST = """fn next(a: i32) -> i32 {
    let x = 1;
    |
    x
}
"""
TYPESCRIPT = """import { x } from "./x";

export class Account {
  private n = 1;

  add(a: number): number {
    const y = a + 1;
    |
    return y;
  }
}
"""
# A class too long for the window to reach its start from the cursor in a few lines.
TYPESCRIPT_LONG_CLASS = (
    "export class Big {\n"
    + "".join(f"  m{i}(a: number): number {{\n    const y = a + {i};\n    return y;\n  }}\n\n" for i in range(30))
    + "  last(a: number) {\n    |\n    return a;\n  }\n}\n"
)
JAVASCRIPT = "function view(a) {\n  |\n}\n"

CASES = [
    # Python
    ("python", PYTHON_BODY, "self.timeout = 10", "kept", "self.timeout = 10"),
    ("python", PYTHON_BODY, "return x))", "cut", "return x"),
    ("python", PYTHON_CLASS, "\n        return x))", "cut", "\n        return x"),
    ("python", PYTHON_CLASS, "(self.headers):", "cut", "(self.headers)"),
    ("python", PYTHON_CLASS, ":", "dropped", ""),
    ("python", PYTHON_BODY, "for h in headers:\n            print(h)", "kept", None),
    ("python", PYTHON_BODY, "if headers:\n            self.headers = dict(headers)\n", "kept", None),
    ("python", PYTHON_BODY, "x = 1\n        y = 2))\n        z = 3", "cut", "x = 1\n        y = 2"),
    # Unfinished but plausible: the user will go on typing.
    ("python", PYTHON_BODY, "x = foo(a,", "kept", None),
    ("python", PYTHON_BODY, "x = ", "kept", None),
    ("python", PYTHON_BODY, "if x and y", "kept", None),
    ("python", PYTHON_BODY, "if x:", "kept", None),
    ("python", PYTHON_BODY, "key = lambda item:", "kept", None),
    # Mid-line, with the rest of the line after the cursor.
    ("python", PYTHON_CALL, "a, b", "kept", None),
    ("python", PYTHON_CALL, "a, b)", "cut", "a, b"),
    ("python", PYTHON_OPEN_CALL, "a, b)", "kept", None),
    ("python", PYTHON_OPEN_CALL, "a, b)))", "cut", "a, b)"),
    # A broken file and an unfinished line: only what the suggestion adds counts.
    ("python", PYTHON_BROKEN, "a, b)", "kept", None),
    ("python", PYTHON_BROKEN, "a, b", "kept", None),
    ("python", PYTHON_BROKEN, "a, b))", "cut", "a, b)"),
    # Inside a dict that is open above the cursor.
    ("python", PYTHON_DICT, '"b": 2,', "kept", None),
    ("python", PYTHON_DICT, '"b": 2', "kept", None),
    ("python", PYTHON_DICT, '"b": 2}', "kept", None),
    ("python", PYTHON_DICT, '"b": 2)', "cut", '"b": 2'),
    # Offsets count code points; the parser counts bytes.
    ("python", PYTHON_UNICODE, "s)", "kept", None),
    ("python", PYTHON_UNICODE, "s))", "cut", "s)"),
    ("python", PYTHON_UNICODE.replace("\n", "\r\n"), "s))", "cut", "s)"),
    # Go
    ("go", GO, 'fmt.Println("x", x)', "kept", None),
    ("go", GO, "if x > 0 {\n\t\tx++\n\t}", "kept", None),
    ("go", GO, "if x > 0 {", "kept", None),
    ("go", GO, "fmt.Println(x) }", "cut", "fmt.Println(x)"),
    ("go", GO, "}", "dropped", ""),
    ("go", GO, "y := foo(a,", "kept", None),
    # C and C++
    ("c", C, 'printf("%d\\n", x);', "kept", None),
    ("c", C, "int y = 5", "kept", None),  # only its `;` is missing
    ("c", C, "int y = foo(a, b));", "cut", "int y = foo(a, b)"),
    ("c", C_MACRO, "API", "kept", None),  # a macro the parser does not know
    ("cpp", CPP, "return 1;", "kept", None),
    ("cpp", CPP, "std::vector<int> v{1, 2};\n    return v.size();", "kept", None),
    ("cpp", CPP, "return 1;}}", "cut", "return 1;"),
    # Java
    ("java", JAVA, "int y = x + a;", "kept", None),
    ("java", JAVA, "int y = 5", "kept", None),
    ("java", JAVA, "int y = 5;)", "cut", "int y = 5;"),
    ("java", JAVA, "System.out.println(x));", "cut", "System.out.println(x)"),
    # Rust
    ("rust", RUST, "let y = x + a;", "kept", None),
    ("rust", RUST, "let y = x + a", "kept", None),
    ("rust", RUST, "let y = x + a;}", "cut", "let y = x + a;"),
    # TypeScript, TSX, JavaScript, JSX
    ("typescript", TYPESCRIPT, "const z = y * 2;", "kept", None),
    ("typescript", TYPESCRIPT, "if (y > 2) {\n      return 0;\n    }", "kept", None),
    ("typescript", TYPESCRIPT, "const z = y * 2;)", "cut", "const z = y * 2;"),
    ("typescript", TYPESCRIPT_LONG_CLASS, "const z = a * 2;", "kept", None),
    ("typescript", TYPESCRIPT_LONG_CLASS, "const z = a * 2;)", "cut", "const z = a * 2;"),
    ("typescriptreact", TYPESCRIPT, "const z = <div>{y}</div>;", "kept", None),
    ("javascript", JAVASCRIPT, "return a + 1;", "kept", None),
    ("javascriptreact", JAVASCRIPT, "return <div>{a}</div>;", "kept", None),
    ("javascript", JAVASCRIPT, "return a + 1;]", "cut", "return a + 1;"),
    # Not checked
    ("markdown", "Some |text", "words))", "unchecked", None),
    ("c", C_COMMENT, "with words) )) }", "unchecked", None),  # prose in a comment
    ("c", "#include |\n", "<stdio.h>>", "unchecked", None),  # a directive
]


@pytest.mark.parametrize(
    "language, document, suggestion, action, shown",
    [pytest.param(*case, id=f"{case[0]}-{case[2][:30]!r}") for case in CASES],
)
def test_suggestion_is_checked(language, document, suggestion, action, shown):
    verdict = check(language, document, suggestion)
    assert verdict == SyntaxVerdict(suggestion if shown is None else shown, action)


def test_a_cut_suggestion_is_a_prefix_without_trailing_space():
    verdict = check("python", PYTHON_BODY, "value = compute(1, 2) ) + 3")
    assert verdict.action == "cut"
    assert "value = compute(1, 2) ) + 3".startswith(verdict.text)
    assert verdict.text == verdict.text.rstrip() == "value = compute(1, 2)"


def test_blank_suggestion_is_kept_without_parsing():
    assert check("python", PYTHON_BODY, "\n   ") == SyntaxVerdict("\n   ", "kept")


def test_language_comes_from_the_path_when_the_id_is_empty():
    assert check("", RUST, "let y = x));", path="/w/src/main.rs") == SyntaxVerdict("let y = x", "cut")
    assert check("", RUST, "let y = x));", path="/w/notes.txt").action == "unchecked"
    # An id the checker does not know wins over the path: the editor says what the file is.
    assert check("plaintext", RUST, "let y = x));", path="/w/src/main.rs").action == "unchecked"


def test_a_c_header_with_cpp_syntax_is_checked_as_cpp():
    header = "namespace app {\nclass Box {\n public:\n  int size() {\n    |\n  }\n};\n}\n"
    assert check("c", header, "return 1;", path="/w/box.h").action == "kept"


def test_cursor_past_the_end_is_clamped():
    document = "def f():\n    return 1\n"
    assert check_suggestion(document, len(document) + 10, "x = 1", "python").action == "kept"


def test_a_cursor_deep_in_a_large_file_is_checked_within_a_window():
    """Thousands of lines around the cursor: the verdict is the same as in a small file."""
    function = "def f{n}(a):\n    b = a + {n}\n    return b\n\n\n"
    before = "".join(function.format(n=n) for n in range(1500))
    document = before + "def target(a):\n    |\n    return a\n\n\n" + "".join(function.format(n=n) for n in range(1500))
    assert check("python", document, "a = a * 2") == SyntaxVerdict("a = a * 2", "kept")
    assert check("python", document, "a = a * 2)") == SyntaxVerdict("a = a * 2", "cut")

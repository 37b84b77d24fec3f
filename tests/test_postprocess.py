from lsp_server.completion.postprocess import (
    CursorContext,
    block_finished,
    cut_at_block_end,
    cut_repeated_line,
    postprocess,
    trim_suffix_overlap,
    wants_multiline,
)


def ctx(prefix, suffix="", previous=""):
    return CursorContext(prefix, suffix, previous)


def test_multiline_decision():
    assert wants_multiline(ctx("def f(x):"))
    assert wants_multiline(ctx("    "))
    assert wants_multiline(ctx("if (x) {"))
    assert not wants_multiline(ctx("    return x +"))
    assert not wants_multiline(ctx("print(", "x)"))
    assert wants_multiline(ctx("call(", ")"))  # only closers after the cursor


def test_block_ends_at_dedent():
    text = "\n    a = 1\n    return a\n\ndef g():\n    pass"
    assert cut_at_block_end(text, ctx("def f():"), 20) == "\n    a = 1\n    return a"


def test_block_on_blank_line_inside_body_keeps_siblings():
    text = "x = 1\n    y = 2\nz = 3"
    assert cut_at_block_end(text, ctx("    "), 20) == "x = 1\n    y = 2"


def test_c_like_block_keeps_closing_brace():
    text = "\n    return 1;\n}\nint other() {"
    assert cut_at_block_end(text, ctx("int f() {"), 20) == "\n    return 1;\n}"


def test_max_lines_and_blank_runs():
    assert cut_at_block_end("a\nb\nc\nd", ctx(""), 2) == "a\nb"
    assert cut_at_block_end("a\n\n\nb", ctx(""), 20) == "a"


def test_block_finished_only_judges_complete_lines():
    c = ctx("def f():")
    assert not block_finished("\n    a = 1", c, 20)
    assert not block_finished("\n    a = 1\n", c, 20)
    assert block_finished("\n    a = 1\nb", c, 20) is False  # "b" may still grow, but the line is incomplete
    assert block_finished("\n    a = 1\nb = 2\n", c, 20)


def test_trim_suffix_overlap_same_line():
    assert trim_suffix_overlap("x, y)", ctx("print(", ")"), []) == "x, y"
    assert trim_suffix_overlap("f(x))", ctx("print(", ")"), []) == "f(x)"
    assert trim_suffix_overlap("f(x)", ctx("print(", ")"), []) == "f(x)"
    assert trim_suffix_overlap("a + b) * c", ctx("y = (", ") * c"), []) == "a + b"


def test_trim_suffix_overlap_following_lines():
    text = "\n    total = 0\n    return total"
    assert trim_suffix_overlap(text, ctx("def f():"), ["    return total", ""]) == "\n    total = 0"


def test_postprocess_never_returns_blank():
    assert postprocess("   \n  ", ctx("x = "), [], False, 10) == ""
    assert postprocess("\n\n", ctx("def f():"), [], True, 10) == ""


def test_postprocess_single_line():
    assert postprocess("1 + 2\nprint(x)", ctx("x = "), [], False, 10) == "1 + 2"


def test_a_line_repeated_in_a_loop_is_cut_to_one_copy():
    looped = "self.buffer = []\n        self.buffer = []\n        self.buffer = []"
    assert postprocess(looped, ctx("        "), [], True, 12) == "self.buffer = []"
    block = "\n    x.append(1)\n    x.append(1)\n    x.append(2)"
    assert cut_repeated_line(block, ctx("def f(x):")) == "\n    x.append(1)"
    # Closing brackets at one level, and the same text at two indentations, are not loops.
    closers = "[\n    [1],\n    ]\n    ]"
    assert cut_repeated_line(closers, ctx("a = ")) == closers
    assert cut_repeated_line("\n    f()\nf()", ctx("if a:")) == "\n    f()\nf()"

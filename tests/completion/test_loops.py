"""Loop detection as the engine uses it: after every token, on the text so far.

Generation is simulated by growing the text one character at a time, the finest a model
can stream: a loop must be seen right when its third copy is followed by something, and
legitimate code must never be taken for one on the way. The cut itself, on finished text,
has its golden cases in postprocess_cases/cut_loops.json.
"""

from __future__ import annotations

import pytest

from lsp_server.completion.loops import loop_start
from lsp_server.completion.postprocess import CursorContext, cut_loops


def first_detection(text: str, prefix: str) -> tuple[str, int] | None:
    """The text so far when loop_start first answers, and its answer."""
    for end in range(len(text) + 1):
        cut = loop_start(text[:end], prefix)
        if cut is not None:
            return text[:end], cut
    return None


TWO_LINES = "\n    ".join(["text = text.replace(text)", "if text is not None:"] * 4)

# (line prefix, generated text, the text when the loop is seen, what is kept)
LOOPS = [
    pytest.param("    return ", "f(x, x, y, y, y, y", "f(x, x, y, y, y,", "f(x, x, y", id="a name"),
    pytest.param(
        "def ",
        "_read_bytes_read(fsrc, fdst, offset, offset, offset, offset",
        "_read_bytes_read(fsrc, fdst, offset, offset, offset,",
        "_read_bytes_read(fsrc, fdst, offset",
        id="a parameter",
    ),
    pytest.param(
        "    n = int(s)  ",
        "# ruff:ignore[int]" * 4,
        "# ruff:ignore[int]" * 3 + "#",
        "# ruff:ignore[int]",
        id="a comment",
    ),
    pytest.param("    levels = [10, 20", ",32" + "3" * 80, ",32" + "3" * 33, ",", id="a digit run"),
    pytest.param(
        "    ",
        TWO_LINES,
        "\n".join(TWO_LINES.split("\n")[:6]) + "\n",
        "text = text.replace(text)\n    if text is not None:",
        id="two lines",
    ),
    pytest.param(
        "def f():", "\n    x = 1\n    x = 1\n    x = 2", "\n    x = 1\n    x = 1\n", "\n    x = 1", id="one line"
    ),
    pytest.param("zeros = [", "0, " * 60, "0, " * 41, "0", id="literals past a line's length"),
]


@pytest.mark.parametrize(("prefix", "text", "seen_at", "kept"), LOOPS)
def test_a_loop_is_seen_once_its_third_copy_is_complete(prefix, text, seen_at, kept):
    detection = first_detection(text, prefix)
    assert detection is not None
    so_far, cut = detection
    assert so_far == seen_at
    assert so_far[:cut] == kept


@pytest.mark.parametrize(("prefix", "text", "seen_at", "kept"), LOOPS)
def test_post_processing_cuts_where_the_engine_stopped(prefix, text, seen_at, kept):
    assert cut_loops(seen_at, CursorContext(prefix, "", "")) == kept


LEGIT = [
    (
        "def parse(",
        "text, strict=False):\n"
        "    # " + "-" * 70 + "\n"
        "    if not text:\n"
        "        pass\n"
        "    else:\n"
        "        pass\n"
        "    width, height, depth = size\n"
        "    grid: List[List[List[int]]] = [[[0, 0, 0]]]\n"
        "    box: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)\n"
        "    fill = '    ' * depth\n"
        "    codes = [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO]\n"
        "    return f(x, x, y), None, None, None, None\n"
        "\n"
        "\n" + "=" * 79 + "\n",
    ),
    (
        "static const unsigned char font[] = {",
        "\n" + ("    " + "0x00, " * 15 + "0x00,\n") * 4 + "    0xFF, 0xFF, 0xFF, 0xFF,\n};\n"
        "/* " + "=" * 70 + " */\n"
        "std::vector<std::vector<std::vector<int>>> grid;\n"
        "const long big = 1000000;\n"
        "const unsigned long long mask = 0xFFFFFFFFFFFFFFFF;\n",
    ),
    (
        "    <div><div><div>",
        "</div></div></div>\n</div>\n</div>\n"
        "<tr><td>0</td><td>0</td><td>0</td><td>0</td></tr><p>&nbsp;&nbsp;&nbsp;&nbsp;</p>\n"
        "<script>if (a) { if (b) { if (c) { run(a, a, b); } } }</script>\n"
        "            }\n        }\n    }\n}\n",
    ),
    ("ZERO = ", '"0x' + "0" * 40 + '"\n'),
]


@pytest.mark.parametrize(("prefix", "text"), LEGIT, ids=["python", "c", "html", "a zero address"])
def test_legitimate_code_is_never_taken_for_a_loop(prefix, text):
    assert first_detection(text, prefix) is None
    assert cut_loops(text, CursorContext(prefix, "", "")) == text


def test_the_last_token_may_still_grow():
    assert loop_start("f(a, y, y, y") is None  # "y" may become "y_max"
    assert loop_start("f(a, y, y, y_max)") is None
    assert loop_start("f(a, y, y, y", final=True) == len("f(a, y")


def test_an_unfinished_line_is_no_copy_yet():
    assert loop_start("x = 1\nx = 1") is None  # may become "x = 10"
    assert loop_start("x = 1\nx = 1\n") == len("x = 1")
    assert loop_start("x = 1\nx = 1", final=True) == len("x = 1")


def test_what_the_user_typed_counts_as_a_first_copy_only():
    assert loop_start(", y)", "f(a, y, y") is None
    assert loop_start(", offset, offset, offset)", "def read(fsrc, offset") == 0


def test_only_the_tail_is_read():
    """An earlier loop would have stopped the engine already; post-processing reads each line."""
    text = "f(y, y, y, y)\na = 1\nb = 2\n"
    assert loop_start(text) is None
    assert cut_loops(text, CursorContext("", "", "")) == "f(y"

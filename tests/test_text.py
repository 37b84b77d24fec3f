from lsp_server.text import (
    codepoint_to_utf16_column,
    cursor_from_lsp,
    line_text_at,
    tree_sitter_point,
    utf16_length,
    utf16_to_codepoint_column,
)


def test_utf16_columns_with_astral_characters():
    line = "a😀b"
    assert utf16_length(line) == 4
    assert utf16_to_codepoint_column(line, 1) == 1
    assert utf16_to_codepoint_column(line, 3) == 2  # after the emoji
    assert utf16_to_codepoint_column(line, 2) == 1  # inside the surrogate pair: moved to its start
    assert utf16_to_codepoint_column(line, 99) == 3  # clamped
    assert codepoint_to_utf16_column(line, 2) == 3


def test_cursor_from_lsp_handles_all_line_endings():
    text = "a😀b\nxy\r\nz\rw"
    assert cursor_from_lsp(text, 0, 3).offset == 2
    assert cursor_from_lsp(text, 1, 1).offset == 5
    assert cursor_from_lsp(text, 2, 1).offset == 9
    assert cursor_from_lsp(text, 3, 1).offset == 11
    assert line_text_at(text, 1) == "xy"


def test_invalid_positions():
    assert cursor_from_lsp("x\n", 5, 0) is None
    assert cursor_from_lsp("x\n", -1, 0) is None
    assert cursor_from_lsp("x\n", 0, -1) is None
    # The position after a final newline is valid: an empty last line.
    assert cursor_from_lsp("x\n", 1, 0).offset == 2


def test_tree_sitter_point_counts_utf8_bytes():
    text = "é😀x"
    cursor = cursor_from_lsp(text, 0, 3)  # after the emoji
    assert tree_sitter_point(text, cursor) == (0, 2 + 4)


def test_cursor_in_huge_document_is_fast():
    import time

    text = "x = 1\n" * 2_000_000
    started = time.perf_counter()
    cursor = cursor_from_lsp(text, 1_999_999, 3)
    assert cursor.offset == 1_999_999 * 6 + 3
    assert time.perf_counter() - started < 1.0


def test_cli_cursor_is_one_based_and_checked_alike_for_line_and_column():
    import pytest

    from lsp_server.text import cursor_from_cli

    text = "a😀b\nxy\n"
    assert cursor_from_cli(text, 1, 1).offset == 0
    assert cursor_from_cli(text, 1, 3).offset == 2  # columns count characters: after the emoji
    assert cursor_from_cli(text, 1, 4).offset == 3  # the end of the line itself is valid
    assert cursor_from_cli(text, 3, 1).offset == len(text)  # the empty last line after the final newline
    for line, column, words in ((0, 1, "1-based"), (1, 0, "1-based"), (-1, -1, "1-based"),
                                (4, 1, "no line 4"), (1, 5, "no column 5 on line 1")):
        with pytest.raises(ValueError, match=words):
            cursor_from_cli(text, line, column)

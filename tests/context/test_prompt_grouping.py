"""Rendering: the snippets of one file go under one header, in the file's order."""

from __future__ import annotations

from pathlib import Path

from lsp_server.context import Snippet, render_context
from lsp_server.context.prompt import context_files
from lsp_server.prompts.fim import FimTokens

ROOT = Path("/ws")
REPO_NAME, FILE_SEP = 1001, 1002
STARCODER = FimTokens("starcoder", prefix=1, suffix=2, middle=3, order="psm", repo_name=REPO_NAME, file_sep=FILE_SEP)
PLAIN = FimTokens("codellama", prefix=1, suffix=2, middle=3, order="psm")


def tokenize(text: str) -> list[int]:
    return [2000 + ord(char) for char in text]


def detokenize(ids: list[int]) -> str:
    names = {REPO_NAME: "<repo_name>", FILE_SEP: "<file_sep>"}
    return "".join(names.get(i, chr(i - 2000) if i >= 2000 else f"<{i}>") for i in ids)


SNIPPETS = [  # most useful first, as gathering returns them
    Snippet(ROOT / "lib/shapes.py", 40, 41, "def area(shape):\n    return 0", "definition", 3.0, "python"),
    Snippet(ROOT / "lib/util.py", 5, 5, "def clamp(x, lo, hi): ...", "definition", 2.5, "python"),
    Snippet(ROOT / "lib/shapes.py", 3, 3, "class Shape: ...", "definition", 2.0, "python"),
]


def test_one_header_per_file_with_its_snippets_in_file_order():
    text = detokenize(render_context(SNIPPETS, STARCODER, tokenize, "app/main.py", "repo", roots=[ROOT]))
    assert text == (
        "<repo_name>repo\n"
        "<file_sep>lib/util.py\ndef clamp(x, lo, hi): ...\n"
        # the file of the most useful snippet comes last, nearest the cursor
        "<file_sep>lib/shapes.py\nclass Shape: ...\n\ndef area(shape):\n    return 0\n"
        "<file_sep>app/main.py\n"
    )


def test_comment_headed_format_groups_by_file_too():
    text = detokenize(render_context(SNIPPETS, PLAIN, tokenize, "app/main.py", "repo", roots=[ROOT], language="python"))
    assert text == (
        "# path: lib/util.py\ndef clamp(x, lo, hi): ...\n\n"
        "# path: lib/shapes.py\nclass Shape: ...\n\ndef area(shape):\n    return 0\n\n"
        "# path: app/main.py\n"
    )


def test_files_the_last_context_showed_unchanged_keep_their_places_at_the_front():
    """The context changes as you type: llama.cpp reuses its cache of the prompt only up to the
    first token that differs, so what stays comes first, in the same order."""
    last = context_files(SNIPPETS)
    assert [path.name for path, _ in last] == ["util.py", "shapes.py"]
    models = Snippet(ROOT / "lib/models.py", 9, 9, "class Model: ...", "definition", 4.0, "python")
    # A new most useful snippet: util.py and shapes.py stay first, models.py comes last.
    again = context_files([models, *SNIPPETS], last)
    assert [path.name for path, _ in again] == ["util.py", "shapes.py", "models.py"]
    assert again[:2] == last
    # shapes.py shows one snippet less: it changed, so it follows what did not.
    changed = context_files([models, SNIPPETS[1], SNIPPETS[0]], again)
    assert [path.name for path, _ in changed] == ["util.py", "shapes.py", "models.py"]
    assert changed[1][1] == ["def area(shape):\n    return 0"]
    # The most useful file is always last, even when it was shown before in another place.
    top = context_files([SNIPPETS[1], models], again)
    assert [path.name for path, _ in top] == ["models.py", "util.py"]
    # Rendering follows the same order.
    text = detokenize(render_context([models, *SNIPPETS], STARCODER, tokenize, "a.py", "repo", [ROOT], previous=last))
    assert text.index("lib/util.py") < text.index("lib/shapes.py") < text.index("lib/models.py")

"""Snippets into prompt tokens, placed before the FIM prefix.

Models trained on whole repositories (Qwen2.5-Coder, StarCoder2) have a format for it:
`<repo_name>name\n` then `<file_sep>path\n` + file text for each file, and the file being
completed last. That is used when the model's FimTokens has a file separator; other models get
each snippet as plain text under a comment with its path, in the language's comment syntax.

Control tokens go in by id; every piece of user text (names, paths, code) is tokenized by the
passed `tokenize`, which must use special=False, so text such as "<file_sep>" in a file can
never become a control token. The snippets of one file go under one header, in the file's
order, separated by a blank line; the file with the most useful snippet is placed last, nearest
the cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ..prompts.fim import FimTokens
from .snippets import Snippet, line_comment, relative_path


def render_context(
    snippets: list[Snippet],
    fim: FimTokens,
    tokenize: Callable[[str], list[int]],
    current_path: str,
    repo_name: str,
    roots: Sequence[Path] = (),
    language: str = "",
) -> list[int]:
    """Token ids to put in front of a FIM prompt with `engine.fim.prepend_context`.

    `snippets` come most useful first (as `ContextRetriever.gather` returns them). `current_path` is the
    current file's path relative to the workspace (shown in repository format); `roots` make
    the snippets' paths relative; `language` picks the comment syntax of the plain format.
    """
    files = _by_file(snippets)
    if fim.file_sep >= 0:
        tokens: list[int] = []
        if fim.repo_name >= 0:
            tokens += [fim.repo_name] + tokenize(repo_name + "\n")
        for path, pieces in files:
            tokens += [fim.file_sep] + tokenize(relative_path(path, list(roots)) + "\n")
            for number, piece in enumerate(pieces):
                # Piece by piece: each is tokenized once, however the others around it change.
                tokens += (tokenize("\n") if number else []) + tokenize(piece + "\n")
        if snippets or fim.repo_name >= 0:
            tokens += [fim.file_sep] + tokenize(current_path + "\n")
        return tokens
    if not snippets:
        return []
    marker = line_comment(language or snippets[0].language)
    parts = [
        f"{marker} path: {relative_path(path, list(roots))}\n" + "\n\n".join(pieces) + "\n\n" for path, pieces in files
    ]
    parts.append(f"{marker} path: {current_path}\n")
    return tokenize("".join(parts))


def _by_file(snippets: list[Snippet]) -> list[tuple[Path, list[str]]]:
    """(path, texts) per file, the file of the most useful snippet last; a file's snippets in
    their order in the file (shown with one blank line between them)."""
    files: dict[Path, list[Snippet]] = {}
    for snippet in snippets:
        files.setdefault(snippet.path, []).append(snippet)
    return [
        (path, [s.text.strip("\n") for s in sorted(pieces, key=lambda s: (s.start_line, s.end_line))])
        for path, pieces in reversed(files.items())
    ]

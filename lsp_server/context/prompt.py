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

The context changes as you type (once per word), and llama.cpp can reuse its cache of a prompt
only up to the first token that differs. So the files the last context showed with the same
snippets keep their places at its front, in its order; the others follow, the most useful last.
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
    previous: Sequence[ContextFile] = (),
) -> list[int]:
    """Token ids to put in front of a FIM prompt with `engine.fim.prepend_context`.

    `snippets` come most useful first (as `ContextRetriever.gather` returns them). `current_path` is the
    current file's path relative to the workspace (shown in repository format); `roots` make
    the snippets' paths relative; `language` picks the comment syntax of the plain format;
    `previous` is the last context's `context_files`.
    """
    files = context_files(snippets, previous)
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


# A file of the context: its path and the texts of its snippets, in the file's order.
ContextFile = tuple[Path, list[str]]


def context_files(snippets: Sequence[Snippet], previous: Sequence[ContextFile] = ()) -> list[ContextFile]:
    """The files in the order the prompt shows them: first those `previous` showed with the same
    snippets, in its order (their tokens, and llama.cpp's cache of them, stay as they were), then
    the others from the least useful file to the most useful one, which is always last. A file's
    snippets come in their order in the file (shown with one blank line between them)."""
    grouped: dict[Path, list[Snippet]] = {}
    for snippet in snippets:
        grouped.setdefault(snippet.path, []).append(snippet)
    by_use = [
        (path, [s.text.strip("\n") for s in sorted(pieces, key=lambda s: (s.start_line, s.end_line))])
        for path, pieces in reversed(grouped.items())
    ]
    if not by_use:
        return []
    most_useful = by_use[-1]
    kept = [file for file in previous if file in by_use and file != most_useful]
    return kept + [file for file in by_use if file not in kept]

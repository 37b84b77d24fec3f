"""Finding the files to index under the workspace roots.

The walk prunes ignored and vendored folders before entering them, follows symbolic links
that stay inside the workspace root (a link that leads outside it is skipped: nothing outside
the workspace is read) but never enters the same folder twice (so link loops end), indexes
each real file once, and treats folders it cannot list as empty.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from .ignore import IgnorePattern, IgnoreRules, is_skipped_file_name, is_skipped_folder
from .languages import language_for_path

log = logging.getLogger(__name__)


def inside_root(path: Path, root: Path) -> bool:
    """Whether path, with every symbolic link on the way followed, lies inside root."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # unreadable, or a link loop
        return False


class Candidate(NamedTuple):
    """A file the walk found: a supported language, not ignored, within the size limit."""

    path: Path
    language: str
    size: int
    mtime_ns: int


class WalkResult(NamedTuple):
    candidates: list[Candidate]
    too_large: list[Path]
    over_limit: int = 0  # candidates found past the limit, counted but not kept


def walk_workspace(
    roots: list[Path], rules_by_root: dict[Path, IgnoreRules], max_file_bytes: int, limit: int | None = None
) -> WalkResult:
    """Every candidate under the roots, in walk order; past `limit` they are only counted, so a
    workspace far larger than the index may hold costs no memory for the files it leaves out."""
    candidates: list[Candidate] = []
    too_large: list[Path] = []
    over_limit = 0
    seen_folders: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()
    for root in roots:
        rules = rules_by_root[root]
        for candidate in _walk_folder(root, [], rules, seen_folders, seen_files, too_large, max_file_bytes):
            if limit is None or len(candidates) < limit:
                candidates.append(candidate)
            else:
                over_limit += 1
    return WalkResult(candidates, too_large, over_limit)


def _walk_folder(
    folder: Path,
    chain: list[tuple[Path, list[IgnorePattern]]],
    rules: IgnoreRules,
    seen_folders: set[tuple[int, int]],
    seen_files: set[tuple[int, int]],
    too_large: list[Path],
    max_file_bytes: int,
) -> Iterator[Candidate]:
    try:
        stat = folder.stat()
    except OSError:
        return
    identity = (stat.st_dev, stat.st_ino)
    if identity in seen_folders:  # a symlink loop or a second link to a folder already walked
        return
    seen_folders.add(identity)
    chain = chain + [(folder, rules.patterns_for(folder))]
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as error:
        log.debug("cannot list %s: %s", folder, error)
        return
    subfolders = []
    for entry in entries:
        path = folder / entry.name
        try:
            if entry.is_symlink() and not inside_root(path, rules.root):
                log.debug("not following %s: it leads outside %s", path, rules.root)
                continue
            is_folder = entry.is_dir()  # follows symlinks
            is_file = not is_folder and entry.is_file()
        except OSError:
            continue
        if is_folder:
            if not is_skipped_folder(path) and not rules.is_ignored_in(chain, path, True):
                subfolders.append(path)
            continue
        if not is_file:
            continue  # sockets, fifos, broken links
        language = language_for_path(entry.name)
        if language is None or is_skipped_file_name(entry.name) or rules.is_ignored_in(chain, path, False):
            continue
        try:
            file_stat = entry.stat()
        except OSError:
            continue  # vanished or a broken link
        file_identity = (file_stat.st_dev, file_stat.st_ino)
        if file_identity in seen_files:
            continue
        seen_files.add(file_identity)
        if file_stat.st_size > max_file_bytes:
            too_large.append(path)
            continue
        yield Candidate(path, language.name, file_stat.st_size, file_stat.st_mtime_ns)
    for subfolder in subfolders:
        yield from _walk_folder(subfolder, chain, rules, seen_folders, seen_files, too_large, max_file_bytes)


def walk_folder(folder: Path, rules: IgnoreRules, max_file_bytes: int) -> list[Candidate]:
    """The candidates under one folder of a root, with the ignore files of the folders above applied."""
    chain: list[tuple[Path, list[IgnorePattern]]] = []
    current = rules.root
    for part in folder.relative_to(rules.root).parts:
        chain.append((current, rules.patterns_for(current)))
        current = current / part
    return list(_walk_folder(folder, chain, rules, set(), set(), [], max_file_bytes))

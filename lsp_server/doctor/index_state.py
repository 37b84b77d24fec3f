"""Check 'index': whether the workspace index exists and what it holds, read-only.

The index database lives in the user cache directory, one per set of workspace roots
(index/store.py default_db_path); the server builds it on its first start in a folder. This
check only reads it, never creates or builds one. It also walks the roots as the index would
(same ignore rules and size limit) to tell when index.maxFiles leaves files out.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from ..index.files import walk_workspace
from ..index.ignore import IgnoreRules
from ..index.store import default_db_path
from ..settings import Settings
from .check import Check, ok, skipped, warning

NAME = "index"


def default_root(folder: Path) -> Path:
    """The git repository folder is in, else folder itself (as `infill complete` picks it)."""
    folder = folder.resolve()
    return next((p for p in (folder, *folder.parents) if (p / ".git").exists()), folder)


def index_counts(db_path: Path) -> tuple[int, int]:
    """(files, symbols) in an index database, opened read-only."""
    with contextlib.closing(sqlite3.connect(f"{db_path.as_uri()}?mode=ro", uri=True)) as connection:
        files = connection.execute("SELECT COUNT(*) FROM files").fetchone()[0]
        symbols = connection.execute("SELECT COUNT(*) FROM symbols").fetchone()[0]
    return int(files), int(symbols)


def check_index(settings: Settings, roots: list[Path]) -> Check:
    if not settings.index.enabled:
        return skipped(NAME, "index.enabled is false")
    if not roots:
        return skipped(NAME, "no workspace folder")
    # The paths the server indexes under: absolute, symbolic links kept (index/workspace.py).
    roots = [Path(os.path.abspath(root)) for root in roots]
    where = ", ".join(str(root) for root in roots)
    limits = settings.index
    walk = walk_workspace(roots, {root: IgnoreRules(root) for root in roots}, limits.max_file_bytes, limits.max_files)
    found = len(walk.candidates) + walk.over_limit
    db_path = default_db_path(roots)
    # When the folder holds more files than index.maxFiles takes:
    over = f"; {found} source files there, but index.maxFiles takes only {limits.max_files}"
    limit_fix = (
        "raise infill.index.maxFiles, or leave generated and vendored folders out with .gitignore or .infillignore"
    )
    if not db_path.exists():
        state = f"no index yet for {where}: the server builds it on first start"
        if walk.over_limit:
            return warning(NAME, state + over, limit_fix)
        command = f", or run `infill index {roots[0]}`" if len(roots) == 1 else ""
        return warning(NAME, f"{state} ({found} source files to index)", f"open the folder in the editor{command}")
    try:
        files, symbols = index_counts(db_path)
    except sqlite3.Error as exc:
        state = f"the index database {db_path} does not read ({exc}); the server rebuilds it on its next start"
        return warning(NAME, state, "restart the language server in this folder")
    state = f"{files} files, {symbols} symbols indexed for {where} ({db_path})"
    if walk.over_limit:
        return warning(NAME, state + over, limit_fix)
    return ok(NAME, f"{state}; {found} source files there")

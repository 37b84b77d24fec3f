"""The index database holds the workspace's code: it is user-only (folders created for it 0700,
the database and its -wal and -shm files 0600), whatever the umask."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from lsp_server.index import WorkspaceIndex
from lsp_server.index import store as store_module
from lsp_server.index.store import Store


def mode(path: Path | str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask(request):
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


# The usual umask, which lets others read what it creates.
USUAL_UMASK = pytest.mark.parametrize("umask", [0o022], indirect=True, ids=["umask 022"])


@pytest.fixture
def workspace(tmp_path) -> Path:
    root = tmp_path / "workspace"
    root.mkdir()
    (root / "app.py").write_text("def main():\n    return 1\n")
    return root


@pytest.mark.parametrize("umask", [0o022, 0o000], indirect=True, ids=["umask 022", "umask 000"])
def test_the_default_database_and_its_folders_are_user_only(tmp_path, monkeypatch, workspace, umask):
    cache = tmp_path / "cache"  # stands for the user cache folder, which may not exist yet
    monkeypatch.setattr(store_module.platformdirs, "user_cache_path", lambda *args, **kwargs: cache)
    with WorkspaceIndex([workspace]) as index:
        assert index.build().files == 1
        db = index.db_path
        assert db.parent == cache / "index"
        # While the index is open SQLite keeps its -wal and -shm files next to the database.
        for suffix in ("", "-wal", "-shm"):
            assert mode(f"{db}{suffix}") == 0o600, suffix
    for folder in (cache, cache / "index"):
        assert mode(folder) == 0o700, folder


@USUAL_UMASK
def test_folders_made_for_a_given_database_path_are_user_only_and_others_kept(tmp_path, workspace, umask):
    tmp_path.chmod(0o755)
    db = tmp_path / "made" / "for-it" / "index.sqlite3"
    with WorkspaceIndex([workspace], db_path=db) as index:
        index.build()
    assert mode(tmp_path / "made") == mode(tmp_path / "made" / "for-it") == 0o700
    assert mode(tmp_path) == 0o755  # there before: not the index's to change
    assert mode(db) == 0o600


@USUAL_UMASK
def test_a_database_left_readable_by_others_is_made_user_only(tmp_path, umask):
    db = tmp_path / "index.sqlite3"
    with contextlib.closing(sqlite3.connect(db)) as connection:  # as a version that let SQLite create it
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (x)")
    assert mode(db) == 0o644
    store = Store(db)
    try:
        for suffix in ("", "-wal", "-shm"):
            assert mode(f"{db}{suffix}") == 0o600, suffix
    finally:
        store.close()


@USUAL_UMASK
def test_a_rebuilt_database_is_user_only(tmp_path, umask):
    db = tmp_path / "index.sqlite3"
    db.write_bytes(b"not a database at all" * 100)
    db.chmod(0o644)
    store = Store(db)  # unusable: deleted and created again
    try:
        assert mode(db) == 0o600
    finally:
        store.close()

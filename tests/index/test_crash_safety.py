"""`infill index` killed with SIGKILL in the middle of a cold build: the database opens intact,
holds what was committed, and the next build reuses that and ends with the same index as a
build that was never interrupted."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from waiting import wait_until

from lsp_server.index import WorkspaceIndex
from lsp_server.index.workspace import POOL_MIN_BYTES

REPO = Path(__file__).resolve().parents[2]

# Two workspaces of about 3000 and 2000 files: one small enough to be parsed in the indexing
# process, one large enough (past POOL_MIN_BYTES) to be parsed in worker processes.
IN_PROCESS = {"files": 3000, "functions": 8}
IN_WORKERS = {"files": 2000, "functions": 22}


def make_workspace(root: Path, files: int, functions: int) -> int:
    """Writes `files` small Python modules under root; returns their total size in bytes."""
    total = 0
    for number in range(files):
        folder = root / f"package_{number // 100}"
        folder.mkdir(parents=True, exist_ok=True)
        bodies = [
            f"def function_{number}_{index}(value, scale=1):\n"
            f'    """Scales value by {index}, then by scale."""\n'
            f"    result = value * {index}\n"
            f"    return result * scale\n"
            for index in range(functions)
        ]
        text = f"import os\nfrom pathlib import Path\n\n\nclass Thing{number}:\n    def method(self):\n"
        text += f"        return {number}\n\n\n" + "\n\n".join(bodies)
        path = folder / f"module_{number}.py"
        path.write_text(text)
        total += len(text)
    return total


def contents(db: Path) -> dict[str, list[tuple]]:
    """Every row of an index, without the ids a build assigns: what two builds must agree on."""
    queries = {
        "files": "SELECT path, language, size, mtime_ns, hash FROM files",
        "symbols": "SELECT f.path, s.kind, s.name, s.qualified_name, s.signature, s.doc, s.start_line,"
        " s.start_column, s.end_line, s.end_column, s.parent, s.content_hash FROM symbols s JOIN files f"
        " ON f.id = s.file_id",
        "imports": "SELECT f.path, i.module, i.name, i.alias, i.line FROM imports i JOIN files f ON f.id = i.file_id",
        "chunks": "SELECT f.path, c.start_line, c.end_line, c.text FROM chunks c JOIN files f ON f.id = c.file_id",
    }
    with contextlib.closing(sqlite3.connect(db)) as connection:
        return {table: sorted(connection.execute(sql).fetchall()) for table, sql in queries.items()}


def committed_files(db: Path) -> int:
    """Files committed so far, read alongside the writer (WAL); 0 before the schema exists."""
    if not db.exists():
        return 0  # connecting would create it
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)) as connection:
            return connection.execute("SELECT count(*) FROM files").fetchone()[0]
    except sqlite3.OperationalError:  # no table yet, or no -shm yet
        return 0


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is pid (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                # stat is "pid (name) state ppid ...": split after the name, which may hold spaces.
                if int((entry / "stat").read_text().rpartition(")")[2].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def has_exited(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")  # a zombie has exited; its new parent reaps it when it will


@pytest.mark.parametrize("shape", [IN_PROCESS, IN_WORKERS], ids=["parsed in process", "parsed in workers"])
def test_an_index_killed_mid_build_opens_intact_and_the_next_build_resumes(tmp_path, shape):
    root = tmp_path / "workspace"
    source_bytes = make_workspace(root, **shape)
    in_workers = shape is IN_WORKERS
    assert (source_bytes >= POOL_MIN_BYTES) == in_workers

    reference = tmp_path / "reference.sqlite3"
    with WorkspaceIndex([root], db_path=reference) as index:
        index.build()

    db = tmp_path / "index.sqlite3"
    log = tmp_path / "index.log"
    with log.open("wb") as output:
        build = subprocess.Popen(
            [sys.executable, "-m", "lsp_server", "index", str(root), "--db", str(db)],
            cwd=REPO,
            stdout=output,
            stderr=output,
        )
    try:
        # A quarter of the files committed: well into the build, far from its end.
        wait_until(
            lambda: committed_files(db) >= shape["files"] // 4 or build.poll() is not None,
            30,
            "a quarter of the files to be committed",
        )
        assert build.poll() is None, f"the build ended before it could be killed: {log.read_text()}"
        workers = child_pids(build.pid) if sys.platform == "linux" else []
        if sys.platform == "linux":
            assert bool(workers) == in_workers
    finally:
        build.send_signal(signal.SIGKILL)
        build.wait(timeout=10)
    # Each worker sees its input close and exits: none is left parsing for nobody.
    wait_until(lambda: all(has_exited(pid) for pid in workers), 10, "the orphaned parse workers to exit")

    with contextlib.closing(sqlite3.connect(db)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        committed = connection.execute("SELECT count(*) FROM files").fetchone()[0]
        # Every file's rows are committed with the file: none belongs to a file that is not there.
        for table in ("symbols", "imports", "chunks"):
            orphans = f"SELECT count(*) FROM {table} WHERE file_id NOT IN (SELECT id FROM files)"
            assert connection.execute(orphans).fetchone()[0] == 0, table
    assert shape["files"] // 4 <= committed < shape["files"]

    with WorkspaceIndex([root], db_path=db) as index:
        stats = index.build()
    assert (stats.reused, stats.parsed, stats.removed) == (committed, shape["files"] - committed, 0)
    assert stats.files == shape["files"]
    assert contents(db) == contents(reference)

"""SQLite persistence of the index: one database file per workspace.

The database is a cache: when it is missing, from another schema version or corrupt, it is
deleted and built again (with a log line), never a reason to fail. Writes happen in
transactions (WAL journal), so a crash mid-write leaves the last committed state. A separate
read connection lets queries run while a build writes.

The database holds the workspace's code, so it is user-only: the folders created for it are
0700 and the database with its -wal and -shm files 0600, whatever the umask.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import stat
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

import platformdirs

from .extract import Extraction
from .model import Chunk, FileEntry, Import, Symbol

log = logging.getLogger(__name__)

# 2: struct and interface members (Go, Rust, C, TypeScript), Python instance attributes and
# module variables under `if`/`try`, re-exports as imports: entries parsed before lack them.
# 3: Python attributes declared in `__slots__`.
# 4: a C typedef of an unnamed struct signed with its name (`typedef struct {...} CTX`).
SCHEMA_VERSION = 4
PRIVATE_FOLDER_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
DATABASE_SUFFIXES = ("", "-wal", "-shm", "-journal")

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    language TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,   -- 0: the entry came from an unsaved editor buffer
    hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS symbols (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    qualified_name TEXT NOT NULL,
    signature TEXT NOT NULL,
    doc TEXT NOT NULL,
    start_line INTEGER NOT NULL,
    start_column INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    end_column INTEGER NOT NULL,
    parent TEXT,
    content_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS symbols_by_file ON symbols (file_id);
CREATE INDEX IF NOT EXISTS symbols_by_name ON symbols (name);
CREATE INDEX IF NOT EXISTS symbols_by_parent ON symbols (parent);
CREATE TABLE IF NOT EXISTS imports (
    file_id INTEGER NOT NULL,
    module TEXT NOT NULL,
    name TEXT,
    alias TEXT,
    line INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS imports_by_file ON imports (file_id);
CREATE TABLE IF NOT EXISTS chunks (
    file_id INTEGER NOT NULL,
    start_line INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_file ON chunks (file_id);
"""

_SYMBOL_COLUMNS = (
    "s.kind, s.name, s.qualified_name, s.signature, s.doc, s.start_line, s.start_column, "
    "s.end_line, s.end_column, s.parent, s.content_hash, f.path, f.language"
)


class FileRecord(NamedTuple):
    """A file's row without its contents: enough to decide whether it must be parsed again."""

    id: int
    language: str
    size: int
    mtime_ns: int
    hash: str


def default_db_path(roots: list[Path]) -> Path:
    """<user cache>/infill/index/<first root name>-<hash of all roots>.sqlite3"""
    key = "\n".join(sorted(str(root) for root in roots))
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    name = roots[0].name if roots else "workspace"
    return platformdirs.user_cache_path("infill", appauthor=False) / "index" / f"{name}-{digest}.sqlite3"


def create_private_folder(folder: Path) -> None:
    """Create folder and its missing parents user-only; folders that exist are left as they are."""
    missing: list[Path] = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=PRIVATE_FOLDER_MODE)
        except FileExistsError:
            continue  # made meanwhile by another process: not ours to change
        os.chmod(path, PRIVATE_FOLDER_MODE)  # mkdir's mode is narrowed by the umask, never widened


def _create_private_database(path: Path) -> None:
    """Create the database file user-only before SQLite opens it: SQLite would create it 0644
    less the umask, and it gives the -wal and -shm files the database file's mode."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        _restrict_database_files(path)
        return
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)


def _restrict_database_files(path: Path) -> None:
    """Make an existing database user-only, e.g. one written by a version that did not."""
    for suffix in DATABASE_SUFFIXES:
        with contextlib.suppress(OSError):  # missing, or someone else's file
            mode = os.stat(f"{path}{suffix}").st_mode
            if stat.S_ISREG(mode) and mode & 0o077:  # a folder there is not ours to change
                os.chmod(f"{path}{suffix}", PRIVATE_FILE_MODE)


class Store:
    def __init__(self, path: Path):
        self.path = path
        self._write_lock = threading.Lock()
        self._read_lock = threading.Lock()
        try:
            self._writer, self._reader = self._open()
        except sqlite3.DatabaseError as error:
            log.warning("index database %s is unusable (%s); rebuilding it", path, error)
            self._delete_files()
            self._writer, self._reader = self._open()

    def _open(self) -> tuple[sqlite3.Connection, sqlite3.Connection]:
        create_private_folder(self.path.parent)
        _create_private_database(self.path)
        writer = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            writer.execute("PRAGMA journal_mode=WAL")
            writer.execute(
                "PRAGMA synchronous=NORMAL"
            )  # WAL + NORMAL: durable up to the last checkpoint, never corrupt
            writer.execute("PRAGMA cache_size=-16000")  # 16 MB: index pages stay cached during a build
            version = writer.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                log.info(
                    "index database %s has schema %s, want %s; rebuilding it",
                    self.path,
                    version,
                    SCHEMA_VERSION,
                )
                writer.close()
                self._delete_files()
                return self._open()
            writer.executescript(SCHEMA)
            writer.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            # Touch every table so that a damaged file fails here rather than mid-build.
            for table in ("files", "symbols", "imports", "chunks"):
                writer.execute(f"SELECT * FROM {table} LIMIT 1").fetchall()
            reader = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        except sqlite3.DatabaseError:
            writer.close()
            raise
        return writer, reader

    def _delete_files(self) -> None:
        for suffix in DATABASE_SUFFIXES:
            with contextlib.suppress(FileNotFoundError):
                os.remove(f"{self.path}{suffix}")

    def reset(self, reason: str) -> None:
        """Throw the database away and start an empty one (it is a cache; a build refills it)."""
        log.warning("index database %s is unusable (%s); rebuilding it", self.path, reason)
        with self._write_lock, self._read_lock:
            for connection in (self._reader, self._writer):
                with contextlib.suppress(sqlite3.Error):
                    connection.close()
            self._delete_files()
            self._writer, self._reader = self._open()

    def close(self) -> None:
        with self._write_lock, self._read_lock:
            self._reader.close()
            self._writer.close()

    # --- writes (the build thread, the watcher, document updates): see Writer ---

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Writer]:
        """One write transaction; everything in it is committed together or not at all."""
        with self._write_lock:
            self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield Writer(self._writer)
            except BaseException:
                self._writer.execute("ROLLBACK")
                raise
            self._writer.execute("COMMIT")

    # --- reads ---

    def _read(self, sql: str, parameters: Iterable = ()) -> list[tuple]:
        with self._read_lock:
            return self._reader.execute(sql, tuple(parameters)).fetchall()

    def load_files(self) -> dict[Path, FileRecord]:
        rows = self._read("SELECT path, id, language, size, mtime_ns, hash FROM files")
        return {Path(path): FileRecord(*record) for path, *record in rows}

    def load_symbol_names(self) -> list[tuple[int, int, str]]:
        """(symbol id, file id, name) of every symbol, to rebuild the in-memory name index."""
        return self._read("SELECT id, file_id, name FROM symbols")

    def symbols_by_ids(self, ids: list[int]) -> dict[int, Symbol]:
        found: dict[int, Symbol] = {}
        for start in range(0, len(ids), 500):  # stay below SQLite's parameter limit
            batch = ids[start : start + 500]
            placeholders = ",".join("?" * len(batch))
            rows = self._read(
                f"SELECT s.id, {_SYMBOL_COLUMNS} FROM symbols s JOIN files f ON f.id = s.file_id"
                f" WHERE s.id IN ({placeholders})",
                batch,
            )
            for symbol_id, *fields in rows:
                found[symbol_id] = _symbol(fields)
        return found

    def symbols_named(self, name: str, top_level_only: bool = False) -> list[Symbol]:
        """Symbols with exactly this name; with `top_level_only`, not members of a class
        (a name shared by many fields and methods then costs no rows)."""
        condition = " AND s.parent IS NULL" if top_level_only else ""
        rows = self._read(
            f"SELECT {_SYMBOL_COLUMNS} FROM symbols s JOIN files f ON f.id = s.file_id"
            f" WHERE s.name = ?{condition} ORDER BY f.path, s.start_line",
            (name,),
        )
        return [_symbol(row) for row in rows]

    def files_including(self, file_name: str) -> list[tuple[Path, str]]:
        """(file, module) of the imports whose module ends with this file name (C includes)."""
        rows = self._read(
            "SELECT f.path, i.module FROM imports i JOIN files f ON f.id = i.file_id"
            " WHERE i.module = ? OR i.module LIKE ? ESCAPE '\\' ORDER BY f.path",
            (file_name, "%/" + file_name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")),
        )
        return [(_path(path), module) for path, module in rows]

    def symbols_with_parent(self, parent: str) -> list[Symbol]:
        """The members of every container with this qualified name, across the workspace."""
        rows = self._read(
            f"SELECT {_SYMBOL_COLUMNS} FROM symbols s JOIN files f ON f.id = s.file_id"
            " WHERE s.parent = ? ORDER BY f.path, s.start_line",
            (parent,),
        )
        return [_symbol(row) for row in rows]

    def file_entry(self, path: Path) -> FileEntry | None:
        with self._read_lock:  # one read transaction, so the four reads agree with each other
            self._reader.execute("BEGIN")
            try:
                row = self._reader.execute(
                    "SELECT id, language, size, mtime_ns, hash FROM files WHERE path = ?", (str(path),)
                ).fetchone()
                if row is None:
                    return None
                file_id, language, size, mtime_ns, digest = row
                symbols = self._reader.execute(
                    f"SELECT {_SYMBOL_COLUMNS} FROM symbols s JOIN files f ON f.id = s.file_id"
                    " WHERE s.file_id = ? ORDER BY s.id",
                    (file_id,),
                ).fetchall()
                imports = self._reader.execute(
                    "SELECT module, name, alias, line FROM imports WHERE file_id = ? ORDER BY rowid",
                    (file_id,),
                ).fetchall()
                chunks = self._reader.execute(
                    "SELECT start_line, end_line, text FROM chunks WHERE file_id = ? ORDER BY rowid",
                    (file_id,),
                ).fetchall()
            finally:
                self._reader.execute("COMMIT")
        return FileEntry(
            path=path,
            language=language,
            size=size,
            mtime_ns=mtime_ns,
            hash=digest,
            symbols=[_symbol(row) for row in symbols],
            imports=[Import(*row) for row in imports],
            chunks=[Chunk(path, *row) for row in chunks],
        )


class Writer:
    """The write operations of one transaction (see Store.transaction)."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection
        # Symbol ids are assigned here rather than by SQLite so that the caller learns them
        # without reading the rows back; inside the transaction nobody else can insert.
        self._next_symbol_id = connection.execute("SELECT coalesce(max(id), 0) + 1 FROM symbols").fetchone()[0]

    def write_file(
        self, path: Path, language: str, size: int, mtime_ns: int, digest: str, extraction: Extraction
    ) -> tuple[int, list[tuple[int, str]]]:
        """Replace one file's rows; returns its id and its symbols' (id, name)."""
        connection = self.connection
        row = connection.execute("SELECT id FROM files WHERE path = ?", (str(path),)).fetchone()
        if row is None:
            inserted = connection.execute(
                "INSERT INTO files (path, language, size, mtime_ns, hash) VALUES (?, ?, ?, ?, ?)",
                (str(path), language, size, mtime_ns, digest),
            )
            assert inserted.lastrowid is not None, "an INSERT into a rowid table sets lastrowid"
            file_id = inserted.lastrowid
        else:
            file_id = row[0]
            self._delete_contents(file_id)
            connection.execute(
                "UPDATE files SET language = ?, size = ?, mtime_ns = ?, hash = ? WHERE id = ?",
                (language, size, mtime_ns, digest, file_id),
            )
        first_id = self._next_symbol_id
        self._next_symbol_id += len(extraction.symbols)
        connection.executemany(
            "INSERT INTO symbols (id, file_id, kind, name, qualified_name, signature, doc, start_line, start_column,"
            " end_line, end_column, parent, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(first_id + offset, file_id, *symbol) for offset, symbol in enumerate(extraction.symbols)],
        )
        connection.executemany(
            "INSERT INTO imports (file_id, module, name, alias, line) VALUES (?, ?, ?, ?, ?)",
            [(file_id, *row) for row in extraction.imports],
        )
        connection.executemany(
            "INSERT INTO chunks (file_id, start_line, end_line, text) VALUES (?, ?, ?, ?)",
            [(file_id, *chunk) for chunk in extraction.chunks],
        )
        return file_id, [(first_id + offset, symbol[1]) for offset, symbol in enumerate(extraction.symbols)]

    def update_stat(self, file_id: int, size: int, mtime_ns: int) -> None:
        """The file was touched but its content hash is unchanged: keep its rows."""
        self.connection.execute("UPDATE files SET size = ?, mtime_ns = ? WHERE id = ?", (size, mtime_ns, file_id))

    def delete_file(self, file_id: int) -> None:
        self._delete_contents(file_id)
        self.connection.execute("DELETE FROM files WHERE id = ?", (file_id,))

    def _delete_contents(self, file_id: int) -> None:
        for table in ("symbols", "imports", "chunks"):
            self.connection.execute(f"DELETE FROM {table} WHERE file_id = ?", (file_id,))


# Path objects for the paths symbols are read with: building a Path costs more than reading
# the row, and name lookups read the same few files' symbols again and again.
_PATHS: dict[str, Path] = {}
_MAX_PATHS = 65_536


def _path(text: str) -> Path:
    path = _PATHS.get(text)
    if path is None:
        if len(_PATHS) >= _MAX_PATHS:
            _PATHS.clear()
        path = _PATHS[text] = Path(text)
    return path


def _symbol(fields: list | tuple) -> Symbol:
    *head, path, language = fields
    # _make rather than Symbol(*head, ...): mypy cannot count the fields in a starred list.
    return Symbol._make([*head, _path(path), language])

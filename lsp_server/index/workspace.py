"""WorkspaceIndex: the symbols, imports and chunks of every source file under the workspace roots.

Three kinds of state, kept consistent by writing the database first and memory second:
- the SQLite store (store.py): every row, persisted between sessions;
- in memory: each file's record (size, mtime, hash) and a name index (names.py) for fast search;
- open editor buffers: their text and tree-sitter tree, re-parsed incrementally on each change.

`build()` runs on a background thread while queries arrive from the server's event loop:
the in-memory state is guarded by one lock, held only for short dictionary updates, and the
store has its own read connection, so queries never wait for a parse or a write.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tree_sitter import Tree

from .extract import extract
from .files import Candidate, inside_root, walk_folder, walk_workspace
from .ignore import IGNORE_FILE_NAMES, IgnoreRules, is_skipped_folder_name
from .languages import language_for_path, language_for_source
from .model import FileEntry, IndexStats, Symbol
from .names import NameIndex
from .parsing import ParsedFile, content_hash, index_files, parse_source, read_source, reparse_incrementally
from .pool import parse_in_workers
from .store import FileRecord, Store, default_db_path

if TYPE_CHECKING:
    from .watcher import FileWatcher  # only for the annotation: importing it at run time loads watchdog

log = logging.getLogger(__name__)

# Parsing in worker processes pays off once there is this much source to parse: starting a
# worker (a fresh interpreter importing tree-sitter and the grammars) costs about 0.3 s.
POOL_MIN_BYTES = 4_000_000
WORKER_BATCH_BYTES = 256_000  # source per task sent to a worker: large enough to amortise pickling
WRITE_BATCH_FILES = 64  # files per database transaction when parsing in this process
# The index.maxFiles default: at this many files the server stays under about 1 GB of memory.
DEFAULT_MAX_FILES = 100_000
MAX_REMEMBERED_NAMES = 8192  # names whose definitions are kept in memory between queries


@dataclass
class _OpenDocument:
    source: bytes
    tree: Tree
    language: str


def _normalize(path: Path | str) -> Path:
    """Absolute and without '..', but symlinks kept: the paths the editor and the walk use."""
    return Path(os.path.abspath(path))


class WorkspaceIndex:
    def __init__(
        self,
        roots: list[Path],
        db_path: Path | None = None,
        max_file_bytes: int = 1_000_000,
        workers: int | None = None,
        max_files: int = DEFAULT_MAX_FILES,
    ):
        """`workers`: processes for parsing large batches; None -> one per CPU (at most 4), 0 -> none.
        `max_files`: the most files indexed from disk, the first ones in walk order (open editor
        buffers are indexed beyond it: the file being edited always answers)."""
        self.roots = [_normalize(root) for root in roots]
        self.db_path = _normalize(db_path) if db_path is not None else default_db_path(self.roots)
        self.max_file_bytes = max_file_bytes
        self.max_files = max_files
        self.workers = min(os.cpu_count() or 1, 4) if workers is None else workers
        self._rules = {root: IgnoreRules(root) for root in self.roots}
        self._lock = threading.Lock()  # guards _files, _symbols_by_file, _names, _open_documents
        self._build_lock = threading.Lock()  # one build or refresh at a time
        self._files: dict[Path, FileRecord] = {}
        # Bumped whenever an entry changes: readers that cache what they derived from the index
        # (the completion context) compare it to know when to derive again.
        self.generation = 0
        self._symbols_by_file: dict[int, list[tuple[int, str]]] = {}
        self._names = NameIndex()
        # Symbols by name as the database answers them (`definitions`): completions ask for the
        # same names on every keystroke. An entry goes when a file that defines or defined the
        # name changes (`_forget_symbols`, `_apply`), and with everything on a reload.
        self._by_name: dict[tuple[str, bool], list[Symbol]] = {}
        # Which files each folder holds, and the folders by name: how name resolution finds a
        # Go or Java package, a header on the include path, or a module file, without asking
        # the database about files that do not exist.
        self._folders: dict[Path, set[str]] = {}
        self._folders_by_name: dict[str, set[Path]] = {}
        self._files_by_name: dict[str, set[Path]] = {}
        # How many symbols of each name each folder's files define, counted on a folder's first
        # question and kept up to date after: whether a Go or Java package defines a name,
        # without a query.
        self._folder_names: dict[Path, dict[str, int]] = {}
        # Bumped when a file is added or removed (not when one changes): what was derived from
        # the set of files (resolved module paths) stays valid while it stays the same.
        self.layout_generation = 0
        self._open_documents: dict[Path, _OpenDocument] = {}
        self._watcher: FileWatcher | None = None
        self._store = Store(self.db_path)
        self._load_from_store()

    # --- loading and building ---

    def _load_from_store(self) -> None:
        """Answer queries from the last session's index right away, before build() checks it."""
        try:
            files = self._store.load_files()
            names = self._store.load_symbol_names()
        except sqlite3.DatabaseError as error:
            self._store.reset(str(error))
            files, names = {}, []
        path_by_id = {record.id: path for path, record in files.items()}
        symbols_by_file: dict[int, list[tuple[int, str]]] = {}
        name_index = NameIndex()
        for symbol_id, file_id, name in names:
            if file_id in path_by_id:
                name = sys.intern(name)  # one string per distinct name, shared by all structures
                symbols_by_file.setdefault(file_id, []).append((symbol_id, name))
                name_index.add(symbol_id, name)
        name_index.prepare()
        with self._lock:
            self._files, self._symbols_by_file, self._names = files, symbols_by_file, name_index
            self._by_name = {}
            self._folders, self._folders_by_name, self._files_by_name = {}, {}, {}
            self._folder_names = {}
            for path in files:
                self._add_to_folders(path)
            self.generation += 1

    def build(
        self,
        progress: Callable[[int, int], None] | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> IndexStats:
        """Bring the index up to date with the files on disk: parse new and changed files, reuse
        unchanged ones (same path, size, mtime and content hash), drop deleted or ignored ones."""
        started = time.perf_counter()
        with self._build_lock:
            try:
                stats = self._build(progress, should_stop)
            except sqlite3.DatabaseError as error:
                self._store.reset(str(error))
                self._load_from_store()
                stats = self._build(progress, should_stop)
        stats.seconds = time.perf_counter() - started
        return stats

    def _build(self, progress: Callable[[int, int], None] | None, should_stop: Callable[[], bool]) -> IndexStats:
        self._rules = {root: IgnoreRules(root) for root in self.roots}  # ignore files may have changed
        walk = walk_workspace(self.roots, self._rules, self.max_file_bytes, limit=self.max_files)
        candidates = walk.candidates
        stats = IndexStats(skipped=len(walk.too_large), over_limit=walk.over_limit)
        if stats.over_limit:
            log.warning(
                "indexing the first %d files (index.maxFiles); %d more not indexed. Ignore files "
                "(.gitignore, .infillignore) can leave out generated or vendored folders",
                len(candidates),
                stats.over_limit,
            )
        # Entries past the limit (a lower limit than last session's) go, like deleted files.
        found = {candidate.path for candidate in candidates}
        with self._lock:
            stale = [path for path in self._files if path not in found and path not in self._open_documents]
        self._remove(stale)
        stats.removed = len(stale)
        self._index_candidates(candidates, stats, progress, should_stop)
        self._fill_totals(stats)
        return stats

    def _index_candidates(
        self,
        candidates: list[Candidate],
        stats: IndexStats,
        progress: Callable[[int, int], None] | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> list[Path]:
        """Reuse, re-hash or parse each candidate; returns the paths whose entries changed."""
        with self._lock:
            known = dict(self._files)
            open_paths = set(self._open_documents)
        unchanged_stat: list[tuple[Candidate, FileRecord]] = []
        to_parse: list[tuple[Candidate, str]] = []
        for candidate in candidates:
            if candidate.path in open_paths:
                continue  # the editor's buffer is the truth for an open document
            record = known.get(candidate.path)
            if record is not None and record.size == candidate.size and record.mtime_ns == candidate.mtime_ns:
                unchanged_stat.append((candidate, record))
            else:
                to_parse.append((candidate, record.hash if record is not None else ""))
        total, done = len(unchanged_stat) + len(to_parse), 0
        changed: list[Path] = []

        # Same size and mtime: confirm with the content hash, which is cheap next to parsing.
        for candidate, record in unchanged_stat:
            if should_stop():
                break
            data, _, _ = read_source(str(candidate.path), self.max_file_bytes)
            if data is not None and content_hash(data) == record.hash:
                stats.reused += 1
            else:
                to_parse.append((candidate, record.hash))
            done += 1
            if progress is not None and (done % 500 == 0 or done == len(unchanged_stat)):
                progress(done, total)

        tasks = [(str(candidate.path), candidate.language, known_hash) for candidate, known_hash in to_parse]
        source_bytes = sum(candidate.size for candidate, _ in to_parse)
        if self.workers > 0 and source_bytes >= POOL_MIN_BYTES and len(tasks) > 1:
            results = self._parse_in_workers(tasks, to_parse, should_stop)
        else:
            results = self._parse_here(tasks, should_stop)
        for batch in results:
            changed.extend(self._apply(batch, stats))
            done += len(batch)
            if progress is not None:
                progress(done, total)
        stats.stopped = done < total
        return changed

    def _parse_here(self, tasks: list[tuple[str, str, str]], should_stop: Callable[[], bool]):
        for start in range(0, len(tasks), WRITE_BATCH_FILES):
            if should_stop():
                return
            yield index_files(tasks[start : start + WRITE_BATCH_FILES], self.max_file_bytes)

    def _parse_in_workers(self, tasks, to_parse, should_stop: Callable[[], bool]):
        """Parse in worker processes, in batches of about WORKER_BATCH_BYTES of source."""
        # Largest files first so that no worker is left with a big file at the end.
        order = sorted(range(len(tasks)), key=lambda i: -to_parse[i][0].size)
        batches, batch, batch_bytes = [], [], 0
        for i in order:
            batch.append(tasks[i])
            batch_bytes += to_parse[i][0].size
            if batch_bytes >= WORKER_BATCH_BYTES:
                batches.append(batch)
                batch, batch_bytes = [], 0
        if batch:
            batches.append(batch)
        yield from parse_in_workers(batches, self.max_file_bytes, self.workers, should_stop)

    def _apply(self, results: list[ParsedFile], stats: IndexStats, from_buffer: bool = False) -> list[Path]:
        """Write one batch of results in one transaction, then update memory to match."""
        written: list[tuple[Path, FileRecord, list[tuple[int, str]] | None]] = []
        removed: list[Path] = []
        paths = [Path(result.path) for result in results]
        with self._lock:
            known = [self._files.get(path) for path in paths]
            if not from_buffer:  # a document opened while its file was parsed: the buffer wins
                keep = [path not in self._open_documents for path in paths]
                results = [result for result, k in zip(results, keep, strict=True) if k]
                paths = [path for path, k in zip(paths, keep, strict=True) if k]
                known = [record for record, k in zip(known, keep, strict=True) if k]
        with self._store.transaction() as writer:
            for result, path, record in zip(results, paths, known, strict=True):
                if result.status == "parsed":
                    assert result.extraction is not None, "a parsed file always carries its extraction"
                    file_id, symbol_names = writer.write_file(
                        path, result.language, result.size, result.mtime_ns, result.hash, result.extraction
                    )
                    record = FileRecord(file_id, result.language, result.size, result.mtime_ns, result.hash)
                    written.append((path, record, [(symbol_id, sys.intern(name)) for symbol_id, name in symbol_names]))
                    stats.parsed += 1
                    stats.bytes_parsed += result.size
                elif result.status == "unchanged" and record is not None:
                    writer.update_stat(record.id, result.size, result.mtime_ns)
                    written.append((path, record._replace(size=result.size, mtime_ns=result.mtime_ns), None))
                    stats.reused += 1
                else:
                    stats.skipped += 1
                    log.debug("not indexing %s: %s", path, result.reason)
                    if record is not None:
                        writer.delete_file(record.id)
                        removed.append(path)
        with self._lock:
            for path, record, names in written:
                if names is not None:
                    self._forget_symbols(record.id, path.parent)
                    self._symbols_by_file[record.id] = names
                    self._count_folder_names(path.parent, names)
                    for symbol_id, name in names:
                        self._names.add(symbol_id, name)
                        self._forget_definitions(name)
                if path not in self._files:
                    self._add_to_folders(path)
                self._files[path] = record
            for path in removed:
                old = self._files.pop(path, None)
                if old is not None:
                    self._forget_symbols(old.id, path.parent)
                    self._remove_from_folders(path)
            self.generation += 1
        return [path for path, _, names in written if names is not None] + removed

    def _add_to_folders(self, path: Path) -> None:
        self.layout_generation += 1
        folder = path.parent
        names = self._folders.get(folder)
        if names is None:
            names = self._folders[folder] = set()
            self._folders_by_name.setdefault(folder.name, set()).add(folder)
        names.add(path.name)
        self._files_by_name.setdefault(path.name, set()).add(path)

    def _remove_from_folders(self, path: Path) -> None:
        self.layout_generation += 1
        folder = path.parent
        names = self._folders.get(folder)
        if names is None:
            return
        names.discard(path.name)
        same_file_name = self._files_by_name.get(path.name)
        if same_file_name is not None:
            same_file_name.discard(path)
            if not same_file_name:
                del self._files_by_name[path.name]
        if not names:
            del self._folders[folder]
            same_name = self._folders_by_name.get(folder.name)
            if same_name is not None:
                same_name.discard(folder)
                if not same_name:
                    del self._folders_by_name[folder.name]

    def _forget_symbols(self, file_id: int, folder: Path) -> None:
        names = self._symbols_by_file.pop(file_id, ())
        for symbol_id, name in names:
            self._names.remove(symbol_id, name)
            self._forget_definitions(name)
        counts = self._folder_names.get(folder)
        if counts is not None:
            for _, name in names:
                left = counts.get(name, 0) - 1
                if left > 0:
                    counts[name] = left
                else:
                    counts.pop(name, None)

    def _forget_definitions(self, name: str) -> None:
        self._by_name.pop((name, False), None)
        self._by_name.pop((name, True), None)

    def _count_folder_names(self, folder: Path, names: list[tuple[int, str]]) -> None:
        counts = self._folder_names.get(folder)
        if counts is not None:
            for _, name in names:
                counts[name] = counts.get(name, 0) + 1

    def _remove(self, paths: Iterable[Path]) -> list[Path]:
        with self._lock:
            records = [(path, self._files[path]) for path in paths if path in self._files]
        if not records:
            return []
        with self._store.transaction() as writer:
            for _, record in records:
                writer.delete_file(record.id)
        with self._lock:
            for path, record in records:
                if self._files.get(path) == record:
                    del self._files[path]
                    self._forget_symbols(record.id, path.parent)
                    self._remove_from_folders(path)
            self.generation += 1
        return [path for path, _ in records]

    def _fill_totals(self, stats: IndexStats) -> None:
        with self._lock:
            stats.files = len(self._files)
            per_language: dict[str, int] = {}
            symbols_per_language: dict[str, int] = {}
            for record in self._files.values():
                per_language[record.language] = per_language.get(record.language, 0) + 1
                count = len(self._symbols_by_file.get(record.id, ()))
                symbols_per_language[record.language] = symbols_per_language.get(record.language, 0) + count
            stats.files_per_language = dict(sorted(per_language.items()))
            stats.symbols_per_language = dict(sorted(symbols_per_language.items()))
            stats.symbols = sum(symbols_per_language.values())
            self._names.prepare()

    # --- keeping it current ---

    def _root_of(self, path: Path) -> Path | None:
        for root in self.roots:
            if path == root or root in path.parents:
                return root
        return None

    def _is_indexable(self, path: Path) -> bool:
        root = self._root_of(path)
        return root is not None and language_for_path(path) is not None and not self._rules[root].is_ignored(path)

    def update_document(self, path: Path, text: str) -> bool:
        """An editor buffer changed: re-parse it (incrementally when it was parsed before) and
        index its text instead of the file on disk. Returns False for files the index skips."""
        path = _normalize(path)
        if not self._is_indexable(path):
            return False
        source = text.encode("utf-8", errors="surrogatepass")
        spec = language_for_source(path, source)
        assert spec is not None, "_is_indexable found a language for this path"
        with self._lock:
            document = self._open_documents.get(path)
        if document is not None and document.source == source:
            return True
        if document is not None and document.language == spec.name:
            tree = reparse_incrementally(document.tree, document.source, source, spec)
        else:
            tree = parse_source(source, spec)
        with self._lock:
            self._open_documents[path] = _OpenDocument(source, tree, spec.name)
        result = ParsedFile(
            str(path), spec.name, "parsed", len(source), 0, content_hash(source), extract(tree, source, spec)
        )
        # mtime 0 marks the entry as a buffer's: the next session re-reads the file from disk.
        self._apply([result], IndexStats(), from_buffer=True)
        return True

    def close_document(self, path: Path) -> None:
        """The editor closed a buffer: index the file as it is on disk again."""
        path = _normalize(path)
        with self._lock:
            self._open_documents.pop(path, None)
        self.refresh_paths([path])

    def refresh_paths(self, paths: Iterable[Path]) -> list[Path]:
        """Files or folders changed, appeared or disappeared on disk: update their entries.
        Returns the indexed paths whose entries changed (added, re-parsed or removed)."""
        candidates: dict[Path, Candidate] = {}
        gone: set[Path] = set()
        for path in {_normalize(path) for path in paths}:
            root = self._root_of(path)
            if root is None:
                continue
            if path.name in IGNORE_FILE_NAMES:  # the rules changed: look at the whole folder again
                self._rules[root].forget(path.parent)
                path = path.parent
            if path.is_dir():
                # Everything indexed under the folder is gone unless the walk finds it again.
                gone.update(self._indexed_under(path))
                if path == root or not self._rules[root].is_ignored(path):
                    candidates.update(
                        (found.path, found) for found in walk_folder(path, self._rules[root], self.max_file_bytes)
                    )
                continue
            candidate = self._candidate(path, root)
            if candidate is not None:
                candidates[path] = candidate
            else:
                gone.add(path)
                if not path.exists():
                    gone.update(self._indexed_under(path))  # it may have been a folder
        with self._build_lock:
            with self._lock:
                gone = {path for path in gone - set(candidates) if path not in self._open_documents}
            changed = self._remove(gone)
            changed += self._index_candidates(self._within_limit(candidates), IndexStats())
        return sorted(set(changed))

    def _within_limit(self, candidates: dict[Path, Candidate]) -> list[Candidate]:
        """The candidates already indexed, and new ones while the index holds fewer than
        max_files: files created on disk must not grow a capped index past its limit."""
        with self._lock:
            room = max(self.max_files - len(self._files), 0)
            known = [candidate for path, candidate in candidates.items() if path in self._files]
            new = [candidate for path, candidate in candidates.items() if path not in self._files]
        if len(new) > room:
            log.debug("index.maxFiles reached: %d new files not indexed", len(new) - room)
        new.sort(key=lambda candidate: candidate.path)  # the same files whatever order events came in
        return known + new[:room]

    def _indexed_under(self, folder: Path) -> list[Path]:
        prefix = str(folder).rstrip(os.sep) + os.sep
        with self._lock:
            return [path for path in self._files if str(path).startswith(prefix)]

    def _candidate(self, path: Path, root: Path) -> Candidate | None:
        spec = language_for_path(path)
        if spec is None or self._rules[root].is_ignored(path) or not inside_root(path, root):
            return None
        try:
            stat = path.stat()
        except OSError:
            return None
        if not path.is_file() or stat.st_size > self.max_file_bytes:
            return None
        return Candidate(path, spec.name, stat.st_size, stat.st_mtime_ns)

    def start_watching(self, on_change: Callable[[list[Path]], None] | None = None) -> None:
        """Follow file changes on disk (watchdog); `on_change` gets the paths whose entries changed."""
        from .watcher import FileWatcher  # imported here: worker processes never need watchdog

        if self._watcher is not None:
            return

        def refresh(paths: list[Path]) -> None:
            changed = self.refresh_paths(paths)
            if changed and on_change is not None:
                on_change(changed)

        watcher = FileWatcher(self.roots, refresh, ignore=self._is_noise)
        try:
            watcher.start()
        except OSError as error:  # e.g. the inotify watch limit of a huge tree
            log.warning("cannot watch the workspace for changes (%s); relying on the editor's notifications", error)
            watcher.stop()
            return
        self._watcher = watcher

    def _is_noise(self, path: Path) -> bool:
        """Events the watcher drops at once: our own database, .git internals, vendored folders."""
        if path.parent == self.db_path.parent and path.name.startswith(self.db_path.name):
            return True
        root = self._root_of(path)
        if root is None:
            return True
        *folders, name = path.relative_to(root).parts or ("",)
        if any(is_skipped_folder_name(folder) for folder in folders):
            return True
        return name.startswith(".") and name not in IGNORE_FILE_NAMES

    def stop_watching(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None

    def close(self) -> None:
        self.stop_watching()
        self._store.close()

    # --- queries ---

    def search_symbols(self, query: str, limit: int = 100) -> list[Symbol]:
        """Symbols whose name matches the query (exact, prefix, substring, then fuzzy), best first."""
        with self._lock:
            ids = self._names.search(query, limit)
        found = self._query(self._store.symbols_by_ids, ids, default={})
        return [found[symbol_id] for symbol_id in ids if symbol_id in found]

    def definitions(self, name: str) -> list[Symbol]:
        """Every symbol with exactly this name, across the workspace."""
        if not self.has_definition(name):
            return []  # most names near a cursor are locals: no query for them
        return self._definitions_named(name, top_level_only=False)

    def files_including(self, file_name: str) -> list[tuple[Path, str]]:
        """(file, included path as written) of the includes that may name a file of this name."""
        return self._query(self._store.files_including, file_name, default=[])

    def members_of(self, parent: str) -> list[Symbol]:
        """The symbols whose parent is this qualified name, in any file (a Go type's methods,
        a Rust type's `impl` blocks)."""
        return self._query(self._store.symbols_with_parent, parent, default=[])

    def top_level_definitions(self, name: str) -> list[Symbol]:
        """The symbols with exactly this name that are not members of a class."""
        if not self.has_definition(name):
            return []
        return self._definitions_named(name, top_level_only=True)

    def _definitions_named(self, name: str, top_level_only: bool) -> list[Symbol]:
        key = (name, top_level_only)
        with self._lock:
            found = self._by_name.get(key)
            generation = self.generation
        if found is None:
            found = self._query(lambda wanted: self._store.symbols_named(wanted, top_level_only), name, default=[])
            with self._lock:
                if self.generation == generation:  # no file changed meanwhile: the answer is current
                    if len(self._by_name) >= MAX_REMEMBERED_NAMES:
                        self._by_name.clear()
                    self._by_name[key] = found
        return list(found)  # a copy: callers sort and filter what they get

    def has_definition(self, name: str) -> bool:
        """Whether any indexed symbol has exactly this name (from memory, no query)."""
        with self._lock:
            return self._names.has(name)

    def file(self, path: Path) -> FileEntry | None:
        return self._query(self._store.file_entry, _normalize(path), default=None)

    def _query(self, read, argument, default):
        """A damaged database answers nothing instead of failing the request; the next build
        notices the damage too and rebuilds the database."""
        try:
            return read(argument)
        except sqlite3.DatabaseError as error:
            log.warning("index query failed: %s", error)
            return default

    def files(self) -> list[Path]:
        with self._lock:
            return sorted(self._files)

    def file_hash(self, path: Path) -> str | None:
        """The content hash of the file's entry as the index holds it now (no query), or None."""
        path = _normalize(path)
        with self._lock:
            record = self._files.get(path)
        return record.hash if record is not None else None

    def has_file(self, path: Path) -> bool:
        """Whether the index holds this file (no database query: a set lookup)."""
        with self._lock:
            if path in self._files:
                return True
        text = str(path)
        normal = os.path.abspath(text)
        if normal == text:
            return False  # already absolute and normalized: not in the index
        with self._lock:
            return Path(normal) in self._files

    def defines_in_folder(self, folder: Path, name: str) -> bool:
        """Whether an indexed file directly in a folder defines a symbol of that name (from
        memory, no query)."""
        with self._lock:
            counts = self._folder_names.get(folder)  # asked for many names: no path work when known
        if counts is not None:
            return name in counts
        folder = _normalize(folder)
        with self._lock:
            counts = self._folder_names.get(folder)
            if counts is None:
                counts = self._folder_names[folder] = {}
                for file_name in self._folders.get(folder, ()):
                    record = self._files.get(folder / file_name)
                    if record is not None:
                        self._count_folder_names(folder, self._symbols_by_file.get(record.id, []))
            return name in counts

    def files_in(self, folder: Path) -> list[Path]:
        """The indexed files directly in a folder, sorted by name."""
        folder = _normalize(folder)
        with self._lock:
            names = sorted(self._folders.get(folder, ()))
        return [folder / name for name in names]

    def files_named(self, name: str) -> list[Path]:
        """The indexed files whose own name is `name` ("util.h"), sorted."""
        with self._lock:
            return sorted(self._files_by_name.get(name, ()))

    def folders_named(self, name: str) -> list[Path]:
        """The folders holding indexed files whose own name is `name`, sorted."""
        with self._lock:
            return sorted(self._folders_by_name.get(name, ()))

    def __enter__(self) -> WorkspaceIndex:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

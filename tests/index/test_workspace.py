"""WorkspaceIndex end to end on temporary folders: build, reuse, updates, persistence, queries."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from lsp_server.index import WorkspaceIndex, workspace
from lsp_server.index.store import SCHEMA_VERSION

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(FIXTURES, root)
    return root


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "cache" / "index.sqlite3"


def open_index(root: Path, db_path: Path, **options) -> WorkspaceIndex:
    return WorkspaceIndex([root], db_path=db_path, **options)


def names(symbols) -> list[str]:
    return [symbol.qualified_name for symbol in symbols]


def test_cold_build_then_warm_build_reuses_everything(project, db_path):
    with open_index(project, db_path) as index:
        cold = index.build()
    assert cold.parsed == cold.files == 9 and cold.reused == 0
    assert cold.files_per_language["python"] == 1 and cold.symbols > 80
    with open_index(project, db_path) as index:
        assert names(index.definitions("greet")) == ["greet"]  # answers from the db before build()
        warm = index.build()
    assert (warm.parsed, warm.reused, warm.files, warm.symbols) == (0, 9, 9, cold.symbols)


def test_warm_build_parses_only_changed_files_and_drops_deleted_ones(project, db_path):
    with open_index(project, db_path) as index:
        index.build()
    (project / "sample.py").write_text("def renamed():\n    pass\n")
    (project / "sample.go").unlink()
    (project / "new.rs").write_text("fn fresh() {}\n")
    same_text = (project / "sample.c").read_text()
    (project / "sample.c").write_text(same_text)  # new mtime, same content hash
    os.utime(project / "sample.c", ns=(1, 1))
    with open_index(project, db_path) as index:
        stats = index.build()
        assert (stats.parsed, stats.removed, stats.reused) == (2, 1, 7)
        assert names(index.definitions("renamed")) == ["renamed"]
        assert index.definitions("greet") == [] and index.definitions("NewServer") == []
        assert names(index.definitions("fresh")) == ["fresh"]
        assert index.file(project / "sample.c").mtime_ns == 1


def test_same_size_and_mtime_but_different_content_is_caught_by_the_hash(project, db_path):
    path = project / "sample.py"
    with open_index(project, db_path) as index:
        index.build()
    stat = path.stat()
    text = path.read_text().replace("def greet(", "def grEEt(")
    path.write_text(text)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    with open_index(project, db_path) as index:
        assert index.build().parsed == 1
        assert names(index.definitions("grEEt")) == ["grEEt"]


def test_file_entry_has_symbols_imports_and_chunks(project, db_path):
    with open_index(project, db_path) as index:
        index.build()
        entry = index.file(project / "sample.rs")
        assert index.file(project / "nope.rs") is None
    assert entry.language == "rust" and entry.size == (project / "sample.rs").stat().st_size
    assert entry.symbols[0].path == project / "sample.rs" and entry.symbols[0].language == "rust"
    assert ("std::collections", "HashMap", None, 2) in [tuple(i) for i in entry.imports]
    text = (project / "sample.rs").read_text().split("\n")
    for chunk in entry.chunks:
        assert chunk.text == "\n".join(text[chunk.start_line : chunk.end_line + 1])


def test_search_ranks_exact_prefix_substring_then_fuzzy(tmp_path, db_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "a.py").write_text(
        "def parse(): pass\ndef parse_args(): pass\ndef my_parser(): pass\n"
        "def prepare_all_records(): pass\ndef unrelated(): pass\nclass Parse: pass\n"
    )
    with open_index(root, db_path) as index:
        index.build()
        assert names(index.search_symbols("parse")) == ["parse", "Parse", "parse_args", "my_parser"]
        assert names(index.search_symbols("Parse"))[:2] == ["Parse", "parse"]  # exact case first
        assert names(index.search_symbols("parec")) == ["prepare_all_records"]  # fuzzy subsequence
        assert names(index.search_symbols("par", limit=2)) == ["parse", "Parse"]
        assert index.search_symbols("zzz") == []
        assert len(index.search_symbols("")) == 6


def test_update_document_reparses_the_buffer_and_wins_over_disk(project, db_path):
    path = project / "sample.py"
    with open_index(project, db_path) as index:
        index.build()
        text = path.read_text()
        assert index.update_document(path, text + "\ndef typed_in_editor(): pass\n")
        assert index.update_document(path, text + "\ndef typed_in_editor_2(): pass\n")  # incremental
        assert names(index.search_symbols("typed_in_editor")) == ["typed_in_editor_2"]
        path.write_text("def on_disk(): pass\n")
        assert index.refresh_paths([path]) == []  # the open buffer stays the truth
        assert index.definitions("on_disk") == []
        index.close_document(path)
        assert names(index.definitions("on_disk")) == ["on_disk"]
        assert index.definitions("typed_in_editor_2") == []
        assert not index.update_document(project / "notes.txt", "text")  # not a source file


def test_buffer_entries_are_re_read_from_disk_next_session(project, db_path):
    path = project / "sample.py"
    with open_index(project, db_path) as index:
        index.build()
        index.update_document(path, "def unsaved(): pass\n")
    with open_index(project, db_path) as index:
        assert index.build().parsed == 1
        assert index.definitions("unsaved") == [] and names(index.definitions("greet")) == ["greet"]


def test_refresh_paths_handles_created_changed_deleted_files_and_folders(project, db_path):
    with open_index(project, db_path) as index:
        index.build()
        (project / "pkg" / "deep").mkdir(parents=True)
        (project / "pkg" / "deep" / "m.py").write_text("def in_new_folder(): pass\n")
        (project / "pkg" / "n.go").write_text("package pkg\nfunc InGo() {}\n")
        changed = index.refresh_paths([project / "pkg"])
        assert changed == [project / "pkg" / "deep" / "m.py", project / "pkg" / "n.go"]
        assert names(index.definitions("in_new_folder")) == ["in_new_folder"]

        shutil.rmtree(project / "pkg")
        assert index.refresh_paths([project / "pkg"]) == [
            project / "pkg" / "deep" / "m.py",
            project / "pkg" / "n.go",
        ]
        assert index.definitions("InGo") == []

        (project / "sample.js").unlink()
        assert index.refresh_paths([project / "sample.js"]) == [project / "sample.js"]
        assert project / "sample.js" not in index.files()

        (project / ".infillignore").write_text("*.ts\n")
        index.refresh_paths([project / ".infillignore"])
        assert project / "sample.ts" not in index.files() and project / "sample.tsx" in index.files()
        assert index.refresh_paths([project / "sample.py"]) == []  # unchanged: nothing to do


def test_corrupt_database_is_rebuilt_with_a_log_line(project, db_path, caplog):
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is not a database" * 100)
    with caplog.at_level(logging.WARNING):
        with open_index(project, db_path) as index:
            assert index.build().parsed == 9
    assert "rebuilding" in caplog.text


def test_database_damaged_after_opening_is_rebuilt(project, db_path, caplog):
    with open_index(project, db_path) as index:
        index.build()
    with open(db_path, "r+b") as handle:  # keep the header, smash the pages after it
        handle.seek(4096)
        handle.write(os.urandom(64 * 1024))
    with caplog.at_level(logging.WARNING):
        with open_index(project, db_path) as index:
            index.build()
            assert names(index.definitions("greet")) == ["greet"]
    assert "rebuilding" in caplog.text


def test_other_schema_version_is_rebuilt(project, db_path):
    with open_index(project, db_path) as index:
        index.build()
    connection = sqlite3.connect(db_path)
    connection.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    connection.close()
    with open_index(project, db_path) as index:
        assert index.build().parsed == 9


def test_default_database_lives_in_the_user_cache(project, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    with WorkspaceIndex([project]) as index:
        assert index.db_path.is_relative_to(tmp_path / "xdg" / "infill" / "index")
        assert index.db_path.name.startswith("project-")


def test_build_in_worker_processes_gives_the_same_index(project, db_path, tmp_path, monkeypatch):
    monkeypatch.setattr(workspace, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(workspace, "WORKER_BATCH_BYTES", 1)  # one file per task
    with open_index(project, db_path, workers=2) as pooled:
        pooled_stats = pooled.build()
        pooled_symbols = sorted(map(tuple, pooled.search_symbols("", limit=1000)))
    with open_index(project, tmp_path / "single.sqlite3", workers=0) as single:
        single_stats = single.build()
        assert sorted(map(tuple, single.search_symbols("", limit=1000))) == pooled_symbols
    assert pooled_stats.files_per_language == single_stats.files_per_language


def test_should_stop_ends_the_build_early_and_progress_is_reported(project, db_path):
    calls = []
    with open_index(project, db_path, workers=0) as index:
        workspace_batch = workspace.WRITE_BATCH_FILES
        try:
            workspace.WRITE_BATCH_FILES = 2
            stats = index.build(
                progress=lambda done, total: calls.append((done, total)), should_stop=lambda: len(calls) >= 2
            )
        finally:
            workspace.WRITE_BATCH_FILES = workspace_batch
        assert stats.stopped and stats.files == 4
        assert calls == [(2, 9), (4, 9)]
        finished = index.build(progress=lambda done, total: calls.append((done, total)))
        assert not finished.stopped and finished.files == 9 and finished.reused == 4
        assert calls[-1] == (9, 9)


def test_queries_run_while_a_build_writes(project, db_path):
    for copy in range(30):
        shutil.copy(project / "sample.py", project / f"copy_{copy}.py")
    errors = []
    with open_index(project, db_path, workers=0) as index:
        builder = threading.Thread(target=index.build)
        builder.start()
        while builder.is_alive():
            try:
                for symbol in index.search_symbols("greet"):
                    assert symbol.name.lower().startswith("greet")
                index.definitions("Greeter")
            except Exception as error:  # noqa: BLE001 - collected and reported below
                errors.append(error)
        builder.join()
        assert not errors
        assert len(index.definitions("greet")) == 31


def test_a_worker_that_dies_costs_time_not_results(project, db_path, monkeypatch, caplog):
    from lsp_server.index import pool

    monkeypatch.setattr(workspace, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(pool, "WORKER_MODULE", "lsp_server.index.no_such_worker")  # exits at once
    with caplog.at_level(logging.WARNING), open_index(project, db_path, workers=2) as index:
        stats = index.build()
        assert stats.parsed == 9 and names(index.definitions("greet")) == ["greet"]
    assert "parse worker" in caplog.text


def test_definitions_asked_before_follow_every_change_of_the_files_defining_them(project, db_path):
    """Definitions by name are remembered between queries; a change to a file that defines or
    defined a name must show in the next answer, lines included."""
    path = project / "sample.py"
    with open_index(project, db_path) as index:
        index.build()
        before = index.definitions("greet")
        assert names(before) == ["greet"] and names(index.top_level_definitions("greet")) == ["greet"]
        text = path.read_text()
        index.update_document(path, "\n\n\n" + text)  # the same names, three lines lower
        assert [s.start_line for s in index.top_level_definitions("greet")] == [before[0].start_line + 3]
        index.update_document(path, text.replace("def greet", "def welcome"))
        assert index.definitions("greet") == [] and names(index.definitions("welcome")) == ["welcome"]
        index.definitions("welcome").clear()  # a caller's copy: what the index remembers is untouched
        assert names(index.definitions("welcome")) == ["welcome"]
        index.close_document(path)
        assert names(index.definitions("greet")) == ["greet"] and index.definitions("welcome") == []
        path.unlink()
        index.refresh_paths([path])
        assert index.definitions("greet") == [] and index.top_level_definitions("greet") == []

"""`infill index PATH` (run_index_command) and the store's transactions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lsp_server.index.command import run_index_command
from lsp_server.index.extract import Extraction
from lsp_server.index.store import Store

FIXTURES = Path(__file__).parent / "fixtures"


def test_index_command_prints_counts_time_and_memory(tmp_path, capsys):
    root = tmp_path / "ws"
    shutil.copytree(FIXTURES, root)
    assert run_index_command(str(root), str(tmp_path / "index.sqlite3")) == 0
    out, err = capsys.readouterr()
    assert "9/9 files" in err  # the progress bar
    lines = out.splitlines()
    assert lines[0].split() == ["language", "files", "symbols"]
    assert "python" in out and "rust" in out
    total = next(line for line in lines if line.startswith("total")).split()
    assert total[1] == "9" and int(total[2]) > 80
    assert "time " in out and "peak memory" in out and "MiB" in out


def test_index_command_rejects_a_missing_folder(tmp_path, capsys):
    assert run_index_command(str(tmp_path / "missing")) == 2
    assert "not a folder" in capsys.readouterr().err


def test_a_failed_transaction_leaves_the_last_committed_state(tmp_path):
    store = Store(tmp_path / "index.sqlite3")
    rows = Extraction([("function", "f", "f", "def f()", "", 0, 0, 0, 9, None, "h")], [], [])
    with store.transaction() as writer:
        writer.write_file(tmp_path / "a.py", "python", 10, 1, "hash1", rows)
    with pytest.raises(RuntimeError):
        with store.transaction() as writer:
            writer.write_file(tmp_path / "b.py", "python", 10, 1, "hash2", rows)
            raise RuntimeError("crash mid-write")
    store.close()
    reopened = Store(tmp_path / "index.sqlite3")
    assert list(reopened.load_files()) == [tmp_path / "a.py"]
    assert [s.path for s in reopened.symbols_named("f")] == [tmp_path / "a.py"]
    reopened.close()


def test_the_progress_bar_writes_plain_lines_where_there_is_no_terminal():
    import io

    from lsp_server.index.command import ProgressBar

    log = io.StringIO()  # not a terminal
    bar = ProgressBar(log)
    for done in range(0, 101):
        bar(done, 100)
    text = log.getvalue()
    assert "\r" not in text
    assert text.splitlines()[-1].endswith("100/100 files") and len(text.splitlines()) <= 3

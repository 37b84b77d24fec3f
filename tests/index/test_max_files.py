"""index.maxFiles: at most that many files are indexed, the first ones in walk order."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsp_server.cli import build_parser
from lsp_server.index import WorkspaceIndex
from lsp_server.index.command import run_index_command
from lsp_server.index.files import walk_workspace
from lsp_server.index.ignore import IgnoreRules


@pytest.fixture
def thirty_files(tmp_path) -> Path:
    """Ten modules at the top and twenty in two packages: 30 files, each defining one function."""
    root = tmp_path / "ws"
    for folder in ("", "pkg_a", "pkg_b"):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for number in range(10):
            name = f"{folder or 'top'}_{number}"
            (root / folder / f"{name}.py").write_text(f"def function_{name}():\n    return {number}\n")
    return root


def walk_order(root: Path) -> list[Path]:
    return [candidate.path for candidate in walk_workspace([root], {root: IgnoreRules(root)}, 1_000_000).candidates]


def open_index(root: Path, tmp_path: Path, max_files: int) -> WorkspaceIndex:
    return WorkspaceIndex([root], db_path=tmp_path / "index.sqlite3", max_files=max_files, workers=0)


def test_only_the_first_files_in_walk_order_are_indexed(thirty_files, tmp_path):
    with open_index(thirty_files, tmp_path, max_files=10) as index:
        stats = index.build()
        assert (stats.files, stats.parsed, stats.over_limit, stats.capped) == (10, 10, 20, True)
        assert index.files() == sorted(walk_order(thirty_files)[:10])
        assert index.definitions("function_top_9") and not index.definitions("function_pkg_a_0")
    with open_index(thirty_files, tmp_path, max_files=10) as index:
        again = index.build()  # the same files again: all reused, none added
        assert (again.files, again.reused, again.parsed, again.over_limit) == (10, 10, 0, 20)


def test_a_workspace_within_the_limit_is_not_capped(thirty_files, tmp_path):
    with open_index(thirty_files, tmp_path, max_files=30) as index:
        stats = index.build()
    assert (stats.files, stats.over_limit, stats.capped) == (30, 0, False)


def test_a_lower_limit_drops_entries_and_a_higher_one_adds_them(thirty_files, tmp_path):
    with open_index(thirty_files, tmp_path, max_files=30) as index:
        index.build()
    with open_index(thirty_files, tmp_path, max_files=12) as index:
        lowered = index.build()
        assert (lowered.files, lowered.removed, lowered.over_limit) == (12, 18, 18)
        assert index.files() == sorted(walk_order(thirty_files)[:12])
    with open_index(thirty_files, tmp_path, max_files=20) as index:
        raised = index.build()
    assert (raised.files, raised.reused, raised.parsed) == (20, 12, 8)


def test_files_created_on_disk_do_not_grow_a_full_index(thirty_files, tmp_path):
    with open_index(thirty_files, tmp_path, max_files=10) as index:
        index.build()
        fresh = thirty_files / "aaa_fresh.py"
        fresh.write_text("def freshly_written():\n    pass\n")
        assert index.refresh_paths([fresh]) == []
        assert not index.definitions("freshly_written") and len(index.files()) == 10

        deleted = index.files()[0]
        deleted.unlink()  # room for one file: the new one gets it
        assert sorted(index.refresh_paths([deleted, fresh])) == sorted([deleted, fresh])
        assert index.definitions("freshly_written") and len(index.files()) == 10

        changed = index.files()[1]
        changed.write_text("def edited_on_disk():\n    pass\n")  # an indexed file changes: still indexed
        assert index.refresh_paths([changed]) == [changed]
        assert index.definitions("edited_on_disk")


def test_an_open_buffer_is_indexed_past_the_limit(thirty_files, tmp_path):
    outside = walk_order(thirty_files)[-1]
    with open_index(thirty_files, tmp_path, max_files=10) as index:
        index.build()
        assert index.update_document(outside, "def being_edited():\n    pass\n")
        assert index.definitions("being_edited")


def test_index_command_says_when_it_stops_at_max_files(thirty_files, tmp_path, capsys):
    assert run_index_command(str(thirty_files), str(tmp_path / "index.sqlite3"), max_files=10) == 0
    out = capsys.readouterr().out
    total = next(line for line in out.splitlines() if line.startswith("total")).split()
    assert total[1] == "10"
    assert "stopped at --max-files 10: 20 more files not indexed" in out


def test_index_command_rejects_a_limit_below_one(thirty_files, capsys):
    assert run_index_command(str(thirty_files), max_files=0) == 2
    assert "--max-files" in capsys.readouterr().err


def test_cli_max_files_defaults_to_the_setting():
    assert build_parser().parse_args(["index", "src"]).max_files == 100_000
    assert build_parser().parse_args(["index", "src", "--max-files", "50"]).max_files == 50

"""The synthetic workspace generator of the index scale benchmark (bench/_synthetic.py)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from lsp_server.index import WorkspaceIndex
from lsp_server.index.extract import extract
from lsp_server.index.languages import language_for_path, parser_for

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import _synthetic  # noqa: E402


def source_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file() and path.name != _synthetic.MANIFEST_NAME)


def test_fifty_files_of_three_languages_that_parse_and_define_symbols(tmp_path):
    root = tmp_path / "ws"
    assert _synthetic.ensure_workspace(root, 50, big_file=False) == 50
    files = source_files(root)
    assert len(files) == 50
    assert Counter(path.suffix for path in files) == {".py": 25, ".ts": 15, ".go": 10}
    assert all(len(path.parent.parent.relative_to(root).parts) == 1 for path in files)  # pkg_NN/mod_NN/file
    sizes = [path.stat().st_size for path in files]
    assert _synthetic.MIN_FILE_BYTES <= min(sizes) and max(sizes) <= _synthetic.MAX_FILE_BYTES + 5_000
    assert 4_000 < sum(sizes) / len(sizes) < 25_000  # about 10 KB on average
    for path in files:
        spec = language_for_path(path)
        source = path.read_bytes()
        tree = parser_for(spec).parse(source)
        assert not tree.root_node.has_error, path
        assert extract(tree, source, spec).symbols, path


def test_a_larger_workspace_adds_files_and_keeps_the_first_ones(tmp_path):
    root = tmp_path / "ws"
    _synthetic.ensure_workspace(root, 20, big_file=False)
    first = {path: path.read_text() for path in source_files(root)}
    assert _synthetic.ensure_workspace(root, 50, big_file=False) == 30
    assert all(path.read_text() == text for path, text in first.items())
    assert json.loads((root / _synthetic.MANIFEST_NAME).read_text())["files"] == 50
    assert _synthetic.ensure_workspace(root, 50, big_file=False) == 0
    _synthetic.ensure_workspace(root, 10, big_file=False)  # and back down
    assert len(source_files(root)) == 10


def test_another_seed_or_a_foreign_folder_is_refused(tmp_path):
    root = tmp_path / "ws"
    _synthetic.ensure_workspace(root, 5, big_file=False)
    with pytest.raises(SystemExit):
        _synthetic.ensure_workspace(root, 5, seed=1, big_file=False)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "keep.py").write_text("x = 1\n")
    with pytest.raises(SystemExit):
        _synthetic.ensure_workspace(foreign, 5, big_file=False)


def test_the_index_skips_the_big_file_and_indexes_the_rest(tmp_path):
    root = tmp_path / "ws"
    _synthetic.ensure_workspace(root, 10, big_file=False)
    big = root / _synthetic.BIG_FILE_NAME
    _synthetic.write_big_file(big, size=1_200_000)  # past the 1 MB default, kept small for speed
    assert big.stat().st_size > 1_000_000 and _synthetic.BIG_FILE_MARKER in big.read_text()[:200]
    with WorkspaceIndex([root], db_path=tmp_path / "index.sqlite3", workers=0) as index:
        stats = index.build()
        assert (stats.files, stats.skipped) == (10, 1)
        assert index.file(big) is None and not index.definitions(_synthetic.BIG_FILE_MARKER)
        # The name each file exports is defined where its importers look for it.
        exported = _synthetic.snake(_synthetic.exported_words(0))
        assert [symbol.path for symbol in index.definitions(exported)] == [root / _synthetic.relative_path(0)]

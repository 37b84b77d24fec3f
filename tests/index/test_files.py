"""Which files get indexed: ignore files, vendored folders, odd files and file system surprises."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lsp_server.index import parsing
from lsp_server.index.files import walk_folder, walk_workspace
from lsp_server.index.ignore import IgnoreRules, compile_pattern
from lsp_server.index.parsing import index_file


def write(path: Path, text: str = "x = 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def walked(root: Path, max_file_bytes: int = 1_000_000) -> set[str]:
    result = walk_workspace([root], {root: IgnoreRules(root)}, max_file_bytes)
    return {candidate.path.relative_to(root).as_posix() for candidate in result.candidates}


@pytest.mark.parametrize(
    "pattern, path, is_folder, matches",
    [
        ("*.py", "a.py", False, True),
        ("*.py", "deep/er/a.py", False, True),  # no slash: any depth
        ("/top.py", "top.py", False, True),
        ("/top.py", "sub/top.py", False, False),  # leading slash: anchored
        ("docs/*.py", "docs/a.py", False, True),
        ("docs/*.py", "x/docs/a.py", False, False),  # a middle slash anchors too
        ("docs/*.py", "docs/deep/a.py", False, False),  # * does not cross folders
        ("**/gen/*.py", "a/b/gen/x.py", False, True),
        ("**/gen/*.py", "gen/x.py", False, True),
        ("lib/**", "lib/a/b.py", False, True),
        ("a/**/b.py", "a/x/y/b.py", False, True),
        ("a/**/b.py", "a/b.py", False, True),
        ("build/", "build", True, True),
        ("build/", "build", False, False),  # trailing slash: folders only
        ("file?.py", "file1.py", False, True),
        ("file[0-9].py", "file7.py", False, True),
        ("file[!0-9].py", "file7.py", False, False),
        ("\\#hash.py", "#hash.py", False, True),
    ],
)
def test_gitignore_patterns(pattern, path, is_folder, matches):
    compiled = compile_pattern(pattern)
    assert compiled.matches(path, is_folder) is matches


def test_comments_and_blank_lines_are_not_patterns():
    assert compile_pattern("# comment") is None
    assert compile_pattern("   ") is None
    assert compile_pattern("!keep.py").negated


def test_gitignore_infillignore_and_negation(tmp_path):
    write(tmp_path / ".gitignore", "*.gen.py\nlogs/\nsecret.py\n")
    write(tmp_path / ".infillignore", "!secret.py\nexperiments/\n")
    write(tmp_path / "sub" / ".gitignore", "local_*.py\n!local_keep.py\n")
    for name in [
        "main.py",
        "a.gen.py",
        "logs/x.py",
        "secret.py",
        "experiments/e.py",
        "sub/local_tmp.py",
        "sub/local_keep.py",
        "sub/ok.py",
        "other/local_tmp.py",
    ]:
        write(tmp_path / name)
    assert walked(tmp_path) == {
        "main.py",
        "secret.py",
        "sub/local_keep.py",
        "sub/ok.py",
        "other/local_tmp.py",
    }


def test_vendored_hidden_and_generated_folders_are_skipped(tmp_path):
    for name in [
        "src/app.ts",
        "node_modules/lib/index.js",
        ".git/hooks/x.py",
        ".venv/lib/y.py",
        "myenv/lib/z.py",
        "__pycache__/c.py",
        "target/debug/build.rs",
        "dist/bundle.js",
        "web/app.min.js",
        "web/app.js",
        "notes.txt",
        "image.png",
    ]:
        write(tmp_path / name)
    write(tmp_path / "myenv" / "pyvenv.cfg", "home = /usr\n")  # a virtual environment by content
    assert walked(tmp_path) == {"src/app.ts", "web/app.js"}


def test_size_limit(tmp_path):
    write(tmp_path / "small.py", "x = 1\n")
    write(tmp_path / "big.py", "x = 1\n" * 1000)
    result = walk_workspace([tmp_path], {tmp_path: IgnoreRules(tmp_path)}, max_file_bytes=1000)
    assert [c.path.name for c in result.candidates] == ["small.py"]
    assert [p.name for p in result.too_large] == ["big.py"]


def test_symlink_loops_end_and_linked_files_are_indexed_once(tmp_path):
    write(tmp_path / "pkg" / "mod.py")
    os.symlink(tmp_path, tmp_path / "pkg" / "loop")  # pkg/loop -> root -> pkg -> ...
    os.symlink(tmp_path / "pkg" / "mod.py", tmp_path / "alias.py")
    os.symlink(tmp_path / "missing.py", tmp_path / "broken.py")
    found = walked(tmp_path)
    assert len(found) == 1 and found <= {"pkg/mod.py", "alias.py"}


def test_binary_unreadable_vanished_and_folder_named_like_a_file(tmp_path, monkeypatch):
    binary = tmp_path / "blob.py"
    binary.write_bytes(b"x = 1\n\0\0\0")
    assert index_file(str(binary), "python", 1_000_000).reason == "binary"
    assert index_file(str(tmp_path / "gone.py"), "python", 1_000_000).reason == "vanished"
    (tmp_path / "folder.py").mkdir()
    assert index_file(str(tmp_path / "folder.py"), "python", 1_000_000).reason.startswith("unreadable")
    assert "folder.py" not in walked(tmp_path)

    locked = write(tmp_path / "locked.py")
    real_open = open

    def deny(path, *args, **kwargs):  # tests run as root, where chmod 000 does not deny reads
        if str(path) == str(locked):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(parsing, "open", deny, raising=False)
    result = index_file(str(locked), "python", 1_000_000)
    assert result.status == "skipped" and result.reason == "unreadable: Permission denied"


def test_unlistable_folder_is_treated_as_empty(tmp_path, monkeypatch):
    write(tmp_path / "ok.py")
    write(tmp_path / "secret" / "s.py")
    real_scandir = os.scandir

    def scandir(path):
        if Path(path).name == "secret":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert walked(tmp_path) == {"ok.py"}


def test_walk_folder_applies_the_ignore_files_above_it(tmp_path):
    write(tmp_path / ".gitignore", "*_pb2.py\n")
    write(tmp_path / "a" / "b" / "x_pb2.py")
    write(tmp_path / "a" / "b" / "y.py")
    rules = IgnoreRules(tmp_path)
    assert [c.path.name for c in walk_folder(tmp_path / "a" / "b", rules, 1_000_000)] == ["y.py"]
    assert rules.is_ignored(tmp_path / "a" / "b" / "x_pb2.py")
    assert not rules.is_ignored(tmp_path / "a" / "b" / "y.py")
    assert rules.is_ignored(tmp_path / "node_modules" / "m.js")

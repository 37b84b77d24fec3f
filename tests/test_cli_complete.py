"""`infill complete FILE:LINE:COL`: the main job in a terminal, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import pytest

CACHE = tempfile.mkdtemp(prefix="infill-cli-cache-")  # the index database goes here, not to ~/.cache


def infill(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lsp_server", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "XDG_CACHE_HOME": CACHE})


@pytest.fixture(autouse=True, scope="module")
def _remove_cache():
    yield
    import shutil

    shutil.rmtree(CACHE, ignore_errors=True)


def write_project(root):
    (root / ".git").mkdir()
    (root / "geometry.py").write_text('def rectangle_area(width, height):\n    """Area of a rectangle."""\n'
                                      "    return width * height\n")
    (root / "main.py").write_text("from geometry import rectangle_area\n\nsize = rectangle_area(\n")
    return root / "main.py"


def test_prints_a_completion_with_cross_file_context_from_the_git_repository(tmp_path, test_model):
    main = write_project(tmp_path)
    result = infill("complete", f"{main}:3:23", "--model", str(test_model), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["reason"] in ("model", "empty")
    assert report["promptTokens"] > 0 and report["contextTokens"] > 0
    assert any("geometry.py" in snippet for snippet in report["contextSnippets"])
    plain = infill("complete", f"{main}:3:23", "--model", str(test_model), "--json", "--no-context")
    assert json.loads(plain.stdout)["contextTokens"] == 0


def test_plain_output_is_the_completion_text(tmp_path, test_model):
    main = write_project(tmp_path)
    result = infill("complete", f"{main}:3:23", "--model", str(test_model))
    assert result.returncode == 0 and result.stdout.endswith("\n")


def test_bad_input_gets_a_clear_message_and_an_exit_code(tmp_path, test_model):
    main = write_project(tmp_path)
    wrong = infill("complete", "main.py")
    assert wrong.returncode == 2 and "expected FILE:LINE:COL" in wrong.stderr
    missing = infill("complete", f"{tmp_path / 'nope.py'}:1:1", "--model", str(test_model))
    assert missing.returncode == 1 and "nope.py" in missing.stderr
    past_end = infill("complete", f"{main}:99:1", "--model", str(test_model))
    assert past_end.returncode == 1 and "there is no line 99: the file has 4 lines" in past_end.stderr
    # Line and column are 1-based, and checked alike: 0, negative, or past the end is an error.
    for cursor in ("1:0", "0:1", "-2:3", "3:-1"):
        bad = infill("complete", f"{main}:{cursor}", "--model", str(test_model))
        assert bad.returncode == 1 and "1-based" in bad.stderr, cursor
    past_column = infill("complete", f"{main}:3:25", "--model", str(test_model))
    assert past_column.returncode == 1 and "no column 25 on line 3: it has 22 characters" in past_column.stderr
    no_model = infill("complete", f"{main}:3:1", "--model", str(tmp_path / "absent.gguf"))
    assert no_model.returncode == 1 and "absent.gguf" in no_model.stderr


def test_a_bad_flag_value_is_reported_under_the_flag(tmp_path, test_model):
    main = write_project(tmp_path)
    result = infill("complete", f"{main}:3:23", "--model", str(test_model), "--max-tokens", "0", "--no-context")
    assert result.returncode == 0
    assert "--max-tokens: 0 is outside 1..1024; using 64" in result.stderr
    assert "maxTokens" not in result.stderr and "max_tokens" not in result.stderr


def test_a_suggestion_hidden_by_the_confidence_check_is_explained(tmp_path, test_model):
    main = write_project(tmp_path)
    shown = infill("complete", f"{main}:3:23", "--model", str(test_model), "--min-confidence", "0", "--no-context")
    hidden = infill("complete", f"{main}:3:23", "--model", str(test_model), "--min-confidence", "0.999", "--no-context")
    assert shown.returncode == hidden.returncode == 0
    assert shown.stdout.strip() and not hidden.stdout.strip()
    assert "below minConfidence 0.999; --min-confidence 0 shows it" in hidden.stderr
    assert repr(shown.stdout.rstrip("\n")) in hidden.stderr

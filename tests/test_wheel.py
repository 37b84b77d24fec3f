"""The wheel: built from this checkout, installed into a fresh virtual environment outside it,
it finds its embedded model, registry and calibration through importlib.resources, completes
a file from the command line and serves an LSP session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import lsp_session
from lsprotocol import types

REPO = Path(__file__).resolve().parents[1]
SOURCE = "def area(width, height):\n    return \n"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed; pip's cache holds the llama-cpp-python build."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(work),
            str(REPO),
        ],
        check=True,
        timeout=600,
    )
    wheel = next(work.glob("infill_lsp-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for shipped in ("infill-tiny-code.gguf", "registry.json", "calibration.json"):
        assert f"lsp_server/model_data/{shipped}" in names
    assert not any(name.startswith(("tests/", "bench/", "models/")) for name in names)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = {**os.environ, "CMAKE_ARGS": "-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF"}
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], check=True, timeout=1800, env=env
    )
    return venv


def test_the_installed_command_completes_a_file_outside_the_checkout(installed, tmp_path):
    (tmp_path / "shapes.py").write_text(SOURCE, encoding="utf-8")
    result = subprocess.run(
        [str(installed / "bin" / "infill"), "complete", "shapes.py:2:12", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["reason"] in ("model", "empty"), answer
    where = subprocess.run(
        [str(installed / "bin" / "python"), "-c", "from lsp_server.engine.host import EMBEDDED_MODEL as m; print(m)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert "site-packages" in where and not where.startswith(str(REPO))


async def test_the_installed_server_serves_an_lsp_session(installed, tmp_path):
    uri = (tmp_path / "shapes.py").as_uri()
    async with lsp_session(
        {"completion": {"minConfidence": 0}}, tmp_path, server_command=[str(installed / "bin" / "infill"), "serve"]
    ) as s:
        assert s.statuses[-1]["state"] == "ready", s.statuses
        s.open(uri, SOURCE)
        result = await s.complete(uri, 1, 11)
        assert isinstance(result, types.InlineCompletionList)
        stats = await s.last_completion()
        assert stats["reason"] in ("model", "empty") and stats["generatedTokens"] >= 1

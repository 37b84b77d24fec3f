"""The log's timestamps: on for a terminal, off with INFILL_LOG_TIMESTAMPS=0 (the VS Code
extension sets it: its output channel stamps every line itself)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOG_ONE_LINE = (
    "import logging; from lsp_server.cli import setup_logging; "
    "setup_logging('info'); logging.getLogger('x').info('hello')"
)


def log_line(**env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "INFILL_LOG_TIMESTAMPS"} | env
    done = subprocess.run(
        [sys.executable, "-c", LOG_ONE_LINE], cwd=REPO, env=environment, capture_output=True, text=True, check=True
    )
    assert done.stdout == ""  # stdout is the protocol channel
    return done.stderr.strip()


def test_timestamps_by_default_and_none_when_the_editor_stamps_lines():
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO x: hello", log_line())
    assert log_line(INFILL_LOG_TIMESTAMPS="1") != "INFO x: hello"
    assert log_line(INFILL_LOG_TIMESTAMPS="0") == "INFO x: hello"

"""Loading and running a llama.cpp model leaves stdout alone (the LSP channel) and keeps the
log to llama.cpp's warnings and errors."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import logging, os, sys
logging.basicConfig(stream=sys.stderr, level=logging.INFO)
from lsp_server.engine.llama_cpp_engine import LlamaCppEngine
from lsp_server.engine.base import GenerationRequest
engine = LlamaCppEngine(sys.argv[1], n_ctx=1024)
for _ in range(3):
    engine.generate(GenerationRequest(prompt_tokens=engine.tokenize("def area(w, h):"), max_tokens=4))
# stdout is still the same open descriptor: a write lands where the caller reads it.
os.write(1, b"STDOUT-OK")
"""


def test_nothing_but_our_own_output_reaches_stdout_and_the_log_stays_short(test_model):
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(test_model)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "STDOUT-OK"
    assert "prefix-match" not in result.stderr  # no line per generate call
    assert "llama_model_loader" not in result.stderr  # no metadata dump at load
    assert "loaded infill-test" in result.stderr  # Infill's own log line is there

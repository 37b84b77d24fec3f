"""The loopback llama-cpp-python server of the latency bench, for the remote tests."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

from _llama_server import ALIAS, free_port, llama_server  # noqa: E402

__all__ = ["ALIAS", "free_port", "llama_server"]

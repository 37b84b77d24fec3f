"""Creating a llama_cpp.Llama without touching the process's standard streams.

llama-cpp-python's `verbose=False` silences llama.cpp by pointing file descriptors 1 and 2 at
/dev/null while a model loads (os.dup2). In a language server, descriptor 1 is the protocol
channel: every response written by the protocol thread during a load was lost, and the editor
waited for it forever. So models are created with `verbose=True`, which leaves the descriptors
alone; llama-cpp-python's own prints during creation go to a throwaway sys.stderr, and
llama.cpp's log goes to Python logging through a log callback (warnings and errors only).
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import logging
from typing import Any

log = logging.getLogger("llama.cpp")

# ggml_log_level: 1 info, 2 warn, 3 error, 4 debug, 5 continuation of the previous line.
_LEVELS = {2: logging.WARNING, 3: logging.ERROR}
_callback: Any = None  # kept alive: llama.cpp calls it from native code


def _route_llama_logs(llama_cpp: Any) -> None:
    """Replace the log callback llama-cpp-python installs when it is imported (it prints to
    stderr) with one that goes through logging."""
    global _callback
    if _callback is not None:
        return

    @llama_cpp.llama_log_callback
    def forward(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        if level in _LEVELS:
            log.log(_LEVELS[level], "%s", text.decode("utf-8", "replace").rstrip())

    _callback = forward
    llama_cpp.llama_log_set(_callback, ctypes.c_void_p(0))


def create_llama(llama_cpp: Any, **kwargs: Any) -> Any:
    """llama_cpp.Llama(**kwargs), quietly, with file descriptors 1 and 2 left as they are."""
    _route_llama_logs(llama_cpp)
    with contextlib.redirect_stderr(io.StringIO()):  # its verbose prints (system info, metadata)
        return llama_cpp.Llama(**kwargs, verbose=True)

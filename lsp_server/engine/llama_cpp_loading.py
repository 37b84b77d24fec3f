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

# ggml_log_level in the llama.cpp that llama-cpp-python 0.3.36 builds: 1 debug, 2 info (the
# metadata dump), 3 warn, 4 error, 5 continuation of the previous line. Warnings and errors
# are kept, at those levels.
_LEVELS = {3: logging.WARNING, 4: logging.ERROR}
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
        llm = llama_cpp.Llama(**kwargs, verbose=True)
    # After creation `verbose` only adds prints (a line per generate call); it redirects no
    # descriptors any more.
    llm.verbose = False
    return llm

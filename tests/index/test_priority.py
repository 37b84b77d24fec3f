"""Index work runs at a lower CPU priority than the server's interactive work."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

from lsp_server.index.priority import INDEX_NICENESS, lower_this_thread
from lsp_server.indexing.host import IndexHost


def thread_priority() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_a_parse_worker_process_is_niced():
    code = "from lsp_server.index.priority import lower_this_process; lower_this_process(); import os; print(os.nice(0))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(result.stdout) == min(19, os.nice(0) + INDEX_NICENESS)


def test_lowering_a_thread_leaves_the_others_alone():
    seen = {}

    def background() -> None:
        lower_this_thread()
        seen["thread"] = thread_priority()

    worker = threading.Thread(target=background)
    worker.start()
    worker.join()
    assert seen["thread"] == min(19, thread_priority() + INDEX_NICENESS)
    assert thread_priority() == os.nice(0)  # this thread is as it was


def test_the_server_index_thread_runs_niced():
    host = IndexHost()
    try:
        assert host._executor.submit(thread_priority).result() == min(19, thread_priority() + INDEX_NICENESS)
    finally:
        host.shutdown()


def test_the_heap_is_frozen_once_the_index_is_built(tmp_path):
    """What the index loaded stays out of later garbage collections (a full one inside a
    completion's context gathering cost it tens of milliseconds)."""
    import asyncio
    import gc

    (tmp_path / "a.py").write_text("def f():\n    return 1\n")
    host = IndexHost()
    gc.unfreeze()
    try:
        asyncio.run(host.start([tmp_path], db_path=tmp_path / "index.sqlite3"))
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        host.shutdown()

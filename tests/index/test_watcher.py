"""File watching: real watchdog events in a temporary folder, batched and fed to the index."""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

from lsp_server.index import WorkspaceIndex
from lsp_server.index.watcher import FileWatcher

TIMEOUT = 10.0


def wait_until(condition, timeout: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_watcher_batches_and_debounces_events(tmp_path):
    batches: queue.SimpleQueue[list[Path]] = queue.SimpleQueue()
    watcher = FileWatcher([tmp_path], batches.put, quiet_seconds=0.3)
    watcher.start()
    try:
        for number in range(5):
            (tmp_path / f"f{number}.py").write_text("x = 1\n")
        batch = batches.get(timeout=TIMEOUT)
        assert {tmp_path / f"f{number}.py" for number in range(5)} <= set(batch)
        assert batches.empty()  # one burst, one batch
        (tmp_path / "f0.py").read_text()  # opened/closed events are not changes
        time.sleep(0.6)
        assert batches.empty()
    finally:
        watcher.stop()


def test_watcher_hands_over_long_bursts_after_the_max_delay(tmp_path):
    batches: queue.SimpleQueue[list[Path]] = queue.SimpleQueue()
    watcher = FileWatcher([tmp_path], batches.put, quiet_seconds=0.5, max_delay_seconds=0.3)
    watcher.start()
    stop = threading.Event()

    def keep_writing():
        number = 0
        while not stop.is_set():
            (tmp_path / f"burst{number % 3}.py").write_text(f"x = {number}\n")
            number += 1
            time.sleep(0.05)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        assert batches.get(timeout=TIMEOUT)  # arrives although the folder is never quiet
    finally:
        stop.set()
        writer.join()
        watcher.stop()


def test_index_follows_create_modify_move_and_delete_on_disk(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "keep.py").write_text("def kept(): pass\n")
    changes: queue.SimpleQueue[list[Path]] = queue.SimpleQueue()
    with WorkspaceIndex([root], db_path=tmp_path / "index.sqlite3") as index:
        index.build()
        index.start_watching(on_change=changes.put)

        (root / "new.py").write_text("def created(): pass\n")
        assert wait_until(lambda: index.definitions("created"))
        assert root / "new.py" in changes.get(timeout=TIMEOUT)

        (root / "new.py").write_text("def modified(): pass\n")
        assert wait_until(lambda: index.definitions("modified") and not index.definitions("created"))

        (root / "new.py").rename(root / "moved.py")
        assert wait_until(lambda: [s.path for s in index.definitions("modified")] == [root / "moved.py"])
        assert root / "new.py" not in index.files()

        (root / "sub").mkdir()
        (root / "sub" / "inner.go").write_text("package sub\nfunc Inner() {}\n")
        assert wait_until(lambda: index.definitions("Inner"))

        (root / "moved.py").unlink()
        assert wait_until(lambda: not index.definitions("modified"))

        (root / "node_modules").mkdir()
        (root / "node_modules" / "dep.js").write_text("function vendored() {}\n")
        (root / "later.py").write_text("def after_vendored(): pass\n")
        assert wait_until(lambda: index.definitions("after_vendored"))
        assert index.definitions("vendored") == []
        index.stop_watching()
        assert sorted(p.name for p in index.files()) == ["inner.go", "keep.py", "later.py"]

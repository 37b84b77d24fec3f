"""A small pool of parse worker processes (see worker.py) fed from the build thread.

Each worker has a feeding thread that sends it the next batch, waits for the answer and puts
it on a queue, so the build thread receives results in completion order and writes them to
the database while the workers go on parsing.
"""

from __future__ import annotations

import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from .parsing import ParsedFile, index_files

log = logging.getLogger(__name__)

_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])  # so that `-m lsp_server...` imports this copy
WORKER_MODULE = "lsp_server.index.worker"


def parse_in_workers(
    batches: list[list[tuple[str, str, str]]],
    max_file_bytes: int,
    workers: int,
    should_stop: Callable[[], bool],
) -> Iterator[list[ParsedFile]]:
    """Yield the results of every batch, in completion order. A batch whose worker fails is
    parsed in this process instead, so a crashed worker costs time, not results."""
    pending: queue.SimpleQueue[list[tuple[str, str, str]]] = queue.SimpleQueue()
    for batch in batches:
        pending.put(batch)
    results: queue.SimpleQueue[list[ParsedFile]] = queue.SimpleQueue()
    stopping = threading.Event()
    # Batches sent but not yet taken by the build thread: bounded, so that workers faster than
    # the database writes do not pile up results in memory.
    slots = threading.Semaphore(2 * workers)
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_PARENT, environment.get("PYTHONPATH")]))
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", WORKER_MODULE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=environment,
        )
        for _ in range(max(1, min(workers, len(batches))))
    ]

    def feed(process: subprocess.Popen[bytes]) -> None:
        to_worker, from_worker = process.stdin, process.stdout
        assert to_worker is not None and from_worker is not None, "workers are started with stdin and stdout piped"
        worker_alive = True
        while True:
            slots.acquire()
            if stopping.is_set():
                break
            try:
                batch = pending.get_nowait()
            except queue.Empty:
                break
            if worker_alive:
                try:
                    pickle.dump((batch, max_file_bytes), to_worker, protocol=pickle.HIGHEST_PROTOCOL)
                    to_worker.flush()
                    results.put(pickle.load(from_worker))
                    continue
                except (OSError, EOFError, pickle.UnpicklingError) as error:
                    if stopping.is_set():
                        break
                    log.warning("parse worker %s failed (%s); parsing its files in this process", process.pid, error)
                    worker_alive = False
            results.put(index_files(batch, max_file_bytes))
        _close_stdin(process)

    feeders = [threading.Thread(target=feed, args=(process,), daemon=True) for process in processes]
    for feeder in feeders:
        feeder.start()
    finished = False
    try:
        for _ in range(len(batches)):
            if should_stop():
                return
            result = results.get()
            slots.release()
            yield result
        finished = True
    finally:
        stopping.set()
        for _ in feeders:
            slots.release()  # wake feeders waiting for a slot so that they see `stopping`
        for process in processes:
            _close_stdin(process)
            if not finished:
                process.kill()  # stopped early: do not wait for batches nobody will read
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _close_stdin(process: subprocess.Popen[bytes]) -> None:
    assert process.stdin is not None, "workers are started with stdin piped"
    try:
        process.stdin.close()
    except OSError:
        pass

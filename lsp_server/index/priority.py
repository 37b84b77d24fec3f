"""Index work runs at a lower CPU priority than the model and the protocol loop.

On a machine with few cores, parse workers and the index thread compete with llama.cpp for the
same cores; with the same priority, a completion waited behind a parse (its p95 doubled while a
workspace was being indexed). A higher nice value lets the scheduler run the interactive work
first and index in the time left over. Best effort: where the platform cannot lower a thread's
priority, index work runs as before.
"""

from __future__ import annotations

import logging
import os
import threading

log = logging.getLogger(__name__)

# How much nicer than the server index work is (0 normal .. 19 lowest).
INDEX_NICENESS = 10


def lower_this_process() -> None:
    """For a parse worker process: the whole process runs at the index's priority."""
    try:
        os.nice(INDEX_NICENESS)
    except (AttributeError, OSError) as error:  # not on this platform
        log.debug("index worker keeps its priority: %s", error)


def lower_this_thread() -> None:
    """For the index thread of the server: Linux schedules threads one by one, and
    setpriority on a thread id changes that thread only."""
    try:
        current = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, current + INDEX_NICENESS))
    except (AttributeError, OSError) as error:
        log.debug("index thread keeps its priority: %s", error)

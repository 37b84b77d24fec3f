"""One thread that owns the model; the newest request for a document wins.

The protocol loop never runs inference: it awaits jobs on this single worker.
A job receives a StopFlag that the generation loop checks before every token.
A new job for the same key (a document URI) raises the flag of the previous
one, so typing fast never queues up stale completions; a cancelled asyncio
task raises its own flag on the way out. Background jobs (hover summaries,
explanations) check `jobs_waiting()` per token and give way to any foreground
job (a completion, a model load) that waits for the thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class Superseded(Exception):
    """The job was replaced by a newer one, or cancelled, before it produced a result."""


class StopFlag:
    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()


class ModelWorker:
    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="infill-model")
        self._latest: dict[str, StopFlag] = {}
        # Flags of foreground jobs submitted and not yet started; background jobs wait
        # unseen, so that two background jobs never hand the thread back and forth.
        self._waiting: set[StopFlag] = set()

    def jobs_waiting(self) -> bool:
        """Whether a foreground job waits for the model thread: background work (hover
        summaries, explanations) checks this per token and gives way, so it never delays a
        completion."""
        return bool(self._waiting)

    def supersede(self, key: str) -> StopFlag:
        """A fresh flag for key; the previous job under key is told to stop."""
        flag = StopFlag()
        previous = self._latest.get(key)
        if previous is not None:
            previous.set()
        self._latest[key] = flag
        return flag

    async def run(
        self,
        key: str | None,
        job: Callable[[StopFlag], T],
        flag: StopFlag | None = None,
        background: bool = False,
    ) -> T:
        """Run job(flag) on the model thread and await its result.

        With a key, an earlier job with the same key is stopped. Raises
        Superseded when the flag was raised before the job could start. A
        background job does not count as waiting (see jobs_waiting).
        """
        if flag is None:
            flag = self.supersede(key) if key is not None else StopFlag()
        loop = asyncio.get_running_loop()
        if not background:
            self._waiting.add(flag)
        try:
            return await loop.run_in_executor(self._executor, self._run_job, job, flag)
        except asyncio.CancelledError:
            flag.set()  # the thread may still be generating: make it stop at the next token
            raise
        finally:
            self._waiting.discard(flag)  # also when cancelled before it started
            if key is not None and self._latest.get(key) is flag:
                del self._latest[key]

    def run_blocking(self, job: Callable[[StopFlag], T]) -> T:
        """For the command line: run a job on the model thread and wait."""
        flag = StopFlag()
        self._waiting.add(flag)
        return self._executor.submit(self._run_job, job, flag).result()

    def _run_job(self, job: Callable[[StopFlag], T], flag: StopFlag) -> T:
        self._waiting.discard(flag)
        if flag.is_set():
            raise Superseded()
        return job(flag)

    def shutdown(self) -> None:
        for flag in self._latest.values():
            flag.set()
        self._executor.shutdown(wait=False, cancel_futures=True)

import asyncio
import threading

import pytest

from lsp_server.engine.worker import ModelWorker, Superseded


async def test_newest_job_per_key_stops_the_previous_one():
    worker = ModelWorker()
    started = threading.Event()
    steps = []

    def slow(flag):
        started.set()
        for i in range(500):
            if flag.is_set():
                return ("stopped", i)
            steps.append(i)
            threading.Event().wait(0.002)
        return ("finished", 500)

    first = asyncio.ensure_future(worker.run("doc", slow))
    await asyncio.get_running_loop().run_in_executor(None, started.wait)
    second = await worker.run("doc", lambda flag: "second")
    assert second == "second"
    state, at = await first
    assert state == "stopped" and at < 500
    worker.shutdown()


async def test_cancelled_task_raises_the_stop_flag():
    worker = ModelWorker()
    seen = threading.Event()
    flags = []

    def job(flag):
        flags.append(flag)
        seen.set()
        while not flag.is_set():
            threading.Event().wait(0.001)
        return "stopped"

    task = asyncio.ensure_future(worker.run("doc", job))
    await asyncio.get_running_loop().run_in_executor(None, seen.wait)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.05)
    assert flags[0].is_set()
    worker.shutdown()


async def test_superseded_before_start():
    worker = ModelWorker()
    gate = threading.Event()
    blocker = asyncio.ensure_future(worker.run("other", lambda flag: gate.wait(5)))
    queued = asyncio.ensure_future(worker.run("doc", lambda flag: "old"))
    await asyncio.sleep(0.01)
    newest = asyncio.ensure_future(worker.run("doc", lambda flag: "new"))
    await asyncio.sleep(0.01)
    gate.set()
    await blocker
    with pytest.raises(Superseded):
        await queued
    assert await newest == "new"
    worker.shutdown()

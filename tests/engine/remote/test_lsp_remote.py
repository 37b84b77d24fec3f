"""End to end: the real language server with engine.kind "remote", over stdio, talking to
llama-cpp-python's server on loopback; and with that server down."""

from __future__ import annotations

import asyncio

from conftest import lsp_session
from llama_server import free_port, llama_server

SOURCE = '''import os


def greet(name: str) -> str:
    """Say hello."""
    message = "hello " + name
    return 


def area(width, height):
    return width * height
'''
LINE = SOURCE.splitlines().index("    return ")


def remote_options(url: str) -> dict:
    return {"engine": {"kind": "remote", "url": url}, "completion": {"maxTokens": 24}}


async def completion_text(session, uri: str) -> str:
    result = await session.complete(uri, LINE, 11)
    return result.items[0].insert_text if result.items else ""


async def test_inline_completions_come_from_the_remote_server(test_model, tmp_path):
    uri = (tmp_path / "app.py").as_uri()
    local_options = {"model": {"path": str(test_model)}, "completion": {"maxTokens": 24}}
    async with lsp_session(local_options, tmp_path) as s:
        s.open(uri, SOURCE)
        expected = await completion_text(s, uri)
    assert expected.strip()
    with llama_server(test_model) as url:
        async with lsp_session(remote_options(url), tmp_path) as s:
            status = s.statuses[-1]
            assert status["state"] == "ready", status
            assert status["message"].startswith(f"starcoder-tiny-test at {url} ready (starcoder FIM; remote ")
            s.open(uri, SOURCE)
            assert await completion_text(s, uri) == expected
            stats = await s.last_completion()
            assert stats["reason"] == "model" and stats["generatedTokens"] >= 1


async def test_a_down_remote_server_is_reported_and_the_server_keeps_answering(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    async with lsp_session(remote_options(url), tmp_path) as s:
        status = s.statuses[-1]
        assert status["state"] == "error"
        assert status["message"] == f"remote server {url} is not reachable (connection refused)"
        uri = (tmp_path / "app.py").as_uri()
        s.open(uri, SOURCE)
        assert not (await s.complete(uri, LINE, 11)).items
        assert (await s.last_completion())["reason"] == "not-ready"


async def test_a_remote_server_that_starts_after_infill_is_picked_up(test_model, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    async with lsp_session(remote_options(url), tmp_path) as s:
        assert s.statuses[-1]["state"] == "error"
        uri = (tmp_path / "app.py").as_uri()
        s.open(uri, SOURCE)
        with llama_server(test_model, port=port):
            async def ready_and_completing():
                while not (await completion_text(s, uri)).strip():
                    await asyncio.sleep(1.0)  # the server retries a failed remote at most every 10 s

            await asyncio.wait_for(ready_and_completing(), 40)
            assert s.statuses[-1]["state"] == "ready"


async def test_a_remote_server_that_goes_away_and_comes_back(test_model, tmp_path):
    port = free_port()
    up = llama_server(test_model, port=port)
    url = up.__enter__()
    try:
        async with lsp_session(remote_options(url), tmp_path) as s:
            for name in ("a.py", "b.py"):
                s.open((tmp_path / name).as_uri(), SOURCE)
            expected = await completion_text(s, (tmp_path / "a.py").as_uri())
            assert expected.strip()
            up.__exit__(None, None, None)
            up = None
            # Down: no ghost text and a clear status, not an error per keystroke.
            assert not (await asyncio.wait_for(s.complete((tmp_path / "b.py").as_uri(), LINE, 11), 10)).items
            assert (await s.last_completion())["reason"] == "error"
            assert s.statuses[-1]["state"] == "error"
            assert s.statuses[-1]["message"].startswith(f"remote server {url} is not reachable")
            with llama_server(test_model, port=port):  # back: no reload needed, status restored
                assert (await completion_text(s, (tmp_path / "b.py").as_uri())).strip()
                assert (await s.last_completion())["reason"] == "model"
                assert s.statuses[-1]["state"] == "ready"
    finally:
        if up is not None:
            up.__exit__(None, None, None)

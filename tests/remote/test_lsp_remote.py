"""End to end: the real language server with engine.kind "remote", over stdio, talking to
llama-cpp-python's server on loopback; and with that server down."""

from __future__ import annotations

import asyncio

import pytest
from pygls.exceptions import JsonRpcException

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
            with pytest.raises(JsonRpcException, match=f"remote server {url} is not reachable"):
                await asyncio.wait_for(s.complete((tmp_path / "b.py").as_uri(), LINE, 11), 10)
            assert (await s.last_completion())["reason"]  # still answering
            with llama_server(test_model, port=port):  # back: no reload needed
                assert (await completion_text(s, (tmp_path / "b.py").as_uri())).strip()
                assert (await s.last_completion())["reason"] == "model"
    finally:
        if up is not None:
            up.__exit__(None, None, None)

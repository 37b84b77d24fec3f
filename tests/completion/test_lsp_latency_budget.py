"""End to end: the latency budget in the real server, with a remote engine slowed on purpose
(a scripted server that sends one token every few milliseconds): completions over the target
are cut by their deadline and step the budget down, `infill/lastCompletion` and the status
message say so."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import lsp_session
from lsprotocol import types

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine" / "remote"))
from fake_server import Answer, fake_server

TOKEN_SECONDS = 0.005
TARGET_MS = 300


def as_dict(value) -> dict:
    return value._asdict() if hasattr(value, "_asdict") else value


async def test_slow_completions_step_the_budget_down_and_say_so(tmp_path):
    with fake_server() as server:
        # More tokens than maxTokens: each completion costs maxTokens (+ a few read after) tokens,
        # 64 of them ~360 ms, over the target (the deadline stops them first); 32 of them ~200 ms,
        # under it (and not under 0.7x).
        pieces = [f" + v{i}" for i in range(200)]  # valid code, no loop: nothing cuts it short
        server.state.default = Answer(pieces=pieces, finish="length", delay=TOKEN_SECONDS)
        options = {
            "engine": {"kind": "remote", "url": server.url},
            "completion": {"latencyTargetMs": TARGET_MS, "maxTokens": 64, "minConfidence": 0},
            "context": {"enabled": False},
        }
        async with lsp_session(options, tmp_path) as s:
            uri = (tmp_path / "slow.py").as_uri()
            text = "value = "
            s.open(uri, text)
            steps = []
            for version in range(2, 32):
                # A keystroke each time: no answer comes from the cache.
                s.client.text_document_did_change(
                    types.DidChangeTextDocumentParams(
                        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text + "a" * version)],
                    )
                )
                await s.complete(uri, 0, len(text) + version)
                stats = await s.last_completion()
                if stats["reason"] == "model":
                    budget = as_dict(stats["budgetStep"])
                    steps.append((budget["step"], budget["maxTokens"], stats["generatedTokens"], stats["deadlineCut"]))
            step, max_tokens, tokens, cut = steps[0]
            assert (step, max_tokens, cut) == (0, 64, True) and tokens < 64  # stopped in time
            assert (1, 32, 32, False) in steps  # stepped down once 12 had been cut or late
            assert all(step <= 1 for step, *_ in steps)
            status = [st for st in s.statuses if "latency budget" in st["message"]]
            assert status and status[-1]["state"] == "ready"
            assert "latency budget step 1/6 (p95 " in status[-1]["message"]
            assert f"target {TARGET_MS} ms): 32 tokens" in status[-1]["message"]

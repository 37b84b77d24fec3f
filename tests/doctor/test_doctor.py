"""`infill doctor` and infill/doctor: each check made to fail for real, a passing run on the
embedded model, the command line's exit codes and JSON, and the request through the server.

The test models here use a tiny byte-level vocabulary written below (with or without FIM
tokens), so that each is built in milliseconds rather than copying StarCoder's vocabulary.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from build_test_model import build_test_model
from conftest import REPO, lsp_session
from gguf import GGUFWriter

from lsp_server.doctor.build import check_llama_cpp
from lsp_server.doctor.check import Check
from lsp_server.doctor.runner import run_checks
from lsp_server.engine.llama_cpp_engine import gpu_offload_available
from lsp_server.index import WorkspaceIndex
from lsp_server.settings import parse_settings

ORDER = ["settings", "llama.cpp", "model file", "FIM tokens", "VRAM plan", "remote server", "FIM self-test", "index"]
PULL = "infill models pull qwen2.5-coder-1.5b"
CHAT_TEMPLATE = "{% for m in messages %}<|im_start|>{{ m['content'] }}<|im_end|>{% endfor %}"


@pytest.fixture(autouse=True)
def cache_home(tmp_path, monkeypatch) -> Path:
    """The index database goes to the user cache directory: a fresh one per test."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


@pytest.fixture
def workspace(tmp_path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "shapes.py").write_text("def area(width, height):\n    return width * height\n")
    return root


async def doctor(raw: dict, root: Path) -> dict[str, Check]:
    settings, errors = parse_settings(raw)
    checks = await run_checks(settings, errors, [root])
    assert [check.name for check in checks] == ORDER
    return {check.name: check for check in checks}


def byte_tokens() -> list[str]:
    """GPT-2's byte-level BPE alphabet: one printable character per byte."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    chars, extra = list(printable), 0
    for byte in range(256):
        if byte not in printable:
            chars.append(256 + extra)
            extra += 1
    return [chr(c) for c in chars]


def tiny_model(folder: Path, name: str, control_tokens: list[str], chat_template: str | None = None) -> Path:
    """A random-weight GGUF over a 258-token vocabulary whose control tokens are exactly
    control_tokens (FIM ones or none; llama.cpp finds FIM tokens by their text too)."""
    vocab = folder / f"{name}-vocab.gguf"
    tokens = ["<|endoftext|>", *control_tokens, *byte_tokens(), "Ġt"]
    writer = GGUFWriter(str(vocab), arch="llama")
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("starcoder")
    writer.add_token_list(tokens)
    writer.add_token_types([3] * (1 + len(control_tokens)) + [1] * (len(tokens) - 1 - len(control_tokens)))
    writer.add_token_merges(["Ġ t"])  # llama.cpp wants merges for a BPE vocabulary
    writer.add_bos_token_id(0)
    writer.add_eos_token_id(0)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return build_test_model(folder / f"{name}.gguf", vocab=vocab, chat_template=chat_template, name=name)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(*args: str, cache: Path, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "PYTHONIOENCODING": "utf-8"}
    command = [sys.executable, "-m", "lsp_server", "doctor", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, timeout=60)


# -- each check, failing for real ----------------------------------------------------------


async def test_a_missing_model_file_fails_and_the_model_checks_after_it_are_skipped(tmp_path, workspace):
    missing = tmp_path / "models" / "coder.gguf"
    checks = await doctor({"model": {"path": str(missing)}}, workspace)
    model = checks["model file"]
    assert model.verdict == "failed" and model.detail == f"model file not found: {missing}"
    assert "infill.model.path" in model.fix and PULL in model.fix
    for name in ("FIM tokens", "VRAM plan", "FIM self-test"):
        assert checks[name].verdict == "skipped", checks[name]


async def test_a_registry_model_not_pulled_yet_fails_with_the_pull_command(tmp_path, workspace, monkeypatch):
    registry = tmp_path / "registry.json"
    entry = {"url": "http://127.0.0.1:9/c.gguf", "filename": "c.gguf", "sha256": None, "context_length": 4096}
    registry.write_text(json.dumps({"models": {"tiny-coder": entry}}))
    monkeypatch.setenv("INFILL_REGISTRY", str(registry))
    monkeypatch.setenv("INFILL_MODELS_DIR", str(tmp_path / "models"))
    check = (await doctor({"model": {"path": "tiny-coder"}}, workspace))["model file"]
    assert check.verdict == "failed"
    assert check.detail == "model tiny-coder is not downloaded yet; run: infill models pull tiny-coder"
    assert check.fix == "infill models pull tiny-coder"


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"PK\x03\x04 safetensors in a zip", "not a GGUF model file"), (b"GGUF\x03\x00\x00\x00\x07", "does not read")],
    ids=["not-gguf", "truncated-header"],
)
async def test_a_file_that_is_not_a_readable_gguf_fails(tmp_path, workspace, content, expected):
    model = tmp_path / "model.gguf"
    model.write_bytes(content)
    check = (await doctor({"model": {"path": str(model)}}, workspace))["model file"]
    assert check.verdict == "failed" and expected in check.detail, check
    assert check.fix


async def test_a_model_without_fim_tokens_fails(tmp_path, workspace):
    model = tiny_model(tmp_path, "tiny-base", control_tokens=[])
    checks = await doctor({"model": {"path": str(model)}}, workspace)
    assert checks["model file"].verdict == "ok"
    fim = checks["FIM tokens"]
    assert fim.verdict == "failed", fim
    assert (
        fim.detail == "tiny-base has no fill-in-the-middle tokens: inline completion needs a base model with FIM tokens"
    )
    assert PULL in fim.fix
    assert checks["FIM self-test"].verdict == "skipped"


async def test_an_instruct_model_with_a_chat_template_is_a_warning(tmp_path, workspace):
    fim_tokens = ["<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<fim_pad>"]
    model = tiny_model(tmp_path, "tiny-coder-instruct", fim_tokens, chat_template=CHAT_TEMPLATE)
    checks = await doctor({"model": {"path": str(model)}}, workspace)
    fim = checks["FIM tokens"]
    assert fim.verdict == "warning", fim
    assert "this looks like an instruct model: inline completion needs a base model with FIM tokens" in fim.detail
    assert fim.fix == f"use e.g. qwen2.5-coder-1.5b (`{PULL}`)"
    # This random model ends every middle at once: the editor would show nothing.
    test = checks["FIM self-test"]
    assert test.verdict == "failed" and test.detail.startswith("0/3 plausible (tiny-coder-instruct)"), test
    assert test.detail.count(" ms ") == 3


async def test_a_remote_server_that_is_down_fails(workspace):
    url = f"http://127.0.0.1:{closed_port()}"
    checks = await doctor({"engine": {"kind": "remote", "url": url, "connectTimeoutMs": 500}}, workspace)
    remote = checks["remote server"]
    assert remote.verdict == "failed", remote
    assert remote.detail == f"remote server {url} is not reachable (connection refused)"
    assert url in remote.fix and "start the server" in remote.fix
    assert checks["model file"].verdict == "skipped"  # no local tokenizer: optional
    assert checks["FIM self-test"].verdict == "skipped"


async def test_a_remote_server_that_is_up_says_which_api_it_speaks(workspace):
    sys.path.insert(0, str(REPO / "tests" / "engine" / "remote"))
    from fake_server import Answer, fake_server

    with fake_server() as server:  # llama.cpp server's answers: /props, and /infill events
        server.state.props = {"default_generation_settings": {"n_ctx": 8192}}
        server.state.default = Answer(pieces=["a + b"], llama_events=True)
        checks = await doctor({"engine": {"kind": "remote", "url": server.url}}, workspace)
    remote = checks["remote server"]
    assert remote.verdict == "ok", remote
    assert remote.detail == (
        f"{server.url} answers /v1/models, /props (llama.cpp server): llama.cpp server, "
        "model qwen2.5-coder-1.5b, n_ctx 8192; completions through /infill"
    )
    test = checks["FIM self-test"]  # through the remote engine
    assert test.verdict == "ok" and test.detail.startswith("3/3 plausible (qwen2.5-coder-1.5b at "), test


async def test_rejected_settings_fail_under_the_names_the_user_wrote(workspace):
    raw = {"engine": {"kind": "none"}, "completion": {"maxTokens": "many"}, "model": {"n_ctx": 10}}
    check = (await doctor(raw, workspace))["settings"]
    assert check.verdict == "failed"
    assert check.detail.startswith("2 rejected (their defaults are used): ")
    assert "infill.completion.maxTokens: 'many' is not an integer" in check.detail
    assert "infill.model.n_ctx: 10 is outside 256..131072" in check.detail
    assert check.fix == "correct or remove them: infill.model.n_ctx, infill.completion.maxTokens"


async def test_a_vram_budget_too_small_for_the_model_is_a_warning(workspace):
    # 256 MB cannot hold even the CUDA runtime's share, so every layer would run on the CPU.
    check = (await doctor({"model": {"vramBudgetMb": 256}}, workspace))["VRAM plan"]
    assert check.verdict == "warning", check
    assert check.detail.startswith("CPU only (even one layer needs")
    assert "does not fit model.vramBudgetMb 256; 4 layers run on the CPU" in check.detail
    assert "infill.model.vramBudgetMb" in check.fix


async def test_a_missing_index_is_reported_without_building_one(workspace, cache_home):
    check = (await doctor({"engine": {"kind": "none"}}, workspace))["index"]
    assert check.verdict == "warning"
    assert (
        check.detail == f"no index yet for {workspace}: the server builds it on first start (1 source files to index)"
    )
    assert check.fix == f"open the folder in the editor, or run `infill index {workspace}`"
    assert not (cache_home / "infill").exists()  # read-only: nothing created


async def test_an_index_is_counted_and_a_folder_past_index_max_files_warns(workspace):
    for number in range(100):
        (workspace / f"module_{number}.py").write_text(f"def function_{number}():\n    pass\n")
    with WorkspaceIndex([workspace], workers=0) as index:
        index.build()
    check = (await doctor({"engine": {"kind": "none"}}, workspace))["index"]
    assert check.verdict == "ok", check
    assert check.detail.startswith(f"101 files, 101 symbols indexed for {workspace} (")
    assert check.detail.endswith("; 101 source files there")
    capped = (await doctor({"engine": {"kind": "none"}, "index": {"maxFiles": 100}}, workspace))["index"]
    assert capped.verdict == "warning"
    assert capped.detail.endswith("; 101 source files there, but index.maxFiles takes only 100")
    assert "infill.index.maxFiles" in capped.fix


@pytest.mark.skipif(gpu_offload_available(), reason="this llama.cpp build has GPU offload")
def test_a_cpu_build_on_a_machine_with_an_nvidia_gpu_warns(tmp_path, monkeypatch):
    assert check_llama_cpp().verdict == "ok"
    fake = tmp_path / "bin" / "nvidia-smi"  # what the check looks for: the NVIDIA driver's tool
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    check = check_llama_cpp()
    assert check.verdict == "warning", check
    assert "an NVIDIA GPU is present but this build runs on the CPU" in check.detail
    assert check.fix.startswith("bash scripts/setup.sh --gpu")


# -- the command line ------------------------------------------------------------------------


def test_the_embedded_model_passes_and_json_lists_every_check(workspace, cache_home):
    done = run_cli("--json", "--root", str(workspace), cache=cache_home)
    assert done.returncode == 0, done.stdout + done.stderr
    checks = json.loads(done.stdout)["checks"]
    assert [c["name"] for c in checks] == ORDER
    assert all(set(c) == {"name", "verdict", "detail", "fix"} for c in checks)
    verdicts = {c["name"]: c["verdict"] for c in checks}
    assert "failed" not in verdicts.values(), checks
    assert verdicts["settings"] == verdicts["model file"] == verdicts["FIM tokens"] == "ok"
    assert verdicts["remote server"] == "skipped"
    model, test = checks[2], checks[6]
    assert model["detail"].startswith("the embedded model infill-tiny-code (llama, ")
    assert test["verdict"] in ("ok", "warning") and test["detail"].count(" ms") == 3, test


def test_a_failed_check_exits_1_with_a_readable_report(tmp_path, workspace, cache_home):
    settings = tmp_path / "settings.json"  # VS Code's flat keys work too
    settings.write_text(json.dumps({"infill.model.path": str(tmp_path / "gone.gguf"), "editor.fontSize": 14}))
    done = run_cli("--settings", str(settings), "--root", str(workspace), cache=cache_home)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    at = lines.index("✗ model file")
    assert lines[at + 1] == f"    model file not found: {tmp_path / 'gone.gguf'}"
    assert lines[at + 2].startswith("    fix: set infill.model.path to an existing .gguf file")
    assert "✓ settings" in lines and "- remote server (skipped)" in lines
    assert lines[-1] == "2 ok, 1 warning, 1 failed, 4 skipped"


def test_settings_that_are_not_json_exit_2(workspace, cache_home):
    done = run_cli("--settings", "{model: x}", "--root", str(workspace), cache=cache_home)
    assert done.returncode == 2
    assert done.stderr.startswith("infill doctor: --settings: not valid JSON")


# -- the server's infill/doctor request ------------------------------------------------------


def plain(value):
    """pygls hands an untyped result over as named tuples: back to dicts and lists."""
    if hasattr(value, "_asdict"):
        return {key: plain(item) for key, item in value._asdict().items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


async def test_the_doctor_request_reports_with_the_servers_settings_and_model(workspace):
    options = {"completion": {"maxTokens": "many"}}  # the embedded model, and one bad value
    async with lsp_session(options, workspace) as s:
        result = await asyncio.wait_for(s.client.protocol.send_request_async("infill/doctor", None), 60)
    checks = {c["name"]: c for c in plain(result)["checks"]}
    assert list(checks) == ORDER
    assert checks["settings"]["verdict"] == "failed"
    assert checks["settings"]["fix"] == "correct or remove it: infill.completion.maxTokens"
    assert checks["model file"]["verdict"] == checks["FIM tokens"]["verdict"] == "ok"
    # The self-test ran on the server's loaded model, not on a copy loaded for it.
    test = checks["FIM self-test"]
    assert test["verdict"] in ("ok", "warning"), test
    assert "(the server's infill-tiny-code)" in test["detail"] and test["detail"].count(" ms") == 3
    assert checks["index"]["verdict"] in ("ok", "warning")


async def test_an_onnx_model_folder_is_checked_as_a_folder(tmp_path, workspace):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "models"))
    from build_test_onnx import cached

    checks = await doctor({"engine": {"kind": "onnx"}, "model": {"path": str(cached("int4"))}}, workspace)
    assert checks["model file"].verdict == "ok" and "ONNX model" in checks["model file"].detail
    assert checks["FIM tokens"].verdict == "ok" and "starcoder" in checks["FIM tokens"].detail
    assert checks["VRAM plan"].verdict == "ok"
    assert checks["FIM self-test"].verdict in ("ok", "warning")
    not_a_model = tmp_path / "empty-folder"
    not_a_model.mkdir()
    checks = await doctor({"engine": {"kind": "onnx"}, "model": {"path": str(not_a_model)}}, workspace)
    assert checks["model file"].verdict == "failed" and "genai_config.json" in checks["model file"].detail
    assert "infill models convert" in checks["model file"].fix
    assert checks["FIM tokens"].verdict == "skipped" and checks["FIM self-test"].verdict == "skipped"

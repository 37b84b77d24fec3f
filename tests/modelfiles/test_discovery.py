"""Finding the GGUF models a user already has, in the layouts other tools keep them in.

Each layout is a fixture folder holding real small GGUFs (random weights, real tokenizers)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from build_test_model import CHATML_TEMPLATE, build_test_model

from lsp_server.modelfiles.discovery import find_model, find_models

HERE = Path(__file__).resolve().parents[2]
DEEPSEEK_VOCAB = HERE / "models" / "vocab" / "ggml-vocab-deepseek-coder.gguf"


@pytest.fixture(scope="module")
def ggufs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ggufs")
    return {
        "starcoder": build_test_model(folder / "starcoder.gguf"),
        "deepseek": build_test_model(folder / "deepseek.gguf", vocab=DEEPSEEK_VOCAB, seed=1),
        "chat": build_test_model(folder / "chat.gguf", chat_template=CHATML_TEMPLATE, seed=2),
    }


@pytest.fixture
def home(tmp_path, ggufs):
    """A home folder with a model in every place: HF cache, LM Studio, Ollama, llama.cpp."""
    home = tmp_path / "home"
    hub = home / ".cache" / "huggingface" / "hub" / "models--Org--Coder-GGUF"
    (hub / "blobs").mkdir(parents=True)
    snapshot = hub / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    blob = hub / "blobs" / "0f1e2d"
    shutil.copyfile(ggufs["starcoder"], blob)
    (snapshot / "coder-q4_k_m.gguf").symlink_to(Path("../../blobs/0f1e2d"))

    studio = home / ".lmstudio" / "models" / "lmstudio-community" / "DeepCoder-GGUF"
    studio.mkdir(parents=True)
    shutil.copyfile(ggufs["deepseek"], studio / "deepcoder-q8_0.gguf")
    (studio / "mmproj-deepcoder-f16.gguf").write_bytes(b"GGUF not a model to pick")

    ollama = home / ".ollama" / "models"
    digest = hashlib.sha256(ggufs["chat"].read_bytes()).hexdigest()
    (ollama / "blobs").mkdir(parents=True)
    shutil.copyfile(ggufs["chat"], ollama / "blobs" / f"sha256-{digest}")
    manifest = ollama / "manifests" / "registry.ollama.ai" / "library" / "chatty" / "1b-instruct"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(
        json.dumps(
            {
                "layers": [
                    {"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:" + "0" * 64},
                    {"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{digest}"},
                ]
            }
        )
    )
    cache = home / ".cache" / "llama.cpp"
    cache.mkdir(parents=True)
    (cache / "Org_Coder-GGUF_coder-q4_k_m.gguf").symlink_to(blob)  # the same file again: listed once
    (cache / "broken.gguf").write_bytes(b"GGUF\x03\x00")  # truncated header: skipped
    return home


def by_name(models):
    return {m.name: m for m in models}


def test_models_in_every_layout_are_found_with_their_facts(home, ggufs):
    found = by_name(find_models(env={}, home=home, vram_budget_mb=8192))
    assert set(found) == {
        "Org/Coder-GGUF/coder-q4_k_m",
        "lmstudio-community/DeepCoder-GGUF/deepcoder-q8_0",
        "ollama:chatty:1b-instruct",
    }
    hf = found["Org/Coder-GGUF/coder-q4_k_m"]
    assert hf.source == "Hugging Face cache" and hf.fim_family == "starcoder" and not hf.chat_template
    assert hf.kind == "completion" and hf.architecture == "llama" and hf.size_bytes == ggufs["starcoder"].stat().st_size
    assert hf.context_length == 4096 and hf.gpu_mb and hf.fits is True
    studio = found["lmstudio-community/DeepCoder-GGUF/deepcoder-q8_0"]
    assert studio.source == "LM Studio" and studio.fim_family == "deepseek-coder"
    chat = found["ollama:chatty:1b-instruct"]
    assert chat.source == "Ollama" and chat.chat_template and chat.kind == "completion or chat"


def test_environment_variables_move_the_places(tmp_path, home):
    moved = tmp_path / "elsewhere"
    shutil.move(home / ".cache" / "huggingface", moved)
    assert "Org/Coder-GGUF/coder-q4_k_m" not in by_name(find_models(env={}, home=home))
    names = by_name(find_models(env={"HF_HOME": str(moved)}, home=home))
    assert "Org/Coder-GGUF/coder-q4_k_m" in names
    assert "Org/Coder-GGUF/coder-q4_k_m" in by_name(find_models(env={"HF_HUB_CACHE": str(moved / "hub")}, home=home))


def test_folders_from_the_setting(tmp_path, ggufs):
    folder = tmp_path / "my-models" / "team"
    folder.mkdir(parents=True)
    shutil.copyfile(ggufs["starcoder"], folder / "house-coder.gguf")
    found = by_name(find_models([str(tmp_path / "my-models")], env={}, home=tmp_path / "nohome"))
    assert found["team/house-coder"].source == "folder"


def test_a_found_model_is_named_by_its_name_or_file_stem(home):
    found = by_name(find_models(env={}, home=home))
    assert find_model("ollama:chatty:1b-instruct", env={}, home=home) == found["ollama:chatty:1b-instruct"].path
    assert find_model("chatty:1b-instruct", env={}, home=home) == found["ollama:chatty:1b-instruct"].path
    assert find_model("CODER-Q4_K_M", env={}, home=home) == found["Org/Coder-GGUF/coder-q4_k_m"].path
    assert find_model("no-such-model", env={}, home=home) is None


def test_a_small_budget_says_it_does_not_fit(home):
    found = by_name(find_models(env={}, home=home, vram_budget_mb=1))
    assert found["Org/Coder-GGUF/coder-q4_k_m"].fits is False


def test_nothing_found_without_any_place(tmp_path):
    assert find_models(env={}, home=tmp_path) == []


async def test_the_server_loads_a_found_model_by_its_name(tmp_path, ggufs):
    from conftest import lsp_session

    folder = tmp_path / "my-models" / "team"
    folder.mkdir(parents=True)
    shutil.copyfile(ggufs["deepseek"], folder / "house-coder.gguf")
    settings = {"model": {"path": "team/house-coder", "searchPaths": [str(tmp_path / "my-models")]}}
    async with lsp_session(settings, tmp_path) as s:
        assert s.statuses[-1]["state"] == "ready", s.statuses
    async with lsp_session({"model": {"path": "nowhere-coder"}}, tmp_path) as s:
        assert s.statuses[-1]["state"] == "error"
        assert "found on this machine" in s.statuses[-1]["message"]


def test_models_list_shows_what_was_found(tmp_path, ggufs):
    import subprocess
    import sys

    folder = tmp_path / "my-models"
    folder.mkdir()
    shutil.copyfile(ggufs["starcoder"], folder / "house-coder.gguf")
    env = {"HOME": str(tmp_path / "nohome"), "INFILL_MODELS_DIR": str(tmp_path / "pulled"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "lsp_server", "models", "list", "--search", str(folder)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    found = result.stdout.split("found on this machine", 1)[1]
    assert "house-coder" in found and "completion" in found and "starcoder" in found

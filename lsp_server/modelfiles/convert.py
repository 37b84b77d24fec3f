"""`infill models convert HF_DIR OUT_DIR [--precision int4|fp16|fp32] [--execution cpu|cuda]`.

Turns a Hugging Face checkpoint folder into a model folder for the ONNX engine (engine.kind
"onnx"), with ONNX Runtime GenAI's own model builder (`python -m
onnxruntime_genai.models.builder`). The builder does the work; this module checks what it
would otherwise fail on late or silently (a folder that is no checkpoint, a precision the
execution provider cannot run, a quantized checkpoint asked for another precision), runs it in
a child process (it loads the whole checkpoint with PyTorch and prints a lot), and moves the
result into place only when it is complete.

A GPTQ or AWQ checkpoint (`quantization_config` in config.json) keeps its 4-bit weights: the
builder repacks them into MatMulNBits as they are rather than quantizing again, so such a
checkpoint converts at int4 only.

The checkpoint's own tokenizer files replace the ones the builder writes (see TOKENIZER_FILES),
and Infill's sidecar, `infill.json` (the FIM order, for a model that was not trained in the
usual prefix-suffix-middle order), is copied when the checkpoint has one.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Sequence
from pathlib import Path

PRECISIONS = ("int4", "fp16", "fp32")
EXECUTIONS = ("cpu", "cuda")
# What ONNX Runtime has kernels for: no float16 MatMul on the CPU provider.
SUPPORTED = {("int4", "cpu"), ("fp32", "cpu"), ("int4", "cuda"), ("fp16", "cuda"), ("fp32", "cuda")}
# Checkpoint quantizations whose 4-bit weights the builder carries over as they are.
PREQUANTIZED = ("gptq", "awq")
# Infill's own file beside the model (the FIM order), copied when the checkpoint has one.
SIDECAR = "infill.json"
# The checkpoint's tokenizer, copied over what the builder writes: the builder saves the
# tokenizer through transformers, whose tokenizer classes rebuild parts of it (a
# "GPT2Tokenizer" loses StarCoder's one-digit pre-tokenizer), and the engine tokenizes with
# tokenizer.json exactly as the model was trained.
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja")
WEIGHT_SUFFIXES = (".safetensors", ".bin")
# The Python packages the builder imports.
BUILDER_NEEDS = ("onnxruntime_genai", "onnx", "onnx_ir", "transformers", "torch", "safetensors")
INSTALL_HINT = "install the conversion extras: pip install 'infill-lsp[convert]'"


class ConvertError(Exception):
    """A conversion that cannot run or did not produce a model; the message is for the user."""


def read_checkpoint_config(hf_dir: Path) -> dict:
    config_path = hf_dir / "config.json"
    if not hf_dir.is_dir():
        raise ConvertError(f"not a folder: {hf_dir}")
    if not config_path.is_file():
        raise ConvertError(f"{hf_dir} has no config.json: not a Hugging Face checkpoint folder")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConvertError(f"cannot read {config_path}: {exc}") from exc
    if not isinstance(config, dict) or not config.get("architectures"):
        raise ConvertError(f'{config_path} names no architecture ("architectures")')
    if not any(p.suffix in WEIGHT_SUFFIXES for p in hf_dir.iterdir()):
        raise ConvertError(f"{hf_dir} has no weights (*.safetensors)")
    if not (hf_dir / "tokenizer.json").is_file():
        raise ConvertError(f"{hf_dir} has no tokenizer.json (the ONNX engine tokenizes with it)")
    return config


def quantization_method(config: dict) -> str | None:
    quantization = config.get("quantization_config")
    if not isinstance(quantization, dict):
        return None
    return str(quantization.get("quant_method") or "unknown").lower()


def check_request(config: dict, precision: str, execution: str) -> None:
    if (precision, execution) not in SUPPORTED:
        choices = ", ".join(f"{p} on {e}" for p, e in sorted(SUPPORTED))
        raise ConvertError(f"{precision} on {execution} is not supported by ONNX Runtime; choose one of: {choices}")
    method = quantization_method(config)
    if method is None:
        return
    if method not in PREQUANTIZED:
        raise ConvertError(f"checkpoints quantized with {method!r} are not supported (only {', '.join(PREQUANTIZED)})")
    bits = config["quantization_config"].get("bits", 4)
    if bits != 4:
        raise ConvertError(f"a {bits}-bit {method} checkpoint is not supported (4-bit only)")
    if precision != "int4":
        raise ConvertError(f"a {method} checkpoint holds 4-bit weights: convert it with --precision int4")


def missing_builder_packages() -> list[str]:
    from importlib.util import find_spec

    return [name for name in BUILDER_NEEDS if find_spec(name) is None]


def builder_command(hf_dir: Path, out_dir: Path, precision: str, execution: str, cache_dir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "onnxruntime_genai.models.builder",
        "--input",
        str(hf_dir),
        "--output",
        str(out_dir),
        "--precision",
        precision,
        "--execution_provider",
        execution,
        "--cache_dir",
        str(cache_dir),
        "--extra_options",
        # Never reach for the network: the checkpoint is a local folder.
        "hf_token=false",
        # Logits of the last position only while a prompt is evaluated: the engine reads no
        # others, and a prompt's full logits (tokens x vocabulary) would cost more than the
        # rest of the model on a small one.
        "prune_lm_head=true",
    ]


def run_builder(command: list[str], quiet: bool) -> tuple[int, str]:
    """Run the builder; its output goes to stderr line by line unless quiet. Returns its exit
    code and its last lines (for the error message)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    last: deque[str] = deque(maxlen=15)
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            last.append(line.rstrip())
            if not quiet:
                sys.stderr.write(line)
    return process.returncode, "\n".join(last)


def convert(
    hf_dir: str | Path,
    out_dir: str | Path,
    precision: str = "int4",
    execution: str = "cpu",
    quiet: bool = False,
) -> Path:
    """Convert the checkpoint in hf_dir into an ONNX Runtime GenAI folder at out_dir (which
    must not exist yet, or be empty). quiet: keep the builder's output unless it fails.
    Raises ConvertError."""
    hf_dir, out_dir = Path(hf_dir).expanduser(), Path(out_dir).expanduser()
    config = read_checkpoint_config(hf_dir)
    check_request(config, precision, execution)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ConvertError(f"{out_dir} already exists and is not empty")
    missing = missing_builder_packages()
    if missing:
        raise ConvertError(f"the model builder needs {', '.join(missing)}: {INSTALL_HINT}")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".convert-", dir=out_dir.parent) as tmp:
        work = Path(tmp) / "model"
        command = builder_command(hf_dir, work, precision, execution, Path(tmp) / "cache")
        returncode, tail = run_builder(command, quiet)
        if returncode != 0:
            raise ConvertError(f"the model builder failed (exit code {returncode})" + (f":\n{tail}" if tail else ""))
        for needed in ("genai_config.json", "tokenizer.json"):
            if not (work / needed).is_file():
                raise ConvertError(f"the model builder wrote no {needed}")
        if not any(work.glob("*.onnx")):
            raise ConvertError("the model builder wrote no .onnx file")
        for name in TOKENIZER_FILES + (SIDECAR,):
            if (hf_dir / name).is_file():
                shutil.copy(hf_dir / name, work / name)
        if out_dir.exists():
            out_dir.rmdir()  # empty (checked above)
        os.replace(work, out_dir)
    return out_dir


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def cmd_convert(args: argparse.Namespace) -> int:
    try:
        out = convert(args.hf_dir, args.out_dir, args.precision, args.execution)
    except ConvertError as exc:
        print(f"infill models convert: {exc}", file=sys.stderr)
        return 1
    print(
        f"wrote {out} ({folder_bytes(out) / 1e6:.1f} MB, {args.precision} for {args.execution}); "
        f'use it: set infill.engine.kind to "onnx" and infill.model.path to {str(out)!r}'
    )
    return 0


def add_convert_parser(actions) -> None:
    """`convert` under `infill models` (modelfiles/command.py registers it)."""
    convert_parser = actions.add_parser(
        "convert",
        help="convert a Hugging Face checkpoint (GPTQ/AWQ kept at int4) to an ONNX Runtime GenAI folder",
        description="Runs ONNX Runtime GenAI's model builder on a Hugging Face checkpoint folder. The result is "
        'used with infill.engine.kind "onnx" and infill.model.path set to OUT_DIR.',
    )
    convert_parser.add_argument(
        "hf_dir", metavar="HF_DIR", help="Hugging Face checkpoint folder (config.json, weights)"
    )
    convert_parser.add_argument("out_dir", metavar="OUT_DIR", help="the model folder to write (new or empty)")
    convert_parser.add_argument("--precision", choices=PRECISIONS, default="int4", help="weights (default: int4)")
    convert_parser.add_argument("--execution", choices=EXECUTIONS, default="cpu", help="where it runs (default: cpu)")
    convert_parser.set_defaults(models_func=cmd_convert)


__all__: Sequence[str] = ["ConvertError", "add_convert_parser", "convert"]

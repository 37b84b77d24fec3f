"""`infill doctor [--settings JSON_OR_FILE] [--root DIR] [--json]`: check a setup, with the
settings the server would use; exit code 1 when a check failed, 2 for a bad argument."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any


def add_parser(commands: Any) -> None:
    """Add the `doctor` subcommand to the `infill` command's subparsers."""
    doctor = commands.add_parser(
        "doctor",
        help="check the setup: llama.cpp, the model and its FIM tokens, GPU, index, settings",
        description="Runs each check with the settings the server would use and says what to fix. "
        "Exit code 1 when a check failed.",
    )
    doctor.add_argument(
        "--settings",
        metavar="JSON_OR_FILE",
        help='the "infill" settings section as JSON, or a file holding it (e.g. {"model": {"path": "m.gguf"}}); '
        "default: no settings, as the server without any",
    )
    doctor.add_argument(
        "--root",
        metavar="DIR",
        help="the workspace folder whose index is checked (default: the current folder's git repository, "
        "or the folder)",
    )
    doctor.add_argument("--json", action="store_true", help='print {"checks": [{name, verdict, detail, fix}]}')
    doctor.set_defaults(func=run_doctor_command)


def run_doctor_command(args: argparse.Namespace) -> int:
    # Imported here: `infill serve` starts without loading the doctor's checks.
    from ..settings import parse_settings
    from .index_state import default_root
    from .report import format_json, format_report
    from .runner import any_failed, run_checks
    from .user_settings import SettingsArgumentError, load_settings_argument

    try:
        raw = load_settings_argument(args.settings)
    except SettingsArgumentError as exc:
        print(f"infill doctor: {exc}", file=sys.stderr)
        return 2
    if args.root is not None and not Path(args.root).is_dir():
        print(f"infill doctor: --root {args.root} is not a folder", file=sys.stderr)
        return 2
    root = Path(args.root) if args.root is not None else default_root(Path.cwd())
    settings, errors = parse_settings(raw)
    if logging.getLogger().level >= logging.WARNING:
        # llama.cpp's load-time warnings (e.g. about the vocabulary-only load) would read as
        # findings; the checks report what matters.
        logging.getLogger("llama.cpp").setLevel(logging.ERROR)
    checks = asyncio.run(run_checks(settings, errors, [root]))
    print(format_json(checks) if args.json else format_report(checks, sys.stdout.encoding or "utf-8"))
    return 1 if any_failed(checks) else 0

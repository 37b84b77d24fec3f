"""What one doctor check says: a verdict, a one-line detail and a one-line fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

# "skipped": the check does not apply to these settings (e.g. the remote server check with the
# local engine), or an earlier check failed and this one has nothing to look at.
Verdict = Literal["ok", "warning", "failed", "skipped"]

# The model users are pointed to when theirs cannot fill in the middle: a small base code
# model with FIM tokens from the registry (models/registry.json).
SUGGESTED_MODEL = "qwen2.5-coder-1.5b"
USE_SUGGESTED_MODEL = f"use e.g. {SUGGESTED_MODEL} (`infill models pull {SUGGESTED_MODEL}`)"


@dataclass(frozen=True)
class Check:
    name: str
    verdict: Verdict
    detail: str
    fix: str = ""  # what to do about it; "" when there is nothing to do

    def as_json(self) -> dict[str, str]:
        """The check as the CLI's --json and the infill/doctor request return it."""
        return asdict(self)


def ok(name: str, detail: str) -> Check:
    return Check(name, "ok", detail)


def warning(name: str, detail: str, fix: str) -> Check:
    return Check(name, "warning", detail, fix)


def failed(name: str, detail: str, fix: str) -> Check:
    return Check(name, "failed", detail, fix)


def skipped(name: str, detail: str) -> Check:
    return Check(name, "skipped", detail)

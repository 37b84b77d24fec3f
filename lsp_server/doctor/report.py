"""The doctor's report: one line per check with its mark, details and fixes indented below;
or the same checks as JSON (the shape of the infill/doctor request's result)."""

from __future__ import annotations

import json
from collections import Counter

from .check import Check

MARKS = {"ok": "✓", "warning": "!", "failed": "✗", "skipped": "-"}
# For a terminal that cannot show the marks above.
ASCII_MARKS = {"ok": "ok", "warning": "!", "failed": "x", "skipped": "-"}
INDENT = "    "


def format_report(checks: list[Check], encoding: str = "utf-8") -> str:
    marks = MARKS
    try:
        "".join(MARKS.values()).encode(encoding)
    except (UnicodeEncodeError, LookupError):
        marks = ASCII_MARKS
    lines = []
    for check in checks:
        lines.append(f"{marks[check.verdict]} {check.name}" + (" (skipped)" if check.verdict == "skipped" else ""))
        lines.append(f"{INDENT}{check.detail}")
        if check.fix:
            lines.append(f"{INDENT}fix: {check.fix}")
    counts: Counter[str] = Counter(check.verdict for check in checks)
    lines.append(", ".join(f"{counts[v]} {v}" for v in MARKS if counts[v]))
    return "\n".join(lines)


def as_result(checks: list[Check]) -> dict[str, list[dict[str, str]]]:
    """{"checks": [{name, verdict, detail, fix}, ...]}"""
    return {"checks": [check.as_json() for check in checks]}


def format_json(checks: list[Check]) -> str:
    return json.dumps(as_result(checks), indent=2, ensure_ascii=False)

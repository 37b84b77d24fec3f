"""Writes summaries into a SummaryCache file in a loop until killed: one entry per write, keys
KEY-START, KEY-(START+1), ... The crash tests start it ahead of time (its imports take a while)
and send "KEY START" on stdin when its turn comes, then kill it at a random moment.

    python summary_writer.py CACHE_FILE   (then KEY START on stdin)
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

from lsp_server.hover.summary_cache import SummaryCache


def summary_for(key: str) -> str:
    """The summary written under key: a reader can check any entry without knowing the writer."""
    return f"Summary of {key}. " + " ".join(["It does what its name says, and nothing else."] * 3)


def main() -> None:
    path = Path(sys.argv[1])
    line = sys.stdin.readline()
    if not line:
        return  # not needed after all
    key, start = line.split()
    cache = SummaryCache(path, capacity=1_000_000)
    for number in itertools.count(int(start)):
        cache.put(f"{key}-{number}", summary_for(f"{key}-{number}"))


if __name__ == "__main__":
    main()

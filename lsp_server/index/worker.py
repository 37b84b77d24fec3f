"""A parse worker process: `python -m lsp_server.index.worker`.

Reads pickled (batch, max_file_bytes) requests from stdin and answers each with the pickled
list of ParsedFile results on stdout, until stdin closes. A plain subprocess rather than
multiprocessing: it never re-imports the parent's __main__ module and never forks a process
that runs threads (the language server does).
"""

from __future__ import annotations

import pickle
import sys

from lsp_server.index.parsing import index_files
from lsp_server.index.priority import lower_this_process


def main() -> None:
    lower_this_process()
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            batch, max_file_bytes = pickle.load(requests)
        except EOFError:
            return
        pickle.dump(index_files(batch, max_file_bytes), replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()


if __name__ == "__main__":
    main()

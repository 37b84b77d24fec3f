"""Property-based fuzzing of the real server over stdio: random sequences of valid and mutated
messages for every method Infill serves.

Checked after every step: the process is alive, every request got exactly one response, and
the server's copy of each open document equals a reference model of the text (incremental
sync, with CRLF, surrogate pairs, zero-width and combining characters, and edits at line
ends). One server serves every example (a fresh document URI per example), so the run stays
within a couple of minutes; INFILL_FUZZ_EXAMPLES raises the count for a longer hunt.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from raw_client import RawClient

EXAMPLES = int(os.environ.get("INFILL_FUZZ_EXAMPLES", "200"))
# Characters that stress positions: CRLF and lone CR, an astral emoji (a surrogate pair in
# UTF-16), a zero-width space, a combining accent, a form feed (found in real Python sources).
ALPHABET = st.sampled_from(
    [
        "a",
        "b",
        "x",
        " ",
        "(",
        ")",
        ":",
        "\n",
        "\r\n",
        "\r",
        "\t",
        "😀",
        "\u200b",
        "e\u0301",
        "\x0c",
        "é",
        "def ",
        "    ",
    ]
)
TEXT = st.lists(ALPHABET, max_size=40).map("".join)
LINE_BREAK = re.compile(r"\r\n|\r|\n")  # LSP's line terminators, and only these


# -- the reference model of a document ------------------------------------------------------
def line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in LINE_BREAK.finditer(text)]


def line_text(text: str, line: int) -> str:
    starts = line_starts(text)
    end = starts[line + 1] if line + 1 < len(starts) else len(text)
    return LINE_BREAK.sub("", text[starts[line] : end])


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def position_of(text: str, offset: int) -> dict:
    """The LSP position (UTF-16 column) of a code-point offset."""
    starts = line_starts(text)
    line = max(i for i, start in enumerate(starts) if start <= offset)
    return {"line": line, "character": utf16_len(text[starts[line] : offset])}


def valid_offsets(text: str) -> list[int]:
    """Offsets a client may name: not inside a CRLF pair, at most the end of each line."""
    return [i for i in range(len(text) + 1) if not (0 < i < len(text) and text[i - 1] == "\r" and text[i] == "\n")]


@dataclass
class Model:
    texts: dict[str, str] = field(default_factory=dict)


# -- operations -------------------------------------------------------------------------------
OPERATION = st.one_of(
    st.tuples(st.just("open"), TEXT),
    st.tuples(st.just("edit"), st.floats(0, 1), st.floats(0, 1), TEXT),
    st.tuples(st.just("edit_line_end"), st.floats(0, 1), TEXT),
    st.tuples(st.just("replace"), TEXT),
    st.tuples(st.just("close")),
    st.tuples(st.just("complete"), st.floats(0, 1)),
    st.tuples(st.just("hover"), st.floats(0, 1)),
    st.tuples(st.just("symbol"), st.text(max_size=8)),
    st.tuples(st.just("explain"), st.floats(0, 1), st.floats(0, 1)),
    st.tuples(st.just("cancelled_complete"), st.floats(0, 1)),
    st.tuples(
        st.just("mutated"),
        st.sampled_from(["inline", "hover", "symbol", "execute", "open", "change", "cancel"]),
        st.sampled_from(["negative", "huge", "wrong_type", "missing", "null", "garbage"]),
    ),
)

MUTANT_VALUES = {
    "negative": -7,
    "huge": 2**53,
    "wrong_type": "x",
    "null": None,
    "garbage": {"nested": [1, {"a": None}]},
}


@pytest.fixture(scope="module")
def server(test_model, tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    (root / "lib.py").write_text('def helper(value):\n    """Help with a value."""\n    return value\n')
    client = RawClient(env={"INFILL_LOG_LEVEL": os.environ.get("INFILL_FUZZ_LOG_LEVEL", "WARNING")})
    client.initialize(root, {"model": {"path": str(test_model)}, "completion": {"maxTokens": 4}})
    client.root = root
    yield client
    client.close()


_uris = itertools.count()


class Run:
    """Applies operations to the server and to the reference model, checking as it goes."""

    def __init__(self, client: RawClient) -> None:
        self.client = client
        self.uri = (client.root / f"doc{next(_uris)}.py").as_uri()
        self.text: str | None = None
        self.version = 0
        self.pending: list[Any] = []

    def request(self, method: str, params: Any) -> None:
        self.pending.append(self.client.request(method, params))

    def answer_all(self) -> None:
        for msg_id in self.pending:
            response = self.client.response(msg_id, timeout=30)
            assert ("result" in response) != ("error" in response), response
        self.pending.clear()
        assert self.client.alive()

    def check_document(self) -> None:
        response = self.client.call("infill/document", {"uri": self.uri})
        assert response["result"]["text"] == self.text

    def change(self, start: int, end: int, new: str) -> None:
        assert self.text is not None
        self.version += 1
        change = {"range": {"start": position_of(self.text, start), "end": position_of(self.text, end)}, "text": new}
        self.client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": self.uri, "version": self.version}, "contentChanges": [change]},
        )
        self.text = self.text[:start] + new + self.text[end:]
        self.check_document()

    def offset(self, fraction: float) -> int:
        assert self.text is not None
        offsets = valid_offsets(self.text)
        return offsets[min(len(offsets) - 1, int(fraction * len(offsets)))]

    def position(self, fraction: float) -> dict:
        assert self.text is not None
        return position_of(self.text, self.offset(fraction))

    def apply(self, operation: tuple) -> None:
        kind = operation[0]
        if kind == "open":
            if self.text is not None:
                return
            self.text, self.version = operation[1], 1
            self.client.notify(
                "textDocument/didOpen",
                {"textDocument": {"uri": self.uri, "languageId": "python", "version": 1, "text": self.text}},
            )
            self.check_document()
        elif kind == "mutated":
            self.mutated(operation[1], MUTANT_VALUES.get(operation[2], None), operation[2] == "missing")
        elif self.text is None:
            return  # the other operations need an open document
        elif kind == "edit":
            start, end = sorted((self.offset(operation[1]), self.offset(operation[2])))
            self.change(start, end, operation[3])
        elif kind == "edit_line_end":
            line = position_of(self.text, self.offset(operation[1]))["line"]
            end = line_starts(self.text)[line] + len(line_text(self.text, line))
            self.change(end, end, operation[2])
        elif kind == "replace":
            self.version += 1
            self.client.notify(
                "textDocument/didChange",
                {
                    "textDocument": {"uri": self.uri, "version": self.version},
                    "contentChanges": [{"text": operation[1]}],
                },
            )
            self.text = operation[1]
            self.check_document()
        elif kind == "close":
            self.client.notify("textDocument/didClose", {"textDocument": {"uri": self.uri}})
            self.text = None
        elif kind in ("complete", "cancelled_complete"):
            params = {
                "textDocument": {"uri": self.uri},
                "position": self.position(operation[1]),
                "context": {"triggerKind": 2},
            }
            self.request("textDocument/inlineCompletion", params)
            if kind == "cancelled_complete":
                self.client.notify("$/cancelRequest", {"id": self.pending[-1]})
        elif kind == "hover":
            self.request(
                "textDocument/hover", {"textDocument": {"uri": self.uri}, "position": self.position(operation[1])}
            )
        elif kind == "symbol":
            self.request("workspace/symbol", {"query": operation[1]})
        elif kind == "explain":
            start, end = sorted(
                (self.position(operation[1]), self.position(operation[2])), key=lambda p: (p["line"], p["character"])
            )
            self.request(
                "workspace/executeCommand",
                {"command": "infill.explain", "arguments": [{"uri": self.uri, "range": {"start": start, "end": end}}]},
            )

    def mutated(self, target: str, value: Any, missing: bool) -> None:
        """A message with one field spoiled: the server must answer requests and survive."""
        position: Any = {"line": value, "character": 0}
        document: Any = {"uri": self.uri}
        if missing:
            position, document = {}, {}
        if target == "inline":
            self.request(
                "textDocument/inlineCompletion",
                {"textDocument": document, "position": position, "context": {"triggerKind": 2}},
            )
        elif target == "hover":
            self.request("textDocument/hover", {"textDocument": value if not missing else {}, "position": position})
        elif target == "symbol":
            self.request("workspace/symbol", {"query": value} if not missing else {})
        elif target == "execute":
            self.request(
                "workspace/executeCommand", {"command": "infill.explain", "arguments": [value] if not missing else []}
            )
        elif target == "open":
            self.client.notify(
                "textDocument/didOpen",
                {"textDocument": {"uri": value, "languageId": "python", "version": 1, "text": value}},
            )
        elif target == "change":
            self.client.notify(
                "textDocument/didChange",
                {
                    "textDocument": {"uri": self.uri, "version": value},
                    "contentChanges": [{"range": {"start": position, "end": position}, "text": "z"}],
                },
            )
            if self.text is not None and value is not None and isinstance(value, int) and 0 <= value:
                return  # a valid-looking edit at a line past the end: pygls clamps; the copy is re-read below
        elif target == "cancel":
            self.client.notify("$/cancelRequest", {"id": value})
        self.resync()

    def resync(self) -> None:
        """After a spoiled didChange the server's copy may differ from the model: take it as the
        new reference, after checking that the document is still served."""
        if self.text is None:
            return
        response = self.client.call("infill/document", {"uri": self.uri})
        self.text = response["result"]["text"]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(OPERATION, min_size=1, max_size=25))
def test_random_message_sequences_are_all_answered_and_documents_stay_in_sync(server, operations):
    run = Run(server)
    for operation in operations:
        run.apply(operation)
    run.answer_all()
    if run.text is not None:
        run.check_document()
        server.notify("textDocument/didClose", {"textDocument": {"uri": run.uri}})

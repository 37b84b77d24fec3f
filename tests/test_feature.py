"""Features are isolated: one that raises is logged, and the others go on."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from lsprotocol import types

from lsp_server.feature import DocumentEvent, Feature, FeatureSet
from lsp_server.settings import Settings

from conftest import lsp_session


class Recorder(Feature):
    name = "recorder"

    def __init__(self) -> None:
        self.events: list[str] = []

    def initialized(self) -> None:
        self.events.append("initialized")

    def settings_changed(self, settings: Settings) -> None:
        self.events.append("settings")

    def document_changed(self, document: DocumentEvent) -> None:
        self.events.append(f"changed {document.uri}")

    def shutdown(self) -> None:
        self.events.append("shutdown")


class Exploding(Feature):
    name = "exploding"

    def _explode(self, *args: object) -> None:
        raise ValueError("boom")

    initialized = settings_changed = document_changed = shutdown = _explode


def test_a_failing_feature_does_not_stop_the_others(caplog):
    recorder = Recorder()
    features = FeatureSet([Exploding(), recorder])
    with caplog.at_level(logging.ERROR, logger="lsp_server.feature"):
        features.initialized()
        features.settings_changed(Settings())
        features.document_changed(DocumentEvent("file:///a.py", Path("/a.py"), "x = 1\n", "python", 0))
        features.shutdown()
    assert recorder.events == ["initialized", "settings", "changed file:///a.py", "shutdown"]
    failures = [r for r in caplog.records if "feature exploding failed" in r.getMessage()]
    assert len(failures) == 4 and all(r.exc_info for r in failures)


def test_hooks_default_to_nothing():
    feature = Feature()
    feature.register()
    feature.initialized()
    feature.settings_changed(Settings())
    feature.document_opened(DocumentEvent("untitled:1", None, "", ""))
    feature.shutdown()


async def test_the_server_serves_with_a_failing_feature(test_model, tmp_path):
    """A real server whose first feature raises in every hook: completion, hover, workspace
    symbols and shutdown all still work."""
    (tmp_path / "shapes.py").write_text('def area(width, height):\n    """Area of a rectangle."""\n    return width * height\n')
    command = [sys.executable, str(Path(__file__).parent / "failing_feature_server.py")]
    async with lsp_session({"model": {"path": str(test_model)}}, tmp_path, server_command=command) as s:
        assert s.statuses[-1]["state"] == "ready"
        uri = (tmp_path / "main.py").as_uri()
        s.open(uri, "from shapes import area\n\nprint(area(2, 3))\n")
        s.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[types.TextDocumentContentChangePartial(
                    range=types.Range(start=types.Position(line=3, character=0), end=types.Position(line=3, character=0)),
                    text="x = ",
                )],
            )
        )
        result = await s.complete(uri, 3, 4)
        assert isinstance(result, types.InlineCompletionList)
        last = await s.last_completion()
        assert last["reason"] in ("model", "empty")
        symbols = await s.client.workspace_symbol_async(types.WorkspaceSymbolParams(query="area"))
        assert any(symbol.name == "area" for symbol in symbols or [])
        hover = await s.client.text_document_hover_async(
            types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=2, character=7))
        )
        assert hover is not None and "Area of a rectangle" in hover.contents.value

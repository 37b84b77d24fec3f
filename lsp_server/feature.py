"""The shape of a user-facing feature, and the set of them that the server drives.

A feature (completion, hover, explain, the workspace index) is a package that owns its
service, its threads and its LSP handlers. It is made with the server it serves and learns
about the server's life through the hooks below; each hook has a do-nothing default, so a
feature writes only the ones it needs.

The server calls every feature through `FeatureSet`: a feature whose hook raises is logged
and skipped, and the other features go on as if nothing happened.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from .settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocumentEvent:
    """An editor buffer that was opened, changed or closed (its text after the event)."""

    uri: str
    path: Path | None  # None for documents that are not files (untitled buffers)
    text: str
    language_id: str
    changed_line: int | None = None  # the line of the last incremental edit, when there was one


class Feature:
    """One feature of the server. Subclasses keep the server they were made with."""

    name = "feature"

    def register(self) -> None:
        """Register this feature's @feature / @command handlers on its server."""

    def initialized(self) -> None:
        """The client is initialized and the settings are known: start background work."""

    def settings_changed(self, settings: Settings) -> None:
        """New settings arrived (also once at start, before `initialized`)."""

    def document_opened(self, document: DocumentEvent) -> None: ...

    def document_changed(self, document: DocumentEvent) -> None: ...

    def document_closed(self, document: DocumentEvent) -> None: ...

    def shutdown(self) -> None:
        """Stop threads and close files; the process is about to exit."""


class FeatureSet:
    """The server's features, called in order; one feature's failure stays its own."""

    def __init__(self, features: list[Feature] | None = None) -> None:
        self.features: list[Feature] = list(features or [])

    def add(self, feature: Feature) -> None:
        self.features.append(feature)

    def initialized(self) -> None:
        self._each("initialized")

    def settings_changed(self, settings: Settings) -> None:
        self._each("settings_changed", settings)

    def document_opened(self, document: DocumentEvent) -> None:
        self._each("document_opened", document)

    def document_changed(self, document: DocumentEvent) -> None:
        self._each("document_changed", document)

    def document_closed(self, document: DocumentEvent) -> None:
        self._each("document_closed", document)

    def shutdown(self) -> None:
        self._each("shutdown")

    def _each(self, hook: str, *args: object) -> None:
        for feature in self.features:
            try:
                getattr(feature, hook)(*args)
            except Exception:
                log.exception("feature %s failed in %s; the other features go on", feature.name, hook)

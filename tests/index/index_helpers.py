"""Shared helpers for the index tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

from pathlib import Path

from lsp_server.index.extract import Extraction, extract
from lsp_server.index.languages import language_for_path, parser_for
from lsp_server.index.model import Symbol

FIXTURES = Path(__file__).parent / "fixtures"


def extract_file(path: Path) -> Extraction:
    spec = language_for_path(path)
    source = path.read_bytes()
    return extract(parser_for(spec).parse(source), source, spec)


def extract_text(name: str, text: str) -> Extraction:
    spec = language_for_path(name)
    source = text.encode("utf-8")
    return extract(parser_for(spec).parse(source), source, spec)


def symbols_of(extraction: Extraction, path: Path = Path("x"), language: str = "x") -> dict[str, Symbol]:
    """Symbols by qualified name (the fixtures have no duplicates)."""
    return {row[2]: Symbol(*row, path, language) for row in extraction.symbols}

"""The workspace index: tree-sitter symbols, imports and retrieval chunks of every source file.

Domain code only: nothing here imports pygls or lsprotocol. The server wires `WorkspaceIndex`
to LSP requests (workspace/symbol, didChange, didChangeWatchedFiles, progress).
"""

from .model import Chunk, FileEntry, Import, IndexStats, Symbol
from .workspace import WorkspaceIndex

__all__ = ["Chunk", "FileEntry", "Import", "IndexStats", "Symbol", "WorkspaceIndex"]

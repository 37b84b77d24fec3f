"""Read a GGUF file's metadata and tensor table, skipping the vocabulary fast.

gguf.GGUFReader builds a numpy view for every element of every array, which
takes seconds for a 50k-150k token vocabulary; planning GPU offload at load time
needs only scalars and the tensor table. This walks the header once over a
memory map (format: github.com/ggml-org/ggml/blob/master/docs/gguf.md) and keeps
array values only when they are short numeric lists (per-layer head counts).
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

MAGIC = b"GGUF"
# value type -> struct format of one scalar
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
SHORT_ARRAY = 4096  # numeric arrays up to this length are kept, longer ones only counted


class GGUFHeaderError(ValueError):
    pass


@dataclass(frozen=True)
class TensorInfo:
    name: str
    dims: tuple[int, ...]
    type: int
    n_bytes: int


@dataclass
class GGUFHeader:
    metadata: dict
    tensors: list[TensorInfo]
    # Those of the looked-for strings (read_gguf_header's `find_strings`) that some string
    # array holds: e.g. whether the vocabulary has FIM control tokens.
    found_strings: frozenset[str] = frozenset()


class _Cursor:
    def __init__(self, data, find_strings: frozenset[bytes] = frozenset()) -> None:
        self.data = data
        self.pos = 0
        self.find_strings = find_strings
        self.found: set[bytes] = set()

    def unpack(self, fmt: str):
        try:
            (value,) = struct.unpack_from(fmt, self.data, self.pos)
        except struct.error as exc:
            raise GGUFHeaderError(f"truncated GGUF header at byte {self.pos}") from exc
        self.pos += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        length = self.unpack("<Q")
        raw = self.data[self.pos : self.pos + length]
        if len(raw) != length:
            raise GGUFHeaderError(f"truncated GGUF string at byte {self.pos}")
        self.pos += length
        return bytes(raw).decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        length = self.unpack("<Q")  # not `pos += unpack()`: unpack moves pos itself
        self.pos += length

    def value(self, kind: int):
        if kind in _SCALARS:
            return self.unpack(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            return self.array()
        raise GGUFHeaderError(f"unknown GGUF value type {kind}")

    def array(self):
        kind = self.unpack("<I")
        count = self.unpack("<Q")
        if kind == _STRING:
            if self.find_strings:
                for _ in range(count):
                    length = self.unpack("<Q")
                    if length < 64 and bytes(self.data[self.pos : self.pos + length]) in self.find_strings:
                        self.found.add(bytes(self.data[self.pos : self.pos + length]))
                    self.pos += length
            else:
                for _ in range(count):
                    self.skip_string()
            return range(count)  # only its length is of use here
        if kind in _SCALARS:
            size = struct.calcsize(_SCALARS[kind])
            if count <= SHORT_ARRAY:
                values = list(struct.unpack_from(f"<{count}{_SCALARS[kind][1]}", self.data, self.pos))
                self.pos += size * count
                return values
            self.pos += size * count
            return range(count)
        return [self.value(kind) for _ in range(count)]  # nested arrays: rare and short


def tensor_bytes(dims: tuple[int, ...], kind: int) -> int:
    block, size = GGML_QUANT_SIZES[GGMLQuantizationType(kind)]
    elements = 1
    for dim in dims:
        elements *= dim
    return elements // block * size


def read_gguf_header(path: str | Path, find_strings: frozenset[str] = frozenset()) -> GGUFHeader:
    """The metadata and tensor table; `find_strings`: strings to look for in string arrays
    (the vocabulary), reported in `found_strings`."""
    wanted = frozenset(s.encode("utf-8") for s in find_strings)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        cursor = _Cursor(data, wanted)
        if bytes(data[:4]) != MAGIC:
            raise GGUFHeaderError(f"not a GGUF file: {path}")
        cursor.pos = 4
        version = cursor.unpack("<I")
        if version < 2:
            raise GGUFHeaderError(f"GGUF version {version} is too old: {path}")
        n_tensors = cursor.unpack("<Q")
        n_kv = cursor.unpack("<Q")
        metadata = {}
        for _ in range(n_kv):
            key = cursor.string()
            metadata[key] = cursor.value(cursor.unpack("<I"))
        tensors = []
        for _ in range(n_tensors):
            name = cursor.string()
            n_dims = cursor.unpack("<I")
            dims = tuple(cursor.unpack("<Q") for _ in range(n_dims))
            kind = cursor.unpack("<I")
            cursor.unpack("<Q")  # offset into the data section
            tensors.append(TensorInfo(name, dims, kind, tensor_bytes(dims, kind)))
        found = frozenset(b.decode("utf-8") for b in cursor.found)
        return GGUFHeader(metadata, tensors, found)

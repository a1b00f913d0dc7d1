"""A reader for compiled Qt resource files (.rcc), the form in which GCompris ships its photos.

The format (Qt's `rcc` binary output, versions 1-3): a 20-byte header ("qres", version, and the
offsets of the tree, data and names sections), a tree of fixed-size nodes (directories list
their children; files point into the data section), names stored as UTF-16 with a hash, and
data blocks prefixed by their size, zlib-compressed when a node's flag says so.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

_COMPRESSED = 0x01
_DIRECTORY = 0x02
_COMPRESSED_ZSTD = 0x04


class RccError(ValueError):
    """A file that is not a readable Qt resource file."""


@dataclass(frozen=True)
class RccEntry:
    """One file inside a resource file: where its bytes are and how they are stored."""

    path: str
    offset: int
    flags: int


def list_entries(path: Path) -> list[RccEntry]:
    """Every file in a resource file, by its resource path (e.g. `/gcompris/src/...`).

    Raises:
        RccError: the file is not a Qt resource file.
    """
    blob = path.read_bytes()
    if blob[:4] != b"qres" or len(blob) < 20:
        raise RccError(f"{str(path)!r} is not a Qt resource file (no 'qres' header)")
    version, tree, data, names = struct.unpack(">IIII", blob[4:20])
    node_size = 14 if version == 1 else 22

    def name_at(offset: int) -> str:
        (length,) = struct.unpack(">H", blob[names + offset:names + offset + 2])
        start = names + offset + 6  # length (2 bytes), hash (4 bytes), then UTF-16 text
        return blob[start:start + 2 * length].decode("utf-16-be")

    entries: list[RccEntry] = []
    stack = [(0, "")]
    while stack:
        index, prefix = stack.pop()
        node = tree + index * node_size
        name_offset, flags = struct.unpack(">IH", blob[node:node + 6])
        name = name_at(name_offset) if index else ""
        if flags & _DIRECTORY:
            count, first = struct.unpack(">II", blob[node + 6:node + 14])
            stack.extend((child, f"{prefix}{name}/") for child in range(first, first + count))
        else:
            (data_offset,) = struct.unpack(">I", blob[node + 10:node + 14])
            entries.append(RccEntry(f"{prefix}{name}", data + data_offset, flags))
    return sorted(entries, key=lambda e: e.path)


def read_entry(path: Path, entry: RccEntry) -> bytes:
    """The bytes of one file in a resource file, decompressed.

    Raises:
        RccError: the entry is zstd-compressed (not supported) or its zlib data is corrupt.
    """
    with open(path, "rb") as handle:
        handle.seek(entry.offset)
        (size,) = struct.unpack(">I", handle.read(4))
        raw = handle.read(size)
    if entry.flags & _COMPRESSED_ZSTD:
        raise RccError(f"{entry.path} in {path.name} is zstd-compressed; not supported")
    if entry.flags & _COMPRESSED:
        try:
            return zlib.decompress(raw[4:])  # after the 4-byte uncompressed size
        except zlib.error as error:
            raise RccError(f"{entry.path} in {path.name}: {error}") from error
    return raw

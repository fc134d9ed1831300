"""How a resource's JSON is kept in SQLite: large values compressed, small ones as is.

Events carry a 21-entry history and check output, about 2 KB of very repetitive JSON; stored
plainly a row outgrows a third of a 4 KB page and each event takes a page of its own (4.2 KB
on disk). Zstandard at level 1 shrinks it about 3x, as zlib at level 1 did, for a third of
zlib's time on the writer thread and half of it per read (measured on 2 KB events: 9 vs 30
µs to compress, 4.5 vs 10 µs to decompress). PostgreSQL needs none of this: it compresses
large values itself (TOAST).

A value is told apart by its first bytes, so no flag is stored: a zstd frame starts with
its magic number (``28 b5 2f fd``), rows compressed by earlier versions with zlib's header
byte ``x`` (0x78); JSON text never starts with either, so anything else is stored plainly
(small values, or rows from before compression).

Compression contexts are reused (creating one per value doubled the cost), one per thread,
as zstd's are not safe to share between threads.
"""

from __future__ import annotations

import threading
import zlib

import zstandard

THRESHOLD = 1024  # bytes of JSON; below this a row fits a page's share anyway
LEVEL = 1
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_ZLIB = b"x"
_contexts = threading.local()


def _compressor() -> zstandard.ZstdCompressor:
    compressor: zstandard.ZstdCompressor | None = getattr(_contexts, "compressor", None)
    if compressor is None:
        compressor = _contexts.compressor = zstandard.ZstdCompressor(level=LEVEL)
    return compressor


def _decompressor() -> zstandard.ZstdDecompressor:
    decompressor: zstandard.ZstdDecompressor | None = getattr(_contexts, "decompressor", None)
    if decompressor is None:
        decompressor = _contexts.decompressor = zstandard.ZstdDecompressor()
    return decompressor


def pack(value: bytes) -> bytes:
    if len(value) < THRESHOLD:
        return value
    packed = _compressor().compress(value)
    return packed if len(packed) < len(value) else value


def unpack(stored: bytes) -> bytes:
    if stored[:4] == _ZSTD_MAGIC:
        return _decompressor().decompress(stored)
    if stored[:1] == _ZLIB:
        return zlib.decompress(stored)
    return stored

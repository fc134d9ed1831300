"""How a resource's JSON is kept in SQLite: large values zlib-compressed, small ones as is.

Events carry a 21-entry history and check output, about 2 KB of very repetitive JSON; stored
plainly a row outgrows a third of a 4 KB page and each event takes a page of its own (4.2 KB
on disk). Level 1 shrinks it about 3x. PostgreSQL needs none of this: it compresses large
values itself (TOAST).

The compressor's window and hash table are kept small (16 KB, memory level 4): zlib's
defaults allocate ~270 KB per call, which the C library maps fresh and the kernel zeroes
page by page, and that cost ~3x the compression itself on a 2 KB value; the output is the
same size.

A compressed value starts with zlib's header byte: ``h`` (0x68) for this window, ``x``
(0x78) for rows written before with the default one. JSON text never starts with either, so
values stored plainly (small ones, or rows from before) are told apart without a flag.
"""

from __future__ import annotations

import zlib

from vigil.store.base import Delete, Put

THRESHOLD = 1024  # bytes of JSON; below this a row fits a page's share anyway
LEVEL = 1
WINDOW_BITS = 14  # header byte b"h"; zlib.decompress (window 15) reads any smaller window
MEMORY_LEVEL = 4
_COMPRESSED = (b"h", b"x")


def pack(value: bytes) -> bytes:
    if len(value) < THRESHOLD:
        return value
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, WINDOW_BITS, MEMORY_LEVEL)
    packed = compressor.compress(value) + compressor.flush()
    return packed if len(packed) < len(value) else value


def unpack(stored: bytes) -> bytes:
    return zlib.decompress(stored) if stored[:1] in _COMPRESSED else stored


def packed_op(op: Put | Delete) -> Put | Delete:
    """The op as the SQLite writer stores it."""
    if isinstance(op, Delete) or len(op.value) < THRESHOLD:
        return op
    return Put(op.kind, op.namespace, op.name, pack(op.value), op.fields, op.labels,
               op.if_revision)  # fmt: skip

"""How a resource's JSON is kept in SQLite: large values zlib-compressed, small ones as is.

Events carry a 21-entry history and check output, about 2 KB of very repetitive JSON; stored
plainly a row outgrows a third of a 4 KB page and each event takes a page of its own (4.2 KB
on disk). Level 1 shrinks it about 3x for ~20 µs on the writer thread and ~10 µs per read.
PostgreSQL needs none of this: it compresses large values itself (TOAST).

A compressed value starts with zlib's header byte ``x`` (0x78); JSON text never does, so
values stored plainly (small ones, or rows from before) are told apart without a flag.
"""

from __future__ import annotations

import zlib

THRESHOLD = 1024  # bytes of JSON; below this a row fits a page's share anyway


def pack(value: bytes) -> bytes:
    if len(value) < THRESHOLD:
        return value
    packed = zlib.compress(value, 1)
    return packed if len(packed) < len(value) else value


def unpack(stored: bytes) -> bytes:
    return zlib.decompress(stored) if stored[:1] == b"x" else stored

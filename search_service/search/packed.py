"""Values a process keeps many of, as one compact bytes object each (marshal, then zstd).

The response cache keeps hundreds of results per worker. As objects, a result at
100,000 articles (ten hits with their strings, a few hundred facet values) was about
16 KB in some two hundred allocations, scattered over heap pages that a cache turning
over then keeps from being given back; packed it is about 4 KB in one. Unpacking
costs some 25 µs, against a request's few hundred (docs/serving-speed.md, "Cached responses
packed into one bytes object").

`marshal` reads back what this process wrote: nothing here comes from outside. What
is packed must be built of Python's own types (tuples, str, int, float, bool, None):
marshal refuses a subclass of them, and writes any other object that exposes a buffer
(a numpy scalar) as its raw bytes (tests/search/test_compiled_view_search.py checks a
cached answer's types on both ways of searching). zstd at level 1 halves a result in
about 20 µs; zlib took four times longer to compress and half again as long to read
back, for the same size. zstd's compressors and decompressors are not thread-safe:
each thread has its own.
"""

from __future__ import annotations

import marshal
import threading
from typing import Any, Final

import zstandard

#: zstd's fastest regular level: a packed result is about half its marshalled size.
LEVEL: Final = 1


class _Codecs(threading.local):
    """This thread's zstd compressor and decompressor (made at its first use of them)."""

    def __init__(self) -> None:
        self.compressor = zstandard.ZstdCompressor(level=LEVEL)
        self.decompressor = zstandard.ZstdDecompressor()


_codecs: Final = _Codecs()


def pack(value: Any) -> bytes:
    """`value` (built of Python's own types only) as compact bytes.

    Copied once compressed: zstandard's `compress` returns a bytes object that keeps
    the allocation of the largest size its input could compress to, about the input's
    own size, whatever the size it came to.
    """
    return bytes(memoryview(_codecs.compressor.compress(marshal.dumps(value))))


def unpack(packed: bytes) -> Any:
    """The value `pack` made `packed` of (new objects at each call)."""
    return marshal.loads(_codecs.decompressor.decompress(packed))

"""What the response cache keeps: values packed into one compact bytes object each."""

from __future__ import annotations

import marshal
import sys
import threading
import tracemalloc

from search_service.search import packed

RESULT = (
    (
        (
            "a1",
            "Teachers strike",
            None,
            "2024-05-01",
            2024,
            "en",
            ("Benin",),
            (),
            "…<mark>x</mark>",
            1.5,
        ),
    ),
    (("country", (("Benin", "Togo"), (3, 1), None)), ("year", (("2024",), (4,), (True,)))),
)


def test_a_packed_value_unpacks_to_the_same_value_with_its_types() -> None:
    again = packed.unpack(packed.pack(RESULT))
    assert again == RESULT
    [hit] = again[0]
    assert type(hit[6]) is tuple and hit[2] is None and type(hit[9]) is float


def test_each_unpacking_makes_new_objects() -> None:
    data = packed.pack(RESULT)
    assert packed.unpack(data) is not packed.unpack(data)
    assert packed.unpack(data)[0] is not packed.unpack(data)[0]


def test_a_packed_value_is_compressed() -> None:
    repetitive = tuple(("teachers and their unions", i) for i in range(200))
    assert len(packed.pack(repetitive)) < len(marshal.dumps(repetitive)) / 4


def test_a_packed_value_holds_no_more_memory_than_its_bytes() -> None:
    repetitive = tuple(("teachers and their unions", i) for i in range(2000))
    packed.pack(())  # this thread's codecs made first: they are not what is measured
    tracemalloc.start()
    try:
        kept = packed.pack(repetitive)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held <= sys.getsizeof(kept) + 256


def test_each_thread_packs_with_codecs_of_its_own() -> None:
    """zstd's compressors and decompressors are not thread-safe."""
    seen: list[object] = []

    def note_codecs() -> None:
        assert packed.unpack(packed.pack(RESULT)) == RESULT
        seen.extend([packed._codecs.compressor, packed._codecs.decompressor])

    threads = [threading.Thread(target=note_codecs) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(codec) for codec in seen}) == 6

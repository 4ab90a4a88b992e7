"""A segment's postings as arrays, handed by the writer that wrote it to the view's compile.

Compiling the serving view (`compiled_view`) reads every posting of every segment
back from Whoosh's format, a term at a time (its term record, its pickled blocks):
at 5,000 articles about 1.2 s of CPU, three fifths of it on the bodies' exact words.
Those postings were in the writer's memory, as columns, a moment before it wrote
them. So a writer that writes a segment from its pool in memory
(`writer.FastSegmentWriter`) also writes the postings of the view's text fields as
arrays (`SegmentPostings`: terms, each term's count, document numbers, weights and,
for the exact fields, positions), in `PARTS_FOLDER/<segment id>` of the index
folder (`flat_arrays`); `compiled_view` takes a segment's postings from there and
decodes only the segments without them (written by Whoosh's own path or from a
spilled pool, copied from the live generation, or built before this existed).

The view is the same file either way (tests/index/test_view_parts.py), and the
build's check still compares it with Whoosh's own readers. A field whose postings a
part could misstate (a format without raw positions, a posting Whoosh would skip)
is left out of the part, and decoded. The folder lives only between the writing and
the compile: `remove_parts` deletes it before the generation's files are recorded.
The compile's worker processes hand what they compiled over in the same folder
(`compiled_view`: files named `field.<name>` and `texts.<segment number>`, which no
segment id can be), so until the view is written it holds about as much as the view
again, written without fsync.
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from search_service.index import flat_arrays
from search_service.index.schema import RawPositions, TermPostings
from search_service.index.view import TEXT_FIELDS

#: The folder, inside an index's folder, of its segments' parts (`parts_folder`).
PARTS_FOLDER: Final = "view-parts"
#: Bump when a part's arrays or their meaning change: a part of another version is
#: not used (its segment is decoded).
PARTS_VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class FieldPart:
    """One text field of one segment: its terms in order, each one's postings in turn.

    `ids` are the segment's own document numbers; `positions` (exact fields only) are
    every posting's positions one after the other, as many for a posting as its weight.
    """

    terms: list[bytes]
    counts: npt.NDArray[np.int64]
    ids: npt.NDArray[np.int32]
    tf: npt.NDArray[np.float32]
    positions: npt.NDArray[np.uint32] | None


class SegmentPostings:
    """Keeps the view's text fields' postings as a segment's terms go by to be written.

    Each term's postings are copied into arrays right after the codec has written them
    (`passing` resumes then), while their objects are still in the cache: gathered at
    the end instead, from a pool of a million postings spread over the heap, the
    same copies cost about three times as much.
    """

    def __init__(self, schema: Any, index_folder: Path) -> None:
        self._folder = parts_folder(index_folder)
        self._with_positions = {
            name: schema[name].format.supports("positions")
            for name in TEXT_FIELDS
            if name in schema and _usable_format(schema[name].format)
        }
        self._fields: dict[str, _FieldArrays] = {}

    def passing(self, columns: Iterable[TermPostings]) -> Iterator[TermPostings]:
        """`columns`, unchanged, keeping those of the view's fields on the way."""
        current: str | None = None
        kept: _FieldArrays | None = None
        for item in columns:
            fieldname = item[0]
            if fieldname != current:
                current = fieldname
                kept = None
                if fieldname in self._with_positions:
                    kept = self._fields.setdefault(
                        fieldname, _FieldArrays(self._with_positions[fieldname])
                    )
            yield item
            if kept is not None:
                kept.add(item)

    def write(self, segment_id: str, doc_count: int) -> None:
        """Write the part of segment `segment_id` (its `doc_count` documents): every view
        field of the schema, those without a term in this segment too (an empty field
        read from its part spares the compile reading the segment's whole term table)."""
        arrays: dict[str, npt.NDArray[Any]] = {}
        fields: list[str] = []
        for fieldname, with_positions in self._with_positions.items():
            kept = self._fields.get(fieldname) or _FieldArrays(with_positions)
            part = kept.part()
            if part is None:
                continue
            fields.append(fieldname)
            arrays.update(_field_arrays(fieldname, part))
        meta = {"parts_version": PARTS_VERSION, "doc_count": doc_count, "fields": fields}
        flat_arrays.write_arrays(self._folder, segment_id, arrays, meta, durable=False)


class _FieldArrays:
    """One field's postings, term after term, as arrays."""

    def __init__(self, with_positions: bool) -> None:
        self.with_positions = with_positions
        self.terms: list[bytes] = []
        self.counts = array("q")
        self.ids = array("i")
        self.tf = array("f")
        self.positions: list[bytes] = []
        self.usable = True

    def add(self, item: TermPostings) -> None:
        """Copy one term's postings (as `_FieldWriter.add_term_columns` takes them)."""
        _, btext, ids, weights, values = item
        if ids[0] == -1:  # a posting Whoosh's writer skips
            self.usable = False
            return
        self.terms.append(btext)
        self.counts.append(len(ids))
        self.ids.extend(ids)
        self.tf.extend(weights)
        if self.with_positions:
            try:
                self.positions.append(b"".join(values))  # type: ignore[arg-type]
            except TypeError:  # a posting without its positions (None): decoded instead
                self.usable = False

    def part(self) -> FieldPart | None:
        """The field's postings as arrays; None when decoding the segment must say them."""
        if not self.usable:
            return None
        positions = None
        if self.with_positions:
            data = b"".join(self.positions)
            if len(data) % 4:
                return None  # not whole uint32 positions: decoded instead
            positions = np.frombuffer(data, dtype="<u4").astype(np.uint32, copy=False)
        return FieldPart(
            self.terms,
            np.frombuffer(self.counts, dtype=np.int64),
            np.frombuffer(self.ids, dtype=np.int32),
            np.frombuffer(self.tf, dtype=np.float32),
            positions,
        )


def _usable_format(fmt: Any) -> bool:
    """Whether a part can hold this format's postings as the segment's blocks do: raw
    positions (read back by `numpy.frombuffer`), or none at all."""
    return isinstance(fmt, RawPositions) or not fmt.supports("positions")


def _field_arrays(fieldname: str, part: FieldPart) -> dict[str, npt.NDArray[Any]]:
    """A field's part as the arrays of the part's file (its terms end to end)."""
    lengths = np.fromiter(map(len, part.terms), dtype=np.int64, count=len(part.terms))
    starts = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    arrays: dict[str, npt.NDArray[Any]] = {
        f"{fieldname}.terms": np.frombuffer(b"".join(part.terms), dtype=np.uint8),
        f"{fieldname}.term_starts": starts,
        f"{fieldname}.counts": part.counts,
        f"{fieldname}.ids": part.ids,
        f"{fieldname}.tf": part.tf,
    }
    if part.positions is not None:
        arrays[f"{fieldname}.positions"] = part.positions
    return arrays


_Opened = tuple[dict[str, npt.NDArray[Any]], dict[str, Any]]


class SegmentParts:
    """The parts an index folder holds, read by segment and field (None: decode it)."""

    def __init__(self, index_folder: Path) -> None:
        self._folder = parts_folder(index_folder)
        self._opened: dict[str, _Opened | None] = {}

    def field(self, segment_id: str, doc_count: int, fieldname: str) -> FieldPart | None:
        """The part of one field of a segment of `doc_count` documents, when its writer
        left one (a part of another segment count, version or field: None)."""
        opened = self._open(segment_id)
        if opened is None:
            return None
        arrays, meta = opened
        if (
            meta.get("parts_version") != PARTS_VERSION
            or meta.get("doc_count") != doc_count
            or fieldname not in meta.get("fields", ())
        ):
            return None
        blob = arrays[f"{fieldname}.terms"].tobytes()
        starts = arrays[f"{fieldname}.term_starts"].tolist()
        return FieldPart(
            terms=[blob[start:end] for start, end in itertools.pairwise(starts)],
            counts=arrays[f"{fieldname}.counts"],
            ids=arrays[f"{fieldname}.ids"],
            tf=arrays[f"{fieldname}.tf"],
            positions=arrays.get(f"{fieldname}.positions"),
        )

    def _open(self, segment_id: str) -> _Opened | None:
        """A segment's part file, mapped once for all its fields (None: there is none
        that can be read)."""
        if segment_id not in self._opened:
            opened = None
            if flat_arrays.exists(self._folder, segment_id):
                with contextlib.suppress(flat_arrays.FlatArraysError):  # decoded instead
                    opened = flat_arrays.open_arrays(self._folder, segment_id)
            self._opened[segment_id] = opened
        return self._opened[segment_id]


def parts_folder(index_folder: Path) -> Path:
    """Where the writers leave their parts, and the view's compile its processes' work."""
    return Path(index_folder) / PARTS_FOLDER


def remove_parts(index_folder: Path) -> None:
    """Delete the parts of an index folder, and what the compile's processes handed over
    there, once its view is compiled. (A part left behind would still be right: a
    segment never changes but for deletions, which the compile takes from the index, and
    a part is used only for the segment it names.)"""
    shutil.rmtree(parts_folder(index_folder), ignore_errors=True)

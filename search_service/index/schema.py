"""The Whoosh schema, and how an article becomes an index document.

The schema is the contract between the build and the search core (the table in
docs/architecture.md). Text goes only into its own language's `title_xx`/`body_xx`
fields (stemmed) and into `title_exact`/`body_exact` for every article (folded,
unstemmed). No field boost is set at index time: the search core weights title
against body at query time, where it can be tuned without a rebuild.

The exact fields use the `RawPositions` format (phrases and proximity need
positions), the stemmed fields `TermListFrequency` (only scored): at indexing
time both take the analyzer's fast path (`terms()`: a regex and a cached dict
lookup per word) instead of Whoosh's token stream, in whichever process writes
(both writer processes of a parallel build); the analyzers' Whoosh protocol gives
the same terms for query parsing. A field value may also be a ready list of terms.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import operator
import struct
import sys
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pickle import dumps
from typing import Any, Final

from whoosh import columns, fields, formats
from whoosh.codec.whoosh3 import (
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3PostingsWriter,
    W3TermInfo,
    _lenfield,
)
from whoosh.filedb.filetables import OrderedHashWriter, md5_hash
from whoosh.filedb.structfile import StructFile
from whoosh.system import pack_int, pack_long, pack_uint, pack_ushort
from whoosh.util.numeric import length_to_byte

from search_service.analysis import BaseAnalyzer, language_analyzer, neutral_analyzer
from search_service.articles import LANGUAGES, Article

#: Bump when what is indexed changes without the schema's shape changing (the
#: analysis rules, say); a schema or version change makes the next build full.
#: 3: the exact fields' positions stored as raw little-endian uint32 (`RawPositions`).
SCHEMA_VERSION: Final = 3
#: Pickle protocol of posting blocks (see `_PostingsWriter`).
_BLOCK_PICKLE_PROTOCOL: Final = 4

STORED_FIELDS: Final = ("title", "body", "url", "summary", "source", "checksum")
TEXT_FIELDS: Final = tuple(f"{part}_{lang}" for lang in LANGUAGES for part in ("title", "body"))
EXACT_FIELDS: Final = ("title_exact", "body_exact")
FACET_FIELDS: Final = ("language", "country", "partner", "year")
#: Multi-valued facets are stored as canonical names joined by this separator.
VALUE_SEPARATOR: Final = ","


def make_schema() -> fields.Schema:
    """The one schema of every generation (see the table in docs/architecture.md)."""
    schema_fields: dict[str, fields.FieldType] = {
        "id": fields.ID(stored=True, unique=True),
        "date": fields.STORED(),
        "date_sort": fields.COLUMN(columns.NumericColumn("i", default=0)),
        "year": fields.NUMERIC(numtype=int, bits=32, stored=True, sortable=True, shift_step=0),
        "language": fields.ID(stored=True, sortable=True),
        "country": _facet_keyword(),
        "partner": _facet_keyword(),
    }
    for name in STORED_FIELDS:
        schema_fields[name] = fields.STORED()
    for lang in LANGUAGES:
        analyzer = language_analyzer(lang)
        schema_fields[f"title_{lang}"] = _text(analyzer, positions=False)
        schema_fields[f"body_{lang}"] = _text(analyzer, positions=False)
    for name in EXACT_FIELDS:
        schema_fields[name] = _text(neutral_analyzer(), positions=True)
    return fields.Schema(**schema_fields)


def _text(analyzer: Any, positions: bool) -> fields.TEXT:
    """A text field whose postings our formats encode; with positions, phrase-searchable."""
    field = fields.TEXT(analyzer=analyzer, phrase=positions)
    kind = RawPositions if positions else TermListFrequency
    field.format = kind(field_boost=field.format.field_boost)
    return field


def _facet_keyword() -> fields.KEYWORD:
    return fields.KEYWORD(stored=True, commas=True, scorable=False, lowercase=False)


def schema_fingerprint(schema: fields.Schema | None = None) -> str:
    """A short digest of the schema's shape and `SCHEMA_VERSION`.

    Kept in each generation's manifest: when it differs from the code's, an
    incremental build cannot reuse that generation and builds everything afresh.
    """
    schema = schema or make_schema()
    shape = [
        [
            name,
            type(field).__name__,
            bool(field.stored),
            bool(getattr(field, "unique", False)),
            bool(field.sortable if hasattr(field, "sortable") else field.column_type),
            type(field.format).__name__ if field.format else None,
            repr(getattr(field, "analyzer", None)) if field.format else None,
            getattr(field, "shift_step", None),  # a NUMERIC's terms a value: 1, or 32 / step
        ]
        for name, field in sorted(schema.items())
    ]
    payload = json.dumps({"version": SCHEMA_VERSION, "fields": shape}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def facet_value(names: tuple[str, ...]) -> str:
    """Canonical names joined for a KEYWORD field (a comma inside a name would split it)."""
    return VALUE_SEPARATOR.join(name.replace(VALUE_SEPARATOR, " ").strip() for name in names)


def article_document(article: Article) -> dict[str, Any]:
    """The Whoosh document of one article: stored facts, facets, and its text.

    The text goes to its language's fields and the exact fields; the fields'
    format analyses it (see `TermListPositions`).

    Optional facts (date, year, url, summary, countries, partners) are left out
    when unknown rather than stored empty, so readers use `.get`.
    """
    document: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "source": str(article.source),
        "checksum": article.checksum,
        "language": article.language,
        "date_sort": article.date.toordinal() if article.date else 0,
        f"title_{article.language}": article.title,
        f"body_{article.language}": article.body,
        "title_exact": article.title,
        "body_exact": article.body,
    }
    optional: dict[str, Any] = {
        "date": article.date.isoformat() if article.date else None,
        "year": article.year,
        "url": article.url,
        "summary": article.summary,
        "country": facet_value(article.countries) if article.countries else None,
        "partner": facet_value(article.partners) if article.partners else None,
    }
    document.update({key: value for key, value in optional.items() if value is not None})
    return document


def split_facet_value(value: str | None) -> list[str]:
    """The canonical names stored in a `country`/`partner` field."""
    if not value:
        return []
    return [name for name in (part.strip() for part in value.split(VALUE_SEPARATOR)) if name]


# --- faster writing ------------------------------------------------------------------
# Whoosh spends most of a build in pure-Python per-posting and per-term work. These
# subclasses keep Whoosh's on-disk format (readers see plain `Positions` postings
# and W3 segments) and only take work out of the write path; their classes are
# pickled into the index, so keep them at this path.


def _positions_by_term(terms: list[str]) -> dict[str, list[int]]:
    """Each term's positions in `terms`, in order, the terms in the order of their first use."""
    positions: dict[str, list[int]] = {}
    for position, term in enumerate(terms):
        found = positions.get(term)
        if found is None:
            positions[term] = [position]
        else:
            found.append(position)
    return positions


#: A document's postings in a field as columns: its terms, their frequencies, weights and
#: encoded values.
DocumentTerms = tuple[list[str], list[int], list[float], list[bytes]]


class TermListPositions(formats.Positions):  # type: ignore[misc]
    """`Positions`, with a fast path for our analyzers and for ready term lists.

    Same postings as `Positions.word_values` gives for the same terms (position
    deltas, pickled), without a `Token` object per word. The exact fields of
    generations built before schema version 3 (their schema pickles this class);
    new ones use `RawPositions`.
    """

    def word_values(
        self, value: Any, analyzer: Any, **kwargs: Any
    ) -> Iterator[tuple[str, int, float, bytes]]:
        terms = _term_list(value, analyzer)
        if terms is None:
            yield from super().word_values(value, analyzer, **kwargs)
            return
        positions = _positions_by_term(terms)
        boost = self.field_boost
        for term, where in positions.items():
            count = len(where)
            deltas = (
                where if count == 1 else [where[0], *(b - a for a, b in itertools.pairwise(where))]
            )
            yield term, count, count * boost, pack_uint(count) + dumps(deltas, 2)


#: The array type code of a 4-byte unsigned int (positions are stored as uint32).
_UINT32: Final = next(code for code in "IL" if array(code).itemsize == 4)
_LITTLE_ENDIAN: Final = sys.byteorder == "little"


class RawPositions(formats.Positions):  # type: ignore[misc]
    """Positions as raw little-endian uint32 values, one after the other.

    Whoosh's `Positions` pickles a list of position deltas per posting; reading
    them back costs a `pickle.loads` per posting, which is what compiling the
    serving view of a large generation would spend most of its time on. Raw
    values are written without pickling, and a posting block's positions are
    read in one `numpy.frombuffer` (`compiled_view`). The frequency is the
    number of values. Whoosh's readers decode them through this class (it is
    pickled into the schema), so phrase queries on the segments still work.
    Generations written before (`TermListPositions`) keep their own format.
    """

    def word_values(
        self, value: Any, analyzer: Any, **kwargs: Any
    ) -> Iterator[tuple[str, int, float, bytes]]:
        terms = _term_list(value, analyzer)
        if terms is None:
            yield from super().word_values(value, analyzer, **kwargs)
            return
        yield from zip(*self.term_columns(terms), strict=True)

    def term_columns(self, terms: list[str]) -> DocumentTerms:
        """`word_values` of analysed `terms`, as columns (`index.writer` pools them at once)."""
        positions = _positions_by_term(terms)
        counts = list(map(len, positions.values()))
        boost = self.field_boost
        weights = [count * boost for count in counts]
        return list(positions), counts, weights, list(map(self.encode, positions.values()))

    def encode(self, poslist: list[int]) -> bytes:
        values = array(_UINT32, poslist)
        if not _LITTLE_ENDIAN:
            values.byteswap()
        return values.tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return list(struct.unpack(f"<{len(valuestring) // 4}I", valuestring))

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // 4

    def decode_weight(self, valuestring: bytes) -> float:
        return float(self.decode_frequency(valuestring) * self.field_boost)

    def decode_position_boosts(self, valuestring: bytes) -> list[tuple[int, int]]:
        return [(position, 1) for position in self.decode_positions(valuestring)]

    def combine(self, vs: list[bytes]) -> bytes:
        merged: set[int] = set()
        for valuestring in vs:
            merged.update(self.decode_positions(valuestring))
        return self.encode(sorted(merged))


class TermListFrequency(formats.Frequency):  # type: ignore[misc]
    """`Frequency`, with the same fast path as `RawPositions`.

    The stemmed fields are only ever scored (phrases and proximity use the exact
    fields), so they keep no positions: a quarter fewer bytes to pickle and write.
    """

    def word_values(
        self, value: Any, analyzer: Any, **kwargs: Any
    ) -> Iterator[tuple[str, int, float, bytes]]:
        terms = _term_list(value, analyzer)
        if terms is None:
            yield from super().word_values(value, analyzer, **kwargs)
            return
        yield from zip(*self.term_columns(terms), strict=True)

    def term_columns(self, terms: list[str]) -> DocumentTerms:
        """`word_values` of analysed `terms`, as columns (`index.writer` pools them at once)."""
        counted = Counter(terms)
        counts = list(counted.values())
        boost = self.field_boost
        weights = [count * boost for count in counts]
        return list(counted), counts, weights, list(map(pack_uint, counts))


def _term_list(value: Any, analyzer: Any) -> list[str] | None:
    """The terms of a field value by our analyzers' fast path (None: Whoosh's way)."""
    if isinstance(value, str) and isinstance(analyzer, BaseAnalyzer):
        return analyzer.terms(value)
    return value if isinstance(value, list) else None


class _PostingsWriter(W3PostingsWriter):  # type: ignore[misc]
    """W3 postings writer without per-posting type assertions, pickling blocks faster.

    Whoosh pickles each posting block with protocol 2, where every bytes value (a
    posting's positions) becomes a call of `_codecs.encode` to replay: a block of
    128 postings took 42 µs to unpickle. Protocol 4 stores bytes as bytes (7 µs);
    Whoosh's readers unpickle any protocol, so the format is otherwise the same.
    """

    def add_posting(
        self, id_: int, weight: float, vbytes: bytes, length: int | None = None
    ) -> None:
        if len(self._ids) >= self._blocklimit:
            self._write_block()
        self._ids.append(id_)
        self._weights.append(weight)
        block: Any = self  # Whoosh sets these block statistics in `_new_block`
        if weight > block._maxweight:
            block._maxweight = weight
        if vbytes:
            self._values.append(vbytes)
        if length:
            if block._minlength is None or length < block._minlength:
                block._minlength = length
            if length > block._maxlength:
                block._maxlength = length

    def add_term_postings(
        self,
        ids: list[int],
        weights: list[float],
        values: list[bytes | None],
        lengths: list[int],
    ) -> None:
        """One term's postings, one by one (`lengths`: the field's length of each
        document): the way for what `term_bytes` does not write (compressed or inlined
        postings, which our codec does not make)."""
        known = len(lengths)
        for docnum, weight, value in zip(ids, weights, values, strict=True):
            self.add_posting(docnum, weight, value or b"", lengths[docnum] if docnum < known else 0)

    def term_bytes(
        self,
        ids: list[int],
        weights: list[float],
        values: list[bytes | None],
        lengths: list[int],
        format_: Any,
        offset: int,
    ) -> tuple[bytes, bytes] | None:
        """One term's postings (its documents, weights and values) as they go into the
        postings file at `offset`, and its term info: what `start_postings`,
        `add_posting`, `finish_postings` and the term info's `to_bytes` make, without a
        call per block (None: compressed or inlined postings, which take
        `add_term_postings`). A term of one block takes `_one_block_bytes`; the loop
        below cuts longer ones into blocks."""
        count = len(ids)
        if self._compression or count < self._inlinelimit:
            return None
        if count <= self._blocklimit:
            return _one_block_bytes(ids, weights, values, lengths, format_, offset)
        size, known = self._blocklimit, len(lengths)
        fixed = format_.fixed_value_size()
        parts = [WHOOSH3_HEADER_MAGIC]
        total: float = 0  # the term info's statistics, as `W3TermInfo.add_block` keeps them
        minlength: int | None = None
        maxlength = 0
        maxweight: float = 0
        for start in range(0, count, size):
            end = start + size
            block_ids = ids[start:end]
            plain = weights[start:end]
            block_weights = array("f", plain)
            found = [lengths[docnum] for docnum in block_ids if docnum < known and lengths[docnum]]
            block_weight = max(0, *plain)
            shortest = min(found) if found else None
            longest = max(found) if found else 0
            total += sum(block_weights)
            minlength = shortest if minlength is None else min(minlength, shortest)  # type: ignore[type-var]
            maxlength = max(maxlength, longest)
            maxweight = max(maxweight, block_weight)
            block_values = list(filter(None, values[start:end]))
            data = (
                _deltas(block_ids),
                _mini_weights(block_weights),
                _mini_values(block_values, fixed),
            )
            databytes = dumps(data, _BLOCK_PICKLE_PROTOCOL)
            info = (
                len(block_ids),
                block_ids[-1],
                block_weight,
                0,
                length_to_byte(shortest),
                length_to_byte(longest),
            )
            infobytes = dumps(info, 2)
            length = len(infobytes) + len(databytes)
            parts += (pack_int(-length if end >= count else length), infobytes, databytes)
        posted = b"".join(parts)
        terminfo = W3TermInfo._struct.pack(
            False,
            total,
            count,
            0 if minlength is None else length_to_byte(minlength),
            length_to_byte(maxlength),
            maxweight,
            ids[0],
            ids[-1],
        )
        return posted, terminfo + pack_long(offset) + pack_int(len(posted))

    def _write_block(self, last: bool = False) -> None:
        block: Any = self
        if not block._blockcount:
            block._postfile.write(WHOOSH3_HEADER_MAGIC)
        block._terminfo.add_block(self)
        data = (block._mini_ids(), block._mini_weights(), block._mini_values())
        databytes = dumps(data, _BLOCK_PICKLE_PROTOCOL)
        compression = block._compression
        if compression:
            databytes = zlib.compress(databytes, compression)
        ids = block._ids
        info = (
            len(ids),
            ids[-1],
            block._maxweight,
            compression,
            length_to_byte(block._minlength),
            length_to_byte(block._maxlength),
        )
        infobytes = dumps(info, 2)
        length = len(infobytes) + len(databytes)
        block._postfile.write_int(-length if last else length)  # negative: the last block
        block._postfile.write(infobytes)
        block._postfile.write(databytes)
        block._blockcount += 1
        block._new_block()


class _FieldWriter(W3FieldWriter):  # type: ignore[misc]
    """Writes each term's postings in one piece, reading each field's lengths once.

    Whoosh's writer hands the postings over one call at a time (a posting-list
    writer's `add_posting`), about a microsecond of Python each for the 400-odd
    postings of an article, then a few calls per block and per term; here a term's
    postings are cut into blocks with list comprehensions and written with its term
    info at once (`_PostingsWriter.term_bytes`). The bytes are the ones Whoosh would
    write (tests/index/test_writer.py).
    """

    def add_postings(self, schema: Any, lengths: Any, items: Any) -> None:
        """Whoosh's way in: the pool's items, sorted (a term's postings adjacent)."""
        self.add_term_columns(schema, lengths, _term_columns(items))

    def add_term_columns(self, schema: Any, lengths: Any, terms: Iterable[TermPostings]) -> None:
        """Every term's postings, as columns (`index.writer.TermPool.term_columns`), in
        the order of the fields and of their terms' bytes.

        The postings file's and the term index's positions are counted here from the
        bytes written rather than asked of the files: a buffered file's `tell` is a
        system call (`lseek`, about half a microsecond), two per term. They are asked
        again after a term written Whoosh's way (its own code writes it), and at each
        field's start, as a precaution (Whoosh writes nothing there).
        """
        last_field: str | None = None
        field_lengths: list[int] = []
        postfile = self._postfile
        write_posted = _raw_write(postfile)
        add_term_info = _term_info_adder(self._tindex)
        term_bytes: Any = None  # bound at each field's start, the first term's too
        key_start = b""
        posted_at = term_info_at = 0
        for fieldname, btext, ids, weights, values in terms:
            if fieldname != last_field:
                if last_field is not None:
                    self.finish_field()
                self.start_field(fieldname, schema[fieldname])
                field_lengths = _field_lengths(lengths, fieldname)
                term_bytes, key_start = self._postwriter.term_bytes, pack_ushort(self._fieldid)
                last_field = fieldname
                posted_at, term_info_at = postfile.tell(), self._tindex.dbfile.tell()
            if ids[0] == -1:  # a guard: Whoosh's base writer skips docnum -1 too
                kept = [i for i, docnum in enumerate(ids) if docnum != -1]
                if not kept:
                    continue
                ids = [ids[i] for i in kept]
                weights = [weights[i] for i in kept]
                values = [values[i] for i in kept]
            written = term_bytes(ids, weights, values, field_lengths, self._format, posted_at)
            if written is None:
                self.start_term(btext)
                self._postwriter.add_term_postings(ids, weights, values, field_lengths)
                self.finish_term()
                posted_at, term_info_at = postfile.tell(), self._tindex.dbfile.tell()
                continue
            posted, terminfo = written
            write_posted(posted)
            posted_at += len(posted)
            term_info_at = add_term_info(key_start + btext, terminfo, term_info_at)
        if last_field is not None:
            self.finish_field()


#: `HashWriter`'s record header: the lengths of a key and of its value.
_KEY_AND_VALUE_LENGTHS: Final = struct.Struct("!ii")


def _term_info_adder(tindex: Any) -> Callable[[bytes, bytes, int], int]:
    """`OrderedHashWriter.add` of a term's info, given where the file is; the adder
    returns where it is after it. The same bytes with fewer calls: a record written in
    one piece to the file under Whoosh's `StructFile`, the key's MD5 hash taken from its
    digest's bytes, the table's parts looked up once for all terms (Whoosh's `add` cost
    about as much as writing the term's postings). Another table or hash (a new Whoosh)
    is given Whoosh's `add`."""
    if type(tindex) is not OrderedHashWriter or tindex.hashfn is not md5_hash:

        def add_by_whoosh(key: bytes, value: bytes, position: int) -> int:
            tindex.add(key, value)
            return int(tindex.dbfile.tell())

        return add_by_whoosh
    write, positions, buckets = _raw_write(tindex.dbfile), tindex.index, tindex.buckets
    pack_lengths, md5 = _KEY_AND_VALUE_LENGTHS.pack, hashlib.md5

    def add(key: bytes, value: bytes, position: int) -> int:
        if key <= tindex.lastkey:
            raise ValueError(f"Keys must increase: {tindex.lastkey!r}..{key!r}")
        record = pack_lengths(len(key), len(value)) + key + value
        positions.append(position)
        write(record)
        hashed = int.from_bytes(md5(key, usedforsecurity=False).digest()[-4:], "big")
        buckets[hashed & 255].append((hashed, position))
        tindex.lastkey = key
        return position + len(record)

    return add


def _raw_write(file: Any) -> Callable[[bytes], Any]:
    """The `write` of the file a Whoosh `StructFile` wraps: its own `write` only passes
    the call on, a Python call more for each term written."""
    write: Callable[[bytes], Any] = (
        file.raw_file().write if type(file) is StructFile else file.write  # not a subclass's
    )
    return write


#: A term's postings as columns: field, term bytes, documents, weights, values.
TermPostings = tuple[str, bytes, list[int], list[float], list[bytes | None]]


def _term_columns(
    items: Iterable[tuple[str, bytes, int, float, bytes | None]],
) -> Iterator[TermPostings]:
    """Sorted pool items (Whoosh's `PostingPool`, runs merged) as each term's columns."""
    for (fieldname, btext), group in itertools.groupby(items, key=_FIELD_AND_TERM):
        postings = list(group)
        yield (
            fieldname,
            btext,
            [posting[2] for posting in postings],
            [posting[3] for posting in postings],
            [posting[4] for posting in postings],
        )


#: A pool item's (fieldname, term bytes): items are sorted, so a term's postings are adjacent.
_FIELD_AND_TERM: Final = operator.itemgetter(0, 1)


def _deltas(ids: list[int]) -> tuple[int, ...]:
    """A block's document numbers as Whoosh stores them (`_mini_ids`: each after the first
    as its distance from the one before)."""
    return (ids[0], *map(operator.sub, itertools.islice(ids, 1, None), ids))


def _mini_weights(weights: array[float]) -> float | tuple[float, ...] | None:
    """A block's weights as Whoosh stores them (`_mini_weights`): None when all are 1.0,
    one number when all are the same, else all of them."""
    first = weights[0]
    if weights.count(first) == len(weights):
        return None if first == 1.0 else first
    return tuple(weights)


def _mini_values(values: list[bytes], fixed: int | None) -> tuple[bytes, ...] | bytes | None:
    """A block's posting values as Whoosh stores them (`_mini_values`)."""
    if fixed is None or fixed < 0:
        return tuple(values)
    return None if fixed == 0 else b"".join(values)


def _one_block_bytes(
    ids: list[int],
    weights: list[float],
    values: list[bytes | None],
    lengths: list[int],
    format_: Any,
    offset: int,
) -> tuple[bytes, bytes]:
    """`_PostingsWriter.term_bytes` of a term whose postings fit one block (99 % of a 5k
    build's 217,000 terms; 45 % have one posting): the block's statistics are the
    term's, so each is worked out once, and a single posting's without a list (a weight
    above 0: 0, -0.0 and NaN keep the general sums and comparisons)."""
    count, known = len(ids), len(lengths)
    if count == 1 and weights[0] > 0:
        return _one_posting_bytes(ids[0], weights[0], values[0], lengths, format_, offset)
    found = [lengths[docnum] for docnum in ids if docnum < known and lengths[docnum]]
    shortest, longest = (min(found), max(found)) if found else (None, 0)
    block_weights = array("f", weights)
    block_weight = max(0, *weights)
    shortest_byte, longest_byte = length_to_byte(shortest), length_to_byte(longest)
    data = (
        _deltas(ids),
        _mini_weights(block_weights),
        _mini_values(list(filter(None, values)), format_.fixed_value_size()),
    )
    databytes = dumps(data, _BLOCK_PICKLE_PROTOCOL)
    infobytes = dumps((count, ids[-1], block_weight, 0, shortest_byte, longest_byte), 2)
    posted = b"".join(
        (WHOOSH3_HEADER_MAGIC, pack_int(-len(infobytes) - len(databytes)), infobytes, databytes)
    )
    terminfo = W3TermInfo._struct.pack(
        False,
        sum(block_weights),
        count,
        shortest_byte,
        longest_byte,
        block_weight,
        ids[0],
        ids[-1],
    )
    return posted, terminfo + pack_long(offset) + pack_int(len(posted))


def _one_posting_bytes(
    docnum: int,
    weight: float,
    value: bytes | None,
    lengths: list[int],
    format_: Any,
    offset: int,
) -> tuple[bytes, bytes]:
    """`_one_block_bytes` of a term in one document, with a weight above 0 (45 % of a 5k
    build's terms), each of Whoosh's block helpers worked out for one posting: its length
    is the block's shortest and longest (`length_to_byte` maps no length and 0 alike to
    0), its weight as a block keeps it (float32) is the block's and the term's total,
    and the weight as given is the largest. Written out rather than shared with
    `_one_block_bytes`: a helper for both, and the weight through `_mini_weights`, cost
    `add_term_columns` 4.6 % more instructions (a 1k build, one writer)."""
    stored_weight = array("f", (weight,))[0]
    length_byte = length_to_byte(lengths[docnum] if docnum < len(lengths) else 0)
    fixed = format_.fixed_value_size()
    if fixed is None or fixed < 0:
        block_values: tuple[bytes, ...] | bytes | None = (value,) if value else ()
    else:
        block_values = None if fixed == 0 else value or b""
    data = ((docnum,), None if stored_weight == 1.0 else stored_weight, block_values)
    databytes = dumps(data, _BLOCK_PICKLE_PROTOCOL)
    infobytes = dumps((1, docnum, weight, 0, length_byte, length_byte), 2)
    posted = b"".join(
        (WHOOSH3_HEADER_MAGIC, pack_int(-len(infobytes) - len(databytes)), infobytes, databytes)
    )
    terminfo = W3TermInfo._struct.pack(
        False, stored_weight, 1, length_byte, length_byte, weight, docnum, docnum
    )
    return posted, terminfo + pack_long(offset) + pack_int(len(posted))


def _field_lengths(lengths: Any, fieldname: str) -> list[int]:
    """Each document's length in the field (0: none). A field without a lengths column
    (not scored: ids, facets) has none: Whoosh's reader would look for the column's file
    again for each document (a `stat` each)."""
    if lengths is None or not lengths.has_column(_lenfield(fieldname)):
        return []
    return [
        lengths.doc_field_length(docnum, fieldname) for docnum in range(lengths.doc_count_all())
    ]


class FastCodec(W3Codec):  # type: ignore[misc]
    """Whoosh's W3 codec with the faster writers above, and uncompressed posting blocks.

    zlib on every posting block cost about a sixth of build time; the index is about
    1.5 times larger without it, and reading postings needs no decompression.
    """

    def __init__(self, blocklimit: int = 128, compression: int = 0, inlinelimit: int = 1) -> None:
        super().__init__(blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)

    def field_writer(self, storage: Any, segment: Any) -> _FieldWriter:
        return _FieldWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> _PostingsWriter:
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

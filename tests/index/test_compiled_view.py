"""The serving view a build compiles beside the Whoosh segments, checked against them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from search_service.articles import Article
from search_service.errors import BuildFailedError
from search_service.index import flat_arrays
from search_service.index.build import build_from_articles
from search_service.index.compiled_view import (
    FOLDED_BODY,
    HEAD,
    HEAD_FIELDS,
    HEAD_SEPARATOR,
    HIGHLIGHTED_CHARS,
    PLAIN_BODIES,
    VIEW_FOLDER,
    VIEW_NAME,
    StoredColumns,
    compile_view,
    has_view,
    join_head,
    open_compiled,
    outdated_view,
    split_head,
    view_version,
)
from search_service.index.generations import (
    FILES_KEY,
    damage,
    live_generation,
    open_live_index,
    records_view,
)
from search_service.index.schema import RawPositions, TermListPositions, make_schema
from search_service.index.view import FacetColumn
from search_service.index.view_check import check_view
from search_service.index.view_parts import PARTS_FOLDER
from search_service.text import fold_to_words, is_plain

from .conftest import MakeArticle


def _live_path(index_root: Path) -> Path:
    generation = live_generation(index_root)
    assert generation is not None
    return generation.path


def _overwrite_stored(generation: Path, column: str, at: int, data: bytes) -> None:
    """Write `data` over the bytes of a stored text column's blob from `at` on."""
    folder = generation / VIEW_FOLDER
    index = json.loads((folder / f"{VIEW_NAME}.json").read_text())
    _, _, offset = index["arrays"][f"stored.{column}.blob"]
    with open(folder / f"{VIEW_NAME}.bin", "r+b") as handle:
        handle.seek(offset + at)
        handle.write(data)


def _generations(index_root: Path) -> list[str]:
    return sorted(p.name for p in index_root.iterdir() if p.name.startswith(("gen-", "building-")))


def test_every_term_of_the_view_equals_whoosh_postings_and_positions(
    index_root: Path, varied_articles: list[Article]
) -> None:
    build_from_articles(varied_articles, index_root)
    path = _live_path(index_root)

    compared = check_view(path, every_term=True)

    _, index = open_live_index(index_root)
    with index.searcher() as searcher:
        text_fields = [
            name for name in index.schema.names() if name.startswith(("title_", "body_"))
        ]
        terms = sum(len(list(searcher.reader().field_terms(name))) for name in text_fields)
    index.close()
    assert len(text_fields) == 8 and compared == terms > 200
    view = open_compiled(path.name, path)
    assert view is not None
    teachers = view.fields["body_exact"].postings("teachers")
    assert teachers.df > 128  # a list of several posting blocks


def test_the_view_of_several_segments_with_deletions_equals_whoosh(
    index_root: Path, varied_articles: list[Article], make_article: MakeArticle
) -> None:
    build_from_articles(varied_articles[:200], index_root)
    changed = [
        make_article(a.id, a.title + " mutuelle", a.body + " teachers teachers", a.language)
        for a in varied_articles[:30]
    ]
    build_from_articles([*changed, *varied_articles[40:260]], index_root, full=False)
    path = _live_path(index_root)
    _, index = open_live_index(index_root)
    with index.searcher() as searcher:
        reader = searcher.reader()
        assert len(reader.leaf_readers()) > 1 and reader.has_deletions()
    index.close()

    assert check_view(path, every_term=True) > 200
    view = open_compiled(path.name, path)
    assert view is not None
    assert view.view.live_count == 250
    assert int(view.view.live.sum()) == 250 < view.view.doc_count


def test_the_check_finds_a_posting_that_differs_from_the_index(
    index_root: Path, varied_articles: list[Article]
) -> None:
    build_from_articles(varied_articles[:50], index_root)
    path = _live_path(index_root)
    folder = path / VIEW_FOLDER
    index = json.loads((folder / f"{VIEW_NAME}.json").read_text())
    dtype, _, offset = index["arrays"]["tf.body_exact"]
    with open(folder / f"{VIEW_NAME}.bin", "r+b") as handle:
        handle.seek(offset)
        handle.write(np.asarray([99.0], dtype=dtype).tobytes())

    with pytest.raises(BuildFailedError, match="differs from the index: the postings of"):
        check_view(path, every_term=True)


SPECIAL_BODIES = [
    "La Mutualité de Côte d’Ivoire – « santé pour tous » – à Abidjan.",
    "Die Straße der Œuvres sociales, İstanbul, and Łódź: ÉCOLE PUBLIQUE.",
    "Plain ASCII teachers and unions.",
    "Santé des enseignants. " * 3_000,  # longer than snippets look through
]


def test_the_view_keeps_each_body_folded_letter_for_letter(
    index_root: Path, make_article: MakeArticle
) -> None:
    """What snippets search: the body lower-cased and unaccented, at the same offsets, each
    character that belongs to no word a space; and whether the body is plain."""
    bodies = [*SPECIAL_BODIES, "Tab\tand no-break\u00a0spaces."]
    build_from_articles(
        [make_article(f"a{i}", f"Title {i}", body, "fr") for i, body in enumerate(bodies)],
        index_root,
    )
    path = _live_path(index_root)
    view = open_compiled(path.name, path)
    assert view is not None and view.view.stored is not None

    stored = view.view.stored
    kept = {
        stored.fields(doc)["body"]: (stored.fields(doc)[FOLDED_BODY], stored.row(doc)[2])
        for doc in range(len(bodies))
    }

    assert kept.keys() == set(bodies)
    for body, (folded, plain) in kept.items():
        highlighted = body[:HIGHLIGHTED_CHARS]
        assert folded == fold_to_words(highlighted) and len(folded) == len(highlighted)
        assert plain is is_plain(highlighted)
    assert kept[SPECIAL_BODIES[0]][0].startswith("la mutualite de cote d ivoire     sante ")
    assert len(SPECIAL_BODIES[3]) > HIGHLIGHTED_CHARS == len(kept[SPECIAL_BODIES[3]][0])
    assert [plain for _, plain in kept.values()] == [True, True, True, True, False]


def test_the_check_finds_a_folded_body_that_differs_from_its_body(
    index_root: Path, make_article: MakeArticle
) -> None:
    build_from_articles([make_article("a", "Title", "Santé pour tous.", "fr")], index_root)
    path = _live_path(index_root)
    _overwrite_stored(path, FOLDED_BODY, 0, b"S")  # "Santé", not "sante": not what is searched

    with pytest.raises(BuildFailedError, match="the folded body of document 0"):
        check_view(path)


def test_the_check_finds_a_body_kept_as_plain_that_is_not(
    index_root: Path, make_article: MakeArticle
) -> None:
    build_from_articles([make_article("a", "Title", "Santé\tpour tous.", "fr")], index_root)
    path = _live_path(index_root)
    folder = path / VIEW_FOLDER
    _, _, offset = json.loads((folder / f"{VIEW_NAME}.json").read_text())["arrays"][PLAIN_BODIES]
    with open(folder / f"{VIEW_NAME}.bin", "r+b") as handle:
        handle.seek(offset)
        handle.write(b"\x01")  # its tab is whitespace that passages must make a space

    with pytest.raises(BuildFailedError, match="the plainness of the body of document 0"):
        check_view(path)


def test_a_documents_short_fields_are_kept_as_one_text(
    index_root: Path, make_article: MakeArticle
) -> None:
    """`HEAD`: the shown fields but the body, joined by the separator, read back as stored."""
    build_from_articles(
        [
            make_article(
                "a",
                "Santé, « mutuelles »",
                "Corps.",
                "fr",
                url="https://esn.example/a",
                date=dt.date(2024, 3, 1),
                countries=("Senegal", "Benin"),
                partners=("MGEN",),
            ),
            make_article("b", "Bare", "", "en"),
        ],
        index_root,
    )
    path = _live_path(index_root)
    view = open_compiled(path.name, path)
    assert view is not None and isinstance(view.view.stored, StoredColumns)
    stored = view.view.stored
    assert set(stored.blobs) == {HEAD, "body", FOLDED_BODY}
    _, index = open_live_index(index_root)
    with index.searcher() as searcher:
        by_id = {searcher.stored_fields(doc)["id"]: doc for doc in range(2)}
        whoosh = {name: searcher.stored_fields(doc) for name, doc in by_id.items()}
    index.close()

    first = stored.fields(by_id["a"])
    assert first == {
        name: whoosh["a"][name] for name in (*HEAD_FIELDS, "body", "year") if name in whoosh["a"]
    } | {FOLDED_BODY: "corps "}
    assert first["country"] == "Senegal,Benin" and first["date"] == "2024-03-01"
    assert stored.fields(by_id["b"]) == {"id": "b", "title": "Bare", "language": "en"}
    texts, year, plain = stored.row(by_id["b"])
    assert texts == ["b", "Bare", "", "", "en", "", "", "", ""] and year == 0 and not plain
    start, end = stored.starts[HEAD][by_id["b"] : by_id["b"] + 2]
    assert bytes(stored.blobs[HEAD][start:end]) == b"b\x1fBare\x1f\x1f\x1fen\x1f\x1f"


def test_a_field_holding_the_separator_is_kept_and_read_back_whole(
    index_root: Path, make_article: MakeArticle
) -> None:
    """The ingest removes control characters, but a record built otherwise may hold one."""
    title = f"Two{HEAD_SEPARATOR}parts"
    build_from_articles([make_article("a", title, "Body.", "en", url="u\x1f[")], index_root)
    path = _live_path(index_root)
    view = open_compiled(path.name, path)
    assert view is not None and view.view.stored is not None

    assert check_view(path) > 0
    fields = view.view.stored.fields(0)
    assert fields["title"] == title and fields["url"] == "u\x1f["


@given(
    st.lists(
        st.text(alphabet=st.sampled_from('ab\x1f"\\[],é '), max_size=6), min_size=7, max_size=7
    )
)
def test_a_head_gives_back_the_texts_it_joined(texts: list[str]) -> None:
    head = join_head(texts)
    assert split_head(head) == texts
    assert (HEAD_SEPARATOR in head) == (HEAD_SEPARATOR not in "".join(texts))


def test_a_head_that_is_neither_seven_texts_nor_their_json_is_refused() -> None:
    for head in ("a\x1fb", '["a", "b"]', "[1, 2", ""):
        with pytest.raises(ValueError, match="not the texts of a head"):
            split_head(head)


@pytest.mark.parametrize(
    ("at", "garbled", "found"),
    [
        (len("a\x1f"), b"t", "the stored title of document 0"),  # "title", not "Title"
        (1, b"_", "the stored fields of document 0"),  # "a_Title…": six texts, not seven
    ],
)
def test_the_check_finds_a_head_that_differs_from_the_stored_fields_or_cannot_be_read(
    index_root: Path, make_article: MakeArticle, at: int, garbled: bytes, found: str
) -> None:
    build_from_articles([make_article("a", "Title", "Body.", "en")], index_root)
    path = _live_path(index_root)
    _overwrite_stored(path, HEAD, at, garbled)

    with pytest.raises(BuildFailedError, match=found):
        check_view(path)


def _built_with_two_countries(index_root: Path, make_article: MakeArticle) -> Path:
    """The live generation of three articles, the first naming two countries."""
    build_from_articles(
        [
            make_article("a", "Santé", "Mutuelles.", "fr", countries=("Senegal", "Benin")),
            make_article("b", "Health", "Teachers.", "en", countries=("Benin",)),
            make_article("c", "Salud", "Docentes.", "es"),
        ],
        index_root,
    )
    return _live_path(index_root)


def test_the_view_maps_the_first_and_other_values_of_a_facet_with_several_per_article(
    index_root: Path, make_article: MakeArticle
) -> None:
    """Written by the build, they are shared by the workers instead of derived by each."""
    path = _built_with_two_countries(index_root, make_article)
    view = open_compiled(path.name, path)
    assert view is not None
    column = view.view.facets["country"]
    assert column.value_of_doc is None and column._split is not None

    derived = FacetColumn(
        values=column.values,
        index=column.index,
        doc_of_entry=column.doc_of_entry,
        value_of_entry=column.value_of_entry,
        doc_start=column.doc_start,
        value_by_doc=column.value_by_doc,
    ).first_and_extra()

    mapped_arrays: list[np.ndarray[Any, Any]] = list(column._split)
    fresh_arrays: list[np.ndarray[Any, Any]] = list(derived)
    for mapped, fresh in zip(mapped_arrays, fresh_arrays, strict=True):
        assert not mapped.flags.owndata  # a view of the mapped file
        assert mapped.tolist() == fresh.tolist()
    first, extra_doc, extra_value = column._split
    assert [column.values[v] if v < len(column.values) else None for v in first] == [
        "Benin",
        "Benin",
        None,
    ]
    assert extra_doc.tolist() == [0] and [column.values[v] for v in extra_value] == ["Senegal"]


def test_a_view_written_before_the_first_and_other_values_derives_them(
    index_root: Path, make_article: MakeArticle
) -> None:
    path = _built_with_two_countries(index_root, make_article)
    written = open_compiled(path.name, path)
    assert written is not None
    index_file = path / VIEW_FOLDER / f"{VIEW_NAME}.json"
    index = json.loads(index_file.read_text())
    for part in ("first_value", "extra_doc", "extra_value"):
        del index["arrays"][f"facet.country.{part}"]
    index_file.write_text(json.dumps(index))

    older = open_compiled(path.name, path)

    assert older is not None and older.view.facets["country"]._split is None
    everything = np.ones(3, dtype=np.bool_)
    counts = older.view.facets["country"].counts(everything).tolist()
    assert counts == written.view.facets["country"].counts(everything).tolist() == [2, 1]


def test_the_check_finds_a_first_value_that_differs_from_the_facet(
    index_root: Path, make_article: MakeArticle
) -> None:
    path = _built_with_two_countries(index_root, make_article)
    folder = path / VIEW_FOLDER
    index = json.loads((folder / f"{VIEW_NAME}.json").read_text())
    _, _, offset = index["arrays"]["facet.country.first_value"]
    with open(folder / f"{VIEW_NAME}.bin", "r+b") as handle:
        handle.seek(offset)
        handle.write(b"\x05")  # document 0's first country: a value it does not have

    with pytest.raises(BuildFailedError, match="first and other values of facet country"):
        check_view(path, every_term=True)  # the per-document arrays: the thorough check


def test_a_build_compiles_the_view_before_the_generation_is_renamed_and_published(
    index_root: Path, varied_articles: list[Article]
) -> None:
    events: list[tuple[str, bool]] = []

    def progress(phase: str, done: int, total: int, articles: int) -> None:
        building = [p for p in index_root.iterdir() if p.name.startswith("building-")]
        events.append((phase, bool(building) and has_view(building[0])))

    build_from_articles(varied_articles[:20], index_root, progress=progress)

    assert ("check", True) in events  # compiled inside the building folder
    assert has_view(_live_path(index_root))


def test_the_manifest_records_the_views_files_so_the_service_checks_them_like_whooshs(
    index_root: Path, varied_articles: list[Article]
) -> None:
    """Sizes and SHA-256 of the mapped files: checked when the generation is opened, at
    every look at the pointer (sizes) and after a failed read (tests/faults)."""
    build_from_articles(varied_articles[:20], index_root)
    generation = live_generation(index_root)
    assert generation is not None and records_view(generation)
    recorded = generation.manifest[FILES_KEY]
    for suffix in (".bin", ".json"):
        name = f"{VIEW_FOLDER}/{VIEW_NAME}{suffix}"
        data = (generation.path / name).read_bytes()
        assert recorded[name] == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert any(name.endswith(".seg") for name in recorded)  # beside Whoosh's own
    assert damage(generation, thorough=True) is None

    with open(generation.path / VIEW_FOLDER / f"{VIEW_NAME}.bin", "r+b") as handle:
        handle.seek(-1, 2)
        last = handle.read(1)
        handle.seek(-1, 2)
        handle.write(bytes([last[0] ^ 1]))
    assert damage(generation) is None  # the size is right: only the checksum tells
    assert damage(generation, thorough=True) == (
        f"{VIEW_FOLDER}/{VIEW_NAME}.bin is not what the build wrote (its checksum differs)"
    )


def test_an_incremental_build_compiles_a_new_view_of_the_changed_index(
    index_root: Path, varied_articles: list[Article], make_article: MakeArticle
) -> None:
    first = build_from_articles(varied_articles[:20], index_root)
    build_from_articles(
        [*varied_articles[:20], make_article("zebra", "Zebras", "A zebra crossing.", "en")],
        index_root,
        full=False,
    )
    path = _live_path(index_root)
    view = open_compiled(path.name, path)
    assert view is not None and path.name != first.generation
    assert view.fields["body_exact"].postings("zebra").df == 1
    assert view.view.live_count == 21


def test_a_view_of_another_version_or_damaged_is_not_used(
    index_root: Path, varied_articles: list[Article]
) -> None:
    build_from_articles(varied_articles[:20], index_root)
    path = _live_path(index_root)
    index_file = path / VIEW_FOLDER / f"{VIEW_NAME}.json"
    index = json.loads(index_file.read_text())
    index_file.write_text(json.dumps({**index, "view_version": 0}))
    assert open_compiled(path.name, path) is None
    assert view_version(path) == 0
    assert outdated_view(path) == "is of version 0, this code compiles version 3"
    index_file.write_text("{damaged")
    with pytest.raises(flat_arrays.FlatArraysError, match="cannot read"):
        view_version(path)
    assert (outdated_view(path) or "").startswith("cannot be read")

    index_file.write_text(json.dumps(index))
    with open(path / VIEW_FOLDER / f"{VIEW_NAME}.bin", "r+b") as handle:
        handle.truncate(100)
    with pytest.raises(flat_arrays.FlatArraysError, match="holds 100 bytes"):
        open_compiled(path.name, path)


def test_the_view_of_a_generation_with_pickled_positions_equals_whoosh(
    index_root: Path, varied_articles: list[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Generations written before `RawPositions` (pickled position deltas) compile too."""

    def old_schema() -> object:
        schema = make_schema()
        for name in ("title_exact", "body_exact"):
            schema[name].format = TermListPositions(field_boost=1.0)
        return schema

    monkeypatch.setattr("search_service.index.build.make_schema", old_schema)
    build_from_articles(varied_articles[:60], index_root)
    path = _live_path(index_root)
    _, index = open_live_index(index_root)
    assert isinstance(index.schema["body_exact"].format, TermListPositions)
    index.close()

    compile_view(path)
    assert check_view(path, every_term=True) > 100


def test_raw_positions_read_back_as_whoosh_positions() -> None:
    raw = RawPositions()
    (term, count, weight, value) = next(raw.word_values(["a", "b", "a", "a"], None))
    assert (term, count, weight) == ("a", 3, 3.0)
    assert value == np.asarray([0, 2, 3], dtype="<u4").tobytes()
    assert raw.decode_positions(value) == [0, 2, 3]
    assert raw.decode_frequency(value) == 3
    assert raw.combine([value, raw.encode([1, 2])]) == raw.encode([0, 1, 2, 3])


@pytest.mark.parametrize("forked", [False, True], ids=["checked-here", "checked-in-a-process"])
def test_a_build_whose_view_differs_from_its_segments_publishes_nothing(
    index_root: Path,
    varied_articles: list[Article],
    make_article: MakeArticle,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    forked: bool,
) -> None:
    from search_service.index import compiled_view, view_check

    first = build_from_articles(varied_articles[:40], index_root)
    if forked:
        monkeypatch.setattr(compiled_view, "PARALLEL_DOCUMENTS", 10)
    checked_by = tmp_path / "checked-by"
    real_check = view_check.check_view

    def noting_the_process(path: Path, every_term: bool = False) -> int:
        checked_by.write_text(str(os.getpid()))
        return real_check(path, every_term)

    monkeypatch.setattr(view_check, "check_view", noting_the_process)

    def compile_wrongly(path: Path, processes: int = 1) -> float:
        seconds = compile_view(path, processes)
        arrays, meta = flat_arrays.open_arrays(path / VIEW_FOLDER, VIEW_NAME)
        changed = {name: np.array(array) for name, array in arrays.items()}
        changed["ids.title_exact"][:] = 0  # every title word in the first article
        flat_arrays.write_arrays(path / VIEW_FOLDER, VIEW_NAME, changed, meta)
        return seconds

    monkeypatch.setattr("search_service.index.build.compile_view", compile_wrongly)
    with pytest.raises(BuildFailedError, match="serving view differs from the index"):
        build_from_articles(
            [*varied_articles[:40], make_article("new", "New", "A new one.", "en")],
            index_root,
            full=False,
            workers=2 if forked else 1,
        )

    assert (checked_by.read_text() != str(os.getpid())) is forked
    live = live_generation(index_root)
    assert live is not None and live.name == first.generation
    assert _generations(index_root) == [first.generation]


def test_the_view_compiled_by_several_processes_is_the_same_file(
    index_root: Path, varied_articles: list[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    from search_service.index import compiled_view

    build_from_articles(varied_articles, index_root)
    path = _live_path(index_root)
    one_process = (path / VIEW_FOLDER / f"{VIEW_NAME}.bin").read_bytes()
    monkeypatch.setattr(compiled_view, "PARALLEL_DOCUMENTS", 10)
    parallel: list[int] = []
    real = compiled_view._compile_in_processes

    def noting_processes(*args: Any) -> Any:
        parallel.append(args[-1])
        return real(*args)

    monkeypatch.setattr(compiled_view, "_compile_in_processes", noting_processes)

    compile_view(path, processes=2)

    assert parallel == [2]
    assert (path / VIEW_FOLDER / f"{VIEW_NAME}.bin").read_bytes() == one_process
    assert check_view(path, every_term=True) > 200


def test_the_build_report_gives_the_seconds_of_each_phase(
    index_root: Path, varied_articles: list[Article]
) -> None:
    report = build_from_articles(varied_articles[:30], index_root, workers=2)

    assert list(report.phases) == ["write", "view", "check", "finish", "publish"]
    assert all(seconds >= 0 for seconds in report.phases.values())
    assert any(line.startswith("  phases: write ") for line in report.summary_lines())


def test_the_view_is_checked_in_its_own_process_while_the_manifest_is_written(
    index_root: Path,
    varied_articles: list[Article],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from search_service.index import compiled_view, view_check

    monkeypatch.setattr(compiled_view, "PARALLEL_DOCUMENTS", 10)
    real_check = view_check.check_view
    seen = tmp_path / "seen.json"

    def check_once_the_manifest_is_written(path: Path, every_term: bool = False) -> int:
        # Forked before the finishing writes: run one after the other, the manifest
        # would never appear while the check waits.
        manifest = path / "manifest.json"
        for _ in range(600):
            if manifest.exists():
                break
            time.sleep(0.05)
        seen.write_text(json.dumps({"pid": os.getpid(), "manifest": manifest.exists()}))
        return real_check(path, every_term)

    monkeypatch.setattr(view_check, "check_view", check_once_the_manifest_is_written)

    report = build_from_articles(varied_articles, index_root, workers=2)

    found = json.loads(seen.read_text())
    assert found["pid"] != os.getpid()
    assert found["manifest"] is True
    assert _generations(index_root) == [report.generation]
    assert not (_live_path(index_root) / PARTS_FOLDER).exists()


def test_a_view_check_process_that_dies_fails_the_build_and_publishes_nothing(
    index_root: Path, varied_articles: list[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    from search_service.index import compiled_view, view_check

    first = build_from_articles(varied_articles[:40], index_root)
    monkeypatch.setattr(compiled_view, "PARALLEL_DOCUMENTS", 10)

    def die(path: Path, every_term: bool = False) -> int:
        os._exit(3)

    monkeypatch.setattr(view_check, "check_view", die)
    with pytest.raises(BuildFailedError, match="process checking the serving view died"):
        build_from_articles(varied_articles, index_root, full=True, workers=2)

    live = live_generation(index_root)
    assert live is not None and live.name == first.generation
    assert _generations(index_root) == [first.generation]

"""The postings a writer hands to the view's compile (`index.view_parts`): the same view
as decoding the segments gives, used only for the segment they were written with, and
gone once the view is compiled."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index

from search_service.articles import Article
from search_service.index import compiled_view
from search_service.index.build import build_from_articles
from search_service.index.compiled_view import (
    VIEW_FOLDER,
    VIEW_NAME,
    compile_view,
)
from search_service.index.generations import FILES_KEY, live_generation
from search_service.index.schema import article_document, make_schema
from search_service.index.view_check import check_view
from search_service.index.view_parts import PARTS_FOLDER, remove_parts
from search_service.index.writer import open_writer

from .conftest import MakeArticle


def _write_index(folder: Path, articles: list[Article], procs: int, limitmb: float = 256) -> None:
    folder.mkdir(parents=True)
    index = whoosh_index.create_in(str(folder), make_schema())
    writer = open_writer(index, procs=procs, limitmb=limitmb)  # type: ignore[arg-type]
    for article in articles:
        writer.add_document(**article_document(article))
    writer.commit(merge=False)
    index.close()


def _delete(folder: Path, articles: list[Article]) -> None:
    """Delete `articles` from the index in `folder`, its segments kept as they are."""
    index = whoosh_index.open_dir(str(folder))
    writer = index.writer()
    for article in articles:
        writer.delete_by_term("id", article.id)
    writer.commit(merge=False)
    index.close()


def _write_with_deletions(folder: Path, articles: list[Article], procs: int) -> None:
    """One segment per writer process, a third of the articles deleted since."""
    _write_index(folder, articles, procs=procs)
    _delete(folder, articles[::3])
    assert _segment_count(folder) == procs


def _copy_without_parts(source: Path, copy: Path) -> None:
    """The index in `source` copied to `copy` without the writers' parts: the control,
    whose view is decoded from the segments."""
    shutil.copytree(source, copy)
    remove_parts(copy)


def _segment_count(folder: Path) -> int:
    index = whoosh_index.open_dir(str(folder))
    try:
        return len(index._segments())
    finally:
        index.close()


def _view_files(folder: Path) -> tuple[bytes, bytes]:
    view = folder / VIEW_FOLDER
    return (view / f"{VIEW_NAME}.bin").read_bytes(), (view / f"{VIEW_NAME}.json").read_bytes()


@pytest.fixture
def decoded_fields(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The fields the view's compile reads back from a segment, one entry per segment."""
    decoded: list[str] = []
    real = compiled_view._read_segment_field

    def noting(leaf: Any, records: Any, fieldname: str) -> Any:
        decoded.append(fieldname)
        return real(leaf, records, fieldname)

    monkeypatch.setattr(compiled_view, "_read_segment_field", noting)
    return decoded


@pytest.mark.parametrize("procs", [1, 2], ids=["one-writer", "two-writer-processes"])
def test_the_view_from_the_writers_parts_is_the_file_decoding_the_segments_gives(
    tmp_path: Path, varied_articles: list[Article], decoded_fields: list[str], procs: int
) -> None:
    with_parts, decoded = tmp_path / "with-parts", tmp_path / "decoded"
    _write_index(with_parts, varied_articles, procs)
    assert len(list((with_parts / PARTS_FOLDER).glob("*.bin"))) == _segment_count(with_parts)
    _copy_without_parts(with_parts, decoded)

    compile_view(with_parts)
    assert decoded_fields == []  # every field of every segment came from its part
    compile_view(decoded)
    assert len(decoded_fields) == 8 * _segment_count(decoded)

    assert _view_files(with_parts) == _view_files(decoded)
    assert check_view(with_parts, every_term=True) > 200


def test_the_view_compiled_by_several_processes_takes_the_parts_too(
    tmp_path: Path, varied_articles: list[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    with_parts, decoded = tmp_path / "with-parts", tmp_path / "decoded"
    _write_index(with_parts, varied_articles, procs=2)
    _copy_without_parts(with_parts, decoded)
    compile_view(decoded)
    monkeypatch.setattr(compiled_view, "PARALLEL_DOCUMENTS", 10)

    def no_decoding(*args: Any) -> Any:
        raise AssertionError("a segment with its part was decoded")

    monkeypatch.setattr(compiled_view, "_read_segment_field", no_decoding)  # forked too
    compile_view(with_parts, processes=2)

    assert _view_files(with_parts) == _view_files(decoded)


def test_the_view_compiled_by_several_processes_from_segments_with_deletions_is_the_same_file(
    tmp_path: Path, varied_articles: list[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    parallel, single = tmp_path / "parallel", tmp_path / "single"
    _write_with_deletions(parallel, varied_articles, procs=2)
    shutil.copytree(parallel, single)
    monkeypatch.setattr(compiled_view, "PARALLEL_DOCUMENTS", 10)

    compile_view(parallel, processes=2)
    compile_view(single, processes=1)

    assert _view_files(parallel) == _view_files(single)
    assert not (parallel / PARTS_FOLDER).exists()  # the processes' hand-overs too
    assert check_view(parallel, every_term=True) > 200


def test_a_segment_with_its_part_and_deletions_since_leaves_the_deleted_out(
    tmp_path: Path, varied_articles: list[Article], decoded_fields: list[str]
) -> None:
    with_parts, decoded = tmp_path / "with-parts", tmp_path / "decoded"
    _write_with_deletions(with_parts, varied_articles, procs=1)
    _copy_without_parts(with_parts, decoded)

    compile_view(with_parts)

    assert decoded_fields == []
    compile_view(decoded)
    assert _view_files(with_parts) == _view_files(decoded)
    assert check_view(with_parts, every_term=True) > 200


def test_a_field_without_a_term_in_a_segment_is_read_from_its_part_too(
    tmp_path: Path, varied_articles: list[Article], decoded_fields: list[str]
) -> None:
    with_parts, decoded = tmp_path / "with-parts", tmp_path / "decoded"
    no_spanish = [article for article in varied_articles if article.language != "es"]
    _write_index(with_parts, no_spanish, procs=1)
    _copy_without_parts(with_parts, decoded)

    compile_view(with_parts)

    assert decoded_fields == []
    compile_view(decoded)
    assert {"title_es", "body_es"} <= set(decoded_fields)
    assert _view_files(with_parts) == _view_files(decoded)


def test_a_new_segments_part_is_used_beside_old_segments_decoded_with_their_deletions(
    index_root: Path,
    varied_articles: list[Article],
    make_article: MakeArticle,
    decoded_fields: list[str],
) -> None:
    build_from_articles(varied_articles[:200], index_root)
    changed = [
        make_article(a.id, a.title + " mutuelle", a.body + " teachers teachers", a.language)
        for a in varied_articles[:30]
    ]
    decoded_fields.clear()

    build_from_articles([*changed, *varied_articles[40:260]], index_root, full=False)

    generation = live_generation(index_root)
    assert generation is not None
    segments = _segment_count(generation.path)
    assert segments == 2
    assert len(decoded_fields) == 8  # the old segment's fields; the new one had its part
    built = _view_files(generation.path)
    compile_view(generation.path)  # the parts are gone: every segment decoded
    assert len(decoded_fields) == 8 + 8 * segments
    assert _view_files(generation.path) == built
    assert check_view(generation.path, every_term=True) > 200


def test_the_parts_are_gone_once_the_view_is_compiled_and_not_in_the_manifest(
    index_root: Path, varied_articles: list[Article]
) -> None:
    build_from_articles(varied_articles[:100], index_root)

    generation = live_generation(index_root)
    assert generation is not None
    assert not (generation.path / PARTS_FOLDER).exists()
    assert not [name for name in generation.manifest[FILES_KEY] if PARTS_FOLDER in name]


@pytest.mark.parametrize("damage", ["another-size", "another-version", "truncated"])
def test_a_part_that_does_not_match_its_segment_is_not_used(
    tmp_path: Path, varied_articles: list[Article], decoded_fields: list[str], damage: str
) -> None:
    with_parts, decoded = tmp_path / "with-parts", tmp_path / "decoded"
    _write_index(with_parts, varied_articles[:120], procs=1)
    _copy_without_parts(with_parts, decoded)
    (meta_path,) = (with_parts / PARTS_FOLDER).glob("*.json")
    meta = json.loads(meta_path.read_text())
    if damage == "another-size":
        meta["doc_count"] += 1
    elif damage == "another-version":
        meta["parts_version"] += 1
    else:
        with open(meta_path.with_suffix(".bin"), "r+b") as handle:
            handle.truncate(100)
    meta_path.write_text(json.dumps(meta))

    compile_view(with_parts)

    assert len(decoded_fields) == 8
    compile_view(decoded)
    assert _view_files(with_parts) == _view_files(decoded)


def test_a_writer_whose_pool_spilled_to_disk_leaves_no_part(
    tmp_path: Path, varied_articles: list[Article], decoded_fields: list[str]
) -> None:
    folder = tmp_path / "spilled"
    _write_index(folder, varied_articles, procs=1, limitmb=0.05)

    assert not list(folder.glob(f"{PARTS_FOLDER}/*.bin"))
    compile_view(folder)
    assert len(decoded_fields) == 8
    assert check_view(folder, every_term=True) > 200

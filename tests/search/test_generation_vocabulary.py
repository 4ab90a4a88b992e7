"""The engine searches each generation with the vocabulary it was built with (the
snapshot the build copied into it), whatever the corpus says meanwhile; a generation
that keeps none falls back to the corpus's vocabulary."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from search_service.articles import Article
from search_service.index.build import build_from_articles, build_index
from search_service.search.engine import SearchEngine
from search_service.search.results import SearchRequest
from search_service.settings import Settings

MakeArticle = Callable[..., Article]
NORDVENT = "  - canonical: Nordvent Mutuelle\n    names: [Northwind Mutual]\n"


@pytest.fixture
def corpus(tmp_path: Path, vocabulary_dir: Path) -> Path:
    """One article naming the Nordvent Mutuelle, which the shipped vocabulary does not know."""
    root = tmp_path / "corpus"
    shutil.copytree(vocabulary_dir, root / "vocabulary")
    (root / "a.md").write_text(
        "---\ntitle: Teachers meet\nlanguage: en\n---\n"
        "The Nordvent Mutuelle met the teachers of Benin.\n",
        encoding="utf-8",
    )
    return root


def know_nordvent(corpus: Path, known: bool) -> None:
    """Add the partner (its English name as an alias) to the corpus's vocabulary, or remove it."""
    path = corpus / "vocabulary" / "partners.yaml"
    text = path.read_text(encoding="utf-8").replace(NORDVENT, "")
    if known:
        text = text.replace("\npartners:\n", "\npartners:\n" + NORDVENT, 1)
    path.write_text(text, encoding="utf-8")


def total(engine: SearchEngine, query: str) -> int:
    return engine.search(SearchRequest(q=query)).total


def wait_for_new_generation(engine: SearchEngine, name: str) -> None:
    deadline = time.monotonic() + 10
    while engine.generation().name == name and time.monotonic() < deadline:
        time.sleep(0.02)
    assert engine.generation().name != name


def test_each_generation_is_searched_with_its_own_vocabulary_not_the_corpus(
    corpus: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "indexes"
    build_index(corpus, index_dir)
    engine = SearchEngine(
        Settings(index_dir=index_dir, corpus_dir=corpus, reload_interval=0.01, cache_size=0)
    )
    first = engine.generation().name
    assert total(engine, "Northwind Mutual") == 0

    know_nordvent(corpus, True)
    build_index(corpus, index_dir)
    wait_for_new_generation(engine, first)
    assert total(engine, "Northwind Mutual") == 1

    know_nordvent(corpus, False)  # the corpus changes, the served generation does not
    assert total(engine, "Northwind Mutual") == 1
    assert (
        SearchEngine(Settings(index_dir=index_dir, corpus_dir=corpus))
        .search(SearchRequest(q="Northwind Mutual"))
        .total
        == 1
    )


def test_a_generation_without_a_vocabulary_uses_the_corpus_vocabulary(
    corpus: Path, tmp_path: Path, make_article: MakeArticle
) -> None:
    know_nordvent(corpus, True)
    index_dir = tmp_path / "indexes"
    article = make_article(
        "a",
        "Teachers meet",
        "The Nordvent Mutuelle met the teachers.",
        partners=("Nordvent Mutuelle",),
    )
    build_from_articles([article], index_dir)  # no vocabulary given: the generation keeps none
    assert not (index_dir / str(engine_name(index_dir)) / "vocabulary").exists()

    engine = SearchEngine(Settings(index_dir=index_dir, corpus_dir=corpus))

    assert total(engine, "Northwind Mutual") == 1


def engine_name(index_dir: Path) -> str | None:
    from search_service.index.generations import read_pointer

    return read_pointer(index_dir)

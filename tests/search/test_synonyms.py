"""Synonyms of `synonyms.yaml`: a query word of a group also finds the articles with the
others, in any of the three languages; the file travels with each generation."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from search_service.articles import Article
from search_service.index.build import build_from_articles, build_index
from search_service.ingest.vocabulary import Vocabulary
from search_service.search.engine import SearchEngine
from search_service.search.results import SearchRequest
from search_service.settings import Settings

MakeArticle = Callable[..., Article]
SYNONYMS = """\
# one group per line
synonyms:
  - [teacher, enseignant, docente]
  - [health insurance, assurance maladie, seguro de salud]
"""


@pytest.fixture
def with_synonyms(tmp_path: Path, vocabulary_dir: Path) -> Vocabulary:
    folder = tmp_path / "vocabulary"
    shutil.copytree(vocabulary_dir, folder)
    (folder / "synonyms.yaml").write_text(SYNONYMS, encoding="utf-8")
    return Vocabulary.load(folder)


@pytest.fixture
def news(make_article: MakeArticle) -> list[Article]:
    return [
        make_article("en", "Teachers meet in Lomé", "The teachers of Togo met.", "en"),
        make_article("fr", "Les enseignants en grève", "Les enseignants du Bénin.", "fr"),
        make_article("es", "Los docentes", "Los docentes de Perú se reunieron.", "es"),
        make_article("ins-fr", "Réforme", "Une réforme de l'assurance maladie au Sénégal.", "fr"),
        make_article("ins-es", "Reforma", "El seguro de salud de los maestros.", "es"),
        make_article("other", "Health news", "The insurance of buildings and health.", "en"),
    ]


def ids(engine: SearchEngine, query: str) -> set[str]:
    return {hit.id for hit in engine.search(SearchRequest(q=query, per_page=50)).hits}


def engine_over(articles: list[Article], tmp_path: Path, vocabulary: Vocabulary) -> SearchEngine:
    index_dir = tmp_path / "indexes"
    build_from_articles(articles, index_dir)
    return SearchEngine(Settings(index_dir=index_dir), vocabulary=vocabulary)


def test_a_word_of_a_group_finds_the_articles_with_the_others_in_every_language(
    news: list[Article], tmp_path: Path, with_synonyms: Vocabulary
) -> None:
    engine = engine_over(news, tmp_path, with_synonyms)

    assert ids(engine, "teacher") == {"en", "fr", "es"}
    assert ids(engine, "enseignants") == {"en", "fr", "es"}  # an inflected form too
    assert ids(engine, "docente") == {"en", "fr", "es"}


def test_words_side_by_side_are_one_form_and_find_the_other_phrases(
    news: list[Article], tmp_path: Path, with_synonyms: Vocabulary
) -> None:
    engine = engine_over(news, tmp_path, with_synonyms)

    found = ids(engine, "health insurance")

    assert {"ins-fr", "ins-es"} <= found
    assert ids(engine, "assurance maladie") >= {"ins-es"}


def test_the_query_own_words_rank_above_their_synonyms(
    news: list[Article], tmp_path: Path, with_synonyms: Vocabulary
) -> None:
    engine = engine_over(news, tmp_path, with_synonyms)

    hits = engine.search(SearchRequest(q="enseignants")).hits

    assert hits[0].id == "fr"


def test_the_synonyms_found_are_highlighted_in_the_snippets(
    news: list[Article], tmp_path: Path, with_synonyms: Vocabulary
) -> None:
    engine = engine_over(news, tmp_path, with_synonyms)

    hits = {hit.id: hit for hit in engine.search(SearchRequest(q="teacher")).hits}

    assert "<mark>docentes</mark>" in hits["es"].snippet
    assert "<mark>enseignants</mark>" in hits["fr"].snippet


def test_a_quoted_phrase_or_an_excluded_word_takes_no_synonym(
    news: list[Article], tmp_path: Path, with_synonyms: Vocabulary
) -> None:
    engine = engine_over(news, tmp_path, with_synonyms)

    assert ids(engine, '"teachers"') == {"en"}
    assert ids(engine, "peru -teacher") == {"es"}  # "docentes" is not excluded with it


def without_synonyms(vocabulary_dir: Path, folder: Path) -> Path:
    """A copy of the shipped vocabulary without its synonyms file."""
    shutil.copytree(vocabulary_dir, folder)
    (folder / "synonyms.yaml").unlink()
    return folder


def test_without_a_synonyms_file_a_word_finds_only_itself(
    news: list[Article], tmp_path: Path, vocabulary_dir: Path
) -> None:
    folder = without_synonyms(vocabulary_dir, tmp_path / "vocabulary")
    engine = engine_over(news, tmp_path, Vocabulary.load(folder))

    assert ids(engine, "docente") == {"es"}


def test_the_synonyms_join_the_generation_and_are_searched_from_it(
    tmp_path: Path, vocabulary_dir: Path
) -> None:
    """Built with the file: searched with it (no corpus needed); the corpus changing
    afterwards changes nothing until the next build."""
    corpus = tmp_path / "corpus"
    shutil.copytree(vocabulary_dir, corpus / "vocabulary")
    (corpus / "vocabulary" / "synonyms.yaml").write_text(SYNONYMS, encoding="utf-8")
    (corpus / "a.md").write_text(
        "---\ntitle: Los docentes\nlanguage: es\n---\nLos docentes de Perú.\n", encoding="utf-8"
    )
    index_dir = tmp_path / "indexes"
    build_index(corpus, index_dir)
    (corpus / "vocabulary" / "synonyms.yaml").unlink()

    engine = SearchEngine(Settings(index_dir=index_dir, corpus_dir=tmp_path / "elsewhere"))

    assert engine.search(SearchRequest(q="teacher")).total == 1
    live = engine.generation().name
    assert (index_dir / live / "vocabulary" / "synonyms.yaml").read_text() == SYNONYMS


def test_a_synonyms_change_alone_makes_a_new_generation(
    tmp_path: Path, vocabulary_dir: Path
) -> None:
    corpus = tmp_path / "corpus"
    without_synonyms(vocabulary_dir, corpus / "vocabulary")
    (corpus / "a.md").write_text(
        "---\ntitle: Los docentes\nlanguage: es\n---\nLos docentes de Perú.\n", encoding="utf-8"
    )
    index_dir = tmp_path / "indexes"
    build_index(corpus, index_dir)
    settings = Settings(index_dir=index_dir, reload_interval=3600)
    assert SearchEngine(settings).search(SearchRequest(q="teacher")).total == 0

    (corpus / "vocabulary" / "synonyms.yaml").write_text(SYNONYMS, encoding="utf-8")
    build_index(corpus, index_dir)

    assert SearchEngine(settings).search(SearchRequest(q="teacher")).total == 1


def test_the_words_of_a_form_still_match_one_by_one_and_another_form_matches_them_all(
    make_article: MakeArticle, tmp_path: Path, with_synonyms: Vocabulary
) -> None:
    """ "health insurance": an article with "assurance maladie" has every word of the query;
    one with "insurance" alone still matches some of them, below."""
    engine = engine_over(
        [
            make_article("some", "Buildings", "The insurance of buildings.", "en"),
            make_article("all", "Réforme", "La réforme de l'assurance maladie.", "fr"),
        ],
        tmp_path,
        with_synonyms,
    )

    assert [hit.id for hit in engine.search(SearchRequest(q="health insurance")).hits] == [
        "all",
        "some",
    ]

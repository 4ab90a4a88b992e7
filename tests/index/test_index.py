"""The schema and the field format's fast path."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import formats

from search_service.analysis import language_analyzer, neutral_analyzer
from search_service.articles import Article
from search_service.index.build import build_from_articles
from search_service.index.generations import open_live_index
from search_service.index.schema import (
    TermListFrequency,
    TermListPositions,
    facet_value,
    make_schema,
    schema_fingerprint,
    split_facet_value,
)

from .conftest import MakeArticle

WORDS = st.lists(
    st.sampled_from(
        ["la", "mutuelle", "Côte", "d’Ivoire", "mutuelles", "l'", "école", "*", "21.9"]
    ),
    max_size=30,
).map(" ".join)


@settings(max_examples=100, deadline=None)
@given(WORDS)
def test_fast_postings_equal_whoosh_positions_postings(text: str) -> None:
    for analyzer in (language_analyzer("fr"), neutral_analyzer()):
        whoosh_way = sorted(formats.Positions().word_values(text, analyzer, mode="index"))
        fast_way = sorted(TermListPositions().word_values(text, analyzer, mode="index"))
        from_list = sorted(TermListPositions().word_values(analyzer.terms(text), analyzer))
        assert fast_way == whoosh_way
        assert from_list == whoosh_way


@settings(max_examples=100, deadline=None)
@given(WORDS)
def test_fast_frequency_postings_equal_whoosh_frequency_postings(text: str) -> None:
    analyzer = language_analyzer("fr")
    whoosh_way = sorted(formats.Frequency().word_values(text, analyzer, mode="index"))
    assert sorted(TermListFrequency().word_values(text, analyzer, mode="index")) == whoosh_way
    assert sorted(TermListFrequency().word_values(analyzer.terms(text), analyzer)) == whoosh_way


def test_only_the_exact_fields_keep_positions_for_phrases() -> None:
    schema = make_schema()
    for lang in ("en", "fr", "es"):
        for part in ("title", "body"):
            assert not schema[f"{part}_{lang}"].format.supports("positions")
    for name in ("title_exact", "body_exact"):
        assert schema[name].format.supports("positions")


def test_schema_has_the_contract_fields() -> None:
    names = set(make_schema().names())
    assert {"id", "title", "body", "url", "summary", "source", "checksum", "date"} <= names
    assert {"date_sort", "year", "language", "country", "partner"} <= names
    assert {f"{part}_{lang}" for part in ("title", "body") for lang in ("en", "fr", "es")} <= names
    assert {"title_exact", "body_exact"} <= names


def test_fingerprint_is_stable_and_follows_the_schema() -> None:
    assert schema_fingerprint() == schema_fingerprint(make_schema())
    smaller = make_schema()
    smaller.remove("summary")
    assert schema_fingerprint(smaller) != schema_fingerprint()
    stepped = make_schema()
    stepped["year"].shift_step = 4  # eight terms a year again, as before 2e39c17
    assert schema_fingerprint(stepped) != schema_fingerprint()


def test_a_comma_inside_a_facet_name_does_not_split_it() -> None:
    joined = facet_value(("Benin", "Korea, Republic of"))
    assert split_facet_value(joined) == ["Benin", "Korea  Republic of"]
    assert split_facet_value(None) == []


def test_posting_blocks_keep_positions_as_bytes_and_read_back_the_same(
    tmp_path: Path, small_corpus: list[Article]
) -> None:
    # Protocol 2 turns every posting's bytes into a call to replay; 4 stores bytes.
    build_from_articles(small_corpus, tmp_path / "indexes")
    _, index = open_live_index(tmp_path / "indexes")
    with index.searcher() as searcher:
        [(leaf, _)] = list(searcher.reader().leaf_readers())
        fieldobj = leaf.schema["body_exact"]
        matcher = leaf._terms.matcher("body_exact", fieldobj.to_bytes("cote"), fieldobj.format)
        block = matcher._postfile.get(
            matcher._dataoffset, matcher._nextoffset - matcher._dataoffset
        )
        assert block[:2] == b"\x80\x04"
        assert list(matcher.value_as("positions")) == [4]  # "La mutualité progresse en Côte"


def test_dates_are_kept_as_a_column_and_a_stored_field_without_terms(
    tmp_path: Path, small_corpus: list[Article], make_article: MakeArticle
) -> None:
    """No search asks Whoosh for a date: the view takes `date_sort` from its column and
    results take `date` from the stored fields, so neither writes terms. The undated
    article is added by a second, incremental build: a segment of its own, whose column
    holds nothing but the default."""
    articles = [*small_corpus, make_article("en-undated", "Undated", "Teachers met.", "en")]
    build_from_articles(small_corpus, tmp_path / "indexes")
    build_from_articles(articles, tmp_path / "indexes", full=False)
    _, index = open_live_index(tmp_path / "indexes")
    with index.searcher() as searcher:
        reader = searcher.reader()
        assert len(list(reader.leaf_readers())) == 2
        fields_with_terms = {fieldname for fieldname, _ in reader.all_terms()}
        ordinals = list(reader.column_reader("date_sort"))
        stored = [reader.stored_fields(doc) for doc in range(reader.doc_count_all())]
    assert not fields_with_terms & {"date", "date_sort"}
    dates = [next(a.date for a in articles if a.id == f["id"]) for f in stored]
    assert ordinals == [date.toordinal() if date else 0 for date in dates]
    assert [f.get("date") for f in stored] == [date.isoformat() if date else None for date in dates]
    assert dates.count(None) == 1


def test_a_year_is_one_term_at_full_precision(tmp_path: Path, small_corpus: list[Article]) -> None:
    """The view reads the year facet from the full-precision terms (`sortable_terms`); no
    range query needs the seven coarser ones Whoosh writes by default."""
    build_from_articles(small_corpus, tmp_path / "indexes")
    _, index = open_live_index(tmp_path / "indexes")
    with index.searcher() as searcher:
        reader = searcher.reader()
        terms = [term for fieldname, term in reader.all_terms() if fieldname == "year"]
        years = [reader.schema["year"].from_bytes(term) for term in terms]
    assert years == sorted({article.year for article in small_corpus if article.year})


def test_generations_built_before_the_stage_packages_still_unpickle() -> None:
    """Older generations pickled their codec and formats as `search_service.index.<Class>`."""
    import pickle

    from search_service.index import schema

    for name in ("FastCodec", "TermListPositions", "TermListFrequency"):
        old_reference = b"\x80\x04csearch_service.index\n" + name.encode() + b"\n."
        assert pickle.loads(old_reference) is getattr(schema, name)

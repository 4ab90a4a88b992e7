"""Filters and multi-select facet counts, exact on a corpus built for the test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search_service.articles import Article
from search_service.index.view import FacetColumn
from search_service.search.engine import SearchEngine
from search_service.search.facets import FacetValue, resolve_selections
from search_service.search.results import SearchRequest, SearchResult

EngineFor = Callable[..., SearchEngine]
MakeArticle = Callable[..., Article]


@pytest.fixture
def engine(engine_for: EngineFor, make_article: MakeArticle) -> SearchEngine:
    plan = [
        ("a", "en", "2019-01-01", ("Benin",), ("ILO",)),
        ("b", "en", "2019-05-01", ("Benin", "Togo"), ()),
        ("c", "fr", "2020-01-01", ("Togo",), ("ILO",)),
        ("d", "fr", "2021-01-01", ("Senegal",), ("Education International",)),
        ("e", "es", "2021-06-01", (), ()),
        ("f", "en", "2018-01-01", ("Benin",), ()),
    ]
    return engine_for(
        [
            make_article(
                name,
                f"Teachers {name}",
                "Teachers and unions.",
                lang,
                date,
                countries=countries,
                partners=partners,
            )
            for name, lang, date, countries, partners in plan
        ]
    )


def counts(result: SearchResult, facet: str) -> dict[str, int]:
    return {item["value"]: item["count"] for item in result.facets[facet]}


def search(engine: SearchEngine, **options: Any) -> SearchResult:
    return engine.search(SearchRequest(q=options.pop("q", ""), per_page=100, **options))


def test_counts_without_filters(engine: SearchEngine) -> None:
    result = search(engine)
    assert counts(result, "country") == {"Benin": 3, "Togo": 2, "Senegal": 1}
    assert counts(result, "partner") == {"ILO": 2, "Education International": 1}
    assert counts(result, "year") == {"2018": 1, "2019": 2, "2020": 1, "2021": 2}
    assert counts(result, "language") == {"en": 3, "fr": 2, "es": 1}


def test_values_within_a_facet_are_ored(engine: SearchEngine) -> None:
    result = search(engine, country=("Benin", "Senegal"))
    assert sorted(hit.id for hit in result.hits) == ["a", "b", "d", "f"]


def test_facets_are_anded(engine: SearchEngine) -> None:
    result = search(engine, country=("Benin", "Togo"), language=("fr",))
    assert [hit.id for hit in result.hits] == ["c"]


def test_facet_counts_ignore_their_own_filter(engine: SearchEngine) -> None:
    result = search(engine, country=("Benin",))
    assert result.total == 3
    # Own facet: counted as if no country were ticked, so Togo shows what it would add.
    assert counts(result, "country") == {"Benin": 3, "Togo": 2, "Senegal": 1}
    # Other facets: counted within the Benin results.
    assert counts(result, "language") == {"en": 3}
    assert counts(result, "partner") == {"ILO": 1}


def test_selected_values_are_listed_even_at_zero(engine: SearchEngine) -> None:
    result = search(engine, language=("es",), partner=("ILO",))
    assert result.total == 0
    partner = {
        item["value"]: (item["count"], item["selected"]) for item in result.facets["partner"]
    }
    assert partner["ILO"] == (0, True)
    language = {
        item["value"]: (item["count"], item["selected"]) for item in result.facets["language"]
    }
    assert language["es"] == (0, True)
    assert language["en"] == (1, False)


def test_only_chosen_values_are_marked_selected_and_none_in_a_facet_without_a_choice(
    engine: SearchEngine,
) -> None:
    result = search(engine, country=("Togo",))
    marked = {
        facet: {item["value"] for item in values if item["selected"]}
        for facet, values in result.facets.items()
    }
    assert marked == {"country": {"Togo"}, "partner": set(), "year": set(), "language": set()}


def test_unknown_filter_values_match_nothing_and_are_listed(engine: SearchEngine) -> None:
    result = search(engine, country=("Atlantis",))
    assert result.total == 0
    assert ("Atlantis", 0, True) in [
        (i["value"], i["count"], i["selected"]) for i in result.facets["country"]
    ]


def test_year_filter_and_range(engine: SearchEngine) -> None:
    assert sorted(hit.id for hit in search(engine, year=("2019",)).hits) == ["a", "b"]
    ranged = search(engine, year_from=2019, year_to=2020)
    assert sorted(hit.id for hit in ranged.hits) == ["a", "b", "c"]
    assert sorted(hit.id for hit in search(engine, year_from=2021).hits) == ["d", "e"]


def test_filters_apply_to_text_queries(engine: SearchEngine) -> None:
    result = search(engine, q="teachers", country=("Togo",))
    assert sorted(hit.id for hit in result.hits) == ["b", "c"]
    assert counts(result, "country") == {"Benin": 3, "Togo": 2, "Senegal": 1}


@settings(max_examples=200, deadline=None)
@given(
    entries=st.lists(st.tuples(st.integers(0, 59), st.integers(0, 6)), unique=True, max_size=150),
    chosen=st.sets(st.integers(0, 59)),
)
def test_facet_counts_agree_with_a_plain_count_however_many_documents_match(
    entries: list[tuple[int, int]], chosen: set[int]
) -> None:
    size = 60
    by_value = sorted(entries, key=lambda entry: (entry[1], entry[0]))
    column = FacetColumn.from_entries(
        [f"v{i}" for i in range(7)],
        np.asarray([doc for doc, _ in by_value], dtype=np.int32),
        np.asarray([value for _, value in by_value], dtype=np.int32),
        size,
    )
    mask = np.zeros(size, dtype=np.bool_)
    mask[list(chosen)] = True
    expected = [sum(1 for doc, v in entries if v == value and doc in chosen) for value in range(7)]
    assert column.counts(mask).tolist() == expected


def _column_of(entries: list[tuple[int, int]], values: int, size: int) -> FacetColumn:
    """A facet column of `values` values ("v0", …) from (document, value) entries."""
    by_value = sorted(entries, key=lambda entry: (entry[1], entry[0]))
    return FacetColumn.from_entries(
        [f"v{i}" for i in range(values)],
        np.asarray([doc for doc, _ in by_value], dtype=np.int32),
        np.asarray([value for _, value in by_value], dtype=np.int32),
        size,
    )


@pytest.mark.parametrize("share", [0.0, 0.05, 0.2, 0.5, 0.7, 0.85, 1.0])
@pytest.mark.parametrize("per_doc", ["one value", "several values"])
def test_facet_counts_are_exact_on_every_path_from_few_to_all_documents(
    share: float, per_doc: str
) -> None:
    rng = np.random.default_rng(5)
    size, values = 2_000, 9
    docs = np.arange(size) if per_doc == "one value" else rng.integers(0, size, 3 * size)
    drawn = rng.integers(0, values, docs.size)
    entries = sorted({(int(d), int(v)) for d, v in zip(docs, drawn, strict=True)})
    entries = [entry for entry in entries if entry[0] % 10]  # some documents have no value
    column = _column_of(entries, values, size)
    mask = rng.random(size) < share
    expected = [sum(1 for doc, v in entries if v == value and mask[doc]) for value in range(values)]

    assert (column.value_of_doc is not None) == (per_doc == "one value")
    assert column.counts(mask).tolist() == expected
    assert column.counts(mask, np.flatnonzero(mask)).tolist() == expected


@pytest.mark.parametrize("per_doc", ["one value", "several values"])
def test_counts_of_most_documents_stay_exact_on_a_column_that_counted_before(
    per_doc: str,
) -> None:
    """Most documents matching: the column's counts of all documents, kept from the first
    such count, less those outside the mask; each mask still gets its own counts."""
    rng = np.random.default_rng(8)
    size, values = 1_000, 5
    docs = np.arange(size) if per_doc == "one value" else rng.integers(0, size, 2 * size)
    drawn = rng.integers(0, values, docs.size)
    entries = sorted({(int(d), int(v)) for d, v in zip(docs, drawn, strict=True)})
    column = _column_of(entries, values, size)
    for share in (0.9, 0.75, 1.0, 0.95):
        mask = rng.random(size) < share
        expected = [sum(1 for d, v in entries if v == value and mask[d]) for value in range(values)]
        assert column.counts(mask).tolist() == expected


@settings(max_examples=200, deadline=None)
@given(
    entries=st.lists(st.tuples(st.integers(0, 39), st.integers(0, 5)), unique=True, max_size=100),
    wanted=st.sets(st.integers(0, 7)),
    grouped_by_value=st.booleans(),
)
def test_a_filter_selects_exactly_the_documents_having_any_wanted_value(
    entries: list[tuple[int, int]], wanted: set[int], grouped_by_value: bool
) -> None:
    """Keyword facets keep their entries grouped by value, the year facet in document
    order: both select the same documents as a plain look at every entry."""
    size = 40
    ordered = sorted(entries, key=lambda entry: entry[::-1] if grouped_by_value else entry)
    column = FacetColumn.from_entries(
        [f"v{i}" for i in range(6)],
        np.asarray([doc for doc, _ in ordered], dtype=np.int32),
        np.asarray([value for _, value in ordered], dtype=np.int32),
        size,
    )
    names = [f"v{i}" for i in sorted(wanted)]  # v6 and v7 name no value of the facet
    expected = sorted({doc for doc, value in entries if value in wanted})

    assert np.flatnonzero(column.docs_with_any(names, size)).tolist() == expected


@pytest.fixture
def named(engine_for: EngineFor, make_article: MakeArticle) -> SearchEngine:
    """Articles tagged with canonical names that visitors spell in other ways."""
    plan = [
        ("ci", "fr", ("Côte d'Ivoire",), ("AIM",)),
        ("bj", "en", ("Benin",), ("MUGEF-CI",)),
        ("tg", "es", ("Togo",), ()),
    ]
    return engine_for(
        [
            make_article(name, f"Teachers {name}", "Teachers.", lang, "2020-01-01", c, p)
            for name, lang, c, p in plan
        ]
    )


def selected(result: SearchResult, facet: str) -> list[str]:
    return [item["value"] for item in result.facets[facet] if item["selected"]]


@pytest.mark.parametrize(
    ("facet", "given", "canonical", "ids"),
    [
        ("country", "benin", "Benin", ["bj"]),
        ("country", "BÉNIN", "Benin", ["bj"]),
        ("country", "Ivory Coast", "Côte d'Ivoire", ["ci"]),
        ("country", "cote d’ivoire", "Côte d'Ivoire", ["ci"]),
        ("country", "ivoirien", "Côte d'Ivoire", ["ci"]),
        ("partner", "iam", "AIM", ["ci"]),
        ("partner", "International Association of Mutual Benefit Societies", "AIM", ["ci"]),
        ("partner", "mugef ci", "MUGEF-CI", ["bj"]),
        ("language", "EN", "en", ["bj"]),
        ("language", " Es ", "es", ["tg"]),
    ],
)
def test_a_filter_value_selects_the_canonical_value_it_names(
    named: SearchEngine, facet: str, given: str, canonical: str, ids: list[str]
) -> None:
    selection: dict[str, Any] = {facet: (given,)}
    result = named.search(SearchRequest(**selection))
    assert [hit.id for hit in result.hits] == ids
    assert selected(result, facet) == [canonical]
    listed = {item["value"] for values in result.facets.values() for item in values}
    assert given not in listed or given == canonical


def test_a_filter_value_naming_nothing_known_selects_nothing(named: SearchEngine) -> None:
    result = named.search(SearchRequest(country=("Atlantis",)))
    assert result.total == 0
    assert FacetValue(value="Atlantis", count=0, selected=True) in result.facets["country"]


def test_filter_values_leave_the_ingests_memos_and_typo_index_alone(
    named: SearchEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A visitor's filter values are anything: they must not fill what the ingest bounds at
    hundreds of thousands, nor build the typo index on the request path."""
    vocabulary = named.generation().vocabulary
    assert vocabulary is not None
    # As a serving process has it, unpickled: the build in this process made it.
    monkeypatch.delitem(vocabulary.__dict__, "_typo_index", raising=False)
    folded_before = dict(vocabulary._fold_memo)
    for n in range(50):
        named.search(
            SearchRequest(country=(f"Atlantis Province{n}",), partner=(f"Guild{n} Union",))
        )
    assert "_typo_index" not in vocabulary.__dict__
    assert vocabulary._fold_memo == folded_before
    assert "atlantis" in vocabulary._query_fold_memo.values()


def test_two_spellings_of_one_value_select_it_once(named: SearchEngine) -> None:
    result = named.search(SearchRequest(country=("Benin", "bénin", "Togo")))
    assert sorted(hit.id for hit in result.hits) == ["bj", "tg"]
    assert sorted(selected(result, "country")) == ["Benin", "Togo"]


def test_without_a_vocabulary_values_still_match_the_index_in_any_case_and_accents(
    named: SearchEngine,
) -> None:
    view = named.generation().view
    wanted = {"country": ("COTE D'IVOIRE", "Ivory Coast"), "partner": ("aim",), "year": ("02020",)}
    assert resolve_selections(view, wanted, None) == {
        "country": ("Côte d'Ivoire", "Ivory Coast"),
        "partner": ("AIM",),
        "year": ("2020",),
    }

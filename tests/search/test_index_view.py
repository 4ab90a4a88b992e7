"""The arrays the search core reads from a generation, against Whoosh's own readers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from search_service.index.build import build_from_articles
from search_service.index.generations import open_live_index
from search_service.index.view import _generic_postings, held_by, read_postings

from .conftest import article


def test_postings_decoded_block_by_block_equal_whoosh_matchers_for_every_term(
    tmp_path: Path,
) -> None:
    # 300 articles: "teachers" fills three posting blocks of 128; the rest one each.
    words = ["union", "health", "école", "mutuelle", "Abidjan"]
    articles = [
        article(f"a{n}", f"Teachers {words[n % 5]}", f"Teachers and {words[n % 3]} {n}.", "en")
        for n in range(300)
    ]
    build_from_articles(articles, tmp_path / "indexes")
    _, index = open_live_index(tmp_path / "indexes")
    with index.searcher() as searcher:
        reader = searcher.reader()
        live = np.ones(reader.doc_count_all(), dtype=np.bool_)
        checked = 0
        for field in ("title_en", "body_en", "title_exact", "body_exact", "country"):
            for term in reader.field_terms(field):
                ours = read_postings(reader, field, term, live)
                ids, weights = _generic_postings(reader.postings(field, term))
                assert ours.ids.tolist() == ids.tolist(), (field, term)
                assert ours.tf.tolist() == weights.tolist(), (field, term)
                checked += 1
        assert read_postings(reader, "body_exact", "teachers", live).df == 300
        assert read_postings(reader, "body_exact", "absent", live).df == 0
    assert checked > 300


@given(
    ids=st.sets(st.integers(0, 300)).map(sorted),
    asked=st.sets(st.integers(0, 320)).map(sorted),
    dtype=st.sampled_from([np.int32, np.intp]),
)
def test_held_by_tells_which_documents_sorted_ids_hold(
    ids: list[int], asked: list[int], dtype: type[np.integer[Any]]
) -> None:
    held = held_by(np.array(ids, dtype=dtype), np.array(asked, dtype=np.intp))
    assert held.tolist() == [doc in set(ids) for doc in asked]

"""BM25F's per-field normalisation, done for all of a word's lists at once."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from search_service.articles import Article
from search_service.index.view import TEXT_FIELDS, DocIds, Postings, read_postings
from search_service.search.ranking import B, _FieldFrequencies

from .conftest import EngineFor

SIZE = 300
Given = tuple[Postings, npt.NDArray[np.float32], float, float]


def _one_list_at_a_time(lists: list[Given]) -> npt.NDArray[np.float32]:
    """The sums as they were made before: each list normalised and weighted on its own."""
    ids, values = [], []
    for postings, lengths, average, weight in lists:
        norm = 1.0 - B + B * np.take(lengths, postings.ids) / average
        ids.append(postings.ids)
        values.append(weight * postings.tf / norm)
    tfc = np.zeros(SIZE, dtype=np.float32)
    if ids:
        np.add.at(tfc, np.concatenate(ids), np.concatenate(values))
    return tfc


def _random_lists(rng: np.random.Generator) -> list[Given]:
    """Up to a dozen lists as a word's are: sorted ids (either type of the view's cache),
    whole frequencies, one-byte lengths decoded, the ranking's weights."""
    lists = []
    for _ in range(rng.integers(0, 13)):
        docs = np.sort(rng.choice(SIZE, size=rng.integers(0, 60), replace=False))
        ids: DocIds = docs.astype(np.uint16) if rng.random() < 0.5 else docs.astype(np.int32)
        tf = rng.integers(1, 40, size=docs.size).astype(np.float32)
        lengths = rng.integers(0, 256, size=SIZE).astype(np.float32)
        average = float(rng.uniform(1.0, 500.0))
        weight = float(rng.choice([2.0, 1.0, 0.15, 0.3, 1.0 * 0.5, 0.45, 0.9]))
        lists.append((Postings(ids, tf), lengths, average, weight))
    return lists


def test_all_lists_normalised_at_once_sum_bit_for_bit_as_one_at_a_time() -> None:
    rng = np.random.default_rng(11)
    for _ in range(300):
        lists = _random_lists(rng)
        together = _FieldFrequencies()
        for postings, lengths, average, weight in lists:
            together.add(postings, lengths, average, weight)

        summed = together.summed(SIZE)

        assert summed.dtype == np.float32
        assert summed.tobytes() == _one_list_at_a_time(lists).tobytes()


def test_what_a_word_s_scores_read_is_float32_through_the_view_and_the_segments(
    engine_for: EngineFor, news: list[Article]
) -> None:
    """The sums are the old ones bit for bit only over float32 frequencies and lengths."""
    generation = engine_for(news).generation()
    view, searcher = generation.view, generation.searcher()
    reader = searcher.reader()
    read = 0
    for fieldname in TEXT_FIELDS:
        assert view.lengths[fieldname].dtype == np.float32, fieldname
        for term in ("mutuelle", "mutuell", "teacher", "teachers", "salud", "sante", "sant"):
            for postings in (
                view.postings(reader, fieldname, term),
                read_postings(reader, fieldname, term, view.live),
            ):
                assert postings.tf.dtype == np.float32, (fieldname, term)
                read += postings.df > 0
    phrase = view.phrase(searcher, "body_exact", ("mutuelle", "de"))
    assert phrase.df and phrase.tf.dtype == np.float32
    assert read > 10

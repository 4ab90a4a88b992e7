"""`bench.word_cache`: what it counts is the word scores the engines compute again."""

from __future__ import annotations

from pathlib import Path

from bench.generate import generate
from bench.ours import build_index_from, ingest_export, load_vocabulary, request_for
from bench.queries import make_queries, read_articles
from bench.word_cache import Counted, scores_computed

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_no_room_computes_words_again_every_pass_and_room_for_all_computes_none(
    tmp_path: Path,
) -> None:
    export = tmp_path / "articles.jsonl"
    generate(150, 5, export, REPO_ROOT / "corpus")
    articles, _ = ingest_export(export, load_vocabulary())
    build_index_from(articles, tmp_path / "indexes")
    requests = [request_for(query) for query in make_queries(read_articles(export), 4).all()]

    def counted(budget_bytes: int, workers: int) -> Counted:
        index_dir = tmp_path / "indexes"
        return scores_computed(
            index_dir, requests, workers=workers, budget_bytes=budget_bytes, passes=2
        )

    nothing_kept = counted(0, workers=2)
    one_worker_keeps_all = counted(64 * 2**20, workers=1)
    two_share_the_list = counted(64 * 2**20, workers=2)

    assert nothing_kept.computed_per_search >= 0.5  # words of about every search, again
    assert nothing_kept.cached_mib == [0.0, 0.0]
    assert one_worker_keeps_all.computed_per_search == 0.0  # it met every word in pass one
    assert one_worker_keeps_all.cached_mib[0] > 0
    # Shared at random, a search may reach the worker that has not met its words yet.
    assert 0 < two_share_the_list.computed_per_search < nothing_kept.computed_per_search

"""Our search service, as the benchmarks drive it: the one place that knows the project's API.

Everything goes through the production path: `ingest_paths` reads the JSON
Lines export (as the admin's corpus would hold it), `build_from_articles`
writes and publishes a generation, `SearchEngine` answers with the settings
the service uses — except the response cache, which is off (`cache_size=0`)
unless asked for, so that timings measure searching, not dictionary look-ups.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from bench.common import REPO_ROOT
from bench.queries import BenchQuery

VOCABULARY_DIR = REPO_ROOT / "corpus" / "vocabulary"


def corpus_for(export: Path, corpus_dir: Path) -> Path:
    """A corpus folder holding the export and the project's vocabulary, as `corpus/` does."""
    articles = corpus_dir / "articles"
    articles.mkdir(parents=True, exist_ok=True)
    target = articles / export.name
    if not target.exists() or target.stat().st_size != export.stat().st_size:
        shutil.copyfile(export, target)
    vocabulary = corpus_dir / "vocabulary"
    if VOCABULARY_DIR.is_dir() and not vocabulary.exists():
        shutil.copytree(VOCABULARY_DIR, vocabulary)
    return corpus_dir


def reusable_index(index_dir: Path) -> bool:
    """Whether an index a run left here can be measured again: its live generation was
    written with the code's schema, and its view is of the code's version. One of an older
    schema or view is still served, but it is not what a build makes now (2026-12-06:
    bench/data/api-latency's 5k index kept the dates' terms for an hour after the schema
    lost them)."""
    from search_service.errors import DamagedPointerError
    from search_service.index import generations
    from search_service.index.build import written_with_current_schema
    from search_service.index.compiled_view import outdated_view

    if not index_dir.is_dir():
        return False
    try:
        live = generations.live_generation(index_dir)
    except DamagedPointerError:
        return False
    return live is not None and written_with_current_schema(live) and not outdated_view(live.path)


def load_vocabulary() -> Any:
    from search_service.ingest.vocabulary import Vocabulary

    return Vocabulary.load(VOCABULARY_DIR)


def ingest_export(export: Path, vocabulary: Any) -> tuple[list[Any], float]:
    """The articles of a JSONL export through the project's ingest, and the seconds it took."""
    from search_service.ingest.corpus import ingest_paths

    start = time.perf_counter()
    result = ingest_paths([export], corpus_root=export.parent, vocabulary=vocabulary)
    seconds = time.perf_counter() - start
    errors = [p for p in result.problems if getattr(p, "severity", "error") == "error"]
    if errors:
        print(f"note: ingest skipped {len(errors)} records, e.g. {errors[0]}")
    return list(result.articles), seconds


def build_index_from(articles: list[Any], index_dir: Path) -> tuple[Any, float]:
    from search_service.index.build import build_from_articles

    if index_dir.exists():
        shutil.rmtree(index_dir)
    index_dir.mkdir(parents=True)
    start = time.perf_counter()
    report = build_from_articles(articles, index_dir)
    return report, time.perf_counter() - start


def open_engine(index_dir: Path, vocabulary: Any, cache_size: int = 0) -> Any:
    engine = new_engine(index_dir, vocabulary, cache_size)
    engine.generation()
    return engine


def new_engine(index_dir: Path, vocabulary: Any, cache_size: int = 0) -> Any:
    """An engine over `index_dir` that has opened no generation yet, its modules imported
    (as a serving process has them when a new generation is published)."""
    from search_service.search.engine import SearchEngine
    from search_service.settings import Settings

    settings = Settings(index_dir=index_dir, cache_size=cache_size, reload_interval=3600.0)
    return SearchEngine(settings, vocabulary=vocabulary)


def request_for(query: BenchQuery, per_page: int = 10) -> Any:
    from search_service.search.results import SearchRequest

    return SearchRequest(
        q=query.q,
        country=query.countries,
        year_from=query.year_from,
        year_to=query.year_to,
        sort=query.sort,
        per_page=per_page,
    )


class OurEngine:
    """Our search core, shaped like the peers in `bench.peers` (facets are always computed)."""

    name = "ours"

    def __init__(self, cache_size: int = 0) -> None:
        self.cache_size = cache_size
        self.engine: Any = None

    def build(self, articles: list[dict[str, Any]], directory: Path) -> None:
        import json

        export = directory / "corpus" / "articles" / "articles.jsonl"
        export.parent.mkdir(parents=True, exist_ok=True)
        with export.open("w", encoding="utf-8") as handle:
            for article in articles:
                handle.write(json.dumps(article, ensure_ascii=False) + "\n")
        vocabulary = load_vocabulary()
        records, _ = ingest_export(export, vocabulary)
        build_index_from(records, directory / "index")
        self.engine = open_engine(directory / "index", vocabulary, self.cache_size)

    def search(self, query: BenchQuery) -> int:
        return int(self.engine.search(request_for(query)).total)

    def close(self) -> None:
        self.engine = None


def ours_ranker_from_export(export: Path, work_dir: Path) -> Any:
    """A ranker (text, limit) -> ids over an export, through ingest, build and SearchEngine."""
    vocabulary = load_vocabulary()
    articles, _ = ingest_export(export, vocabulary)
    build_index_from(articles, work_dir / "index")
    engine = open_engine(work_dir / "index", vocabulary)

    def rank(text: str, limit: int) -> list[str]:
        from search_service.search.results import SearchRequest

        result = engine.search(SearchRequest(q=text, per_page=limit, snippets=False))
        return [hit.id for hit in result.hits]

    return rank

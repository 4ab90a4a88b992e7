"""The organisations a build discovered are names to the search, as the vocabulary's are:
a query by an acronym finds the articles that write only its long name, and the reverse."""

from __future__ import annotations

import shutil
from pathlib import Path

from search_service.index.build import build_index
from search_service.search.engine import SearchEngine
from search_service.search.results import SearchRequest
from search_service.settings import Settings

ARTICLES = {
    "defined.md": "The Kayes Teachers Union (KTU) met the minister.",
    "acronym.md": "The KTU signed the agreement on school meals.",
    "name.md": "The Kayes Teachers Union opened a library in the north.",
    "other.md": "Teachers of Togo opened a library.",
}


def test_an_acronym_and_its_long_name_find_each_other(tmp_path: Path, vocabulary_dir: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(vocabulary_dir, corpus / "vocabulary")
    for name, text in ARTICLES.items():
        (corpus / name).write_text(f"---\nlanguage: en\n---\n{text}\n", encoding="utf-8")
    index_dir = tmp_path / "indexes"
    build_index(corpus, index_dir)
    shutil.rmtree(corpus)  # the search needs no corpus: the generation keeps the names
    engine = SearchEngine(Settings(index_dir=index_dir, corpus_dir=corpus, cache_size=0))

    def found(query: str) -> set[str]:
        return {hit.id for hit in engine.search(SearchRequest(q=query)).hits}

    assert found("KTU") == {"defined", "acronym", "name"}
    assert found("Kayes Teachers Union") == {"defined", "acronym", "name"}
    by_filter = engine.search(SearchRequest(partner=("kayes teachers union",)))
    assert {hit.id for hit in by_filter.hits} == {"defined", "acronym", "name"}
    assert [hit.partners for hit in by_filter.hits] == [("KTU",)] * 3

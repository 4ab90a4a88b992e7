"""The acceptance queries of the issue, against a real index of the shipped seed pages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from search_service.index.build import build_index
from search_service.settings import Settings
from search_service.web.api import create_app

SEED_000 = "articles/000_197affed672c23d7"
SEED_001 = "articles/001_119e6c8c953a1bce"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, shipped_corpus: Path) -> Iterator[Any]:
    from fastapi.testclient import TestClient  # imported by conftest without its warning

    index_dir = tmp_path_factory.mktemp("seeds") / "indexes"
    report = build_index(shipped_corpus, index_dir, full=True)
    assert report.articles == 2
    settings = Settings(index_dir=index_dir, corpus_dir=shipped_corpus)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def hit_ids(client: Any, q: str, **params: Any) -> list[str]:
    response = client.get("/search", params={"q": q, **params})
    assert response.status_code == 200
    return [hit["id"] for hit in response.json()["hits"]]


def test_abidjan_ranks_the_conference_article_first(client: Any) -> None:
    assert hit_ids(client, "Abidjan")[0] == SEED_000


def test_masmut_finds_the_programme_article(client: Any) -> None:
    assert hit_ids(client, "Masmut")[0] == SEED_001


def test_a_typo_still_finds_the_programme_and_suggests_the_word(client: Any) -> None:
    response = client.get("/search", params={"q": "masmutt"}).json()
    assert response["hits"][0]["id"] == SEED_001
    assert response["suggestion"] == "masmut"


def test_unaccented_french_words_find_the_programme(client: Any) -> None:
    assert hit_ids(client, "mutualite chretienne")[0] == SEED_001


def test_cote_divoire_and_the_accented_name_give_the_same_hits(client: Any) -> None:
    assert hit_ids(client, "cote divoire") == hit_ids(client, "Côte d’Ivoire") == [SEED_000]


def test_ivory_coast_finds_the_article_that_says_cote_divoire(client: Any) -> None:
    assert hit_ids(client, "Ivory Coast") == [SEED_000]


def test_the_seed_snippet_highlights_the_query(client: Any) -> None:
    [hit, *_] = client.get("/search", params={"q": "Abidjan"}).json()["hits"]
    assert "<mark>Abidjan</mark>" in hit["snippet"]


def snippets(client: Any, q: str) -> dict[str, str]:
    hits = client.get("/search", params={"q": q}).json()["hits"]
    return {hit["id"]: hit["snippet"] for hit in hits}


def test_a_hyphenated_acronym_shows_the_passage_naming_the_partner(client: Any) -> None:
    assert "mutual society <mark>MUGEF-CI</mark>, the NGO" in snippets(client, "MUGEF-CI")[SEED_000]


def test_a_partner_alias_shows_where_each_article_names_the_partner(client: Any) -> None:
    found = snippets(client, "IAM")
    assert (
        "<mark>AIM</mark> (the <mark>International Association of Mutual Benefit"
        in (found[SEED_000])
    )
    assert "On the occasion of the <mark>AIM</mark> meetings" in found[SEED_001]


def test_a_seed_without_url_is_served_as_a_page(client: Any) -> None:
    response = client.get(f"/articles/{SEED_001}", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "Masmut programme" in response.text


def test_the_suggest_example_of_the_api_docs_is_a_real_answer(client: Any, repo_root: Path) -> None:
    section = (
        (repo_root / "docs" / "api.md").read_text(encoding="utf-8").split("### `GET /suggest")[1]
    )
    block = re.search(r"```json\n(.*?)```", section, re.S)
    assert block is not None
    example = json.loads(block.group(1))
    answer = client.get("/suggest", params={"q": example["query"]}).json()
    assert answer == example
    assert {item["kind"] for item in answer["suggestions"]} == {"title", "word"}


@pytest.mark.parametrize(
    ("typed", "suggestion"),
    [
        ("masmutt", "masmut"),
        ("MASMUTT", "MASMUT"),
        ("Masmutt, programe", "Masmut, programme"),
        ('"Conferense" in Abidjan -Togo', '"Conference" in Abidjan -Togo'),
        ("«Conferense» in Abidjan", "«Conference» in Abidjan"),
        ("-masmutt conferense", "-masmutt conference"),
        ("l'Educaton", "l'Education"),
        ("cote divoire conferense", "cote divoire conference"),
    ],
)
def test_the_suggestion_is_the_query_as_typed_with_only_the_misspelt_words_corrected(
    client: Any, typed: str, suggestion: str
) -> None:
    body = client.get("/search", params={"q": typed}).json()
    assert body["suggestion"] == suggestion
    assert body["query"] == typed


@pytest.mark.parametrize("typed", ["cote divoire", "Cote dIvoire", "Côte d’Ivoire"])
def test_a_recognised_country_name_gets_no_suggestion(client: Any, typed: str) -> None:
    body = client.get("/search", params={"q": typed}).json()
    assert [hit["id"] for hit in body["hits"]] == [SEED_000]
    assert body["suggestion"] is None

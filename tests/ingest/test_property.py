"""Arbitrary text and bytes, written as article files, never crash the ingest."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search_service.articles import Article, Problem, SourceRef
from search_service.ingest.corpus import ingest_paths
from search_service.ingest.organisations import discover, with_discovered_partners
from search_service.ingest.pages import parse_page
from search_service.ingest.vocabulary import Vocabulary

VOCABULARY = Vocabulary.load(Path(__file__).resolve().parents[2] / "corpus" / "vocabulary")
SUFFIXES = st.sampled_from([".txt", ".md", ".jsonl"])
# Text biased towards what the ingest looks at: furniture lines, dates, names, JSON, YAML.
PIECES = st.sampled_from(
    [
        "Education and Solidarity Network\n",
        "22 septembre 2016\n",
        "31 février 2016\n",
        "🌎 Join online ESN’s International Meeting\n",
        "Latest news\n",
        "---\n",
        "title: [x\n",
        "date: 2016-13-45\n",
        '{"id": "a", "title": "t", "body": "b"}\n',
        '{"id": 1, "title": null}\n',
        "Côte d’Ivoire, Bukina Faso, AIM, Congo, Brazzaville\n",
        "QuĂ©bec MedellĂn\n",
        "\x00",
        "\n",
    ]
)
TEXT = st.lists(st.one_of(PIECES, st.text(max_size=60)), max_size=12).map("".join)


def ingest_files(root: Path, contents: list[tuple[str, bytes]]) -> None:
    """Write the contents as files in a fresh folder and ingest it: nothing may raise."""
    for number, (suffix, data) in enumerate(contents):
        (root / f"f{number}{suffix}").write_bytes(data)
    result = ingest_paths([root], corpus_root=root, vocabulary=VOCABULARY)
    assert all(isinstance(a, Article) for a in result.articles)
    assert all(isinstance(p, Problem) for p in result.problems)
    unread = {p.path for p in result.skipped if p.code in ("empty_file", "binary_file")}
    assert result.files_read + len(unread) == len(contents)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(SUFFIXES, TEXT.map(lambda t: t.encode("utf-8"))), max_size=4))
def test_arbitrary_text_never_crashes_the_ingest(
    tmp_path_factory: pytest.TempPathFactory, contents: list[tuple[str, bytes]]
) -> None:
    ingest_files(tmp_path_factory.mktemp("text"), contents)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(SUFFIXES, st.binary(max_size=300)), max_size=4))
def test_arbitrary_bytes_never_crash_the_ingest(
    tmp_path_factory: pytest.TempPathFactory, contents: list[tuple[str, bytes]]
) -> None:
    ingest_files(tmp_path_factory.mktemp("bytes"), contents)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_parse_page_matching_and_discovery_accept_any_text(text: str) -> None:
    page = parse_page(text)
    assert "\n\n\n" not in page.body
    for match in VOCABULARY.match_names(text, typos=True):
        assert 0 <= match.start < match.end <= len(text)
    article = Article(
        id="a", title="t", language="en", body=text, source=SourceRef(path="a"), checksum="0"
    )
    discovery = discover([article], VOCABULARY)
    with_discovered_partners([article], discovery, VOCABULARY)

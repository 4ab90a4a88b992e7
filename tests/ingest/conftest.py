"""Fixtures of the ingest tests: the shipped vocabulary, and small corpora built per test."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from search_service.ingest.corpus import IngestResult, ingest_corpus
from search_service.ingest.vocabulary import Vocabulary

Write = Callable[[str, "str | bytes"], Path]


@pytest.fixture(scope="session")
def vocabulary(vocabulary_dir: Path) -> Vocabulary:
    return Vocabulary.load(vocabulary_dir)


@pytest.fixture
def corpus(tmp_path: Path, vocabulary_dir: Path) -> Path:
    """An empty corpus folder with the shipped vocabulary in it."""
    root = tmp_path / "corpus"
    shutil.copytree(vocabulary_dir, root / "vocabulary")
    return root


@pytest.fixture
def write(corpus: Path) -> Write:
    """Write a file under the test corpus (text as UTF-8, or raw bytes)."""

    def _write(relative: str, content: str | bytes) -> Path:
        path = corpus / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def ingest(corpus: Path) -> Callable[[], IngestResult]:
    return lambda: ingest_corpus(corpus)

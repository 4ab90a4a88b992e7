"""Fixtures shared by every test folder. Folder-specific ones live beside their tests."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shipped_corpus() -> Path:
    """The corpus shipped in the repo: the two seed pages and the vocabulary files."""
    return REPO_ROOT / "corpus"


@pytest.fixture(scope="session")
def vocabulary_dir(shipped_corpus: Path) -> Path:
    return shipped_corpus / "vocabulary"


@pytest.fixture(scope="session")
def seed_000(shipped_corpus: Path) -> Path:
    return shipped_corpus / "articles" / "000_197affed672c23d7.txt"


@pytest.fixture(scope="session")
def seed_001(shipped_corpus: Path) -> Path:
    return shipped_corpus / "articles" / "001_119e6c8c953a1bce.txt"

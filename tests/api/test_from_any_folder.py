"""`search`, `serve` and the API give the same answers from any working folder: they
use the vocabulary kept in the index, need no corpus, create nothing where they were
not asked to, and name missing folders in full."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from search_service.cli import main
from search_service.index.build import build_index
from search_service.settings import Settings
from search_service.web.api import create_app

SEED_000 = "articles/000_197affed672c23d7"


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory: pytest.TempPathFactory, shipped_corpus: Path) -> Path:
    index_dir = tmp_path_factory.mktemp("seeds") / "indexes"
    build_index(shipped_corpus, index_dir, full=True)
    return index_dir


def search_from(folder: Path, index: Path, query: str) -> dict[str, Any]:
    """The real command in a child process whose working folder is `folder`."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("SEARCH_CORPUS_DIR", "SEARCH_INDEX_DIR")
    }
    done = subprocess.run(
        [sys.executable, "-m", "search_service", "search", query, "--index", str(index), "--json"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.slow
def test_search_gives_the_same_results_from_any_folder(
    seed_index: Path, repo_root: Path, tmp_path: Path
) -> None:
    from_clone = search_from(repo_root, seed_index, "Ivory Coast")
    from_elsewhere = search_from(tmp_path, seed_index, "Ivory Coast")

    assert [hit["id"] for hit in from_elsewhere["hits"]] == [SEED_000]
    assert from_elsewhere["total"] == from_clone["total"] == 1


def test_the_api_uses_the_vocabulary_of_the_index_without_any_corpus(
    seed_index: Path, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    settings = Settings(index_dir=seed_index, corpus_dir=tmp_path / "no-corpus-here")
    with TestClient(create_app(settings)) as client:
        response = client.get("/search", params={"q": "Ivory Coast"})

    assert response.status_code == 200
    assert [hit["id"] for hit in response.json()["hits"]] == [SEED_000]


def test_serve_from_a_folder_without_index_or_corpus_creates_nothing(
    elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve"]) == 4

    err = capsys.readouterr().err
    assert f"no index in {elsewhere / 'indexes'}, and none can be built" in err
    assert f"no corpus folder at {elsewhere / 'corpus'}" in err
    assert list(elsewhere.iterdir()) == []


def test_serve_does_not_build_from_a_file_given_as_corpus(
    elsewhere: Path, repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--corpus", str(repo_root / "README.md")]) == 4

    assert "is a file, not a corpus folder" in capsys.readouterr().err
    assert list(elsewhere.iterdir()) == []


def test_search_without_an_index_names_the_full_path(
    elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "teachers"]) == 4

    assert f"no index has been built in {elsewhere / 'indexes'} yet" in capsys.readouterr().err
    assert list(elsewhere.iterdir()) == []

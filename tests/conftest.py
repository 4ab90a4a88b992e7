"""Fixtures shared by every test folder. Folder-specific ones live beside their tests."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def service_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`SEARCH_DATA_DIR` of every app and command a test runs (subprocesses too): their
    search analytics land here, never in the repository's data/. Tests that read the
    analytics give their app a folder of its own."""
    folder = tmp_path_factory.mktemp("service-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEARCH_DATA_DIR", str(folder))
        yield folder


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


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working folder is an unrelated, empty folder (no corpus, no index), and no
    folder settings are in the environment: what a user running a command from
    another folder has."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    for name in ("SEARCH_CORPUS_DIR", "SEARCH_INDEX_DIR"):
        monkeypatch.delenv(name, raising=False)
    return folder


@contextlib.contextmanager
def build_lock_held(root: Path) -> Iterator[int]:
    """Another process holding the build lock of `root`, as a running build does; its pid."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path;"
            "from search_service.index.generations import build_lock\n"
            "with build_lock(Path(sys.argv[1])):\n"
            "    print('locked', flush=True); time.sleep(60)",
            str(root),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield holder.pid
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()

"""The shipped default vocabulary is one copy of the data (corpus/vocabulary/, linked
from the package) and a non-editable install still has it: the wheel carries the files."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from search_service.ingest.corpus_root import SHIPPED_VOCABULARY

PACKAGE_VOCABULARY = "search_service/ingest/default_vocabulary"


def test_the_package_default_vocabulary_is_a_link_to_the_shipped_corpus(repo_root: Path) -> None:
    link = repo_root / PACKAGE_VOCABULARY
    assert link.is_symlink()
    assert link.resolve() == (repo_root / "corpus" / "vocabulary").resolve()
    assert SHIPPED_VOCABULARY.resolve() == link.resolve()  # the editable install reads it


@pytest.mark.slow
def test_the_wheel_carries_the_default_vocabulary_files(repo_root: Path, tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(repo_root / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(repo_root / "search_service", source / "search_service", True, ignore)
    shutil.copytree(repo_root / "corpus" / "vocabulary", source / "corpus" / "vocabulary")
    out = tmp_path / "wheel"

    offline = ("--no-deps", "--no-build-isolation", "--no-index", "--disable-pip-version-check")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", *offline, "-q", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    [wheel] = out.glob("*.whl")
    expected = sorted((repo_root / "corpus" / "vocabulary").glob("*.yaml"))
    assert expected
    with zipfile.ZipFile(wheel) as archive:
        for path in expected:
            inside = archive.read(f"{PACKAGE_VOCABULARY}/{path.name}")
            assert inside == path.read_bytes(), path.name

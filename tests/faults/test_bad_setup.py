"""A setup that is wrong: an index folder the user may not use, no corpus, a vocabulary
that is not YAML. Each gets a clear error naming what is wrong, and nothing is lost:
the live generation stays published and a running service keeps answering.

Permissions are real: the commands run as another user (`nobody`, through
`setpriv`) when the tests run as root, for whom `chmod` denies nothing; as any
other user, `chmod` takes the access away.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from search_service.cli import EXIT_CODES, main
from search_service.index import generations

from .conftest import folder_listing

Serve = Callable[..., Any]
NOBODY = 65534


def build(corpus: Path, index: Path, *options: str) -> int:
    return main(["index", "build", "--corpus", str(corpus), "--index", str(index), *options])


@pytest.fixture
def shared_folder(shipped_corpus: Path) -> Iterator[Path]:
    """A folder another user may enter (tmp_path's parents are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="search-permissions-"))
    folder.chmod(0o755)
    shutil.copytree(shipped_corpus, folder / "corpus")
    for path in [folder / "corpus", *(folder / "corpus").rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IROTH | (stat.S_IXOTH if path.is_dir() else 0))
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(folder)


def as_another_user(*args: str) -> subprocess.CompletedProcess[str]:
    """`search-service ARGS` as a user the folder's permissions apply to."""
    command = [sys.executable, "-m", "search_service", *args]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: no other user to deny access to")
        command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_an_index_folder_the_user_may_not_use_is_a_clear_error_that_loses_nothing(
    shared_folder: Path,
) -> None:
    index = shared_folder / "indexes"
    corpus = shared_folder / "corpus"
    assert build(corpus, index) == 0
    live = generations.read_pointer(index)
    for path in [index, *index.rglob("*")]:  # readable by all, writable by its owner only
        path.chmod(0o755 if path.is_dir() else 0o644)
    if os.geteuid() != 0:
        index.chmod(0o555)
    on_disk = folder_listing(index)

    refused = as_another_user("index", "build", "--corpus", str(corpus), "--index", str(index))
    assert refused.returncode == EXIT_CODES["build_failed"].code, refused.stderr
    assert f"cannot use the index folder {index}: Permission denied" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert as_another_user("search", "mutualist", "--index", str(index)).returncode == 0

    index.chmod(0o700 if os.geteuid() == 0 else 0o000)  # not even readable now
    try:
        for args in (["search", "mutualist"], ["index", "status"], ["serve", "--port", "1"]):
            done = as_another_user(*args, "--index", str(index))
            assert done.returncode == EXIT_CODES["index_unreadable"].code, (args, done.stderr)
            assert f"cannot read {index / generations.POINTER_FILE} (Permission denied)" in (
                done.stderr
            )
            assert "needs read access to the index folder" in done.stderr
            assert "Traceback" not in done.stderr and "rollback" not in done.stderr
    finally:
        index.chmod(0o755)

    assert generations.read_pointer(index) == live
    assert folder_listing(index) == on_disk


def test_the_service_answers_503_index_unreadable_while_it_may_not_read_its_index(
    tmp_path: Path, shipped_corpus: Path, serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same refusal reaching a service (its user lost access): a 503 saying to check
    permissions, never "damaged" or "no index"."""
    index = tmp_path / "indexes"
    assert build(shipped_corpus, index) == 0
    denied = PermissionError(13, "Permission denied")

    def refuse(*args: object, **kwargs: object) -> str:
        raise denied

    monkeypatch.setattr(Path, "read_text", refuse)  # what EACCES on the folder does
    client = serve(index)
    response = client.get("/search", params={"q": "mutualist"})
    health = client.get("/health")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "index_unreadable"
    assert "permissions" in response.json()["error"]["message"]
    assert (health.status_code, health.json()["status"]) == (503, "index_unreadable")


def test_a_missing_corpus_folder_fails_the_build_clearly_and_the_service_serves_on(
    tmp_path: Path, shipped_corpus: Path, serve: Serve, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "indexes"
    assert build(shipped_corpus, index) == 0
    live = generations.read_pointer(index)
    client = serve(index)
    before = client.get("/search", params={"q": "mutualist"}).json()["total"]
    capsys.readouterr()

    missing = tmp_path / "no-such-corpus"
    assert build(missing, index) == EXIT_CODES["bad_corpus"].code
    err = capsys.readouterr().err
    assert f"no corpus folder at {missing}" in err and "nothing was built" in err

    assert generations.read_pointer(index) == live
    assert client.get("/search", params={"q": "mutualist"}).json()["total"] == before > 0
    assert main(["search", "mutualist", "--index", str(index)]) == 0  # needs no corpus


def test_a_vocabulary_file_that_is_not_yaml_fails_the_build_clearly_and_loses_nothing(
    tmp_path: Path, shipped_corpus: Path, serve: Serve, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(shipped_corpus, corpus)
    index = tmp_path / "indexes"
    assert build(corpus, index) == 0
    live = generations.read_pointer(index)
    client = serve(index)
    before = client.get("/search", params={"q": "ivory coast"}).json()
    (corpus / "vocabulary" / "countries.yaml").write_text("countries: [unclosed\n  - x: :\n")
    capsys.readouterr()

    assert build(corpus, index, "--full") == EXIT_CODES["bad_vocabulary"].code
    err = capsys.readouterr().err
    assert f"{corpus / 'vocabulary' / 'countries.yaml'}: cannot read vocabulary file" in err
    assert "line 2" in err

    assert generations.read_pointer(index) == live
    after = client.get("/search", params={"q": "ivory coast"}).json()
    assert after["total"] == before["total"] > 0  # synonyms still from the generation's copy

"""Fixtures shared by every test folder. Folder-specific ones live beside their tests."""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import settings

from search_service.index import flat_arrays
from search_service.index import generations as gens
from search_service.index.compiled_view import (
    FOLDED_BODY,
    HEAD,
    HEAD_FIELDS,
    HIGHLIGHTED_CHARS,
    PLAIN_BODIES,
    VIEW_FOLDER,
    VIEW_NAME,
    split_head,
)
from search_service.text import fold_same_length

REPO_ROOT = Path(__file__).resolve().parent.parent

#: Hypothesis fails an example slower than 200 ms by default: on a busy machine (CI) a
#: stall would fail a property test that holds. What its examples check is answers.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")


@pytest.fixture(scope="session", autouse=True)
def service_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`SEARCH_DATA_DIR` of every app and command a test runs (subprocesses too): their
    search analytics land here, never in the repository's data/. Tests that read the
    analytics give their app a folder of its own."""
    folder = tmp_path_factory.mktemp("service-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEARCH_DATA_DIR", str(folder))
        yield folder


@pytest.fixture(scope="session", autouse=True)
def patient_search_budget() -> Iterator[None]:
    """`SEARCH_SEARCH_TIME_BUDGET_MS` of a minute for every app, engine and command a test
    runs: past the budget a search answers with what it has (no spelling correction, no
    proximity bonus), so a machine stalled for 1.5 s (CI) would change answers a test
    checks. Tests of the budget give their own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEARCH_SEARCH_TIME_BUDGET_MS", "60000")
        yield


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


#: The line `serve` prints once it listens (`web.server.run_serve`), and its address.
_LISTENING = re.compile(r"search service: open (http://[^/\s]+)")


def start_serve(
    command: list[str],
    *,
    output: Path,
    env: dict[str, str],
    cwd: Path | None = None,
    stderr: int | None = subprocess.DEVNULL,
    timeout: float = 120.0,
) -> tuple[subprocess.Popen[str], str]:
    """`command`, a `serve` command line, on a port the system chooses (`--port 0`); the
    process and the address (`http://127.0.0.1:PORT`) read from the line it prints once
    it listens. A port found free beforehand could be taken by another process before
    `serve` binds it. Its standard output goes to the file `output` (a pipe nobody reads
    on would fill); the caller stops the process."""
    with open(output, "w") as written:
        process = subprocess.Popen(
            [*command, "--port", "0"], env=env, cwd=cwd, stdout=written, stderr=stderr, text=True
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        listening = _LISTENING.search(output.read_text())
        if listening is not None:
            return process, listening.group(1)
        time.sleep(0.05)
    process.terminate()  # its workers stop with it (a killed supervisor would leave them)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    raise AssertionError(f"`serve` never said where it listens; it printed: {output.read_text()!r}")


#: Words of the varied corpus, per language (a few very common ones fill several
#: posting blocks of 128; names of the shipped vocabulary make synonyms work).
_WORDS = {
    "en": (
        "teachers union health insurance mutual social protection education public school "
        "workers rights solidarity network coverage africa benin senegal togo the of and in "
        "for to a la la"
    ),
    "fr": (
        "enseignants syndicat santé mutuelle protection sociale éducation école publique "
        "travailleurs droits solidarité réseau couverture afrique bénin sénégal côte d’ivoire "
        "l’école les des de la et"
    ),
    "es": (
        "docentes sindicato salud mutualidad protección social educación escuela pública "
        "trabajadores derechos solidaridad red cobertura américa latina argentina la de y"
    ),
}
_COUNTRIES = ("Benin", "Senegal", "Togo", "Argentina", "Côte d'Ivoire")
_PARTNERS = ("Education International", "ILO", "AIM")


@pytest.fixture(scope="session")
def varied_articles() -> list[Any]:
    """300 deterministic articles in three languages: repeated words and phrases,
    facets, dates (some unknown), bodies of very different lengths."""
    import datetime as dt
    import random

    from search_service.articles import Article, SourceRef

    rng = random.Random(11)
    out = []
    for n in range(300):
        language = ("en", "en", "fr", "es")[n % 4]
        words = _WORDS[language].split(" ")
        title = " ".join(rng.choice(words) for _ in range(rng.randint(2, 7))).capitalize()
        body = ". ".join(
            " ".join(rng.choice(words) for _ in range(rng.randint(3, 12)))
            for _ in range(rng.randint(1, 40))
        )
        if n % 7 == 0:
            body += " Health insurance for teachers. La mutuelle de santé."
        date = dt.date(2009 + n % 17, 1 + n % 12, 1 + n % 27) if n % 9 else None
        out.append(
            Article(
                id=f"varied-{n:03d}",
                title=title,
                body=body,
                language=language,
                date=date,
                year=date.year if date else None,
                countries=tuple(rng.sample(_COUNTRIES, n % 3)),
                partners=tuple(rng.sample(_PARTNERS, n % 2)),
                source=SourceRef(path=f"articles/varied-{n:03d}.txt"),
                checksum=f"varied-{n}-{hash((title, body))}",
            )
        )
    return out


def as_compiled_by_version_2(generation: Path) -> None:
    """Rewrite a generation's view as version 2 kept its texts: bodies folded by
    `fold_same_length` (not `fold_to_words`), no `PLAIN_BODIES`; record its files again."""
    _rewrite_view(generation, 2, _as_version_2)


def as_compiled_with_a_column_per_field(generation: Path) -> None:
    """Rewrite a generation's view as version 1 kept its texts: those of version 2, with
    a column for each of `HEAD_FIELDS` (an empty text: no bytes) instead of their `HEAD`;
    record its files again."""

    def as_version_1(arrays: dict[str, Any]) -> None:
        _as_version_2(arrays)
        heads = [split_head(text) for text in _texts(arrays, HEAD)]
        del arrays[f"stored.{HEAD}.blob"], arrays[f"stored.{HEAD}.starts"]
        for number, name in enumerate(HEAD_FIELDS):
            _set_texts(arrays, name, [head[number] for head in heads])

    _rewrite_view(generation, 1, as_version_1)


def _as_version_2(arrays: dict[str, Any]) -> None:
    del arrays[PLAIN_BODIES]
    bodies = _texts(arrays, "body")
    _set_texts(arrays, FOLDED_BODY, [fold_same_length(body[:HIGHLIGHTED_CHARS]) for body in bodies])


def _rewrite_view(generation: Path, version: int, rewrite: Any) -> None:
    folder = generation / VIEW_FOLDER
    arrays, meta = flat_arrays.open_arrays(folder, VIEW_NAME)
    arrays = {name: np.array(array) for name, array in arrays.items()}  # off the mapped file
    rewrite(arrays)
    flat_arrays.write_arrays(folder, VIEW_NAME, arrays, {**meta, "view_version": version})
    record_files(generation, {f"{VIEW_FOLDER}/{VIEW_NAME}.bin", f"{VIEW_FOLDER}/{VIEW_NAME}.json"})


def _texts(arrays: dict[str, Any], column: str) -> list[str]:
    blob, starts = arrays[f"stored.{column}.blob"], arrays[f"stored.{column}.starts"]
    return [
        bytes(blob[start:end]).decode("utf-8") for start, end in itertools.pairwise(starts.tolist())
    ]


def _set_texts(arrays: dict[str, Any], column: str, texts: list[str]) -> None:
    encoded = [text.encode("utf-8") for text in texts]
    lengths = np.array([len(text) for text in encoded], dtype=np.int64)
    arrays[f"stored.{column}.blob"] = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    arrays[f"stored.{column}.starts"] = np.concatenate([[0], lengths.cumsum()])


def record_files(generation: Path, names: set[str]) -> None:
    """Record the generation's files `names` (relative paths) in its manifest again, as a
    build that wrote them so would have: a file changed without it is damage."""
    manifest_path = generation / gens.MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest[gens.FILES_KEY].update(gens.index_files(generation, only=names))
    gens.write_json_durably(manifest_path, manifest)

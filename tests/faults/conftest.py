"""Fixtures of the fault tests: a corpus on disk, the real app, and a disk that fills up.

The faults are real where they can be (a truncated file, a missing folder, a
folder another user owns, a tiny tmpfs when the tests may mount one) and
injected where they cannot: `disk_full` makes the writes of a build fail with
`ENOSPC` after a number of bytes, at the file objects the writers use.
"""

from __future__ import annotations

import builtins
import errno
import json
import os
import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh.filedb import filestore

from search_service.index import flat_arrays, generations
from search_service.settings import Settings
from search_service.web.api import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette asks for `httpx2`; plain httpx is declared
    from fastapi.testclient import TestClient


def add_export(corpus: Path, count: int, name: str = "export.jsonl", start: int = 0) -> Path:
    """A JSON Lines export of `count` English articles about teachers, added to the corpus."""
    path = corpus / "articles" / name
    with open(path, "w", encoding="utf-8") as handle:
        for number in range(start, start + count):
            record = {
                "id": f"{path.stem}-{number}",
                "title": f"Teachers meeting number {number}",
                "body": f"Report {number} on health insurance for teachers in Benin. " * 8,
                "language": "en",
                "date": f"20{10 + number % 10}-01-15",
            }
            handle.write(json.dumps(record) + "\n")
    return path


@pytest.fixture
def corpus(tmp_path: Path, shipped_corpus: Path) -> Path:
    """A copy of the shipped corpus (seeds and vocabulary) plus 200 articles, to edit."""
    copy = tmp_path / "corpus"
    shutil.copytree(shipped_corpus, copy)
    add_export(copy, 200)
    return copy


@pytest.fixture
def serve() -> Iterator[Callable[..., TestClient]]:
    """The real app over an index folder, started (lifespan) as a server starts it."""
    clients: list[TestClient] = []

    def start(index_dir: Path, **overrides: Any) -> TestClient:
        settings = Settings(index_dir=index_dir, reload_interval=0.05, **overrides)
        client = TestClient(create_app(settings), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def folder_listing(root: Path) -> list[str]:
    """Every entry of the index folder, files of generations included."""
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


class DiskFull:
    """The disk fills up: writes to matching files fail with ENOSPC past a budget.

    Patches `open` where the build's writers look it up (Whoosh's file storage,
    which writes every file of the index, `flat_arrays`, which writes the serving
    view, and `generations`, which writes the manifest, the checksums and the live
    pointer); the file objects returned
    write until the budget is spent, then write what fits and raise
    `OSError(ENOSPC)`, as `write(2)` on a full disk does.
    """

    def __init__(self) -> None:
        self.budget: int | None = None
        self.matches: Callable[[Path], bool] = lambda path: True
        self.on_full: Callable[[], None] = lambda: None
        self.refusals = 0

    def fill(
        self,
        after_bytes: int,
        matches: Callable[[Path], bool] = lambda path: True,
        on_full: Callable[[], None] = lambda: None,
    ) -> None:
        self.budget, self.matches, self.on_full = after_bytes, matches, on_full

    def free(self) -> None:
        self.budget = None

    def open(self, file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = builtins.open(file, mode, *args, **kwargs)  # noqa: SIM115 - returned
        writing = any(flag in mode for flag in "wax+")
        if writing and self.budget is not None and self.matches(Path(file)):
            return _BudgetedFile(handle, self, str(file))
        return handle

    def spend(self, wanted: int) -> int:
        """Bytes of `wanted` that still fit (the budget is shared by every file)."""
        assert self.budget is not None
        granted = min(wanted, self.budget)
        self.budget -= granted
        return granted


class _BudgetedFile:
    def __init__(self, handle: Any, disk: DiskFull, name: str) -> None:
        self._handle = handle
        self._disk = disk
        self._name = name

    def write(self, data: Any) -> int:
        size = len(memoryview(data).cast("B")) if not isinstance(data, str) else len(data)
        if self._disk.budget is None:
            return int(self._handle.write(data))
        granted = self._disk.spend(size)
        if granted < size:
            self._handle.write(data[:granted])
            self._disk.refusals += 1
            self._disk.on_full()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self._name)
        return int(self._handle.write(data))

    def __enter__(self) -> _BudgetedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


@pytest.fixture
def disk_full(monkeypatch: pytest.MonkeyPatch) -> DiskFull:
    disk = DiskFull()
    monkeypatch.setattr(filestore, "open", disk.open, raising=False)
    monkeypatch.setattr(generations, "open", disk.open, raising=False)
    monkeypatch.setattr(flat_arrays, "open", disk.open, raising=False)
    return disk

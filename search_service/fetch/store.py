"""Fetched pages on disk: `<corpus>/site/<site>/<path>.html` and a sidecar beside each.

The sidecar `<page file>.fetch.json` says where the page came from and how to ask
for it again::

    {"url": "https://site.org/en/a/", "final_url": "https://www.site.org/en/a/",
     "fetched_at": "2026-01-31T10:00:00Z", "etag": "\\"abc\\"",
     "last_modified": "Sat, 31 Jan 2026 09:00:00 GMT", "status": 200,
     "content_type": "text/html; charset=utf-8"}

`url` is the page as the sources list it (normalised), `final_url` where it was
fetched after redirects, `fetched_at` when the saved copy was last confirmed
(downloaded, or a 304). The page is saved as the bytes the site sent.

Every write is atomic: a hidden temporary file in the same folder, flushed to
disk, then `os.replace`d over the old one, so a killed or failing fetch leaves
either the old page or the new one, never part of one. The page is written
before its sidecar: a run killed between the two leaves the new page with the
old validators, and the next run only asks for it again. Hidden files (the
temporaries, the lock) are never read by the ingest.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError

from search_service.errors import FetchError, FetchInProgressError
from search_service.fetch.urls import site_of
from search_service.ingest.corpus_root import FETCH_SIDECAR_SUFFIX
from search_service.ingest.html import HTML_EXTENSIONS

SITE_DIR: Final = "site"
LOCK_FILE: Final = ".fetch.lock"
TEMP_SUFFIX: Final = ".fetch-tmp"
#: Longest file name part kept readable; longer ones end with a hash of the rest.
MAX_NAME_BYTES: Final = 180
#: Test hook (documented in docs/fetch.md): seconds to pause in the middle of
#: writing a temporary file, so a test can kill a real fetch mid-save.
PAUSE_ENV: Final = "SEARCH_TEST_FETCH_SAVE_PAUSE"
# Characters of a decoded path segment or query that are percent-encoded in a file
# name: `/`, `\\`, NUL and control characters never reach the file system, and `%`
# itself so that two URLs never share a name. Letters of any script stay readable.
_UNSAFE_NAME_CHAR: Final = re.compile(r"[\x00-\x1f\x7f/\\%]")


class Sidecar(BaseModel):
    """What is known of one saved page (the `.fetch.json` file)."""

    model_config = ConfigDict(extra="ignore")

    url: str
    final_url: str
    fetched_at: dt.datetime
    etag: str | None = None
    last_modified: str | None = None
    status: int = 200
    content_type: str | None = None


@dataclass(frozen=True)
class SavedPage:
    """A page on disk and its sidecar."""

    path: Path
    sidecar: Sidecar

    @property
    def sidecar_path(self) -> Path:
        return sidecar_path(self.path)


def sidecar_path(page: Path) -> Path:
    return page.with_name(page.name + FETCH_SIDECAR_SUFFIX)


class Store:
    """The fetched part of a corpus: `<corpus>/site/`."""

    def __init__(self, corpus_dir: Path) -> None:
        self.corpus_dir = Path(corpus_dir)
        self.root = self.corpus_dir / SITE_DIR

    # -- reading --

    def saved_pages(self) -> tuple[list[SavedPage], list[str]]:
        """Every page with a readable sidecar, and a warning for each sidecar that is not.

        A sidecar whose page is gone (a run killed between deleting the two) is
        removed here.
        """
        pages: list[SavedPage] = []
        warnings: list[str] = []
        if not self.root.is_dir():
            return pages, warnings
        for path in sorted(self.root.rglob("*" + FETCH_SIDECAR_SUFFIX)):
            if any(part.startswith(".") for part in path.relative_to(self.root).parts):
                continue
            page = path.with_name(path.name.removesuffix(FETCH_SIDECAR_SUFFIX))
            if not page.exists():
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                continue
            try:
                sidecar = Sidecar.model_validate_json(path.read_bytes())
            except (OSError, ValidationError) as error:
                first = str(error).splitlines()[0]
                warnings.append(f"{path}: sidecar ignored ({first}); the page is fetched anew")
                continue
            pages.append(SavedPage(page, sidecar))
        return pages, warnings

    def path_for(self, url: str) -> Path:
        """Where the page at `url` is saved: `site/<site>/<path segments>.html`.

        `/` is `index.html`; `/a/` and `/a` are both `a.html` (one page, see `urls`);
        a query becomes part of the last name (`list@page=2.html`).
        """
        parts = urlsplit(url)
        segments = [_file_name(unquote(s)) for s in parts.path.split("/") if s]
        if not segments:
            segments = ["index"]
        last = segments[-1]
        if parts.query:
            last = _file_name(f"{unquote(last)}@{unquote(parts.query)}")
        if not last.lower().endswith(HTML_EXTENSIONS):
            last += ".html"
        segments[-1] = last
        return self.root.joinpath(_file_name(site_of(url).replace(":", "_")), *segments)

    # -- writing --

    def save(self, path: Path, body: bytes, sidecar: Sidecar) -> None:
        """The page, then its sidecar, each replaced atomically."""
        write_atomic(path, body)
        self.write_sidecar(path, sidecar)

    def write_sidecar(self, path: Path, sidecar: Sidecar) -> None:
        data = sidecar.model_dump(mode="json")
        text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
        write_atomic(sidecar_path(path), text.encode("utf-8"))

    def remove(self, path: Path) -> None:
        """The page, then its sidecar, then the folders left empty (up to `site/`)."""
        for file in (path, sidecar_path(path)):
            with contextlib.suppress(FileNotFoundError):
                file.unlink()
        folder = path.parent
        while folder != self.root and folder.is_relative_to(self.root):
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent

    def remove_temporaries(self) -> int:
        """Temporary files left by a fetch that was killed mid-save (never read by anyone)."""
        removed = 0
        if self.root.is_dir():
            for temporary in self.root.rglob("*" + TEMP_SUFFIX):
                with contextlib.suppress(FileNotFoundError):
                    temporary.unlink()
                    removed += 1
        return removed

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the corpus's fetch lock; `FetchInProgressError` while another fetch has it."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            handle: IO[str] = open(self.root / LOCK_FILE, "a+", encoding="utf-8")  # noqa: SIM115
        except OSError as error:
            raise FetchError(
                f"cannot write into the corpus folder {self.root.resolve()}: "
                f"{error.strerror or error}"
            ) from error
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.seek(0)
                text = handle.read().strip()
                raise FetchInProgressError(
                    int(text) if text.isdigit() else None, self.corpus_dir.resolve()
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            try:
                yield
            finally:
                handle.truncate(0)
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def write_atomic(path: Path, data: bytes) -> None:
    """`data` at `path`, all or nothing: a temporary file beside it, then `os.replace`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            pause = float(os.environ.get(PAUSE_ENV) or 0)
            if pause > 0:
                handle.write(data[: len(data) // 2])
                handle.flush()
                time.sleep(pause)
                handle.write(data[len(data) // 2 :])
            else:
                handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (a crash right after keeps the new name)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _file_name(text: str) -> str:
    """A file or folder name for one URL path segment: safe characters, not hidden, not
    too long."""
    name = _UNSAFE_NAME_CHAR.sub(lambda m: f"%{ord(m.group()):02X}", text) if text else "_"
    if name.startswith("."):
        name = "%2E" + name[1:]
    if len(name.encode()) > MAX_NAME_BYTES:
        digest = hashlib.sha256(name.encode()).hexdigest()[:16]
        name = f"{name[: MAX_NAME_BYTES - 20]}~{digest}"
    return name

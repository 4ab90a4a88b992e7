"""A disk that fills up while a build writes: a clear failure, nothing half-published.

The build fails with exit 2 and a message naming the full disk; the live
generation keeps serving (asked through the app at the moment the disk is
full, and after); nothing the build wrote is left behind; the next build, with
space again, publishes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from search_service.cli import EXIT_CODES, main
from search_service.index import generations

from .conftest import DiskFull, add_export, folder_listing

Serve = Callable[..., Any]

#: Which writes of the build meet the full disk.
WHERE = {
    "the index files, at once": (0, lambda path: path.parent.name.startswith("building-")),
    "the index files, midway": (
        40_000,
        lambda path: (
            path.parent.name.startswith("building-")
            and path.name not in (generations.MANIFEST_FILE, generations.CHECKSUMS_FILE)
        ),
    ),
    "the serving view": (
        10_000,
        lambda path: (
            path.parent.name == generations.VIEW_FOLDER
            and path.parent.parent.name.startswith("building-")
        ),
    ),
    "the manifest": (100, lambda path: path.name.startswith(f".{generations.MANIFEST_FILE}.")),
    "the live pointer": (10, lambda path: path.name.startswith(f".{generations.POINTER_FILE}.")),
}


def build(corpus: Path, index: Path, *options: str) -> int:
    return main(["index", "build", "--corpus", str(corpus), "--index", str(index), *options])


def search(client: Any) -> tuple[int, int, str]:
    response = client.get("/search", params={"q": "teachers"})
    health = client.get("/health").json()
    return response.status_code, response.json().get("total", -1), health["generation"]


#: Whoosh leaves the file it was writing open when a write fails (its table of
#: contents, `TOC.write`); the garbage collector closes it, with a ResourceWarning.
WHOOSH_LEAVES_A_FILE_OPEN = pytest.mark.filterwarnings("ignore::ResourceWarning")


@WHOOSH_LEAVES_A_FILE_OPEN
@pytest.mark.parametrize("where", list(WHERE))
@pytest.mark.parametrize("mode", ["--full", "incremental"])
def test_a_build_that_fills_the_disk_fails_clearly_and_the_live_generation_serves_on(
    corpus: Path,
    tmp_path: Path,
    serve: Serve,
    disk_full: DiskFull,
    capsys: pytest.CaptureFixture[str],
    where: str,
    mode: str,
) -> None:
    index = tmp_path / "indexes"
    assert build(corpus, index) == 0
    live = generations.read_pointer(index)
    on_disk = folder_listing(index)
    client = serve(index)
    before = search(client)
    add_export(corpus, 100, name="more.jsonl")  # a change: the next build writes
    capsys.readouterr()

    during: list[tuple[int, int, str]] = []
    budget, matches = WHERE[where]
    disk_full.fill(budget, matches, on_full=lambda: during.append(search(client)))
    code = build(corpus, index, *([mode] if mode.startswith("--") else []))
    err = capsys.readouterr().err

    assert code == EXIT_CODES["build_failed"].code
    assert disk_full.refusals >= 1
    assert f"no space left on the disk of {index}" in err
    assert f"{live} is still live" in err
    assert during[:1] == [before]
    assert generations.read_pointer(index) == live
    assert folder_listing(index) == on_disk  # nothing half-written is left, nothing lost
    assert search(client) == before

    disk_full.free()
    assert build(corpus, index) == 0
    published = generations.read_pointer(index)
    assert published != live
    assert served_once_reloaded(client, published) == (200, before[1] + 100, published)


def served_once_reloaded(client: Any, generation: str | None) -> tuple[int, int, str]:
    """What the app answers once it serves `generation` (it notices new ones by itself)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if client.get("/health").json()["generation"] == generation:
            break
        time.sleep(0.01)
    return search(client)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 4 MiB tmpfs, where the tests may mount one (root with CAP_SYS_ADMIN)."""
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root (the injected ENOSPC above runs everywhere)")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


@WHOOSH_LEAVES_A_FILE_OPEN
def test_a_real_full_disk_fails_the_build_and_the_next_one_succeeds_once_space_is_freed(
    corpus: Path, tiny_disk: Path, serve: Serve, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tiny_disk / "indexes"
    assert build(corpus, index) == 0
    live = generations.read_pointer(index)
    client = serve(index)
    before = search(client)
    on_disk = folder_listing(index)
    filler = tiny_disk / "filler"
    with open(filler, "wb") as handle:  # something else fills the disk, but 16 KiB
        free = shutil.disk_usage(tiny_disk).free - 16 * 1024
        handle.write(b"\0" * max(free, 0))
    add_export(corpus, 100, name="more.jsonl")
    capsys.readouterr()

    code = build(corpus, index, "--full")
    err = capsys.readouterr().err

    assert code == EXIT_CODES["build_failed"].code
    assert f"no space left on the disk of {index}" in err
    assert generations.read_pointer(index) == live
    assert folder_listing(index) == on_disk
    assert search(client) == before

    filler.unlink()
    assert build(corpus, index) == 0
    published = generations.read_pointer(index)
    assert published != live
    assert served_once_reloaded(client, published) == (200, before[1] + 100, published)

"""Pages on disk: where each URL is saved, atomic writes, removal, the fetch lock."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from search_service.errors import FetchInProgressError
from search_service.fetch.store import Sidecar, Store, write_atomic


def sidecar(url: str) -> Sidecar:
    return Sidecar(url=url, final_url=url, fetched_at=dt.datetime(2024, 2, 5, tzinfo=dt.UTC))


@pytest.mark.parametrize(
    ("url", "relative"),
    [
        ("https://www.site.org/", "site.org/index.html"),
        ("https://site.org/en/news/a/", "site.org/en/news/a.html"),
        ("https://site.org/en/news/a", "site.org/en/news/a.html"),
        ("https://site.org/en/", "site.org/en.html"),
        ("https://site.org/old/page.html", "site.org/old/page.html"),
        ("https://site.org/?p=952", "site.org/index@p=952.html"),
        ("https://site.org/list/?page=2&cat=a%2Fb", "site.org/list@page=2&cat=a%2Fb.html"),
        ("https://site.org/fr/actualit%C3%A9s/", "site.org/fr/actualités.html"),
        ("https://site.org/a%2F..%2Fb/", "site.org/a%2F..%2Fb.html"),
        ("https://site.org/%2Ehidden/", "site.org/%2Ehidden.html"),
        ("http://127.0.0.1:8765/en/a/", "127.0.0.1_8765/en/a.html"),
    ],
)
def test_each_url_is_saved_under_site_host_and_path(
    tmp_path: Path, url: str, relative: str
) -> None:
    store = Store(tmp_path)

    assert store.path_for(url) == tmp_path / "site" / relative


def test_a_very_long_path_segment_is_shortened_with_a_hash(tmp_path: Path) -> None:
    store = Store(tmp_path)
    long_a, long_b = "a" * 300 + "x", "a" * 300 + "y"

    path_a = store.path_for(f"https://site.org/{long_a}/")
    path_b = store.path_for(f"https://site.org/{long_b}/")

    assert path_a != path_b
    assert len(path_a.name.encode()) <= 185
    assert path_a.is_relative_to(tmp_path / "site" / "site.org")


def test_save_writes_the_page_and_its_sidecar(tmp_path: Path) -> None:
    store = Store(tmp_path)
    path = store.path_for("https://site.org/en/a/")

    store.save(path, b"<html>a</html>", sidecar("https://site.org/en/a/"))

    assert path.read_bytes() == b"<html>a</html>"
    pages, warnings = store.saved_pages()
    assert [(page.path, page.sidecar.url) for page in pages] == [(path, "https://site.org/en/a/")]
    assert warnings == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "page.html"
    write_atomic(path, b"old")

    def broken_fsync(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(path, b"new page, half written when the disk filled up")

    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html"]


def test_a_write_interrupted_before_the_rename_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "page.html"
    write_atomic(path, b"old")

    def interrupted(source: str, target: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(path, b"new")

    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html"]


def test_temporaries_left_by_a_killed_fetch_are_removed(tmp_path: Path) -> None:
    store = Store(tmp_path)
    folder = tmp_path / "site" / "site.org" / "en"
    folder.mkdir(parents=True)
    (folder / ".a.html.x1y2.fetch-tmp").write_bytes(b"half a page")
    (folder / "a.html").write_bytes(b"whole page")

    assert store.remove_temporaries() == 1
    assert sorted(p.name for p in folder.iterdir()) == ["a.html"]


def test_remove_deletes_page_sidecar_and_the_folders_left_empty(tmp_path: Path) -> None:
    store = Store(tmp_path)
    kept = store.path_for("https://site.org/en/kept/")
    gone = store.path_for("https://site.org/fr/actualites/gone/")
    store.save(kept, b"kept", sidecar("https://site.org/en/kept/"))
    store.save(gone, b"gone", sidecar("https://site.org/fr/actualites/gone/"))

    store.remove(gone)

    assert not (tmp_path / "site" / "site.org" / "fr").exists()
    assert kept.exists()
    assert [page.path for page in store.saved_pages()[0]] == [kept]


def test_a_sidecar_without_its_page_is_cleaned_up_and_a_broken_one_reported(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path)
    orphan = store.path_for("https://site.org/en/orphan/")
    broken = store.path_for("https://site.org/en/broken/")
    store.save(orphan, b"x", sidecar("https://site.org/en/orphan/"))
    store.save(broken, b"y", sidecar("https://site.org/en/broken/"))
    orphan.unlink()
    broken.with_name(broken.name + ".fetch.json").write_text("{not json", encoding="utf-8")

    pages, warnings = store.saved_pages()

    assert pages == []
    assert not orphan.with_name(orphan.name + ".fetch.json").exists()
    assert len(warnings) == 1
    assert "broken.html.fetch.json: sidecar ignored" in warnings[0]


def test_a_second_fetch_of_the_same_corpus_is_refused_with_the_holder_pid(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path)

    with store.lock(), pytest.raises(FetchInProgressError) as error, Store(tmp_path).lock():
        pass

    assert error.value.pid == os.getpid()
    assert "another fetch is running" in str(error.value)
    with Store(tmp_path).lock():  # released once the first fetch is done
        pass

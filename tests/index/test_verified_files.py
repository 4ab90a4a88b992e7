"""Opening a generation reads its checksums once per machine, not at every opening.

The build notes the identity (device, inode, size, modification and change times) of
each file it recorded; `damage_before_serving` reads again only files whose identity
changed since: written in place, replaced, or copied here from another machine.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from search_service.articles import Article
from search_service.index import generations
from search_service.index.build import build_from_articles


def live(index_root: Path) -> generations.Generation:
    generation = generations.live_generation(index_root)
    assert generation is not None
    return generation


def segment(generation: generations.Generation) -> Path:
    return max(generation.path.glob("*.seg"), key=lambda path: path.stat().st_size)


def with_wrong_checksums(generation: generations.Generation) -> generations.Generation:
    """The generation as if its build had recorded other checksums (its files unchanged)."""
    manifest = json.loads(json.dumps(generation.manifest))
    for record in manifest[generations.FILES_KEY].values():
        record["sha256"] = "0" * 64
    return generations.Generation(generation.name, generation.path, manifest)


def garble_in_place(path: Path) -> None:
    """Overwrite one byte, the size kept and the modification time set back."""
    before = path.stat()
    with open(path, "r+b") as handle:
        handle.seek(before.st_size // 2)
        byte = handle.read(1)
        handle.seek(before.st_size // 2)
        handle.write(bytes([byte[0] ^ 0xFF]))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_a_generation_opened_where_it_was_built_has_its_checksums_trusted(
    index_root: Path, small_corpus: list[Article]
) -> None:
    build_from_articles(small_corpus, index_root)
    generation = with_wrong_checksums(live(index_root))

    assert generations.damage_before_serving(generation) is None
    assert "its checksum differs" in str(generations.damage(generation, thorough=True))


def test_a_file_written_since_its_build_is_read_again_even_with_its_size_and_time_kept(
    index_root: Path, small_corpus: list[Article]
) -> None:
    build_from_articles(small_corpus, index_root)
    generation = live(index_root)
    garble_in_place(segment(generation))

    found = generations.damage_before_serving(generation)

    assert found == f"{segment(generation).name} is not what the build wrote (its checksum differs)"


def test_a_copied_generation_is_read_once_then_trusted(
    index_root: Path, tmp_path: Path, small_corpus: list[Article]
) -> None:
    build_from_articles(small_corpus, index_root)
    replica = tmp_path / "replica"
    replica.mkdir()
    copied = shutil.copytree(live(index_root).path, replica / live(index_root).name)
    generation = generations.load_generation(replica, copied.name)
    assert generation is not None
    assert generations.verified_files(generation) == set()  # new inodes: nothing trusted

    assert generations.damage_before_serving(generation) is None

    assert generations.verified_files(generation) == set(generation.manifest["files"])
    assert generations.damage_before_serving(with_wrong_checksums(generation)) is None


def test_a_damaged_copy_is_not_noted_as_verified(
    index_root: Path, tmp_path: Path, small_corpus: list[Article]
) -> None:
    build_from_articles(small_corpus, index_root)
    copied = shutil.copytree(live(index_root).path, tmp_path / live(index_root).name)
    generation = generations.load_generation(tmp_path, copied.name)
    assert generation is not None
    garble_in_place(segment(generation))

    assert "its checksum differs" in str(generations.damage_before_serving(generation))
    assert segment(generation).name not in generations.verified_files(generation)
    assert "its checksum differs" in str(generations.damage_before_serving(generation))


def test_the_notes_of_verified_files_are_not_index_files(
    index_root: Path, small_corpus: list[Article]
) -> None:
    build_from_articles(small_corpus, index_root)
    generation = live(index_root)

    assert (generation.path / generations.VERIFIED_FILE).is_file()
    assert generations.VERIFIED_FILE not in generations.index_files(generation.path)
    assert generations.damage(generation, thorough=True) is None

"""`search-service index status|rollback|build` through `cli.main`, in-process: what they
print and their exit codes (tests that need a real process or terminal are in test_cli.py)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from search_service import cli
from search_service.articles import Article
from search_service.index import generations
from search_service.index.build import build_from_articles

from ..conftest import build_lock_held
from .conftest import MakeArticle


def run_main(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of `search-service ARGS`."""
    code = cli.main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def facet_rich_corpus(make_article: MakeArticle) -> list[Article]:
    """13 years (2009 the most frequent, 2021 the newest) and 12 countries."""
    articles: list[Article] = []
    for year in range(2009, 2022):
        copies = 4 if year == 2009 else 1
        for copy in range(copies):
            number = len(articles)
            articles.append(
                make_article(
                    f"a{number}",
                    f"Report {number}",
                    f"Teachers report number {number}.",
                    "fr" if number % 3 == 0 else "en",
                    date=dt.date(year, 3, 1 + copy),
                    countries=(f"Country {number % 12:02d}",),
                )
            )
    return articles


def test_status_lists_years_newest_first_and_at_most_ten_values_of_each_facet(
    capsys: pytest.CaptureFixture[str], index_root: Path, facet_rich_corpus: list[Article]
) -> None:
    report = build_from_articles(facet_rich_corpus, index_root)

    code, out, _ = run_main(capsys, "index", "status", "--index", index_root)

    assert code == 0
    assert f"live generation: {report.generation}" in out
    years = ", ".join(f"{year} 1" for year in range(2021, 2011, -1))
    assert f"  year (13 values, newest first): {years}, …\n" in out
    country = next(line for line in out.splitlines() if line.startswith("  country"))
    assert country.startswith("  country (12 values): ") and country.count("Country") == 10
    assert "`index status --all` shows every value" in out


def test_status_all_shows_every_value(
    capsys: pytest.CaptureFixture[str], index_root: Path, facet_rich_corpus: list[Article]
) -> None:
    build_from_articles(facet_rich_corpus, index_root)

    code, out, _ = run_main(capsys, "index", "status", "--index", index_root, "--all")

    assert code == 0
    years = ", ".join(f"{year} {4 if year == 2009 else 1}" for year in range(2021, 2008, -1))
    assert f"  year (13 values, newest first): {years}\n" in out
    assert all(f"Country {n:02d}" in out for n in range(12))
    assert "…" not in out


def test_status_json_has_every_count_the_previous_generations_and_the_running_build(
    capsys: pytest.CaptureFixture[str], index_root: Path, facet_rich_corpus: list[Article]
) -> None:
    first = build_from_articles(facet_rich_corpus[:5], index_root)
    second = build_from_articles(facet_rich_corpus, index_root)

    with build_lock_held(index_root) as pid:
        code, out, _ = run_main(capsys, "index", "status", "--index", index_root, "--json")

    assert code == 0
    status = json.loads(out)
    live = status["live"]
    assert live["name"] == second.generation
    assert dt.datetime.fromisoformat(live["built_at"])
    assert live["article_count"] == 16
    assert live["languages"] == {"en": 10, "fr": 6}
    assert list(live["facets"]["year"]) == [str(year) for year in range(2021, 2008, -1)]
    assert live["facets"]["year"]["2009"] == 4
    assert len(live["facets"]["country"]) == 12
    assert [previous["name"] for previous in status["previous"]] == [first.generation]
    assert status["previous"][0]["article_count"] == 5
    assert status["build_running_pid"] == pid
    assert status["pointer_error"] is None


def test_status_json_has_one_shape_whatever_the_pointer_says_and_reads_the_pointer_once(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    small_corpus: list[Article],
) -> None:
    index_root = tmp_path / "index-é"  # not ASCII: printed as it is, healthy or damaged
    older = build_from_articles(small_corpus[:2], index_root)
    newest = build_from_articles(small_corpus, index_root)
    reads: list[Path] = []
    read_pointer_file = generations.read_pointer_file

    def counted(root: Path) -> generations.Pointer | None:
        reads.append(root)
        return read_pointer_file(root)

    monkeypatch.setattr(generations, "read_pointer_file", counted)

    code, healthy_out, _ = run_main(capsys, "index", "status", "--index", index_root, "--json")
    assert code == 0
    assert len(reads) == 1  # live and previous generations from one reading
    (index_root / generations.POINTER_FILE).write_text('{"live": "gen-x')
    code, damaged_out, _ = run_main(capsys, "index", "status", "--index", index_root, "--json")
    assert code == 7

    healthy, damaged = json.loads(healthy_out), json.loads(damaged_out)
    assert list(healthy) == list(damaged)
    assert healthy["live"]["name"] == newest.generation and damaged["live"] is None
    assert [g["name"] for g in healthy["previous"]] == [older.generation]
    on_disk = [newest.generation, older.generation]
    assert [g["name"] for g in healthy["generations_on_disk"]] == on_disk
    assert [g["name"] for g in damaged["generations_on_disk"]] == on_disk
    for out in (healthy_out, damaged_out):
        assert "index-é" in out and "\\u00e9" not in out
    assert "Côte d'Ivoire" in healthy_out


def test_a_damaged_pointer_fails_the_build_status_explains_and_rollback_repairs(
    capsys: pytest.CaptureFixture[str],
    index_root: Path,
    shipped_corpus: Path,
    small_corpus: list[Article],
) -> None:
    older = build_from_articles(small_corpus[:2], index_root)
    newest = build_from_articles(small_corpus, index_root)
    pointer = index_root / generations.POINTER_FILE
    pointer.write_text('{"live": "gen-x')
    before = sorted(path.name for path in index_root.iterdir())

    code, _, err = run_main(
        capsys, "index", "build", "--corpus", shipped_corpus, "--index", index_root
    )
    assert code == cli.EXIT_CODES["build_failed"].code
    assert f"the live pointer {pointer} is damaged (not valid JSON" in err
    assert "index rollback" in err and f"remove {pointer}" in err
    assert sorted(path.name for path in index_root.iterdir()) == before

    code, out, err = run_main(capsys, "index", "status", "--index", index_root)
    assert code == 7
    assert f"live generation: unknown, the live pointer {pointer} is damaged" in out
    assert f"complete generations on disk, newest first (2):\n  {newest.generation}" in out
    assert f"  {older.generation}: built at" in out
    assert f"`search-service index rollback` republishes {newest.generation}" in out
    assert "is damaged" in err

    code, out, _ = run_main(capsys, "index", "status", "--index", index_root, "--json")
    status = json.loads(out)
    assert code == 7
    assert status["live"] is None and "is damaged" in status["pointer_error"]
    assert [g["name"] for g in status["generations_on_disk"]] == [
        newest.generation,
        older.generation,
    ]

    code, out, _ = run_main(capsys, "index", "rollback", "--index", index_root)
    assert code == 0
    assert f"repaired: the live pointer {pointer} is damaged" in out
    assert f"{newest.generation} (3 articles) is live again" in out
    assert generations.read_pointer(index_root) == newest.generation
    assert run_main(capsys, "index", "status", "--index", index_root)[0] == 0


def test_status_and_rollback_of_a_missing_index_folder_create_nothing_build_creates_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, shipped_corpus: Path
) -> None:
    missing = tmp_path / "not" / "there"

    code, _, err = run_main(capsys, "index", "rollback", "--index", missing)
    assert code == 5 and "nothing to roll back" in err
    code, _, err = run_main(capsys, "index", "status", "--index", missing)
    assert code == 4 and "no index" in err
    assert not (tmp_path / "not").exists()

    code, out, _ = run_main(
        capsys, "index", "build", "--corpus", shipped_corpus, "--index", missing
    )
    assert code == 0 and "published gen-" in out
    assert generations.read_pointer(missing) is not None


def test_an_up_to_date_build_exits_0_and_says_the_live_generation_is_unchanged(
    capsys: pytest.CaptureFixture[str], index_root: Path, shipped_corpus: Path
) -> None:
    build = ("index", "build", "--corpus", shipped_corpus, "--index", index_root)
    assert run_main(capsys, *build)[0] == 0
    live = generations.read_pointer(index_root)

    code, out, _ = run_main(capsys, *build)

    assert code == 0
    assert (
        f"  up to date: nothing changed, nothing published; the live generation {live} "
        "is unchanged" in out
    )
    assert generations.read_pointer(index_root) == live

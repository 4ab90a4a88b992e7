"""Every command of the README's table gives the same results from the project's folder
(relative paths) as from any other folder (absolute paths, or relative ones climbing to
the project): the same exit codes, the same output, the same full paths in messages.

`serve` is held to the same rule by a process test (`tests/project/test_dev_script.py`),
as it needs a real socket."""

from __future__ import annotations

import contextlib
import re
import shutil
from pathlib import Path

import pytest

from .conftest import RunMain, one_page_site

pytestmark = pytest.mark.slow

ARTICLE = "articles/000_197affed672c23d7.txt"

#: What changes from one run to the next whatever the folder: generation names, times.
VARYING = [
    (re.compile(r"gen-\d{8}T\d+-[0-9a-f]+"), "GEN"),
    (re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+\+00:00"), "TIME"),
    (re.compile(r"\d+(\.\d+)? ?(ms|s\b)"), "DURATION"),
    (re.compile(r"\d+(\.\d+)?/s\b"), "RATE"),
    (re.compile(r'"took_ms": [\d.]+'), '"took_ms": X'),
    # the loopback site's server thread reporting a client that hung up (not the command)
    (re.compile(r"-{40}\nException occurred during processing of request.*?\n-{40}\n", re.S), ""),
]


def commands(at: str, site: str = "http://127.0.0.1:9") -> list[list[str]]:
    """The README's commands, every path starting with `at` (the way to the project);
    `site`: a small site on loopback for `corpus fetch` and `sync`."""
    corpus, index = f"{at}corpus", f"{at}indexes"
    return [
        ["index", "build", "--corpus", corpus, "--index", index],
        ["index", "build", "--corpus", corpus, "--index", index, "--full", "--strict"],
        ["index", "status", "--index", index, "--all"],
        ["index", "status", "--index", index, "--json"],
        ["search", "Ivory", "Coast", "--index", index, "--json"],
        ["search", "IAM", "-togo", "--index", index, "--limit", "1"],
        ["corpus", "check", "--corpus", corpus],
        ["corpus", "check", f"{corpus}/articles", "--json"],
        ["corpus", "check", f"{corpus}/{ARTICLE}"],
        ["index", "rollback", "--index", index],
        ["index", "build", "--corpus", f"{corpus}/articles", "--index", index],
        ["index", "build", "--corpus", f"{at}README.md", "--index", index],
        ["index", "build", "--corpus", f"{at}missing", "--index", index, "--allow-shrink"],
        ["corpus", "fetch", f"{site}/en/a/", "--corpus", corpus, "--delay", "0"],
        ["sync", f"{site}/sitemap-en.xml", "--corpus", corpus, "--index", index, "--delay", "0"],
    ]


def normalised(text: str) -> str:
    for pattern, replacement in VARYING:
        text = pattern.sub(replacement, text)
    return text


@pytest.fixture
def project(tmp_path: Path, shipped_corpus: Path) -> Path:
    """A copy of the project's corpus (and a README.md beside it, as in the clone)."""
    folder = tmp_path / "project"
    shutil.copytree(shipped_corpus, folder / "corpus")
    (folder / "README.md").write_text("# not a corpus\n", encoding="utf-8")
    return folder


def run_all(
    run_main: RunMain,
    monkeypatch: pytest.MonkeyPatch,
    where: Path,
    at: str,
    project: Path,
    site: str,
) -> list[tuple[int, str, str]]:
    for made in ("indexes", "corpus/site", "corpus/.fetch"):
        shutil.rmtree(project / made, ignore_errors=True)
    monkeypatch.chdir(where)
    results = []
    for args in commands(at, site):
        code, out, err = run_main(*args)
        results.append((code, normalised(out), normalised(err)))
    return results


def test_every_command_gives_the_same_results_from_any_folder(
    run_main: RunMain, monkeypatch: pytest.MonkeyPatch, project: Path, tmp_path: Path
) -> None:
    for name in ("SEARCH_CORPUS_DIR", "SEARCH_INDEX_DIR"):
        monkeypatch.delenv(name, raising=False)
    elsewhere = tmp_path / "elsewhere" / "deeper"
    elsewhere.mkdir(parents=True)
    with contextlib.ExitStack() as stack:
        site = one_page_site(stack)
        from_project = run_all(run_main, monkeypatch, project, "", project, site)
        absolute = run_all(run_main, monkeypatch, elsewhere, f"{project}/", project, site)
        climbing = run_all(run_main, monkeypatch, elsewhere, "../../project/", project, site)

    codes = [code for code, _, _ in from_project]
    assert codes == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11, 11, 11, 0, 1], from_project[-2:]
    for args, here, there, up in zip(commands(""), from_project, absolute, climbing, strict=True):
        assert there == here, args
        assert up == here, args
    assert list(elsewhere.iterdir()) == []
    assert "Côte d'Ivoire" in from_project[4][1]
    assert (
        f"corpus {project / 'corpus'}; vocabulary {project / 'corpus' / 'vocabulary'}"
        in (from_project[6][1])
    )

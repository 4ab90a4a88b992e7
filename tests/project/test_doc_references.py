"""What the code and the docs point the reader to in the docs is there.

A reference names a doc and a place in it: `docs/index.md, "The serving view"` (a
heading, a bold title or the opening words of a paragraph), or a Markdown link
`[…](deploy.md#http-limits)` (a file, maybe a heading's anchor in it). Docstrings,
comments and docs hold well over a hundred of them; a section renamed or moved to
another doc must take its references along, which only this test notices.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

#: `docs/<name>.md, "<title>"`, also without the comma or with the title in brackets,
#: the title maybe wrapped over lines of a comment or a docstring. The path is the
#: repository's (`docs/…`, `bench/…`, `README.md`) or, in a doc, beside it (`api.md`).
_NAMED = re.compile(r"(?<![\w./-])((?:[\w-]+/)*[\w-]+\.md),?\s+\(?[\"“]([^\"”]+)[\"”]")
#: A Markdown link to another file of the repository, or to a heading (`#anchor`).
_LINKED = re.compile(r"\]\(([^)\s]+)\)")
#: What wraps a title over lines: the line break, the indentation, a comment's marker.
_WRAP = re.compile(r"\s*\n\s*(?:#:?|//|\*(?!\*))?\s*")
_FENCE = re.compile(r"^```.*?^```", re.M | re.S)
#: Files of prose and code that refer to the docs; `bench/report.py` writes its prose in
#: string literals, checked where it is rendered (`bench/results/RESULTS.md`).
_SUFFIXES = (".py", ".md", ".js", ".sh", ".toml")
_SKIPPED = ("bench/report.py",)


def _plain(text: str) -> str:
    return " ".join(_WRAP.sub(" ", text).split())


@cache
def _tracked_files() -> tuple[Path, ...]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return tuple(
        REPO / name
        for name in listed
        if name.endswith(_SUFFIXES) and name not in _SKIPPED and (REPO / name).is_file()
    )


def _target(path: str, referring: Path) -> Path:
    """The file a reference names: beside a doc that names it, else from the top."""
    beside = (referring.parent / path).resolve()
    if referring.suffix == ".md" and beside.is_file():
        return beside
    return (REPO / path).resolve()


@cache
def _prose(doc: Path) -> str:
    """A doc's text without its fenced code (a `# comment` there is no heading)."""
    return _FENCE.sub("", doc.read_text(encoding="utf-8"))


@cache
def _places(doc: Path) -> tuple[str, ...]:
    """The doc's headings, bold titles and paragraph openings, each as plain text."""
    text = _prose(doc)
    headings = re.findall(r"^#+\s+(.+)$", text, re.M)
    bold = re.findall(r"\*\*([^*]+?)\*\*", text)
    paragraphs = re.findall(r"(?:^|\n\n)(?:[-*] |\d+\. )?([^\n#|].*(?:\n(?!\n).*){0,2})", text)
    return tuple(_plain(place).strip("`*_ ") for place in (*headings, *bold, *paragraphs))


def _opens(place: str, title: str) -> bool:
    """Whether `place` begins with `title` as a whole word or more."""
    return place.startswith(title) and (len(place) == len(title) or not place[len(title)].isalnum())


@cache
def _anchors(doc: Path) -> frozenset[str]:
    """The anchors GitHub gives the doc's headings: lower case, punctuation but `-` and
    `_` dropped, each space a `-`; a repeated one numbered (`-1`, `-2`)."""
    seen: Counter[str] = Counter()
    anchors = set()
    for heading in re.findall(r"^#+\s+(.+?)\s*#*$", _prose(doc), re.M):
        anchor = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(f"{anchor}-{seen[anchor]}" if seen[anchor] else anchor)
        seen[anchor] += 1
    return frozenset(anchors)


def _named_references() -> list[tuple[str, str, str]]:
    found = []
    for path in _tracked_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in _NAMED.finditer(text):
            found.append((str(path.relative_to(REPO)), match.group(1), _plain(match.group(2))))
    return found


def _linked_references() -> list[tuple[str, str, str]]:
    found = []
    for path in _tracked_files():
        if path.suffix != ".md":
            continue
        for match in _LINKED.finditer(path.read_text(encoding="utf-8")):
            target = match.group(1)
            if re.match(r"[a-z]+:", target):
                continue  # http:, https:, mailto:
            file, _, anchor = target.partition("#")
            found.append((str(path.relative_to(REPO)), file, anchor))
    return found


def test_the_references_are_found() -> None:
    """The patterns still find the references (a parse that found none would pass
    every other test here), of every kind."""
    named = _named_references()
    linked = _linked_references()
    assert len(named) > 80
    assert {doc for _, doc, _ in named} >= {"docs/api.md", "docs/index.md", "bench/README.md"}
    assert len(linked) > 50
    assert any(not file for _, file, _ in linked)  # a link within its own doc
    assert any(file.startswith("../") for _, file, _ in linked)


@pytest.mark.parametrize(("where", "doc", "title"), _named_references())
def test_a_named_place_is_in_the_doc_it_names(where: str, doc: str, title: str) -> None:
    target = _target(doc, REPO / where)
    assert target.is_file(), f"{where}: {doc} does not exist"
    wanted = title.rstrip(".:").strip("`*_ ")
    assert any(_opens(place, wanted) for place in _places(target)), (
        f'{where}: {doc} has no heading, bold title or paragraph "{title}"'
    )


@pytest.mark.parametrize(("where", "file", "anchor"), _linked_references())
def test_a_linked_file_and_heading_are_there(where: str, file: str, anchor: str) -> None:
    referring = REPO / where
    target = (referring.parent / file).resolve() if file else referring
    assert target.exists(), f"{where}: the link to {file} leads to no file"
    if anchor and target.suffix == ".md":
        assert anchor in _anchors(target), f"{where}: {file or 'this doc'} has no #{anchor}"

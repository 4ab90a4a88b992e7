"""What the code and the docs point the reader to in the docs is there.

A reference names a doc and a place in it: `docs/index.md, "The serving view"` (a
heading, a bold title or the opening words of a paragraph), or a link
`[…](deploy.md#http-limits)` (a heading's anchor). Docstrings, comments and docs
hold about a hundred of them; a section renamed or moved to another doc must take
its references along, which only this test notices.
"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

#: `docs/<name>.md, "<title>"` (or without the comma), the title maybe wrapped over
#: lines of a comment or a docstring.
_NAMED = re.compile(r"docs/([\w-]+)\.md,?\s+[\"“]([^\"”]+)[\"”]")
#: `(<name>.md#<anchor>)`, or with `docs/` before it: a Markdown link to a heading.
_LINKED = re.compile(r"\((?:docs/)?([\w-]+)\.md#([\w-]+)\)")
#: What wraps a title over lines: the line break, the indentation, a comment's marker.
_WRAP = re.compile(r"\s*\n\s*(?:#:?|//|\*(?!\*))?\s*")
#: Files of prose and code that refer to the docs; `bench/report.py` writes its prose in
#: string literals, checked where it is rendered (`bench/results/RESULTS.md`).
_SUFFIXES = (".py", ".md", ".js", ".sh", ".toml")
_SKIPPED = ("bench/report.py",)


def _plain(text: str) -> str:
    return " ".join(_WRAP.sub(" ", text).split())


@cache
def _tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    return [
        REPO / name
        for name in listed
        if name.endswith(_SUFFIXES) and name not in _SKIPPED and (REPO / name).is_file()
    ]


@cache
def _doc(name: str) -> str | None:
    path = REPO / "docs" / f"{name}.md"
    if name == "README":
        path = REPO / "README.md"
    return path.read_text(encoding="utf-8") if path.is_file() else None


@cache
def _places(name: str) -> tuple[str, ...]:
    """The doc's headings, bold titles and paragraph openings, each as plain text."""
    text = _doc(name) or ""
    headings = re.findall(r"^#+\s+(.+)$", text, re.M)
    bold = re.findall(r"\*\*([^*]+?)\*\*", text)
    paragraphs = re.findall(r"(?:^|\n\n)(?:[-*] |\d+\. )?([^\n#|].*(?:\n(?!\n).*){0,2})", text)
    return tuple(_plain(place).strip("`*_ ") for place in (*headings, *bold, *paragraphs))


@cache
def _anchors(name: str) -> frozenset[str]:
    """The anchors GitHub gives the doc's headings."""
    text = _doc(name) or ""
    return frozenset(_anchor(heading) for heading in re.findall(r"^#+\s+(.+)$", text, re.M))


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation but `-` and `_` dropped,
    each space a `-`."""
    kept = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return kept.replace(" ", "-")


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
        text = path.read_text(encoding="utf-8")
        for match in _LINKED.finditer(text):
            found.append((str(path.relative_to(REPO)), match.group(1), match.group(2)))
    return found


def test_the_references_are_found() -> None:
    """The patterns below still find the references (a parse that found none would
    pass every other test here)."""
    assert len(_named_references()) > 50
    assert len(_linked_references()) > 10


@pytest.mark.parametrize(("where", "doc", "title"), _named_references())
def test_a_named_place_is_in_the_doc_it_names(where: str, doc: str, title: str) -> None:
    assert _doc(doc) is not None, f"{where}: docs/{doc}.md does not exist"
    wanted = title.rstrip(".:").strip("`*_ ")
    assert any(place.startswith(wanted) for place in _places(doc)), (
        f'{where}: docs/{doc}.md has no heading, bold title or paragraph "{title}"'
    )


@pytest.mark.parametrize(("where", "doc", "anchor"), _linked_references())
def test_a_linked_heading_is_in_the_doc_it_links(where: str, doc: str, anchor: str) -> None:
    assert _doc(doc) is not None, f"{where}: {doc}.md does not exist"
    assert anchor in _anchors(doc), f"{where}: {doc}.md has no heading #{anchor}"

"""`bench.html_eval` counts what it says: titles, dates, languages, known items, skips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.html_eval import evaluate

BODY = (
    "The teachers' mutual society of Togo opened a health centre in Kara for its members and "
    "their families. The centre offers consultations, a pharmacy and prevention campaigns in "
    "schools, and it is run by an elected committee of teachers."
)


def page(title: str, date: str | None, lang: str = "en") -> str:
    published = f'<meta property="article:published_time" content="{date}">' if date else ""
    return (
        f'<html lang="{lang}"><head><title>{title} – Education and Solidarity Network</title>'
        f'<meta property="og:type" content="article">{published}</head><body class="single">'
        f"<main><article><h1>{title}</h1><p>{BODY}</p></article></main></body></html>"
    )


def test_the_figures_count_right_and_wrong_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "b").mkdir()
    (site / "list").mkdir()
    (site / "a" / "index.html").write_text(page("Kara health centre", "2020-05-04"))
    (site / "b" / "index.html").write_text(page("Another title", None))
    listing = '<html lang="en"><body class="archive"><main><h1>News</h1></main></body></html>'
    (site / "list" / "index.html").write_text(listing)
    truth = [
        {"html_file": "a/index.html", "title": "Kara health centre", "date": "2020-05-04",
         "language": "en", "known_item_queries": ["Kara health centre"], "text_file": "a.txt"},
        {"html_file": "b/index.html", "title": "A truth title", "date": "2019-01-01",
         "language": "fr", "known_item_queries": ["zzzunfindable"], "text_file": "b.txt"},
    ]  # fmt: skip
    (site / "truth.jsonl").write_text("".join(json.dumps(row) + "\n" for row in truth))
    (site / "non_articles.jsonl").write_text(json.dumps({"html_file": "list/index.html"}) + "\n")
    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / "a.txt").write_text(BODY + "\n")  # the body exactly: recall and precision 1
    (texts / "b.txt").write_text(BODY + " " + " ".join(["missing"] * 39) + "\n")  # recall 1/2
    figures = evaluate(site, verbose=True, texts=texts)
    assert figures["pages"] == 2 and figures["articles_indexed"] == 2
    assert figures["titles_right"] == 1 and figures["dates_right"] == 1
    assert figures["languages_right"] == 1
    assert (figures["known_item_top10"], figures["known_item_queries"]) == (1, 2)
    assert figures["non_articles_skipped"] == 1 and figures["html_files"] == 3
    assert figures["body_word_recall"] == 0.75 and figures["body_word_precision"] == 1.0
    out = capsys.readouterr().out
    assert "title b/index.html: 'Another title' (h1) != 'A truth title'" in out
    assert "date b/index.html: None (none) != 2019-01-01" in out

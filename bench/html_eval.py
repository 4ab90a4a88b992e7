"""How well the HTML ingest reads a local copy of a site whose truth is known.

    python -m bench.html_eval --site DIR [--texts DIR] [--verbose] [--json OUT]

DIR holds the site's pages (`…/index.html`) and two JSON Lines files: `truth.jsonl`,
one article page per line (`html_file`, `title`, `date` (ISO or null), `language`,
`known_item_queries`), and `non_articles.jsonl`, the pages that must be skipped
(`html_file`, `kind`). The HTML files are ingested directly (`ingest_paths` over DIR with
the project's shipped vocabulary), the articles are built into an index in a temporary
folder, and each known-item query is searched (`SearchEngine`, production settings).

Figures: titles right (exact after NFC, one kind of apostrophe and quote, white space
collapsed; a page whose truth title was made up by the evaluator, `title_constructed`,
counts the same), dates right (a page without a date must get none), languages right,
known-item queries with the page in the top 10, non-article pages skipped, article pages
wrongly skipped; and the CPU seconds of the ingest. With `--texts DIR`, where each truth
row's `text_file` is the page's text saved by hand, the body's words are compared with
that text's (read as a saved `.txt` page): recall (the text's words found in the body)
and precision (the body's words found in the text, so furniture left in the body
lowers it), averaged over pages. `--verbose` lists every miss.
Nothing of the site is written anywhere but the temporary folder.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
_APOSTROPHES = "’‘ʼ`´"
_QUOTES = "“”«»„"


def normalise(text: str | None) -> str | None:
    if text is None:
        return None
    text = unicodedata.normalize("NFC", text)
    for ch in _APOSTROPHES:
        text = text.replace(ch, "'")
    for ch in _QUOTES:
        text = text.replace(ch, '"')
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def sources_of(page: Path) -> dict[str, str]:
    """Where the HTML reader found each fact of a page ("h1", "time", "htmldate", ...)."""
    from search_service.ingest.html import parse_html
    from search_service.ingest.html_encoding import decode_html

    return parse_html(decode_html(page.read_bytes()).text).sources


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def evaluate(site: Path, verbose: bool, texts: Path | None = None) -> dict[str, Any]:
    from search_service.index.build import build_from_articles
    from search_service.ingest.corpus import ingest_paths, load_vocabulary
    from search_service.search.engine import SearchEngine
    from search_service.search.results import SearchRequest
    from search_service.settings import Settings

    truth = read_jsonl(site / "truth.jsonl")
    non_articles = read_jsonl(site / "non_articles.jsonl")
    vocabulary = load_vocabulary(REPO / "corpus")
    pages = sorted(site.rglob("*.html"))
    ingest_paths(pages[:1], corpus_root=site, vocabulary=vocabulary)  # models loaded once
    started = time.process_time()
    result = ingest_paths(pages, corpus_root=site, vocabulary=vocabulary)
    cpu = time.process_time() - started
    by_path = {a.source.path: a for a in result.articles}
    problems: dict[str, list[Any]] = {}
    for problem in result.problems:
        problems.setdefault(problem.path, []).append(problem)

    misses: list[str] = []
    counts = {"title": 0, "date": 0, "language": 0, "found": 0}
    for row in truth:
        article = by_path.get(row["html_file"])
        if article is None:
            reasons = "; ".join(p.message for p in problems.get(row["html_file"], []))
            misses.append(f"SKIPPED {row['html_file']}: {reasons}")
            continue
        if normalise(article.title) == normalise(row["title"]):
            counts["title"] += 1
        else:
            where = sources_of(site / row["html_file"]).get("title", "inferred")
            misses.append(
                f"title {row['html_file']}: {article.title!r} ({where}) != {row['title']!r}"
            )
        expected = row["date"]
        got = article.date.isoformat() if article.date else None
        if got == expected:
            counts["date"] += 1
        else:
            where = sources_of(site / row["html_file"]).get("date", "none")
            misses.append(f"date {row['html_file']}: {got} ({where}) != {expected}")
        if article.language == row["language"]:
            counts["language"] += 1
        else:
            misses.append(f"language {row['html_file']}: {article.language} != {row['language']}")
        counts["found"] += 1
    skipped_right = 0
    for row in non_articles:
        if row["html_file"] in by_path:
            misses.append(f"INDEXED non-article {row['html_file']} ({row.get('kind')})")
        elif any(p.code == "not_an_article" for p in problems.get(row["html_file"], [])):
            skipped_right += 1
        else:
            codes = [p.code for p in problems.get(row["html_file"], [])]
            misses.append(f"non-article {row['html_file']} skipped as {codes}")

    hits = queries = 0
    with tempfile.TemporaryDirectory() as folder:
        index_dir = Path(folder) / "index"
        build_from_articles(result.articles, index_dir)
        settings = Settings(index_dir=index_dir, cache_size=0, reload_interval=3600.0)
        engine = SearchEngine(settings, vocabulary=vocabulary)
        for row in truth:
            article = by_path.get(row["html_file"])
            for query in row.get("known_item_queries", []):
                queries += 1
                found = engine.search(SearchRequest(q=query, per_page=10, snippets=False))
                if article is not None and article.id in [hit.id for hit in found.hits]:
                    hits += 1
                else:
                    misses.append(f"known item {row['html_file']}: {query!r} not in the top 10")
    recall, precision = body_words(truth, by_path, texts) if texts else (None, None)
    total = len(truth)
    figures = {
        "pages": total,
        "non_article_pages": len(non_articles),
        "articles_indexed": counts["found"],
        "titles_right": counts["title"],
        "dates_right": counts["date"],
        "languages_right": counts["language"],
        "known_item_top10": hits,
        "known_item_queries": queries,
        "non_articles_skipped": skipped_right,
        "other_files": len(result.articles) - counts["found"],
        "body_word_recall": recall,
        "body_word_precision": precision,
        "ingest_cpu_seconds": round(cpu, 2),
        "html_files": len(pages),
    }
    print(
        f"{total} article pages: titles {counts['title']}/{total} "
        f"({100 * counts['title'] / total:.1f} %), dates {counts['date']}/{total} "
        f"({100 * counts['date'] / total:.1f} %), languages {counts['language']}/{total}, "
        f"indexed {counts['found']}/{total}; known items in the top 10: {hits}/{queries} "
        f"({100 * hits / max(queries, 1):.1f} %); non-articles skipped "
        f"{skipped_right}/{len(non_articles)}; ingest {cpu:.2f} s CPU for "
        f"{figures['html_files']} HTML files"
    )
    if recall is not None:
        print(f"body words: recall {recall:.3f}, precision {precision:.3f}")
    if verbose:
        for miss in misses:
            print("  " + miss)
    return figures


def body_words(
    truth: list[dict[str, Any]], by_path: dict[str, Any], texts: Path
) -> tuple[float, float]:
    """Mean word recall and precision of the bodies against the pages' texts saved by hand."""
    from collections import Counter

    from search_service.ingest.pages import parse_page

    recalls: list[float] = []
    precisions: list[float] = []
    for row in truth:
        article = by_path.get(row["html_file"])
        text_file = texts / row.get("text_file", "")
        if article is None or not text_file.is_file():
            continue
        expected = Counter(re.findall(r"\w+", parse_page(text_file.read_text()).body.lower()))
        got = Counter(re.findall(r"\w+", article.body.lower()))
        common = sum((expected & got).values())
        recalls.append(common / max(1, sum(expected.values())))
        precisions.append(common / max(1, sum(got.values())))
    count = max(1, len(recalls))
    return round(sum(recalls) / count, 4), round(sum(precisions) / count, 4)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, required=True)
    parser.add_argument("--texts", type=Path, help="folder of the truth rows' text_file")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    texts = args.texts.resolve() if args.texts else None
    figures = evaluate(args.site.resolve(), args.verbose, texts)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

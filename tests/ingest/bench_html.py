"""One-off measure of HTML page ingest speed (not a test: no timing assertions).

    .venv/bin/python tests/ingest/bench_html.py [COUNT] [--profile]

Writes COUNT (default 1,000) pages shaped like the site's (`html_site.Page`: menus,
banner with countdown, breadcrumbs, category line, share bar, three "latest news"
teasers, newsletter box, footer; ~290-word body of `bench_jsonl` in en/fr/es, a
`<time datetime>`; a theme's inline CSS and JS, an SVG sprite and a mega menu, ~75 kB
a page), plus one listing page in ten, and times `ingest_paths` (language
declared by `<html lang>` and checked by lingua). CPU time is the figure to compare: the
machine is shared. `--profile` prints the ten functions with the most cumulative time.
"""

from __future__ import annotations

import cProfile
import json
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from search_service.ingest.corpus import ingest_paths, load_vocabulary
from tests.ingest.bench_jsonl import REPO, article
from tests.ingest.html_site import Page, listing_main

# What a WordPress theme adds to every page: inline CSS and JS, an SVG sprite, a mega menu.
WEIGHT_HEAD = (
    "<style id='global-styles-inline-css'>"
    + "".join(f".wp-block-{i}{{margin:0 {i % 7}px;color:#{i:06x}}}" for i in range(900))
    + "</style><script id='theme-js'>"
    + "".join(f"function f{i}(a){{return a*{i}+window.x{i % 13}}}" for i in range(500))
    + "</script>"
)
WEIGHT_FOOTER = (
    "<svg style='display:none'>"
    + "".join(f"<symbol id='i{i}'><path d='M{i} 0L{i + 5} 9Z'/></symbol>" for i in range(60))
    + "</svg><nav class='mega-menu'><ul>"
    + "".join(f"<li><a href='/en/topic-{i}/'>Topic {i}</a></li>" for i in range(80))
    + "</ul></nav>"
)


def page(rng: random.Random, number: int) -> str:
    language = rng.choice(["en"] * 6 + ["fr"] * 3 + ["es"])
    weight: dict[str, Any] = {"extra_head": WEIGHT_HEAD, "extra_footer": WEIGHT_FOOTER}
    if number % 10 == 9:
        main = listing_main(language, "News", count=10)
        return Page(
            language=language, title="News", main_html=main, body_classes="", **weight
        ).render()
    record = json.loads(article(rng, number, language, with_language=False))
    date = f"{rng.randint(2010, 2023)}-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}"
    return Page(
        language=language,
        title=record["title"],
        paragraphs=record["body"].split("\n\n"),
        time_datetime=f"{date}T09:30:00+00:00",
        date_text=date,
        **weight,
    ).render()


def main(count: int, profile: bool) -> None:
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        size = 0
        for number in range(count):
            text = page(rng, number)
            size += len(text.encode("utf-8"))
            (root / f"p{number:05}.html").write_text(text, encoding="utf-8")
        vocabulary = load_vocabulary(REPO / "corpus")
        ingest_paths([root / "p00000.html"], corpus_root=root, vocabulary=vocabulary)  # warm up
        profiler = cProfile.Profile() if profile else None
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        result = ingest_paths([root], corpus_root=root, vocabulary=vocabulary)
        if profiler is not None:
            profiler.disable()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        dated = sum(a.date is not None for a in result.articles)
        codes = sorted({p.code for p in result.problems})
        print(
            f"{count} pages ({size / count / 1000:.0f} kB each): {len(result.articles)} articles "
            f"({dated} dated), {len(result.skipped)} skipped {codes}; {elapsed:.2f} s wall, "
            f"{cpu:.2f} s CPU = {1000 * cpu / count:.1f} s CPU per 1,000 pages"
        )
        if profiler is not None:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(arguments[0]) if arguments else 1_000, "--profile" in sys.argv)

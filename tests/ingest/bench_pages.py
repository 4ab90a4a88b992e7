"""One-off measure of saved-page (.txt) ingest speed (not a test: no timing assertions).

    .venv/bin/python tests/ingest/bench_pages.py [COUNT]

Writes COUNT (default 2,000) pages shaped like the site's saved pages (banner,
site-name lines, title, a date line in en/fr/es with varied dates, ~290-word body,
footer) and times `ingest_paths` (language detected, as for real pages).
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from search_service.ingest.corpus import ingest_paths, load_vocabulary
from tests.ingest.bench_jsonl import REPO, article

SITE = "Education and Solidarity Network"
MONTHS = {
    "en": ["January", "March", "July", "September", "December"],
    "fr": ["janvier", "mars", "juillet", "septembre", "décembre"],
    "es": ["enero", "marzo", "julio", "septiembre", "diciembre"],
}


def page(rng: random.Random, number: int) -> str:
    language = rng.choice(["en"] * 6 + ["fr"] * 3 + ["es"])
    record = json.loads(article(rng, number, language, with_language=False))
    date_language = rng.choice(["en", "fr", "es"])
    day, month, year = (
        rng.randint(1, 28),
        rng.choice(MONTHS[date_language]),
        rng.randint(2010, 2023),
    )
    date = f"{month} {day}, {year}" if date_language == "en" else f"{day} {month} {year}"
    return (
        f"🌎 Join online ESN’s International Meeting\n{SITE}\n\n{record['title']}\n\n"
        f"{SITE}\n{date}\n\n{record['body']}\n\n\nLatest news\nAnother article\n"
    )


def main(count: int) -> None:
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for number in range(count):
            (root / f"p{number:05}.txt").write_text(page(rng, number), encoding="utf-8")
        vocabulary = load_vocabulary(REPO / "corpus")
        started, cpu_started = time.perf_counter(), time.process_time()
        result = ingest_paths([root], corpus_root=root, vocabulary=vocabulary)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        dated = sum(a.date is not None for a in result.articles)
        print(
            f"{len(result.articles)} pages ({dated} dated): {elapsed:.2f} s wall, {cpu:.2f} s CPU "
            f"({len(result.articles) / elapsed:,.0f} pages/s), problems: {len(result.problems)}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2_000)

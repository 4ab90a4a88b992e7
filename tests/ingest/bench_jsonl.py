"""One-off measure of JSONL ingest speed (not a test: no timing assertions in tests).

    .venv/bin/python tests/ingest/bench_jsonl.py [COUNT]

Writes COUNT (default 10,000) articles of ~300 words in en/fr/es to a temporary
JSONL export, with capitalised names, acronyms and countries sprinkled in, and
times `ingest_paths` with and without a `language` field (without it, lingua runs).
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

from search_service.ingest.corpus import ingest_paths, load_vocabulary

REPO = Path(__file__).resolve().parents[2]
WORDS = {
    "en": "the mutual society health coverage members programme social protection education "
    "workers union teachers network conference support national strategy universal access "
    "training partners meeting project insurance solidarity were have been with for and of in "
    "to a on by this that their its which will",
    "fr": "la mutuelle santé couverture membres programme protection sociale éducation "
    "travailleurs syndicat enseignants réseau conférence soutien stratégie nationale accès "
    "universel formation partenaires réunion projet assurance solidarité ont été avec pour et "
    "de en un une sur par ce cette leur qui sera les des du",
    "es": "la mutualidad salud cobertura miembros programa protección social educación "
    "trabajadores sindicato docentes red conferencia apoyo estrategia nacional acceso universal "
    "formación socios reunión proyecto seguro solidaridad han sido con para y de en un una "
    "sobre por este esta su que será los las del",
}
NAMES = [
    "Senegal",
    "Côte d’Ivoire",
    "Burkina Faso",
    "AIM",
    "ILO",
    "MGEN",
    "Belgian",
    "Mali",
    "Education International",
    "Dakar",
    "Ministry of Health",
    "CSMF",
    "Abidjan",
    "Benin",
    "Solidaris",
    "UNESCO",
    "Bukina Faso",
    "the Fédération Nationale",
    "Togo",
    "PASS",
]


def article(rng: random.Random, number: int, language: str, with_language: bool) -> str:
    words = WORDS[language].split()
    sentences = []
    for _ in range(20):
        sentence = [rng.choice(words) for _ in range(14)]
        sentence[rng.randrange(14)] = rng.choice(NAMES)
        sentence[0] = sentence[0].capitalize()
        sentences.append(" ".join(sentence) + ".")
    body = "\n\n".join(" ".join(sentences[i : i + 5]) for i in range(0, 20, 5))
    record = {
        "id": f"bench-{number}",
        "title": " ".join(rng.choice(words) for _ in range(8)).capitalize(),
        "body": body,
        "date": f"20{rng.randrange(10, 24)}-0{rng.randrange(1, 10)}-1{rng.randrange(10)}",
    }
    if with_language:
        record["language"] = language
    return json.dumps(record, ensure_ascii=False)


def measure(count: int, with_language: bool) -> None:
    rng = random.Random(7)
    languages = ["en"] * 6 + ["fr"] * 3 + ["es"]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        export = root / "export.jsonl"
        lines = [article(rng, n, rng.choice(languages), with_language) for n in range(count)]
        export.write_text("\n".join(lines) + "\n", encoding="utf-8")
        vocabulary = load_vocabulary(REPO / "corpus")
        started, cpu_started = time.perf_counter(), time.process_time()
        result = ingest_paths([export], corpus_root=root, vocabulary=vocabulary)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        words = sum(len(a.body.split()) for a in result.articles) / len(result.articles)
        label = "language given" if with_language else "language detected"
        print(
            f"{len(result.articles)} articles (~{words:.0f} words), {label}: {elapsed:.2f} s wall, "
            f"{cpu:.2f} s CPU ({len(result.articles) / elapsed:,.0f} articles/s), "
            f"problems: {len(result.problems)}"
        )


if __name__ == "__main__":
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    load_vocabulary(REPO / "corpus")  # built once per process; not part of the figure
    measure(total, with_language=True)
    measure(total, with_language=False)

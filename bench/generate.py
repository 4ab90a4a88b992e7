"""Generate N synthetic news articles as JSON Lines in the ingest's export format.

Why synthetic: the site has a few thousand articles we cannot ship; the
benchmarks need 5,000 and 100,000 that behave like them. What makes them
behave alike, for a search engine:

- **Languages** in the site's proportions: 60 % English, 30 % French, 10 % Spanish.
- **Word frequencies** of real text: words are drawn from `wordfreq`'s
  frequency lists for each language (top 50,000 words, weighted by their
  measured frequency, which is Zipf-shaped), so posting lists, the size of
  the term dictionary and prefix expansions look like real text. French
  elisions (l’, d’, qu’ ...) are written with ’ or ' as real pages do.
- **Topic phrases** of the network's domain ("health insurance", "mutuelle de
  santé", "protección social" ...) mixed into titles and bodies, so phrase
  queries have realistic targets.
- **Facets**: dates uniform over 2009-01-01..2026-10-31, 0-3 countries and
  0-2 partners drawn from the project's vocabulary (`corpus/vocabulary`),
  Zipf-like (a few names in many articles, most in few), and also named in
  the text (by canonical name or an alias).

Every article is clearly synthetic (id `synthetic-<seed>-<n>`, url under
`https://synthetic.invalid/`), and the output depends only on N and `--seed`.

    python -m bench.generate --count 5000 --seed 1 --out bench/data/synthetic-5000/articles.jsonl
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import wordfreq

from bench.common import REPO_ROOT

LANGUAGE_SHARES: dict[str, float] = {"en": 0.6, "fr": 0.3, "es": 0.1}
VOCABULARY_SIZE = 50_000
FIRST_DAY = dt.date(2009, 1, 1)
LAST_DAY = dt.date(2026, 10, 31)
MEAN_BODY_WORDS = 300

TOPIC_PHRASES: dict[str, tuple[str, ...]] = {
    "en": (
        "health insurance",
        "social protection",
        "universal health coverage",
        "mutual health organisations",
        "teachers union",
        "education for all",
        "quality public education",
        "health mutuals",
        "social security",
        "solidarity economy",
        "access to care",
        "teacher training",
        "school health",
        "mutual benefit societies",
        "international conference",
    ),
    "fr": (
        "mutuelle de santé",
        "protection sociale",
        "couverture santé universelle",
        "syndicat enseignant",
        "éducation pour tous",
        "école publique",
        "économie sociale et solidaire",
        "accès aux soins",
        "formation des enseignants",
        "santé scolaire",
        "mouvement mutualiste",
        "sécurité sociale",
        "mutualité chrétienne",
        "conférence internationale",
        "droits de l’enfant",
    ),
    "es": (
        "seguro de salud",
        "protección social",
        "cobertura sanitaria universal",
        "sindicato docente",
        "educación pública",
        "economía social y solidaria",
        "acceso a la salud",
        "formación docente",
        "salud escolar",
        "movimiento mutualista",
        "seguridad social",
        "conferencia internacional",
    ),
}
ELIDED_FRENCH = frozenset({"l", "d", "j", "c", "qu", "n", "s", "m", "t"})
# Swear words are frequent in wordfreq's lists (subtitles, social media), never on the site.
_EXCLUDED = (
    "shit fuck fucking fucked goddamn damn bitch ass asshole dick pussy cunt "
    "bullshit motherfucker lsd sex sexy porn nigga nigger fag merde putain connard "
    "salope bordel foutre chier cul mierda puta puto joder jodido jodida coño "
    "cabrón pendejo carajo culo chingar verga"
)
EXCLUDED_WORDS = frozenset(_EXCLUDED.split())

# Used only when the project's vocabulary cannot be loaded (e.g. before the ingest
# module exists); the names of the two seed articles.
FALLBACK_COUNTRIES: tuple[tuple[str, ...], ...] = (
    ("Côte d’Ivoire", "Ivory Coast"),
    ("Benin", "Bénin"),
    ("Burundi",),
    ("Senegal", "Sénégal"),
    ("Burkina Faso",),
    ("Togo",),
    ("France",),
    ("Belgium", "Belgique", "Bélgica"),
    ("Morocco", "Maroc", "Marruecos"),
    ("Guinea", "Guinée"),
)
FALLBACK_PARTNERS: tuple[tuple[str, ...], ...] = (
    ("AIM", "International Association of Mutual Benefit Societies"),
    ("Solidaris",),
    ("MUGEF-CI",),
    ("Masmut",),
    ("PASS",),
    ("Education International", "EI"),
)


@dataclass(frozen=True)
class Names:
    """Names of one kind (countries or partners): canonical first, then aliases."""

    entries: tuple[tuple[str, ...], ...]
    source: str


@dataclass
class LanguageModel:
    """The words of one language and the cumulative distribution to draw them from."""

    words: list[str]
    cdf: np.ndarray[Any, np.dtype[np.float64]]

    @classmethod
    def for_language(cls, language: str) -> LanguageModel:
        words: list[str] = []
        weights: list[float] = []
        for word in wordfreq.top_n_list(language, VOCABULARY_SIZE):
            if (
                word.isalpha()
                and word not in EXCLUDED_WORDS
                and (len(word) > 1 or word in ELIDED_FRENCH or word in "aoyeu")
            ):
                words.append(word)
                weights.append(wordfreq.word_frequency(word, language))
        cumulative = np.cumsum(np.asarray(weights, dtype=np.float64))
        return cls(words=words, cdf=cumulative / cumulative[-1])

    def draw(self, rng: np.random.Generator, count: int) -> list[str]:
        picks = np.searchsorted(self.cdf, rng.random(count), side="right")
        picks = np.minimum(picks, len(self.words) - 1)
        return [self.words[i] for i in picks]


def load_names(corpus_dir: Path) -> tuple[Names, Names]:
    """Countries and partners from the project's vocabulary, or the seeds' names."""
    try:
        from search_service.ingest.vocabulary import Vocabulary

        vocabulary = Vocabulary.load(corpus_dir / "vocabulary")
        by_kind: dict[str, list[tuple[str, ...]]] = {"country": [], "partner": []}
        for entry in vocabulary.entries:
            kind = str(getattr(entry, "kind", ""))
            if kind in by_kind:
                by_kind[kind].append((entry.canonical, *_alias_strings(entry)))
        if by_kind["country"] and by_kind["partner"]:
            source = str(corpus_dir / "vocabulary")
            return (
                Names(tuple(by_kind["country"]), source),
                Names(tuple(by_kind["partner"]), source),
            )
    except Exception as error:  # the vocabulary module may not exist yet
        print(f"note: project vocabulary not used ({error!r}); using the seeds' names")
    return Names(FALLBACK_COUNTRIES, "fallback"), Names(FALLBACK_PARTNERS, "fallback")


def _alias_strings(entry: Any) -> tuple[str, ...]:
    """Aliases as plain strings, whether the entry keeps them as a list or per language."""
    aliases = getattr(entry, "aliases", ()) or ()
    if isinstance(aliases, dict):
        flat = [a for values in aliases.values() for a in values]
    else:
        flat = list(aliases)
    return tuple(str(a) for a in flat if isinstance(a, str) and len(a) > 2)


class ArticleGenerator:
    """Draws articles one by one; the same seed always gives the same articles."""

    def __init__(self, seed: int, countries: Names, partners: Names) -> None:
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.countries = countries
        self.partners = partners
        self.models = {lang: LanguageModel.for_language(lang) for lang in LANGUAGE_SHARES}
        self.days = (LAST_DAY - FIRST_DAY).days
        self._popularity: dict[str, np.ndarray[Any, np.dtype[np.float64]]] = {}

    def articles(self, count: int) -> Iterator[dict[str, Any]]:
        languages = list(LANGUAGE_SHARES)
        shares = list(LANGUAGE_SHARES.values())
        for number in range(count):
            language = str(self.rng.choice(languages, p=shares))
            yield self.article(number, language)

    def article(self, number: int, language: str) -> dict[str, Any]:
        rng = self.rng
        countries = self._pick(self.countries, int(rng.choice([0, 1, 1, 1, 2, 2, 3])))
        partners = self._pick(self.partners, int(rng.choice([0, 0, 1, 1, 2])))
        article_id = f"synthetic-{self.seed}-{number:06d}"
        date = FIRST_DAY + dt.timedelta(days=int(rng.integers(0, self.days + 1)))
        return {
            "id": article_id,
            "title": self.title(language, countries, partners),
            "body": self.body(language, countries, partners),
            "date": date.isoformat(),
            "language": language,
            "url": f"https://synthetic.invalid/{language}/{article_id}",
            "countries": [names[0] for names in countries],
            "partners": [names[0] for names in partners],
        }

    def _pick(self, names: Names, count: int) -> list[tuple[str, ...]]:
        """Names drawn Zipf-like: a few countries and partners in many articles, most in few."""
        count = min(count, len(names.entries))
        weights = self._popularity.get(names.source + str(len(names.entries)))
        if weights is None:
            order = self.rng.permutation(len(names.entries))
            ranks = np.empty(len(order), dtype=np.float64)
            ranks[order] = np.arange(1, len(order) + 1)
            weights = (1.0 / ranks) / (1.0 / ranks).sum()
            self._popularity[names.source + str(len(names.entries))] = weights
        chosen = self.rng.choice(len(names.entries), size=count, replace=False, p=weights)
        return [names.entries[int(i)] for i in chosen]

    def _mention(self, names: tuple[str, ...]) -> str:
        """A country or partner as a page would name it: canonical name or an alias."""
        return names[int(self.rng.integers(0, len(names)))]

    def title(
        self, language: str, countries: list[tuple[str, ...]], partners: list[tuple[str, ...]]
    ) -> str:
        rng = self.rng
        phrases = TOPIC_PHRASES[language]
        parts = [phrases[int(rng.integers(0, len(phrases)))]]
        parts += self.models[language].draw(rng, int(rng.integers(2, 6)))
        named = countries + partners
        if named:
            parts.append(self._mention(named[int(rng.integers(0, len(named)))]))
        text = " ".join(self._elide(language, parts))
        return text[:1].upper() + text[1:]

    def body(
        self, language: str, countries: list[tuple[str, ...]], partners: list[tuple[str, ...]]
    ) -> str:
        rng = self.rng
        total = max(40, int(rng.lognormal(np.log(MEAN_BODY_WORDS), 0.45)))
        model = self.models[language]
        phrases = TOPIC_PHRASES[language]
        named = countries + partners
        sentences: list[str] = []
        written = 0
        while written < total:
            length = int(rng.integers(8, 26))
            words = model.draw(rng, length)
            if rng.random() < 0.25:
                words.insert(
                    int(rng.integers(0, length)), phrases[int(rng.integers(0, len(phrases)))]
                )
            if named and rng.random() < 0.2:
                words.insert(
                    int(rng.integers(0, length)),
                    self._mention(named[int(rng.integers(0, len(named)))]),
                )
            sentence = " ".join(self._elide(language, words))
            sentences.append(sentence[:1].upper() + sentence[1:] + ".")
            written += length
        paragraphs: list[str] = []
        while sentences:
            size = int(rng.integers(2, 6))
            paragraphs.append(" ".join(sentences[:size]))
            sentences = sentences[size:]
        return "\n\n".join(paragraphs)

    def _elide(self, language: str, words: list[str]) -> list[str]:
        """Join French elided words to the next one: "l" + "école" -> "l’école"."""
        if language != "fr":
            return words
        joined: list[str] = []
        carry = ""
        for word in words:
            if word in ELIDED_FRENCH:
                carry = word + ("’" if self.rng.random() < 0.7 else "'")
                continue
            joined.append(carry + word)
            carry = ""
        return joined


def generate(count: int, seed: int, out: Path, corpus_dir: Path) -> dict[str, Any]:
    """Write `count` articles to `out` (JSON Lines) and return a summary of what was written.

    Written beside `out`, then renamed: the benchmarks reuse an existing export, so a
    generation cut short must not leave a file that looks like a whole one (a 100,000
    export stopped at 8,319 articles was once benchmarked as 100,000).
    """
    countries, partners = load_names(corpus_dir)
    generator = ArticleGenerator(seed, countries, partners)
    out.parent.mkdir(parents=True, exist_ok=True)
    by_language: dict[str, int] = dict.fromkeys(LANGUAGE_SHARES, 0)
    words = 0
    partial = out.with_name(out.name + ".partial")
    with partial.open("w", encoding="utf-8") as handle:
        for article in generator.articles(count):
            by_language[article["language"]] += 1
            words += len(article["body"].split())
            handle.write(json.dumps(article, ensure_ascii=False) + "\n")
    partial.replace(out)
    return {
        "count": count,
        "seed": seed,
        "path": str(out),
        "by_language": by_language,
        "mean_body_words": round(words / max(count, 1), 1),
        "names_source": countries.source,
        "countries": len(countries.entries),
        "partners": len(partners.entries),
    }


def default_path(count: int, seed: int) -> Path:
    return REPO_ROOT / "bench" / "data" / f"synthetic-{count}-seed{seed}" / "articles.jsonl"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000, help="Number of articles.")
    parser.add_argument("--seed", type=int, default=1, help="Same seed, same articles.")
    parser.add_argument("--out", type=Path, help="JSONL file to write (default under bench/data/).")
    parser.add_argument(
        "--corpus", type=Path, default=REPO_ROOT / "corpus", help="Corpus whose vocabulary to use."
    )
    args = parser.parse_args(argv)
    out = args.out or default_path(args.count, args.seed)
    summary = generate(args.count, args.seed, out, args.corpus)
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

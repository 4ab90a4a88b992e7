"""Matching and BM25F scoring of a parsed query over one generation's arrays.

Every query part (a word, a phrase, or a name with its synonyms) gets a score
per document, computed for all documents at once with numpy:

* a word matches the stemmed `title_<lang>`/`body_<lang>` fields of every
  language and the exact `title_exact`/`body_exact` fields; its term
  frequencies are combined across fields with field weights and BM25 length
  normalisation *before* saturation (BM25F), so a title match outweighs a body
  match and an exact word adds to its stemmed form (exact above stemmed);
* the last word typed also matches, with a lower weight, the most frequent
  words it begins (bounded prefix expansion);
* a phrase matches its words in order in the exact fields;
* a country or partner named in the query (by any alias, in any language)
  matches the articles tagged with it, whatever name they use.

Documents are then ranked by how many parts they match (word dropping: all the
words first, then most of them) and by the sum of part scores. Long queries
(sentences, claims) use a soft coverage factor instead of strict tiers, because
for them BM25 itself is the better judge. Adjacent query words found side by
side earn a proximity bonus.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from search_service.analysis import analyze, is_stop_word_somewhere
from search_service.articles import LANGUAGES, Language
from search_service.index.view import DocIds, IndexView, Postings, held_by
from search_service.search.lexicon import Lexicon
from search_service.search.query import ParsedQuery, QueryPart
from search_service.search.snippets import HighlightTerms, NameWords

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]

K1: Final = 1.8
B: Final = 0.75
TITLE_WEIGHT: Final = 2.0
EXACT_WEIGHT: Final = 0.15
PREFIX_WEIGHT: Final = 0.45
TYPO_WEIGHT: Final = 0.6
#: Another language's stem of the word, stemmed again and looked up in a language's
#: fields ("paraguays" stems to "paraguay" in English, as a Spanish "Paraguay" does).
CROSS_STEM_WEIGHT: Final = 0.5
SYNONYM_WEIGHT: Final = 0.8
#: `NameSynonym.kind` of the words of a group of `synonyms.yaml`.
SYNONYM_KIND: Final = "synonym"
#: How much of a query word an article holding only another form of its synonyms covers:
#: it ranks below the articles with the query's own words (word dropping's tiers).
SYNONYM_COVERAGE: Final = 0.75
PROXIMITY_WEIGHT: Final = 0.25
#: Queries with more counted parts than this rank by score × coverage, not strict tiers.
STRICT_TIER_PARTS: Final = 4
#: How strongly long queries favour documents covering more of their words.
COVERAGE_POWER: Final = 0.15
#: Stop words (in every language) weigh this much of a word.
STOP_WORD_WEIGHT: Final = 0.5
#: Proximity bonuses are computed for queries of at most this many words.
PROXIMITY_MAX_PARTS: Final = 6
#: Proximity is checked among this many best documents (by the other criteria).
PROXIMITY_CANDIDATES: Final = 50
_TIER: Final = 1.0e6


@dataclass(frozen=True, slots=True)
class NameSynonym:
    """Words of the query that stand for more than themselves, and the text span they cover.

    A country or partner it names (`kind` "country" or "partner"): its words make
    one part, which the articles tagged with `canonical` match too. Words of a
    group of `synonyms.yaml` (`kind` "synonym"): each word stays a part of its own
    (an article with some of them still matches some), and an article holding any
    other form of the group (`alternatives`: a word, or words side by side)
    matches all of them.
    """

    kind: str
    canonical: str
    start: int
    end: int
    #: Every name of it (canonical, aliases, adjectives), highlighted whole in snippets.
    names: tuple[NameWords, ...] = ()
    alternatives: tuple[tuple[str, ...], ...] = ()


@dataclass(slots=True)
class Scored:
    """The outcome of matching: candidates, their scores, and what to highlight."""

    candidates: BoolArray
    #: The documents matched when the parts were combined, in ascending order: `rank`
    #: holds their ranks, position by position (a rank of every document of a large
    #: index cost more to allocate and fill than the candidates' own). Excluded words
    #: then take documents out of `candidates`, not out of these: a superset of them.
    docs: npt.NDArray[np.intp]
    rank: npt.NDArray[np.float64]
    score: FloatArray
    highlight: HighlightTerms
    corrected: dict[str, str] = field(default_factory=dict)
    full_matches: int = 0


@dataclass(slots=True)
class _PartMatch:
    score: FloatArray
    matched: BoolArray
    counted: bool
    #: How much of the part each document covers, when not all or nothing (`matched`).
    coverage: FloatArray | None = None


@dataclass(slots=True)
class _Weighted:
    """Per-document values given list by list: a prefix's completions' frequencies (a word's
    and a phrase's, normalised by their fields' lengths: `_FieldFrequencies`).

    Summed per document once all are in, by one unbuffered add in the order they
    came: the float32 sums a scatter-add per list makes, without its numpy calls
    per list.
    """

    ids: list[DocIds] = field(default_factory=list)
    values: list[FloatArray] = field(default_factory=list)

    def add(self, ids: DocIds, values: FloatArray) -> None:
        if ids.size:
            self.ids.append(ids)
            self.values.append(values)

    def summed(self, size: int) -> FloatArray:
        tfc = np.zeros(size, dtype=np.float32)
        if self.ids:
            np.add.at(tfc, np.concatenate(self.ids), np.concatenate(self.values))
        return tfc


@dataclass(slots=True)
class _FieldFrequencies:
    """A word's (or phrase's) frequencies list by list, each with its field's lengths and
    weight: BM25F's `weight × tf / (1 − B + B × length / average length)` for every list at
    once when summed.

    Done list by list it took six numpy calls a list, and a word's scores read about
    eleven lists (its stems, the other languages' stems, the exact fields, a prefix's
    completions): the sums come out bit for bit the same, each value computed in float32
    with the same operands in the same order.
    """

    ids: list[DocIds] = field(default_factory=list)
    tf: list[FloatArray] = field(default_factory=list)
    lengths: list[FloatArray] = field(default_factory=list)
    averages: list[float] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)

    def add(self, postings: Postings, lengths: FloatArray, average: float, weight: float) -> None:
        """`postings` of a field whose documents have `lengths` (`average` on average).

        Frequencies and lengths are float32 everywhere (the view's arrays, `read_postings`,
        phrases, completions): the bit-for-bit claim above rests on it.
        """
        if postings.df:
            self.ids.append(postings.ids)
            self.tf.append(postings.tf)
            # `take`: indexing by the postings' ids costs twice as much (numpy 2.4).
            self.lengths.append(lengths.take(postings.ids))
            self.averages.append(average)
            self.weights.append(weight)

    def summed(self, size: int) -> FloatArray:
        tfc = np.zeros(size, dtype=np.float32)
        if not self.ids:
            return tfc
        sizes = [ids.size for ids in self.ids]
        average = np.array(self.averages, dtype=np.float32).repeat(sizes)
        weight = np.array(self.weights, dtype=np.float32).repeat(sizes)
        norm = 1.0 - B + B * np.concatenate(self.lengths) / average
        np.add.at(tfc, np.concatenate(self.ids), weight * np.concatenate(self.tf) / norm)
        return tfc


@dataclass(slots=True)
class Scorer:
    """Scores parsed queries against one generation (one per request thread)."""

    view: IndexView
    reader: Any
    searcher: Any
    lexicon: Lexicon
    max_prefix_expansions: int
    deadline: float = math.inf
    _exact: set[str] = field(default_factory=set)
    _prefixes: list[str] = field(default_factory=list)
    _stems: dict[str, set[str]] = field(default_factory=dict)
    _names: dict[NameWords, None] = field(default_factory=dict)
    _other_forms: dict[int, _PartMatch] = field(default_factory=dict)

    # ---- public -----------------------------------------------------------------

    def score(
        self,
        parsed: ParsedQuery,
        synonyms: list[NameSynonym],
        typo_threshold: int,
    ) -> Scored:
        """`parsed` holds a word or phrase to find (the engine browses a query without)."""
        groups = _group_parts(parsed.positive, synonyms)
        spans = Counter(id(synonym) for _, synonym in groups if synonym is not None)
        matches = [self._group(parts, synonym, spans) for parts, synonym in groups]
        corrected: dict[str, str] = {}
        full = _full_match_count(matches)
        if full < typo_threshold and time.perf_counter() < self.deadline:
            matches, corrected = self._with_corrections(groups, matches)
        scored = self._combine(matches, [parts for parts, _ in groups])
        scored.corrected = corrected
        if parsed.excluded:
            scored.candidates &= ~self.excluded(parsed)
        scored.full_matches = _full_match_count(matches)
        return scored

    # ---- parts ------------------------------------------------------------------

    def _group(
        self, parts: list[QueryPart], synonym: NameSynonym | None, spans: Counter[int]
    ) -> _PartMatch:
        singles = [self._part(part) for part in parts]
        if synonym is None:
            return singles[0]
        if synonym.kind == SYNONYM_KIND:
            return self._with_other_forms(singles[0], synonym, spans[id(synonym)])
        return self._name(singles, synonym)

    def _part(self, part: QueryPart, terms: tuple[str, ...] | None = None) -> _PartMatch:
        terms = terms or part.terms
        if len(terms) > 1:
            return self._phrase(terms)
        return self._word(terms[0], part.original if terms == part.terms else terms[0], part)

    def _word(self, term: str, original: str, part: QueryPart) -> _PartMatch:
        """A word in every field; its sparse scores are kept per generation.

        Visitors' words repeat far more than their queries, so the BM25F scores of
        a word (with its prefix expansion, if any) are computed once per
        generation and only scattered into a dense array per query.
        """
        counted = not is_stop_word_somewhere(term)
        stems = self._stems_of(term, original)
        expands = (
            part.prefix
            and len(term) >= 2
            and self.lexicon.has_completions(term, self.max_prefix_expansions)
        )
        self._exact.add(term)
        for lang, stem in stems:
            self._stems.setdefault(lang, set()).add(stem)
        if expands:
            self._prefixes.append(term)
        key = f"{term}|{stems}|{'*' if expands else ''}|{counted}"
        sparse = self.view.cached(
            "*word",
            key,
            lambda: self._word_scores(
                term, stems, self._expansions(term) if expands else [], counted
            ),
        )
        score = np.zeros(self.view.doc_count, dtype=np.float32)
        score[sparse.ids.astype(np.intp)] = sparse.tf  # int32 indices: twice the time
        return _PartMatch(score, score > 0, counted)

    def _stems_of(self, term: str, original: str) -> tuple[tuple[Language, str], ...]:
        out = []
        for lang in LANGUAGES:
            stems = analyze(original, lang) or analyze(term, lang)
            if stems:
                out.append((lang, stems[0]))
        return tuple(out)

    def _expansions(self, prefix: str) -> list[str]:
        """The most frequent completions, until their postings would cover the corpus.

        A short prefix ("co") has dozens of very frequent completions; once the
        ones taken already reach about every article, more of them change little
        but cost a posting list each (the first keystrokes would be the slowest).
        """
        out: list[str] = []
        budget = max(self.view.live_count, 1)
        for word, frequency in self.lexicon.counted_completions(prefix, self.max_prefix_expansions):
            if word == prefix:
                continue
            out.append(word)
            budget -= frequency
            if budget <= 0:
                break
        return out

    def _word_scores(
        self,
        term: str,
        stems: tuple[tuple[Language, str], ...],
        expansions: list[str],
        counted: bool,
    ) -> Postings:
        tfc = _FieldFrequencies()
        for lang, stem in stems:
            self._add(tfc, f"title_{lang}", self._postings(f"title_{lang}", stem), TITLE_WEIGHT)
            self._add(tfc, f"body_{lang}", self._postings(f"body_{lang}", stem), 1.0)
        own = dict(stems)
        for lang, stem in own.items():
            for other in _cross_stems(lang, stem, own):
                title = self._postings(f"title_{lang}", other)
                self._add(tfc, f"title_{lang}", title, TITLE_WEIGHT * CROSS_STEM_WEIGHT)
                body = self._postings(f"body_{lang}", other)
                self._add(tfc, f"body_{lang}", body, CROSS_STEM_WEIGHT)
        exact_title = TITLE_WEIGHT * EXACT_WEIGHT
        self._add(tfc, "title_exact", self._postings("title_exact", term), exact_title)
        self._add(tfc, "body_exact", self._postings("body_exact", term), EXACT_WEIGHT)
        for fieldname, weight in (("title_exact", TITLE_WEIGHT), ("body_exact", 1.0)):
            if expansions:
                merged = self._merged(fieldname, expansions)
                self._add(tfc, fieldname, merged, weight * PREFIX_WEIGHT)
        summed = tfc.summed(self.view.doc_count)
        docs = _nonzero_ids(summed)
        tf = summed.take(docs)
        if not counted:
            # A stop word in every language: it ranks but does not count as a word to cover.
            tf *= STOP_WORD_WEIGHT
        return Postings(docs, self._bm25(tf, docs.size))

    def _phrase(self, terms: tuple[str, ...]) -> _PartMatch:
        weighted = _FieldFrequencies()
        self._exact.update(terms)
        self._names.setdefault(NameWords(terms))
        for fieldname, weight in (("title_exact", TITLE_WEIGHT), ("body_exact", 1.0)):
            self._add(weighted, fieldname, self._phrase_postings(fieldname, terms), weight)
        tfc = weighted.summed(self.view.doc_count)
        return _PartMatch(self._saturate(tfc), tfc > 0, True)

    def _name(self, singles: list[_PartMatch], synonym: NameSynonym) -> _PartMatch:
        """A name: its own words, or any article tagged with the name it stands for."""
        facet = self.view.facets.get(synonym.kind)
        tagged = (
            facet.docs_with_any([synonym.canonical], self.view.doc_count)
            if facet is not None
            else np.zeros(self.view.doc_count, dtype=np.bool_)
        )
        tagged &= self.view.live
        words_score = np.sum([s.score for s in singles], axis=0).astype(np.float32)
        words_all = np.logical_and.reduce([s.matched for s in singles])
        tagged_score = np.zeros(self.view.doc_count, dtype=np.float32)
        count = int(np.count_nonzero(tagged))
        if count:
            idf = _idf(self.view.live_count, count)
            tagged_score[tagged] = idf * SYNONYM_WEIGHT * len(singles)
        self._names.update(dict.fromkeys(synonym.names))
        return _PartMatch(np.maximum(words_score, tagged_score), words_all | tagged, True)

    def _with_other_forms(self, own: _PartMatch, synonym: NameSynonym, words: int) -> _PartMatch:
        """A query word of a form of synonyms: itself, or else any other form of its group.

        An article without the word but with another form matches each of the form's
        `words` parts, with that form's score (× `SYNONYM_WEIGHT`) shared between them,
        and covers each by `SYNONYM_COVERAGE` only: the articles with the query's own
        words come first, scored by them alone (another form beside the word adds
        nothing: it would favour long articles over the one the visitor means).
        """
        others = self._other_forms.get(id(synonym))
        if others is None:
            score = np.zeros(self.view.doc_count, dtype=np.float32)
            matched = np.zeros(self.view.doc_count, dtype=np.bool_)
            for terms in synonym.alternatives:
                other = self._part(QueryPart(terms=terms, original=terms[0]))
                np.maximum(score, other.score, out=score)
                matched |= other.matched
            others = self._other_forms[id(synonym)] = _PartMatch(score, matched, True)
        only_others = others.matched & ~own.matched
        score = own.score.copy()
        score[only_others] = others.score[only_others] * np.float32(SYNONYM_WEIGHT / max(1, words))
        coverage = own.matched.astype(np.float32)
        coverage[only_others] = SYNONYM_COVERAGE
        return _PartMatch(score, own.matched | others.matched, own.counted, coverage)

    # ---- corrections ------------------------------------------------------------

    def _with_corrections(
        self,
        groups: list[tuple[list[QueryPart], NameSynonym | None]],
        matches: list[_PartMatch],
    ) -> tuple[list[_PartMatch], dict[str, str]]:
        corrected: dict[str, str] = {}
        out = list(matches)
        for i, ((parts, synonym), match) in enumerate(zip(groups, matches, strict=True)):
            if synonym is not None or len(parts) != 1 or match.matched.any():
                continue
            part = parts[0]
            if part.is_phrase or not match.counted:
                continue
            fixed = self.lexicon.correction(part.terms[0])
            if fixed is None:
                continue
            corrected[part.terms[0]] = fixed
            replacement = self._word(fixed, fixed, part)
            replacement.score *= TYPO_WEIGHT
            out[i] = replacement
        return out, corrected

    # ---- combining --------------------------------------------------------------

    def _combine(self, matches: list[_PartMatch], groups: list[list[QueryPart]]) -> Scored:
        score = matches[0].score.copy()  # 0 + x is x: no score is -0.0 (idf > 0)
        for match in matches[1:]:
            score += match.score
        counted = [m for m in matches if m.counted] or matches
        any_match = counted[0].matched.copy()
        for match in counted[1:]:
            any_match |= match.matched
        candidates = any_match & self.view.live
        docs = candidates.nonzero()[0]
        covered = np.zeros(docs.size, dtype=np.float32)
        for match in counted:
            covered += (match.matched if match.coverage is None else match.coverage)[docs]
        total = max(1, len(counted))
        rank = _rank(score, covered, total, docs)
        if time.perf_counter() < self.deadline:
            bonus = self._proximity(groups, docs, rank)
            if bonus is not None:
                near, extra = bonus
                score[near] += extra
                rank = _rank(score, covered, total, docs)
        return Scored(
            candidates=candidates,
            docs=docs,
            rank=rank,
            score=score,
            highlight=HighlightTerms(
                exact=frozenset(self._exact),
                prefixes=tuple(self._prefixes),
                stems={lang: frozenset(stems) for lang, stems in self._stems.items()},
                names=tuple(self._names),
            ),
        )

    def _proximity(
        self,
        groups: list[list[QueryPart]],
        docs: npt.NDArray[np.intp],
        rank: npt.NDArray[np.float64],
    ) -> tuple[npt.NDArray[np.intp], FloatArray] | None:
        """Bonus for adjacent query words found side by side, among the best candidates:
        those documents and their bonus (all of the query's pairs summed). `rank` holds
        the ranks of `docs`, position by position.

        Positions are only read for the `PROXIMITY_CANDIDATES` best documents so
        far, so the cost does not grow with the corpus (a phrase query over the
        whole index would decode the positions of every document holding both
        words).
        """
        words = [
            parts[0].terms[0] for parts in groups if len(parts) == 1 and not parts[0].is_phrase
        ]
        if not 2 <= len(words) <= PROXIMITY_MAX_PARTS:
            return None
        if docs.size > PROXIMITY_CANDIDATES:
            best = (-rank).argpartition(PROXIMITY_CANDIDATES - 1)[:PROXIMITY_CANDIDATES]
            docs = docs[best]
            docs.sort()
        bonus = np.zeros(docs.size, dtype=np.float32)
        for first, second in itertools.pairwise(words):
            tfc = np.zeros(docs.size, dtype=np.float32)
            for fieldname, weight in (("title_exact", TITLE_WEIGHT), ("body_exact", 1.0)):
                tfc += weight * self._adjacent_counts(fieldname, first, second, docs)
            if tfc.any():
                rarer = min(self._postings("body_exact", w).df for w in (first, second)) or 1
                idf = _idf(self.view.live_count, rarer)
                bonus += PROXIMITY_WEIGHT * idf * tfc * (K1 + 1.0) / (K1 + tfc)
            if time.perf_counter() > self.deadline:
                break
        return docs, bonus

    def _adjacent_counts(
        self, fieldname: str, first: str, second: str, docs: npt.NDArray[np.intp]
    ) -> FloatArray:
        """How often `second` directly follows `first` in each of `docs` (sorted).

        Counts are remembered per generation and document, so positions are read
        once per (word pair, document) however often the pair is searched.
        """
        known = self.view.adjacency(fieldname, first, second)
        missing = known.unknown(docs)
        if missing.size:
            a, b = self._postings(fieldname, first), self._postings(fieldname, second)
            both = missing[held_by(a.ids, missing) & held_by(b.ids, missing)]
            firsts = self.view.positions(self.reader, fieldname, first, both)
            seconds = self.view.positions(self.reader, fieldname, second, both)
            counts = np.zeros(missing.size, dtype=np.int32)
            for at, doc in enumerate(missing.tolist()):
                follow = seconds.get(doc)
                starts = firsts.get(doc)
                if starts and follow:
                    counts[at] = len({p + 1 for p in starts} & set(follow))
            known = self.view.remember_adjacency(fieldname, first, second, known, missing, counts)
        return known.counts_of(docs).astype(np.float32)

    def excluded(self, parsed: ParsedQuery) -> BoolArray:
        """Documents matching any excluded word or phrase."""
        out = np.zeros(self.view.doc_count, dtype=np.bool_)
        for part in parsed.excluded:
            out |= self._part(part).matched
        return out

    # ---- postings and BM25F -----------------------------------------------------

    def _postings(self, fieldname: str, term: str) -> Postings:
        return self.view.postings(self.reader, fieldname, term)

    def _merged(self, fieldname: str, words: list[str]) -> Postings:
        """Union of the postings of a prefix's expansions.

        Not cached on its own: only a word's scores read it, and they are cached whole
        (`_word`); kept too, it took about a third of the cache's bytes (docs/serving-speed.md, "A
        prefix's completions cached only within their word").
        """
        completions = _Weighted()
        for postings in self.view.postings_of(self.reader, fieldname, words):
            completions.add(postings.ids, postings.tf)
        tf = completions.summed(self.view.doc_count)
        ids = _nonzero_ids(tf)
        return Postings(ids, tf[ids])

    def _phrase_postings(self, fieldname: str, terms: tuple[str, ...]) -> Postings:
        return self.view.phrase(self.searcher, fieldname, terms)

    def _add(
        self, tfc: _FieldFrequencies, fieldname: str, postings: Postings, weight: float
    ) -> None:
        view = self.view
        tfc.add(postings, view.lengths[fieldname], view.average_lengths[fieldname], weight)

    def _saturate(self, tfc: FloatArray) -> FloatArray:
        df = int(np.count_nonzero(tfc != 0))  # a mask counts in C; a float array per element
        if df == 0:
            return tfc
        return self._bm25(tfc, df)

    def _bm25(self, tfc: FloatArray, df: int) -> FloatArray:
        """BM25's saturation of weighted frequencies (all of a word's, or only its
        documents': each value's score depends on it and the word's `df` alone)."""
        idf = _idf(self.view.live_count, df)
        return (idf * tfc * (K1 + 1.0) / (K1 + tfc)).astype(np.float32)


def _cross_stems(lang: Language, stem: str, stems: dict[Language, str]) -> list[str]:
    """The word's stems in the other languages, as this language's fields index them.

    Another language's stemmer may undo an ending this one keeps ("particulars":
    English "particular", Spanish unchanged). This language's fields hold its own
    stems, so the other stem is stemmed again here ("particul", what a Spanish
    "particular" is indexed as) before it is looked up. Looking the other stem up
    as it is matched only by chance, and measured worse (docs/api.md, Ranking).
    """
    found = {again for other in stems.values() for again in analyze(other, lang)[:1]}
    found.discard(stem)
    return sorted(found)


def _nonzero_ids(values: FloatArray) -> npt.NDArray[np.int32]:
    """Documents whose value is not zero.

    Through a mask: numpy's `nonzero` of a float array calls a function per element
    (about ten times the instructions of the comparison and the mask's `nonzero`).
    """
    nonzero: npt.NDArray[np.bool_] = values != 0
    return nonzero.nonzero()[0].astype(np.int32)


def _rank(
    score: FloatArray, covered: FloatArray, total: int, docs: npt.NDArray[np.intp]
) -> npt.NDArray[np.float64]:
    """Short queries: matched words first (strict tiers); long ones: score × coverage^p.

    The ranks of the candidates `docs` (`covered`: the parts each of them covers), in
    their order: a query matches a few percent of a large corpus (the 100k bench mix:
    7 % at the median), and an array of every document's rank was the largest part of
    a search's memory there (800 KB at 100,000 articles, two with a proximity bonus).
    """
    score = score[docs]
    if total <= STRICT_TIER_PARTS:
        return covered.astype(np.float64) * _TIER + score
    return score.astype(np.float64) * (covered / total) ** COVERAGE_POWER


def _idf(total: int, df: int) -> float:
    return math.log(1.0 + (total - df + 0.5) / (df + 0.5))


def _full_match_count(matches: list[_PartMatch]) -> int:
    counted = [m.matched for m in matches if m.counted]
    if not counted:
        return 0
    # `&` in turn: `np.logical_and.reduce` of a list first copies it into a 2-D array.
    every = counted[0]
    for matched in counted[1:]:
        every = every & matched
    return int(np.count_nonzero(every))


def _group_parts(
    parts: tuple[QueryPart, ...], synonyms: list[NameSynonym]
) -> list[tuple[list[QueryPart], NameSynonym | None]]:
    """Parts covered by a name the vocabulary knows become one group with that name; the
    words of a form of synonyms stay one group each, all with the form's synonyms."""
    groups: list[tuple[list[QueryPart], NameSynonym | None]] = []
    used: set[int] = set()
    for synonym in synonyms:
        inside = [
            i
            for i, part in enumerate(parts)
            if i not in used and part.start < synonym.end and synonym.start < part.end
        ]
        if not inside:
            continue
        used.update(inside)
        if synonym.kind == SYNONYM_KIND:  # each word stays a part, sharing the other forms
            groups.extend(([parts[i]], synonym) for i in inside)
        else:
            groups.append(([parts[i] for i in inside], synonym))
    for i, part in enumerate(parts):
        if i not in used:
            groups.append(([part], None))
    order = {id(group[0][0]): min(p.start for p in group[0]) for group in groups}
    groups.sort(key=lambda group: order[id(group[0][0])])
    return groups

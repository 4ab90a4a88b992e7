"""Relevance: SciFact through the project's own ingest, index and search path, plus fr/es checks.

- **SciFact** (BEIR layout, `../shared/eval/scifact/`): the 5,183 abstracts are
  written as a JSON Lines export (id, title, body, language "en"), read by the
  project's ingest, indexed by the project's build and searched by the
  project's `SearchEngine` with its production settings; top 100 for each of
  the 300 test queries; nDCG@10 and R@100 by `ir-measures`. Nothing here is
  tuned for SciFact.
- **Ablation rows** for reference, in the same run: plain Whoosh BM25F with
  `StemmingAnalyzer` and OR queries, (a) title and text as two fields and
  (b) one combined field.
- **French and Spanish known-item check**: for synthetic articles of each
  language (English as the control), a query made of the article's title
  folded (no accents, lower case), one of three of its body words, and the
  same three words inflected (a plural made singular, a singular plural); the
  share of queries whose article is in the top 10 (success@10) and the MRR.
  Run before and after a ranking change: fr/es must not drop.

    python -m bench.relevance [--scifact DIR]
    python -m bench.relevance --diagnose    # which ranking constant the SciFact figure depends on
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ir_measures
from ir_measures import R, nDCG

from bench.common import DATA_DIR, REPO_ROOT, write_result
from bench.queries import WORD, read_articles

MEASURES = [nDCG @ 10, R @ 100]
DEFAULT_SCIFACT = REPO_ROOT.parent / "shared" / "eval" / "scifact"
Ranker = Callable[[str, int], list[str]]
WORD_OR_NUMBER = re.compile(r"\w+")


def load_scifact(directory: Path) -> tuple[list[dict[str, Any]], dict[str, str], list[Any]]:
    """Corpus as export records, the test queries by id, and the test qrels."""
    records: list[dict[str, Any]] = []
    with (directory / "corpus.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            doc = json.loads(line)
            title = doc["title"].strip() or doc["text"][:80]
            records.append(
                {"id": doc["_id"], "title": title, "body": doc["text"], "language": "en"}
            )
    qrels = []
    with (directory / "qrels" / "test.tsv").open(encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            query_id, doc_id, score = line.rstrip("\n").split("\t")
            qrels.append(ir_measures.Qrel(query_id, doc_id, int(score)))
    test_ids = {q.query_id for q in qrels}
    queries: dict[str, str] = {}
    with (directory / "queries.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            query = json.loads(line)
            if query["_id"] in test_ids:
                queries[query["_id"]] = query["text"]
    return records, queries, qrels


def write_export(records: list[dict[str, Any]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def evaluate(rank: Ranker, queries: dict[str, str], qrels: list[Any]) -> dict[str, Any]:
    """nDCG@10 and R@100 of a ranker; the score given to ir-measures keeps its order."""
    run: list[Any] = []
    start = time.perf_counter()
    for query_id, text in queries.items():
        ids = rank(text, 100)
        run.extend(ir_measures.ScoredDoc(query_id, d, float(100 - i)) for i, d in enumerate(ids))
    seconds = time.perf_counter() - start
    scores = ir_measures.calc_aggregate(MEASURES, qrels, run)
    return {
        "nDCG@10": round(float(scores[nDCG @ 10]), 4),
        "R@100": round(float(scores[R @ 100]), 4),
        "queries": len(queries),
        "mean_query_ms": round(seconds * 1000 / max(len(queries), 1), 2),
    }


def whoosh_ranker(records: list[dict[str, Any]], directory: Path, combined: bool) -> Ranker:
    """Plain Whoosh BM25F, StemmingAnalyzer, OR queries: the reference row."""
    from whoosh import fields, index
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.qparser import MultifieldParser, OrGroup

    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    text_fields = ["text"] if combined else ["title", "text"]
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        **{name: fields.TEXT(analyzer=StemmingAnalyzer()) for name in text_fields},
    )
    ix = index.create_in(str(directory), schema)
    writer = ix.writer()
    for r in records:
        if combined:
            writer.add_document(id=r["id"], text=r["title"] + "\n" + r["body"])
        else:
            writer.add_document(id=r["id"], title=r["title"], text=r["body"])
    writer.commit()
    searcher = ix.searcher()
    parser = MultifieldParser(text_fields, schema, group=OrGroup)

    def rank(text: str, limit: int) -> list[str]:
        words = " ".join(WORD_OR_NUMBER.findall(text))
        return [hit["id"] for hit in searcher.search(parser.parse(words), limit=limit)]

    return rank


def inflect(word: str) -> str:
    """Singular <-> plural, roughly: what a language's stemmer must undo."""
    return word[:-1] if word.endswith("s") else word + "s"


def known_item_queries(
    articles: list[dict[str, Any]], per_language: int, seed: int
) -> dict[str, list[tuple[str, str, str]]]:
    """(kind, query, target id) per language: folded titles and three body words."""
    from search_service.text import fold

    rng = random.Random(seed)
    by_language: dict[str, list[dict[str, Any]]] = {}
    for article in articles:
        by_language.setdefault(article["language"], []).append(article)
    chosen: dict[str, list[tuple[str, str, str]]] = {}
    for language, group in sorted(by_language.items()):
        items: list[tuple[str, str, str]] = []
        for article in rng.sample(group, min(per_language, len(group))):
            items.append(("folded_title", fold(article["title"]), article["id"]))
            words = [w for w in WORD.findall(article["body"]) if len(w) > 6]
            if len(words) >= 3:
                picked = rng.sample(words, 3)
                items.append(("body_words", " ".join(picked), article["id"]))
                items.append(
                    ("body_words_inflected", " ".join(map(inflect, picked)), article["id"])
                )
        chosen[language] = items
    return chosen


def known_item_scores(
    rank: Ranker, queries: dict[str, list[tuple[str, str, str]]]
) -> dict[str, dict[str, Any]]:
    """success@10 and MRR@10 per language and query kind."""
    table: dict[str, dict[str, Any]] = {}
    for language, items in queries.items():
        by_kind: dict[str, list[float]] = {}
        for kind, text, target in items:
            ids = rank(text, 10)
            reciprocal = 1.0 / (ids.index(target) + 1) if target in ids else 0.0
            by_kind.setdefault(kind, []).append(reciprocal)
        table[language] = {
            kind: {
                "queries": len(values),
                "success@10": round(sum(v > 0 for v in values) / len(values), 3),
                "MRR@10": round(sum(values) / len(values), 3),
            }
            for kind, values in by_kind.items()
        }
    return table


def run(scifact: Path, synthetic: Path, per_language: int, include_ours: bool) -> dict[str, Any]:
    work = DATA_DIR / "relevance"
    records, queries, qrels = load_scifact(scifact)
    figures: dict[str, Any] = {"scifact": {}, "known_item": {}}
    print(f"scifact: {len(records)} documents, {len(queries)} test queries", flush=True)
    rankers: dict[str, Callable[[], Ranker]] = {}
    if include_ours:
        from bench.ours import ours_ranker_from_export

        export = write_export(records, work / "scifact-corpus" / "articles" / "scifact.jsonl")
        rankers["ours"] = lambda: ours_ranker_from_export(export, work / "scifact-ours")
    rankers["whoosh_bm25f_two_fields"] = lambda: whoosh_ranker(records, work / "w2", False)
    rankers["whoosh_bm25f_one_field"] = lambda: whoosh_ranker(records, work / "w1", True)
    for name, make in rankers.items():
        print(f"scifact: {name} ...", flush=True)
        figures["scifact"][name] = evaluate(make(), queries, qrels)
        print(f"scifact: {name}: {figures['scifact'][name]}", flush=True)

    articles = read_articles(synthetic)
    items = known_item_queries(articles, per_language, seed=11)
    known: dict[str, Callable[[], Ranker]] = {}
    if include_ours:
        from bench.ours import ours_ranker_from_export

        known["ours"] = lambda: ours_ranker_from_export(synthetic, work / "known-ours")
    known["whoosh_naive"] = lambda: whoosh_ranker(
        [{"id": a["id"], "title": a["title"], "body": a["body"]} for a in articles],
        work / "known-whoosh",
        False,
    )
    for name, make in known.items():
        figures["known_item"][name] = known_item_scores(make(), items)
        print(f"known item: {name}: {figures['known_item'][name]}", flush=True)
    return figures


#: Diagnostic variants of the ranking constants (module globals of search_service.search.ranking).
#: They say which knob the SciFact gap depends on; they are not settings to ship.
VARIANTS: dict[str, dict[str, float]] = {
    "production": {},
    "no prefix on the last word": {"PREFIX_WEIGHT": 0.0},
    "no exact-field bonus": {"EXACT_WEIGHT": 0.0},
    "no proximity bonus": {"PROXIMITY_WEIGHT": 0.0},
    "title weight 1": {"TITLE_WEIGHT": 1.0},
    "no coverage factor": {"COVERAGE_POWER": 0.0},
    "stop words full weight": {"STOP_WORD_WEIGHT": 1.0},
    "k1=0.9 b=0.4 (Anserini)": {"K1": 0.9, "B": 0.4},
    "k1=1.2 b=0.75": {"K1": 1.2, "B": 0.75},
}


def diagnose(scifact: Path) -> dict[str, Any]:
    """SciFact with each variant of the ranking constants, on one index built once."""
    from bench.ours import ours_ranker_from_export
    from search_service.search import ranking

    work = DATA_DIR / "relevance"
    records, queries, qrels = load_scifact(scifact)
    export = write_export(records, work / "scifact-corpus" / "articles" / "scifact.jsonl")
    rank = ours_ranker_from_export(export, work / "scifact-ours")
    figures: dict[str, Any] = {}
    for name, changes in VARIANTS.items():
        saved = {key: getattr(ranking, key) for key in changes}
        try:
            for key, value in changes.items():
                setattr(ranking, key, value)
            figures[name] = evaluate(rank, queries, qrels)
        finally:
            for key, value in saved.items():
                setattr(ranking, key, value)
        print(f"diagnose: {name}: {figures[name]}", flush=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    from bench.generate import default_path, generate

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scifact", type=Path, default=DEFAULT_SCIFACT, help="BEIR SciFact folder."
    )
    parser.add_argument("--count", type=int, default=5000, help="Synthetic articles for fr/es.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--per-language", type=int, default=60, help="Known-item articles per language."
    )
    parser.add_argument("--baselines-only", action="store_true", help="Leave our engine out.")
    parser.add_argument(
        "--diagnose",
        action="store_true",
        help="SciFact only, with variants of the ranking constants: which knob matters.",
    )
    args = parser.parse_args(argv)
    needed = ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv")
    missing = [name for name in needed if not (args.scifact / name).is_file()]
    if missing:
        parser.error(
            f"no SciFact data in {args.scifact} ({', '.join(missing)} missing); pass --scifact DIR"
        )
    if args.diagnose:
        parameters = {"scifact": str(args.scifact), "variants": VARIANTS}
        print(write_result("relevance-diagnose", parameters, diagnose(args.scifact)))
        return 0
    synthetic = default_path(args.count, args.seed)
    if not synthetic.exists():
        generate(args.count, args.seed, synthetic, REPO_ROOT / "corpus")
    figures = run(args.scifact, synthetic, args.per_language, not args.baselines_only)
    parameters = {
        "scifact": str(args.scifact),
        "synthetic": str(synthetic),
        "per_language": args.per_language,
        "measures": [str(m) for m in MEASURES],
    }
    name = "relevance-baselines" if args.baselines_only else "relevance"
    print(write_result(name, parameters, figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

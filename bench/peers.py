"""Peers in the same run: SQLite FTS5, tantivy and naive Whoosh, against our search core.

Same articles, same queries, same process, one after the other; the figures
that matter are the ratios ours/peer (a ratio below 1 means we are faster).
Every system answers a query the way the service must: the top 10 with a
snippet, the total, and — for the kinds that ask for them — facet counts for
country, partner, year and language.

- **SQLite FTS5** (standard library): one FTS5 table (title, body; unicode61
  with diacritics removed; prefix indexes for 2-4 letters), a side table of
  facet values; facet counts by GROUP BY, one per facet, each with every
  filter but its own (multi-select, like ours); `bm25()` ranking, `snippet()`.
- **tantivy** (Rust, from PyPI): title/body with its `default` tokenizer,
  facets as raw fast text fields counted by a `terms` aggregation per facet.
- **naive Whoosh**: what a first version would do: `StemmingAnalyzer`,
  `MultifieldParser`, its own `groupedby` facets (one pass, not multi-select),
  `highlights()`, and a searcher opened per request.

    python -m bench.peers --count 5000
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any, Protocol

from bench.common import DATA_DIR, directory_size_mib, time_calls, write_result
from bench.queries import KINDS, BenchQuery, QuerySet, make_queries, read_articles

FACETS: tuple[str, ...] = ("country", "partner", "year", "language")


def day_number(article: dict[str, Any]) -> int:
    date = article.get("date")
    return dt.date.fromisoformat(date).toordinal() if date else 0


def year_of(article: dict[str, Any]) -> int:
    date = article.get("date")
    return int(date[:4]) if date else 0


class System(Protocol):
    """A search system under test: build once, then answer BenchQuery objects."""

    name: str

    def build(self, articles: list[dict[str, Any]], directory: Path) -> None: ...

    def search(self, query: BenchQuery) -> int: ...

    def close(self) -> None: ...


class SqliteFts5:
    name = "sqlite_fts5"

    def __init__(self) -> None:
        self.db: sqlite3.Connection | None = None

    def build(self, articles: list[dict[str, Any]], directory: Path) -> None:
        db = sqlite3.connect(directory / "fts.sqlite3", check_same_thread=False)
        db.executescript(
            """
            PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
            CREATE VIRTUAL TABLE fts USING fts5(
                title, body, tokenize='unicode61 remove_diacritics 2', prefix='2 3 4');
            CREATE TABLE doc(rowid INTEGER PRIMARY KEY, id TEXT, day INTEGER,
                             year INTEGER, language TEXT);
            CREATE TABLE facet(rowid INTEGER, name TEXT, value TEXT);
            """
        )
        with db:
            for n, a in enumerate(articles, start=1):
                db.execute(
                    "INSERT INTO fts(rowid, title, body) VALUES (?,?,?)", (n, a["title"], a["body"])
                )
                db.execute(
                    "INSERT INTO doc VALUES (?,?,?,?,?)",
                    (n, a["id"], day_number(a), year_of(a), a["language"]),
                )
                for name, key in (("country", "countries"), ("partner", "partners")):
                    db.executemany(
                        "INSERT INTO facet VALUES (?,?,?)", [(n, name, v) for v in a.get(key, [])]
                    )
        db.executescript(
            "CREATE INDEX facet_by_row ON facet(rowid, name, value);"
            "CREATE INDEX facet_by_value ON facet(name, value, rowid);"
            "CREATE INDEX doc_day ON doc(day); ANALYZE;"
        )
        self.db = db

    @staticmethod
    def match_expression(query: BenchQuery) -> str:
        if query.phrase:
            return '"' + " ".join(query.words) + '"'
        terms = [f'"{w}"' for w in query.words]
        if query.prefix:
            terms.append(f'"{query.prefix}"*')
        return " ".join(terms)

    def _where(self, query: BenchQuery, skip: str | None) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if query.q:
            clauses.append("doc.rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
            params.append(self.match_expression(query))
        if query.countries and skip != "country":
            marks = ",".join("?" * len(query.countries))
            clauses.append(
                "doc.rowid IN (SELECT rowid FROM facet WHERE name='country' "
                f"AND value IN ({marks}))"
            )
            params.extend(query.countries)
        if query.year_from is not None and skip != "year":
            clauses.append("doc.year BETWEEN ? AND ?")
            params.extend([query.year_from, query.year_to])
        return (" AND ".join(clauses) or "1"), params

    def search(self, query: BenchQuery) -> int:
        assert self.db is not None
        where, params = self._where(query, None)
        if query.q and query.sort == "relevance":
            sql = (
                "SELECT doc.id, snippet(fts, 1, '<mark>', '</mark>', '…', 16) FROM fts "
                f"JOIN doc ON doc.rowid = fts.rowid WHERE fts MATCH ? AND {where} "
                "ORDER BY bm25(fts, 3.0, 1.0) LIMIT 10"
            )
            rows = self.db.execute(sql, [self.match_expression(query), *params]).fetchall()
        else:
            sql = (
                "SELECT doc.id, substr(fts.body, 1, 200) FROM doc "
                f"JOIN fts ON fts.rowid = doc.rowid WHERE {where} ORDER BY doc.day DESC LIMIT 10"
            )
            rows = self.db.execute(sql, params).fetchall()
        total = self.db.execute(f"SELECT count(*) FROM doc WHERE {where}", params).fetchone()[0]
        if query.facets:
            for name in FACETS:
                self._facet_counts(query, name)
        return int(total) + 0 * len(rows)

    def _facet_counts(self, query: BenchQuery, name: str) -> list[tuple[Any, int]]:
        assert self.db is not None
        where, params = self._where(query, name)
        if name in ("country", "partner"):
            sql = (
                "SELECT facet.value, count(*) FROM doc JOIN facet ON facet.rowid = doc.rowid "
                f"AND facet.name = ? WHERE {where} GROUP BY facet.value ORDER BY 2 DESC"
            )
            return self.db.execute(sql, [name, *params]).fetchall()
        sql = f"SELECT doc.{name}, count(*) FROM doc WHERE {where} GROUP BY 1 ORDER BY 2 DESC"
        return self.db.execute(sql, params).fetchall()

    def close(self) -> None:
        if self.db is not None:
            self.db.close()


class Tantivy:
    name = "tantivy"

    def __init__(self) -> None:
        self.index: Any = None

    def build(self, articles: list[dict[str, Any]], directory: Path) -> None:
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("title", stored=True)
        builder.add_text_field("body", stored=True)
        for name in ("country", "partner", "language"):
            builder.add_text_field(name, stored=True, fast=True, tokenizer_name="raw")
        builder.add_integer_field("year", indexed=True, fast=True, stored=True)
        builder.add_integer_field("day", indexed=True, fast=True)
        schema = builder.build()
        index = tantivy.Index(schema, path=str(directory))
        writer = index.writer(heap_size=256 * 2**20, num_threads=2)
        for a in articles:
            writer.add_document(
                tantivy.Document(
                    id=a["id"],
                    title=a["title"],
                    body=a["body"],
                    country=list(a.get("countries", [])),
                    partner=list(a.get("partners", [])),
                    language=a["language"],
                    year=year_of(a),
                    day=day_number(a),
                )
            )
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        self.index = index
        self.schema = schema
        self.searcher = index.searcher()
        self.snippets: dict[str, Any] = {}

    def _query(self, query: BenchQuery, skip: str | None) -> Any:
        import tantivy

        parts: list[Any] = []
        if query.words or query.phrase:
            text = '"' + " ".join(query.words) + '"' if query.phrase else " ".join(query.words)
            parts.append(
                self.index.parse_query(text, ["title", "body"], conjunction_by_default=True)
            )
        if query.prefix:
            parts.append(
                tantivy.Query.boolean_query(
                    [
                        (
                            tantivy.Occur.Should,
                            tantivy.Query.fuzzy_term_query(
                                self.schema, field, query.prefix, distance=0, prefix=True
                            ),
                        )
                        for field in ("title", "body")
                    ]
                )
            )
        if query.countries and skip != "country":
            parts.append(
                tantivy.Query.term_set_query(self.schema, "country", list(query.countries))
            )
        if query.year_from is not None and skip != "year":
            parts.append(
                tantivy.Query.range_query(
                    self.schema, "year", tantivy.FieldType.Integer, query.year_from, query.year_to
                )
            )
        if not parts:
            return tantivy.Query.all_query()
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, p) for p in parts])

    def search(self, query: BenchQuery) -> int:
        import tantivy

        tq = self._query(query, None)
        if query.q and query.sort == "relevance":
            result = self.searcher.search(tq, 10)
            generator = tantivy.SnippetGenerator.create(self.searcher, tq, self.schema, "body")
            for _score, address in result.hits:
                generator.snippet_from_doc(self.searcher.doc(address)).to_html()
        else:
            result = self.searcher.search(tq, 10, order_by_field="day")
            for _key, address in result.hits:
                self.searcher.doc(address)
        if query.facets:
            for name in FACETS:
                self.searcher.aggregate(
                    self._query(query, name), {name: {"terms": {"field": name, "size": 100}}}
                )
        return int(getattr(result, "count", 0) or 0)

    def close(self) -> None:
        self.index = None


class NaiveWhoosh:
    name = "whoosh_naive"
    #: One timed round is enough: it is 10-100x slower, and its prefix queries take seconds.
    max_repeat = 1

    def __init__(self) -> None:
        self.index: Any = None

    def build(self, articles: list[dict[str, Any]], directory: Path) -> None:
        from whoosh import fields, index
        from whoosh.analysis import StemmingAnalyzer

        schema = fields.Schema(
            id=fields.ID(stored=True, unique=True),
            title=fields.TEXT(analyzer=StemmingAnalyzer(), stored=True),
            body=fields.TEXT(analyzer=StemmingAnalyzer(), stored=True),
            country=fields.KEYWORD(stored=True, commas=True),
            partner=fields.KEYWORD(stored=True, commas=True),
            language=fields.ID(stored=True),
            year=fields.NUMERIC(int, stored=True),
            day=fields.NUMERIC(int, sortable=True),
        )
        ix = index.create_in(str(directory), schema)
        writer = ix.writer()
        for a in articles:
            writer.add_document(
                id=a["id"],
                title=a["title"],
                body=a["body"],
                country=",".join(a.get("countries", [])),
                partner=",".join(a.get("partners", [])),
                language=a["language"],
                year=year_of(a),
                day=day_number(a),
            )
        writer.commit()
        self.index = ix

    def search(self, query: BenchQuery) -> int:
        from whoosh import query as wq
        from whoosh import sorting
        from whoosh.qparser import AndGroup, MultifieldParser

        parser = MultifieldParser(["title", "body"], self.index.schema, group=AndGroup)
        text = query.q + ("*" if query.prefix else "")
        parsed = parser.parse(text) if query.q else wq.Every()
        filters: list[Any] = []
        if query.countries:
            filters.append(wq.Or([wq.Term("country", c) for c in query.countries]))
        if query.year_from is not None:
            filters.append(wq.NumericRange("year", query.year_from, query.year_to))
        groupedby = (
            {
                name: sorting.FieldFacet(name, allow_overlap=True, maptype=sorting.Count)
                for name in FACETS
            }
            if query.facets
            else None
        )
        with self.index.searcher() as searcher:  # naive: a searcher per request
            options: dict[str, Any] = {"limit": 10, "groupedby": groupedby}
            if filters:
                options["filter"] = wq.And(filters)
            if query.sort == "newest" or not query.q:
                options.update(sortedby="day", reverse=True)
            results = searcher.search(parsed, **options)
            for hit in results:
                hit.highlights("body")
            if groupedby:
                for name in FACETS:
                    results.groups(name)
            return len(results)

    def close(self) -> None:
        self.index = None


def build_and_time(system: Any, articles: list[dict[str, Any]], directory: Path) -> dict[str, Any]:
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    gc.collect()
    start = time.perf_counter()
    system.build(articles, directory)
    seconds = time.perf_counter() - start
    return {
        "seconds": round(seconds, 2),
        "articles_per_s": round(len(articles) / seconds, 1),
        "size_mib": directory_size_mib(directory),
    }


def time_kinds(system: Any, queries: QuerySet, repeat: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for kind in KINDS:
        totals = [system.search(q) for q in queries.queries[kind]]
        rounds = min(repeat, getattr(system, "max_repeat", repeat))
        figures[kind] = time_calls(system.search, queries.queries[kind], repeat=rounds, warmup=0)
        figures[kind]["mean_total"] = round(sum(totals) / max(len(totals), 1), 1)
    return figures


def run_peers(
    articles_path: Path, per_kind: int, repeat: int, systems: list[Any], work_dir: Path
) -> dict[str, Any]:
    articles = read_articles(articles_path)
    queries = make_queries(articles, per_kind=per_kind)
    figures: dict[str, Any] = {"articles": len(articles), "systems": {}}
    for system in systems:
        print(f"{system.name}: building {len(articles)} articles ...", flush=True)
        build = build_and_time(system, articles, work_dir / system.name)
        print(f"{system.name}: {build}; searching ...", flush=True)
        search = time_kinds(system, queries, repeat)
        figures["systems"][system.name] = {"build": build, "search": search}
        system.close()
    figures["ratios"] = ratios(figures["systems"])
    return figures


def ratios(systems: dict[str, Any]) -> dict[str, Any]:
    """Median and p99 of ours divided by each peer's, per query kind."""
    if "ours" not in systems:
        return {}
    ours = systems["ours"]["search"]
    table: dict[str, Any] = {}
    for name, data in systems.items():
        if name == "ours":
            continue
        table[name] = {
            kind: {
                "median": round(
                    ours[kind]["median_ms"] / max(data["search"][kind]["median_ms"], 1e-6), 2
                ),
                "p99": round(ours[kind]["p99_ms"] / max(data["search"][kind]["p99_ms"], 1e-6), 2),
            }
            for kind in KINDS
            if kind in ours and kind in data["search"]
        }
    return table


def all_systems(include_ours: bool = True) -> list[Any]:
    systems: list[Any] = []
    if include_ours:
        from bench.ours import OurEngine

        systems.append(OurEngine())
    systems += [SqliteFts5(), Tantivy(), NaiveWhoosh()]
    return systems


def main(argv: list[str] | None = None) -> int:
    from bench.generate import default_path, generate

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--count", type=int, default=5000, help="Synthetic articles (generated if missing)."
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--articles", type=Path, help="A JSONL file instead of generated articles.")
    parser.add_argument("--per-kind", type=int, default=100, help="Queries of each kind.")
    parser.add_argument("--repeat", type=int, default=3, help="Timed passes over the queries.")
    parser.add_argument("--peers-only", action="store_true", help="Leave our engine out.")
    parser.add_argument("--name", default=None, help="Results file name (default peers-<count>).")
    args = parser.parse_args(argv)
    path = args.articles or default_path(args.count, args.seed)
    if not path.exists():
        generate(args.count, args.seed, path, Path("corpus"))
    work = DATA_DIR / "peers"
    figures = run_peers(path, args.per_kind, args.repeat, all_systems(not args.peers_only), work)
    name = args.name or f"peers-{figures['articles']}"
    parameters = {
        "articles_file": str(path),
        "per_kind": args.per_kind,
        "repeat": args.repeat,
        "seed": args.seed,
    }
    print(write_result(name, parameters, figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Plain Whoosh's build rate, the baseline of docs/build-speed.md "Build speed".

    python -m bench.plain_whoosh_rate ARTICLES.jsonl [--procs N] [--our-schema]

The review of issue 3's script, kept so the baseline can be measured again
beside `bench.build_rate` on the same file (same CPU measure, same report
line). A plain schema (id, title with Whoosh's standard analyzer, body with its
`StemmingAnalyzer`, both stored; language), one `add_document` per line of a
`bench.generate` file, then the commit; timed from the writer's creation to the
end of the commit.

`--our-schema`: the ceiling of the Whoosh writer for our schema (issue 11): the
service's schema, codec and documents (`make_schema`, `FastCodec`,
`article_document`: its analysis included) given to the writer exactly as a full
build gives them, and nothing else of a build (no reading of the corpus, no serving
view, no check, no manifest). A full build's rate against this one is what the rest
of the build costs.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from whoosh import fields, index
from whoosh.analysis import StemmingAnalyzer

from bench.build_rate import cpu_seconds, folder_bytes, rate_line
from bench.common import write_result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("jsonl", type=Path)
    parser.add_argument("--procs", type=int, default=1, help="Whoosh writer processes.")
    parser.add_argument(
        "--our-schema", action="store_true", help="The service's schema, codec and documents."
    )
    args = parser.parse_args()
    if args.our_schema:
        our_writer_rate(args.jsonl, args.procs)
        return
    with open(args.jsonl, encoding="utf-8") as handle:
        articles = [json.loads(line) for line in handle]
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(stored=True),
        body=fields.TEXT(analyzer=StemmingAnalyzer(), stored=True),
        language=fields.ID(stored=True),
    )
    with tempfile.TemporaryDirectory() as folder:
        ix = index.create_in(folder, schema)
        cpu_before = cpu_seconds()
        started = time.perf_counter()
        writer = ix.writer(procs=args.procs, multisegment=args.procs > 1, limitmb=256)
        for article in articles:
            writer.add_document(
                id=article["id"],
                title=article["title"],
                body=article["body"],
                language=article["language"],
            )
        writer.commit()
        seconds = time.perf_counter() - started
        cpu = cpu_seconds() - cpu_before
        size = folder_bytes(Path(folder))
    print(rate_line(f"plain Whoosh, procs={args.procs}", len(articles), seconds, cpu, size))


def our_writer_rate(jsonl: Path, procs: int) -> None:
    from bench.build_rate import load_articles
    from search_service.index.build import pool_limit_mb
    from search_service.index.schema import FastCodec, article_document, make_schema

    articles = load_articles(jsonl, None)
    with tempfile.TemporaryDirectory() as folder:
        ix = index.create_in(folder, make_schema())
        cpu_before = cpu_seconds()
        started = time.perf_counter()
        limit = pool_limit_mb(len(articles), procs)
        writer = (
            ix.writer(procs=procs, limitmb=limit, multisegment=True, codec=FastCodec())
            if procs > 1
            else ix.writer(limitmb=limit, codec=FastCodec())
        )
        for article in articles:
            writer.add_document(**article_document(article))
        writer.commit()
        seconds = time.perf_counter() - started
        cpu = cpu_seconds() - cpu_before
        size = folder_bytes(Path(folder))
    print(rate_line(f"Whoosh writer, our schema, procs={procs}", len(articles), seconds, cpu, size))
    figures = {
        "articles": len(articles),
        "seconds": round(seconds, 1),
        "articles_per_s": round(len(articles) / seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "index_mb": round(size / 1e6, 1),
    }
    parameters = {"articles_file": str(jsonl), "procs": procs, "schema": "ours"}
    write_result(f"whoosh-writer-{len(articles)}-p{procs}", parameters, figures)


if __name__ == "__main__":
    main()

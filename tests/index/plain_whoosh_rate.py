"""Plain Whoosh's build rate, the baseline of docs/index.md "Build speed".

    python tests/index/plain_whoosh_rate.py ARTICLES.jsonl [--procs N]

Not a test: the review of issue 3's script, kept so the baseline can be measured
again beside `build_rate.py` on the same file. A plain schema (id, title with
Whoosh's standard analyzer, body with its `StemmingAnalyzer`, both stored;
language), one `add_document` per line of a `bench.generate` file, then the
commit; timed from the writer's creation to the end of the commit.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from whoosh import fields, index
from whoosh.analysis import StemmingAnalyzer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("jsonl", type=Path)
    parser.add_argument("--procs", type=int, default=1, help="Whoosh writer processes.")
    args = parser.parse_args()
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
        cpu_before = _cpu_seconds()
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
        cpu = _cpu_seconds() - cpu_before
    print(
        f"plain Whoosh, procs={args.procs}: {len(articles)} articles, {seconds:.1f}s wall, "
        f"{len(articles) / seconds:.0f} articles/s; {len(articles) / cpu:.0f} per CPU-second"
    )


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()

"""Plain Whoosh's build rate, the baseline of docs/index.md "Build speed".

    python -m bench.plain_whoosh_rate ARTICLES.jsonl [--procs N]

The review of issue 3's script, kept so the baseline can be measured again
beside `bench.build_rate` on the same file (same CPU measure, same report
line). A plain schema (id, title with Whoosh's standard analyzer, body with its
`StemmingAnalyzer`, both stored; language), one `add_document` per line of a
`bench.generate` file, then the commit; timed from the writer's creation to the
end of the commit.
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


if __name__ == "__main__":
    main()

"""Full-build speed, the figures of docs/build-speed.md "Build speed".

    python -m bench.build_rate ARTICLES.jsonl [--single-process] [--limit-mb N] [--limit N]

Reads a JSON Lines file made by `python -m bench.generate` (realistic synthetic
articles), turns each line into an `Article`, and times `build_from_articles`
into a temporary folder: articles/s end to end (analysis, writing, commit,
checks and publish), CPU seconds of all processes, index size. Its baseline,
plain Whoosh on the same file, is `bench.plain_whoosh_rate` (same report line).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import resource
import tempfile
import time
from pathlib import Path

from search_service.articles import Article, SourceRef
from search_service.index import build
from search_service.index.build import build_from_articles


def load_articles(path: Path, limit: int | None) -> list[Article]:
    articles: list[Article] = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if limit is not None and number > limit:
                break
            data = json.loads(line)
            articles.append(
                Article(
                    id=data["id"],
                    title=data["title"],
                    body=data["body"],
                    language=data["language"],
                    date=dt.date.fromisoformat(data["date"]) if data.get("date") else None,
                    countries=tuple(data.get("countries", ())),
                    partners=tuple(data.get("partners", ())),
                    url=data.get("url"),
                    source=SourceRef(path=str(path), line=number),
                    checksum=hashlib.sha256(line.encode()).hexdigest()[:16],
                )
            )
    return articles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("jsonl", type=Path)
    parser.add_argument("--limit", type=int)
    parser.add_argument(
        "--single-process",
        action="store_true",
        help="One process for the whole build (no writer or view processes).",
    )
    parser.add_argument(
        "--limit-mb",
        type=int,
        help="Cap of each writer process's posting pool (past it, a full build writes in batches).",
    )
    args = parser.parse_args()
    if args.limit_mb:
        build.POOL_MB_MAX = args.limit_mb
    articles = load_articles(args.jsonl, args.limit)
    words = sum(len(article.body.split()) for article in articles) / len(articles)
    with tempfile.TemporaryDirectory() as folder:
        cpu_before = cpu_seconds()
        started = time.perf_counter()
        report = build_from_articles(
            articles, Path(folder) / "indexes", workers=1 if args.single_process else 0
        )
        seconds = time.perf_counter() - started
        cpu = cpu_seconds() - cpu_before
        size = folder_bytes(Path(folder))
    label = f"ours ({words:.0f} body words on average)"
    print(f"{rate_line(label, len(articles), seconds, cpu, size)} (published {report.generation})")


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (Whoosh's writer processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def rate_line(label: str, articles: int, seconds: float, cpu: float, index_bytes: int) -> str:
    """The one report line of both build-rate scripts."""
    return (
        f"{label}: {articles} articles, {seconds:.1f}s wall, "
        f"{articles / seconds:.0f} articles/s; {cpu:.1f}s CPU (all processes), "
        f"{articles / cpu:.0f} articles per CPU-second; index {index_bytes / 1e6:.0f} MB"
    )


if __name__ == "__main__":
    main()

"""`corpus fetch` and `sync` on a local copy of a site: politeness, incrementality, quality.

    python -m bench.fetch_site --serve SITE/serve.py [--truth SITE/truth.jsonl] [--validators]

`--serve` names the `serve.py` of a local copy of a site (a module with an
`http.server` request handler class `Handler`, as the evaluation copy of the
network's site has). Its handler is wrapped to count, per path, the requests it
got and the bodies it sent, and (`--validators`) to answer like a static server
or a page cache: an ETag and a Last-Modified on each 200, a 304 to a matching
conditional request. The site is served on a free loopback port. Then:

1. a first fetch of the site's robots.txt (its sitemaps) and `/feed/` into a
   temporary corpus: requests per path (each page once?), disallowed paths asked for;
2. a second fetch: which pages were asked for, and which were downloaded again;
3. `sync` (the second fetch is `sync`'s), and with `--truth` (one JSON object a
   line: `url` path, `title`, `date`, `language`, `known_item_queries`): titles,
   dates and languages of the indexed pages, and the pages' known-item queries
   found in the top 10.

Prints the figures; nothing of the site is written anywhere but a temporary folder.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import hashlib
import importlib.util
import io
import json
import re
import shutil
import sys
import tempfile
import threading
import time
import unicodedata
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.common import REPO_ROOT

PAGE_LISTINGS = ("/robots.txt", "/sitemap", "/feed")
LAST_MODIFIED = "Mon, 05 Feb 2024 10:00:00 GMT"


class Counts:
    def __init__(self) -> None:
        self.requests: collections.Counter[str] = collections.Counter()
        self.bodies: collections.Counter[str] = collections.Counter()
        self.not_modified: collections.Counter[str] = collections.Counter()
        self.lock = threading.Lock()

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.bodies.clear()
            self.not_modified.clear()


def load_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("site_serve", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def counting_handler(base: Any, counts: Counts, validators: bool) -> Any:
    class Counting(base):  # type: ignore[misc]
        wfile: Any  # the handler's response stream (`base` is untyped)

        def do_GET(self) -> None:
            real = self.wfile
            buffer = io.BytesIO()
            self.wfile = buffer
            try:
                super().do_GET()
            finally:
                self.wfile = real
            raw = buffer.getvalue()
            head, _, body = raw.partition(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            key = self.path
            with counts.lock:
                counts.requests[key] += 1
            if status == 200 and validators:
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                asked = self.headers.get("If-None-Match")
                if asked == etag or (asked is None and self.headers.get("If-Modified-Since")):
                    with counts.lock:
                        counts.not_modified[key] += 1
                    real.write(b"HTTP/1.0 304 Not Modified\r\nETag: " + etag.encode() + b"\r\n\r\n")
                    return
                head += f"\r\nETag: {etag}\r\nLast-Modified: {LAST_MODIFIED}".encode()
            if status == 200:
                with counts.lock:
                    counts.bodies[key] += 1
            real.write(head + b"\r\n\r\n" + body)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Counting


def is_page(path: str) -> bool:
    return not path.startswith(PAGE_LISTINGS)


def fold(text: str | None) -> str:
    text = unicodedata.normalize("NFC", text or "")
    for quotes, plain in (("‘’ʼ`´", "'"), ("“”«»", '"'), ("–—", "-")):
        text = re.sub(f"[{quotes}]", plain, text)
    return " ".join(text.replace("\u00a0", " ").split())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=Path, required=True, help="the site copy's serve.py")
    parser.add_argument("--truth", type=Path, help="truth.jsonl of the site copy")
    parser.add_argument("--validators", action="store_true", help="ETag/Last-Modified, 304s")
    args = parser.parse_args()

    from search_service.cli import main as cli
    from search_service.fetch.run import FetchOptions, fetch_site
    from search_service.fetch.sources import Source
    from search_service.fetch.store import Store
    from search_service.fetch.urls import normalise_url

    counts = Counts()
    module = load_module(args.serve.resolve())
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), counting_handler(module.Handler, counts, args.validators)
    )
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    work = Path(tempfile.mkdtemp(prefix="fetch-site-"))
    corpus = work / "corpus"
    corpus.mkdir()
    shutil.copytree(REPO_ROOT / "corpus" / "vocabulary", corpus / "vocabulary")
    sources = [Source(url=f"{base}/robots.txt"), Source(url=f"{base}/feed/")]
    options = FetchOptions(delay=0.0, timeout=10.0)
    try:
        started = time.process_time()
        first = fetch_site(corpus, sources, options)
        cpu = time.process_time() - started
        pages = {path: n for path, n in counts.requests.items() if is_page(path)}
        print(f"site {args.serve.parent}, served at {base}, validators: {args.validators}")
        print(
            f"first fetch: {first.requests} requests, {len(pages)} page paths asked for, "
            f"most requests of one path: {max(pages.values())}, "
            f"paths asked for more than once: {sorted(p for p, n in pages.items() if n > 1)}"
        )
        print(f"  counts: { {o: first.count(o) for o in first.events} }; CPU {cpu:.2f} s")
        disallowed = [p for p in counts.requests if p.startswith(("/private", "/wp-admin"))]
        print(f"  disallowed paths asked for: {disallowed}")
        skipped = collections.Counter(e.reason for e in first.events["skipped"])
        print(f"  skipped: {dict(skipped)}; failed: {first.events['failed']}")
        counts.reset()

        second = fetch_site(corpus, sources, options)
        pages = {path: n for path, n in counts.requests.items() if is_page(path)}
        bodies = {path: n for path, n in counts.bodies.items() if is_page(path)}
        print(
            f"second fetch: {second.requests} requests, {len(pages)} page paths asked for, "
            f"{sum(counts.not_modified.values())} answered 304, "
            f"{len(bodies)} page bodies downloaded again, "
            f"{second.not_requested} pages not asked for (sitemap lastmod older than the copy)"
        )
        print(f"  counts: { {o: second.count(o) for o in second.events} }")
        counts.reset()

        index = work / "indexes"
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            code = cli(["sync", "--corpus", str(corpus), "--index", str(index), "--json",
                        "--delay", "0", f"{base}/robots.txt", f"{base}/feed/"])  # fmt: skip
        synced = json.loads(output.getvalue() or "{}")
        build = synced.get("build", {})
        print(
            f"sync exit code {code}: fetch {synced.get('fetch', {}).get('counts')}, "
            f"build published {build.get('published')} with {build.get('articles')} articles, "
            f"{len(build.get('skipped', []))} pages skipped by the ingest"
        )
        if args.truth:
            quality(args.truth, corpus, index, base, Store(corpus), normalise_url)
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(work, ignore_errors=True)
    return 0


def quality(truth_file: Path, corpus: Path, index: Path, base: str, store: Any, norm: Any) -> None:
    from search_service.ingest.corpus import ingest_corpus
    from search_service.search.engine import SearchEngine
    from search_service.search.results import SearchRequest
    from search_service.settings import Settings

    truth = [json.loads(line) for line in truth_file.read_text(encoding="utf-8").splitlines()]
    result = ingest_corpus(corpus)
    by_source = {article.source.path: article for article in result.articles}
    engine = SearchEngine(Settings(index_dir=index, cache_size=0, reload_interval=3600.0))
    titles = dates = languages = found = queries = indexed = 0
    misses: list[str] = []
    for record in truth:
        path = store.path_for(norm(base + record["url"])).relative_to(corpus).as_posix()
        article = by_source.get(path)
        if article is None:
            misses.append(f"not indexed: {record['url']}")
            continue
        indexed += 1
        if fold(article.title) == fold(record["title"]):
            titles += 1
        else:
            misses.append(f"title {record['url']}: {article.title!r} != {record['title']!r}")
        date = article.date.isoformat() if article.date else None
        if date == record["date"]:
            dates += 1
        else:
            misses.append(f"date {record['url']}: {date} != {record['date']}")
        languages += article.language == record["language"]
        for query in record.get("known_item_queries", []):
            queries += 1
            hits = engine.search(SearchRequest(q=query, per_page=10, snippets=False)).hits
            if article.id in [hit.id for hit in hits]:
                found += 1
            else:
                misses.append(f"query {query!r}: {record['url']} not in the top 10")
    total = len(truth)
    print(f"quality on {total} article pages ({indexed} indexed):")
    print(f"  titles right {titles}/{total} = {titles / total:.1%}")
    print(f"  dates right {dates}/{total} = {dates / total:.1%}")
    print(f"  languages right {languages}/{total} = {languages / total:.1%}")
    print(f"  known-item queries in the top 10: {found}/{queries} = {found / max(queries, 1):.1%}")
    skipped = collections.Counter(p.code for p in result.skipped)
    print(f"  ingest skipped: {dict(skipped)}")
    for miss in misses:
        print(f"    {miss}")


if __name__ == "__main__":
    sys.exit(main())

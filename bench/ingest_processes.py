"""The ingest alone, read by 1 and by N processes: wall and CPU seconds, same result.

    python -m bench.ingest_processes FILE.jsonl|FOLDER [--processes 1,2]
    python -m bench.ingest_processes --html-pages 1000 [--processes 1,2]

Each configuration runs in a fresh process (as a build does: lingua's models are
loaded by whoever detects a language first), forced past the size threshold, and
prints wall seconds, CPU seconds of the ingest's own process and of its workers
(`RUSAGE_CHILDREN`), and a digest of the whole `IngestResult` (articles, problems,
counts, discovery): the digests must be equal. `--html-pages N` writes N pages
shaped like the site's (`tests/ingest/bench_html.py`: ~75 kB each, language checked
by lingua) into a temporary folder. Writes no results file (docs/ingest.md has the
figures). The machine is shared: compare CPU seconds, and wall seconds only as noisy.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import REPO_ROOT


def measure(target: Path, processes: int) -> dict[str, float | int | str]:
    """One ingest of `target` (a file or corpus folder) in this process."""
    from search_service.ingest.corpus import ingest_paths, load_vocabulary

    root = target if target.is_dir() else target.parent
    vocabulary = load_vocabulary(root if (root / "vocabulary").is_dir() else REPO_ROOT / "corpus")
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    started = time.perf_counter()
    result = ingest_paths(
        [target], corpus_root=root, vocabulary=vocabulary, processes=processes, parallel_bytes=0
    )
    wall = time.perf_counter() - started
    own_after = resource.getrusage(resource.RUSAGE_SELF)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "processes": processes,
        "articles": len(result.articles),
        "problems": len(result.problems),
        "wall_s": round(wall, 2),
        "cpu_ingest_s": round(_cpu(own_after) - _cpu(own), 2),
        "cpu_workers_s": round(_cpu(children_after) - _cpu(children), 2),
        "digest": hashlib.sha256(json.dumps(_comparable(result)).encode()).hexdigest()[:16],
    }


def _cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def _comparable(result: object) -> list[object]:
    from search_service.ingest.corpus import IngestResult

    assert isinstance(result, IngestResult)
    return [
        [a.model_dump_json() for a in result.articles],
        [p.model_dump_json() for p in result.problems],
        result.files_read,
        [p.model_dump_json() for p in result.not_read],
        repr(result.discovery.organisations),
        sorted((k, sorted(v)) for k, v in result.discovery.capitalised.items()),
    ]


def write_html_pages(folder: Path, count: int) -> None:
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from tests.ingest.bench_html import page  # the pages of the HTML ingest's own measure

    rng = random.Random(11)
    for number in range(count):
        (folder / f"p{number:05}.html").write_text(page(rng, number), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", nargs="?", type=Path)
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--html-pages", type=int, default=0)
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        print(json.dumps(measure(options.target, options.child)))
        return
    with tempfile.TemporaryDirectory() as folder:
        target = options.target
        if options.html_pages:
            target = Path(folder)
            write_html_pages(target, options.html_pages)
        if target is None:
            parser.error("give a JSONL file or corpus folder, or --html-pages N")
        for processes in (int(n) for n in options.processes.split(",")):
            command = [sys.executable, "-m", "bench.ingest_processes", str(target)]
            output = subprocess.run(
                [*command, "--child", str(processes)],
                check=True,
                capture_output=True,
                text=True,
                cwd=REPO_ROOT,
            ).stdout
            print(output.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()

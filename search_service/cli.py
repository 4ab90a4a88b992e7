"""The `search-service` command: argument parsing and exit codes, nothing else.

Each sub-command hands over to one function of the module that owns the work
(`check.run_check`, `build.run_build`, ...). Those return an exit status for
ordinary outcomes and raise `SearchServiceError` for failures; `exit_code_for`
is the one place where failures become exit codes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from search_service.errors import (
    BuildFailedError,
    BuildInProgressError,
    DamagedPointerError,
    IndexNotFoundError,
    RollbackError,
    SearchServiceError,
    VocabularyError,
)
from search_service.settings import Settings

EXIT_CODES: dict[type[SearchServiceError], int] = {
    BuildFailedError: 2,
    BuildInProgressError: 3,
    IndexNotFoundError: 4,
    RollbackError: 5,
    VocabularyError: 6,
    DamagedPointerError: 7,
}


def exit_code_for(error: SearchServiceError) -> int:
    for error_type, code in EXIT_CODES.items():
        if isinstance(error, error_type):
            return code
    return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="search-service",
        description="Site search of the Education and Solidarity Network.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    corpus = commands.add_parser("corpus", help="Inspect the article files.")
    corpus_commands = corpus.add_subparsers(dest="corpus_command", required=True)
    check = corpus_commands.add_parser(
        "check", help="Show what the ingest understands of each article, and every problem."
    )
    check.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="Files or folders (default: the corpus); their corpus is the nearest folder "
        "above them holding vocabulary/.",
    )
    check.add_argument(
        "--corpus", type=Path, help="Corpus folder (ids are relative to it, its vocabulary used)."
    )
    check.add_argument("--json", action="store_true", help="One JSON object per article.")

    index = commands.add_parser("index", help="Build and manage the search index.")
    index_commands = index.add_subparsers(dest="index_command", required=True)
    build = index_commands.add_parser("build", help="Build a new generation and publish it.")
    build.add_argument("--corpus", type=Path, help="Corpus folder (default: corpus/).")
    build.add_argument("--index", type=Path, help="Index folder (default: indexes/).")
    build.add_argument("--full", action="store_true", help="Re-read and re-index everything.")
    build.add_argument("--strict", action="store_true", help="Fail when any file was skipped.")
    build.add_argument(
        "--allow-shrink",
        action="store_true",
        help="Publish even when the corpus yields under half the live generation's articles.",
    )
    status = index_commands.add_parser("status", help="Show the live generation and its contents.")
    status.add_argument("--index", type=Path, help="Index folder (default: indexes/).")
    status.add_argument("--all", action="store_true", help="Every value of each facet.")
    status.add_argument("--json", action="store_true", help="Print the status as JSON.")
    rollback = index_commands.add_parser(
        "rollback",
        help="Republish the previous generation (the newest on disk if live.json is damaged).",
    )
    rollback.add_argument("--index", type=Path, help="Index folder (default: indexes/).")

    serve = commands.add_parser("serve", help="Run the HTTP service (builds the index if missing).")
    serve.add_argument("--index", type=Path, help="Index folder (default: indexes/).")
    serve.add_argument("--corpus", type=Path, help="Corpus folder used if no index exists.")
    serve.add_argument("--host", help="Address to listen on.")
    serve.add_argument("--port", type=int, help="Port to listen on.")
    serve.add_argument("--workers", type=int, help="Worker processes.")

    search = commands.add_parser("search", help="Run one query against the live index.")
    search.add_argument("query", help="What to search for.")
    search.add_argument("--index", type=Path, help="Index folder (default: indexes/).")
    search.add_argument("--limit", type=int, default=10, help="Number of hits to show.")
    search.add_argument("--json", action="store_true", help="Print the response as JSON.")
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the environment, overridden by the options given on the command line."""
    overrides: dict[str, Any] = {}
    for option, field in (
        ("corpus", "corpus_dir"),
        ("index", "index_dir"),
        ("host", "host"),
        ("port", "port"),
        ("workers", "workers"),
    ):
        value = getattr(args, option, None)
        if value is not None:
            overrides[field] = value
    return Settings(**overrides)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if args.command == "corpus":
        from search_service.ingest.check import run_check

        return run_check(args.paths, as_json=args.json, settings=settings, corpus=args.corpus)
    if args.command == "index":
        from search_service.index import build

        if args.index_command == "build":
            return build.run_build(
                settings, full=args.full, strict=args.strict, allow_shrink=args.allow_shrink
            )
        if args.index_command == "status":
            return build.run_status(settings, all_values=args.all, as_json=args.json)
        return build.run_rollback(settings)
    if args.command == "serve":
        from search_service.web.server import run_serve

        return run_serve(settings)
    from search_service.web.server import run_search

    return run_search(settings, args.query, limit=args.limit, as_json=args.json)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except SearchServiceError as error:
        print(f"error: {error}", file=sys.stderr)
        return exit_code_for(error)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

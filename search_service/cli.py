"""The `search-service` command: argument parsing, settings and exit codes, nothing else.

Each command hands over to one function of the module that owns the work
(`check.run_check`, `commands.run_build`, ...). Those return an exit status for
ordinary outcomes (0, or 1 for "nothing found") and raise `SearchServiceError`
for failures; `main` is the one place where failures become exit codes, from
the one table `EXIT_CODES` (the README's exit-code table is checked against it).

Adding a command: a parser in `build_parser` (made with `_command`, which names
it), its handler in `HANDLERS`, the settings it reads in `SETTINGS_USED`, a row
in the README's command table, and its name in the `commands` of each exit code
it can end with. A new failure: an error type in `errors.py` and an `ExitCode`
with the next free code below 64 (its README row too); never a code of its own
in the command's module. `tests/cli/test_exit_codes.py` holds every command to
this table (a situation for each code it may end with), `tests/cli/test_readme_tables.py`
the README to both.
"""

from __future__ import annotations

import argparse
import atexit
import os
import re
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NoReturn

from search_service.errors import (
    AnalyticsStoreError,
    BuildFailedError,
    BuildInProgressError,
    CorpusError,
    DamagedGenerationError,
    DamagedPointerError,
    FetchError,
    FetchInProgressError,
    IndexAccessError,
    IndexNotFoundError,
    QueryError,
    RollbackError,
    SearchServiceError,
    ServeError,
    SettingError,
    UnknownOrganisationError,
    VocabularyError,
)
from search_service.settings import Settings, load_settings


@dataclass(frozen=True)
class ExitCode:
    """One exit status of `search-service`: its number, what it means, which commands
    may end with it (None: every command) and the errors that end with it."""

    code: int
    meaning: str
    commands: tuple[str, ...] | None
    errors: tuple[type[SearchServiceError], ...] = ()


#: Every exit status, in the order of the README's table. Codes never overlap.
EXIT_CODES: Final[dict[str, ExitCode]] = {
    "ok": ExitCode(0, "success (an up-to-date `index build` too: nothing to change)", None),
    "nothing": ExitCode(
        1,
        "nothing found (`search`); some files or articles skipped, or no article at all "
        "(`corpus check`); some pages or sitemaps failed, the rest fetched (`corpus fetch`, "
        "`sync`: the index built)",
        ("corpus check", "search", "corpus fetch", "sync"),
    ),
    "usage": ExitCode(
        2,
        "usage error: an unknown command or option, a missing or bad argument",
        None,
        (QueryError,),
    ),
    "build_running": ExitCode(
        3,
        "another build (or a fetch of the same corpus) is running (its pid is named); "
        "nothing was touched",
        ("index build", "index rollback", "serve", "corpus fetch", "sync"),
        (BuildInProgressError, FetchInProgressError),
    ),
    "no_index": ExitCode(
        4,
        "no index published (or the live pointer names a missing generation); "
        "for `serve`: and no corpus folder to build one from (nothing created)",
        ("index status", "search", "serve"),
        (IndexNotFoundError,),
    ),
    "no_rollback": ExitCode(
        5,
        "nothing to roll back to (none kept, nothing published, no index folder)",
        ("index rollback",),
        (RollbackError,),
    ),
    "bad_vocabulary": ExitCode(
        6,
        "a vocabulary file is malformed",
        ("corpus check", "corpus organisations", "index build", "serve", "sync"),
        (VocabularyError,),
    ),
    "damaged_pointer": ExitCode(
        7,
        "the live index is damaged: its pointer, or a file of the live generation "
        "(`index rollback` repairs it)",
        ("index status", "search", "serve"),
        (DamagedPointerError, DamagedGenerationError),
    ),
    "build_failed": ExitCode(
        8,
        "the build failed or was refused (no articles, over half the live generation's "
        "articles deleted without `--allow-shrink`, `--strict` with a skipped file): nothing "
        "published, the live generation untouched",
        ("index build", "serve", "sync"),
        (BuildFailedError,),
    ),
    "bad_setting": ExitCode(
        9,
        "a setting the command uses has a value it does not accept (its variable or option)",
        ("index build", "search", "serve", "corpus fetch", "sync", "report"),
        (SettingError,),
    ),
    "cannot_serve": ExitCode(
        10,
        "the service cannot start: the port is in use, the host is not an address "
        "of this machine, or the app failed to start",
        ("serve",),
        (ServeError,),
    ),
    "bad_corpus": ExitCode(
        11,
        "not a corpus folder: the corpus given is missing, a file or a folder inside another "
        "corpus (or `corpus check`'s paths do not exist or belong to different corpora); nothing "
        "read or created",
        ("corpus check", "corpus organisations", "index build"),
        (CorpusError,),
    ),
    "fetch_failed": ExitCode(
        12,
        "nothing usable fetched: a bad URL or sources file, or not one source could be read "
        "(unreachable site, robots.txt unreachable, not a sitemap, feed or page); `sync` then "
        "leaves the index as it was",
        ("corpus fetch", "sync"),
        (FetchError,),
    ),
    "unknown_organisation": ExitCode(
        13,
        "`corpus organisations --accept` named an organisation the corpus does not show; "
        "nothing written",
        ("corpus organisations",),
        (UnknownOrganisationError,),
    ),
    "index_unreadable": ExitCode(
        14,
        "the index folder may not be read by the user running the command (permissions; "
        "not damage: `index rollback` would not help)",
        ("index status", "search", "serve"),
        (IndexAccessError,),
    ),
    "bad_analytics_store": ExitCode(
        15,
        "the search analytics store cannot be read: not a store, a newer schema, no "
        "permission (the message names the file)",
        ("report",),
        (AnalyticsStoreError,),
    ),
    "bug": ExitCode(70, "an unexpected error (a bug: the traceback says where)", None),
    "interrupted": ExitCode(130, "interrupted (Ctrl-C)", None),
    "broken_pipe": ExitCode(
        141, "the reader of the output left (`… | head`): stopped quietly, as Unix tools do", None
    ),
}


def exit_code_for(error: SearchServiceError) -> int:
    for exit_code in EXIT_CODES.values():
        if isinstance(error, exit_code.errors):
            return exit_code.code
    return EXIT_CODES["bug"].code


#: How each settings field is written on the command line (options win over SEARCH_*).
OPTION_FIELDS: Final = {
    "corpus": "corpus_dir",
    "index": "index_dir",
    "host": "host",
    "port": "port",
    "workers": "workers",
    "build_workers": "build_workers",
    "delay": "fetch_delay",
    "timeout": "fetch_timeout",
    "data": "data_dir",
}

_SEARCH_SETTINGS: Final = frozenset(
    {
        "index_dir",
        "corpus_dir",
        "reload_interval",
        "max_query_words",
        "max_prefix_expansions",
        "search_time_budget_ms",
        "cache_size",
    }
)

_FETCH_SETTINGS: Final = frozenset(
    {
        "corpus_dir",
        "fetch_delay",
        "fetch_timeout",
        "fetch_max_page_bytes",
        "fetch_max_redirects",
        "fetch_user_agent",
        "fetch_contact_url",
    }
)

#: The settings each command reads (None: all of them). A bad value of any other
#: setting does not stop the command (`settings.load_settings`).
SETTINGS_USED: Final[dict[str, frozenset[str] | None]] = {
    "corpus check": frozenset({"corpus_dir"}),
    "corpus fetch": _FETCH_SETTINGS,
    "sync": _FETCH_SETTINGS | {"index_dir", "keep_generations", "build_workers"},
    "corpus organisations": frozenset({"corpus_dir"}),
    "index build": frozenset({"corpus_dir", "index_dir", "keep_generations", "build_workers"}),
    "index status": frozenset({"index_dir"}),
    "index rollback": frozenset({"index_dir"}),
    "search": _SEARCH_SETTINGS,
    "serve": None,
    "report": frozenset({"data_dir", "analytics_days", "corpus_dir"}),
}

#: Hits `search` may show (the API's per_page bounds).
LIMIT_RANGE: Final = range(1, 101)


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value not in LIMIT_RANGE:
        raise argparse.ArgumentTypeError(
            f"expected a whole number from {LIMIT_RANGE.start} to {LIMIT_RANGE.stop - 1}, "
            f"got {text!r}"
        )
    return value


#: Days `report` may cover.
DAYS_RANGE: Final = range(1, 36_501)


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value not in DAYS_RANGE:
        raise argparse.ArgumentTypeError(
            f"expected a number of days from {DAYS_RANGE.start}, got {text!r}"
        )
    return value


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    full_name: str,
    **kw: Any,
) -> argparse.ArgumentParser:
    """A command's parser, named (`command_name`) for dispatch, settings and the tests."""
    parser = commands.add_parser(name, description=kw.get("help"), **kw)
    parser.set_defaults(command_name=full_name)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="search-service",
        description="Site search of the Education and Solidarity Network.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    corpus = commands.add_parser("corpus", help="Inspect the article files, fetch the site.")
    corpus_commands = corpus.add_subparsers(dest="corpus_command", required=True)
    check = _command(
        corpus_commands,
        "check",
        "corpus check",
        help="Show what the ingest understands of each article, and every problem.",
    )
    check.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="Files or folders (default: the corpus); their corpus is the nearest folder "
        "above them holding vocabulary/.",
    )
    check.add_argument(
        "--corpus",
        type=Path,
        metavar="DIR",
        help="Corpus folder (ids are relative to it, its vocabulary used).",
    )
    check.add_argument("--json", action="store_true", help="One JSON object per article.")
    fetch = _command(
        corpus_commands,
        "fetch",
        "corpus fetch",
        help="Fetch the site's pages (sitemaps, feeds, pages) into <corpus>/site/.",
    )
    _add_fetch_arguments(fetch)
    organisations = _command(
        corpus_commands,
        "organisations",
        "corpus organisations",
        help="List the organisations discovered in the corpus; accept or reject them.",
    )
    organisations.add_argument(
        "--corpus", type=Path, metavar="DIR", help="Corpus folder (default: corpus/)."
    )
    organisations.add_argument("--json", action="store_true", help="Print the list as JSON.")
    organisations.add_argument(
        "--accept",
        nargs="+",
        default=[],
        metavar="NAME",
        help="Write these organisations into the corpus's vocabulary/partners.yaml.",
    )
    organisations.add_argument(
        "--reject",
        nargs="+",
        default=[],
        metavar="NAME",
        help="Add these names to not_organisations in vocabulary/partners.yaml.",
    )

    index = commands.add_parser("index", help="Build and manage the search index.")
    index_commands = index.add_subparsers(dest="index_command", required=True)
    build = _command(
        index_commands, "build", "index build", help="Build a new generation and publish it."
    )
    build.add_argument(
        "--corpus", type=Path, metavar="DIR", help="Corpus folder (default: corpus/)."
    )
    build.add_argument(
        "--index", type=Path, metavar="DIR", help="Index folder (default: indexes/)."
    )
    build.add_argument("--full", action="store_true", help="Re-read and re-index everything.")
    build.add_argument("--strict", action="store_true", help="Fail when any file was skipped.")
    build.add_argument(
        "--allow-shrink",
        action="store_true",
        help="Publish even when the build deletes over half the live generation's articles.",
    )
    build.add_argument(
        "--build-workers",
        type=int,
        metavar="N",
        help="Processes to read the corpus, write the index and compile its view with "
        "(default: the cores).",
    )
    status = _command(
        index_commands,
        "status",
        "index status",
        help="Show the live generation and its contents.",
    )
    status.add_argument(
        "--index", type=Path, metavar="DIR", help="Index folder (default: indexes/)."
    )
    status.add_argument("--all", action="store_true", help="Every value of each facet.")
    status.add_argument("--json", action="store_true", help="Print the status as JSON.")
    rollback = _command(
        index_commands,
        "rollback",
        "index rollback",
        help="Republish the previous generation (the newest on disk if live.json is damaged).",
    )
    rollback.add_argument(
        "--index", type=Path, metavar="DIR", help="Index folder (default: indexes/)."
    )

    serve = _command(
        commands, "serve", "serve", help="Run the HTTP service (builds the index if missing)."
    )
    serve.add_argument(
        "--index", type=Path, metavar="DIR", help="Index folder (default: indexes/)."
    )
    serve.add_argument(
        "--corpus", type=Path, metavar="DIR", help="Corpus folder used if no index exists."
    )
    serve.add_argument("--host", metavar="HOST", help="Address to listen on.")
    serve.add_argument("--port", metavar="PORT", help="Port to listen on (0: any free port).")
    serve.add_argument("--workers", metavar="N", help="Worker processes.")

    sync = _command(
        commands,
        "sync",
        "sync",
        help="Fetch the site, then build the index incrementally (for a timer).",
    )
    _add_fetch_arguments(sync)
    sync.add_argument("--index", type=Path, metavar="DIR", help="Index folder (default: indexes/).")

    search = _command(commands, "search", "search", help="Run one query against the live index.")
    search.add_argument(
        "query",
        nargs="+",
        metavar="QUERY",
        help="What to search for (the rest of the line; -word leaves out articles holding it).",
    )
    search.add_argument(
        "--index", type=Path, metavar="DIR", help="Index folder (default: indexes/)."
    )
    search.add_argument(
        "--limit", type=_limit, default=10, metavar="N", help="Hits to show, 1–100 (default 10)."
    )
    search.add_argument("--json", action="store_true", help="Print the response as JSON.")

    report = _command(
        commands, "report", "report", help="Search analytics: what visitors look for, find, open."
    )
    report.add_argument(
        "--days",
        type=_days,
        default=30,
        metavar="N",
        help="Days covered, today (UTC) included (default 30).",
    )
    report.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="Folder of the analytics store (default: data/, SEARCH_DATA_DIR).",
    )
    report.add_argument(
        "--corpus",
        type=Path,
        metavar="DIR",
        help="Corpus folder whose synonyms file the report points to (default: corpus/).",
    )
    report.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    return parser


def _add_fetch_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "urls",
        nargs="*",
        metavar="URL",
        help="Sitemaps, feeds or pages (default: the sources in <corpus>/sources.yaml).",
    )
    parser.add_argument(
        "--corpus", type=Path, metavar="DIR", help="Corpus folder (default: corpus/)."
    )
    parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
    parser.add_argument(
        "--delay", metavar="S", help="Seconds between two requests to a site (default 1)."
    )
    parser.add_argument(
        "--timeout", metavar="S", help="Seconds before a request is given up (default 30)."
    )
    parser.add_argument(
        "--revalidate",
        action="store_true",
        help="Ask for every saved page again (conditionally), even when its sitemap "
        "date says it is unchanged.",
    )


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the environment, overridden by the options given on the command line;
    only those the command uses are checked (`SETTINGS_USED`)."""
    overrides: dict[str, Any] = {}
    labels: dict[str, str] = {}
    for option, field in OPTION_FIELDS.items():
        value = getattr(args, option, None)
        if value is not None:
            overrides[field] = value
            labels[field] = f"--{option}"
    used = SETTINGS_USED[args.command_name]
    return load_settings(overrides, labels=labels, used=used)


def _corpus_check(args: argparse.Namespace, settings: Settings) -> int:
    from search_service.ingest.check import run_check

    return run_check(args.paths, as_json=args.json, settings=settings, corpus=args.corpus)


def _corpus_fetch(args: argparse.Namespace, settings: Settings) -> int:
    from search_service.fetch import commands
    from search_service.fetch.run import FetchOptions

    options = FetchOptions.from_settings(settings, revalidate=args.revalidate)
    return commands.run_fetch(settings, args.urls, options, as_json=args.json)


def _sync(args: argparse.Namespace, settings: Settings) -> int:
    from search_service.fetch import commands
    from search_service.fetch.run import FetchOptions

    options = FetchOptions.from_settings(settings, revalidate=args.revalidate)
    return commands.run_sync(settings, args.urls, options, as_json=args.json)


def _corpus_organisations(args: argparse.Namespace, settings: Settings) -> int:
    from search_service.ingest.curation import run_organisations

    return run_organisations(settings, as_json=args.json, accept=args.accept, reject=args.reject)


def _index_build(args: argparse.Namespace, settings: Settings) -> int:
    from search_service.index.commands import run_build

    return run_build(settings, full=args.full, strict=args.strict, allow_shrink=args.allow_shrink)


def _index_status(args: argparse.Namespace, settings: Settings) -> int:
    from search_service.index.commands import run_status

    return run_status(settings, all_values=args.all, as_json=args.json)


def _index_rollback(args: argparse.Namespace, settings: Settings) -> int:
    from search_service.index.commands import run_rollback

    return run_rollback(settings)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from search_service.web.server import run_serve

    return run_serve(settings)


def _report(args: argparse.Namespace, settings: Settings) -> int:
    from search_service.analytics.report import run_report

    return run_report(settings, days=args.days, as_json=args.json)


def _search(args: argparse.Namespace, settings: Settings) -> int:
    from search_service.web.server import run_search

    return run_search(settings, " ".join(args.query), limit=args.limit, as_json=args.json)


#: The function that runs each command (by `command_name`).
HANDLERS: Final[dict[str, Callable[[argparse.Namespace, Settings], int]]] = {
    "corpus check": _corpus_check,
    "corpus fetch": _corpus_fetch,
    "sync": _sync,
    "corpus organisations": _corpus_organisations,
    "index build": _index_build,
    "index status": _index_status,
    "index rollback": _index_rollback,
    "serve": _serve,
    "search": _search,
    "report": _report,
}


def run(args: argparse.Namespace) -> int:
    return HANDLERS[args.command_name](args, settings_from(args))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """`parse_args`, except that the words of a query may sit between options
    (`search health --limit 3 benin`), which argparse leaves over, and that a word
    excluded with one dash (`search abidjan -togo`, the query syntax) is a query word,
    not an unknown option (nor `-h` given "ealth" for `-health`)."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    excluded = _excluded_words(argv)
    args, left_over = parser.parse_known_args([word for word in argv if word not in excluded])
    if getattr(args, "command_name", None) == "search":
        args.query += [word for word in left_over if not word.startswith("-")] + excluded
        left_over = [word for word in left_over if word.startswith("-")]
    if left_over:
        parser.error(f"unrecognized arguments: {' '.join(left_over)}")
    return args


def _excluded_words(argv: list[str]) -> list[str]:
    """The `-word`s of a `search` command line (before any `--`); options have two dashes."""
    if not argv or argv[0] != "search":
        return []
    words = argv[1 : argv.index("--")] if "--" in argv else argv[1:]
    return [word for word in words if _EXCLUSION.fullmatch(word) and word != "-h"]


#: One dash then a letter, a quote or any non-option character (`-togo`, `-"a b"`, `-é`).
_EXCLUSION: Final = re.compile(r"-[^-\d\s].*", re.DOTALL)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        code = run(args)
        sys.stdout.flush()  # a reader that left is noticed here, not at exit
        return code
    except SearchServiceError as error:
        print(f"error: {error}", file=sys.stderr)
        return exit_code_for(error)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_CODES["interrupted"].code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_CODES["broken_pipe"].code
    except Exception:
        traceback.print_exc()
        print("error: an unexpected error (a bug: the traceback above says where)", file=sys.stderr)
        return EXIT_CODES["bug"].code


def entry() -> NoReturn:
    """The `search-service` command: `main`, then an exit that does not free the heap.

    At exit Python frees every object left, one by one: after a build, the caches of its
    analysis and vocabulary (word lists, stems, names) took 0.2 s of a 5,000-article
    build's 8 (docs/build-speed.md, "Build speed"). Everything else a normal exit does is done
    here first, in its order: the threads' exit callbacks run and the threads still
    running are waited for (`threading._shutdown`: a pool's manager thread is told to
    stop there), then the exit handlers (logging, multiprocessing, temporary folders),
    then the standard streams are flushed (`_flushed`). What is skipped is the freeing,
    and with it the finalizers of objects left to it (`__del__`, a file never closed):
    the commands close what they open. Tests call `main`, which returns.
    """
    code = main()
    threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    os._exit(_flushed(code))


#: The exit status of a Python process whose standard streams could not be flushed.
_UNFLUSHED: Final = 120


def _flushed(code: int) -> int:
    """`code`, once stdout and stderr are flushed. A success whose output could not be
    written ends as Python's own exit would: `broken_pipe` when the reader of stdout
    left, 120 on any other error; a stream already closed has nothing to flush."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:
            if code == 0 and stream is sys.stdout:
                code = EXIT_CODES["broken_pipe"].code
        except OSError:
            if code == 0:
                code = _UNFLUSHED
        except ValueError:
            continue
    return code


def _silence_stdout() -> None:
    """The reader of stdout left (`| head`): point stdout at /dev/null so the flush at
    exit does not fail again (Python's documented recipe for SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    entry()

"""Every command is held to the one exit-code table (`cli.EXIT_CODES`): each situation
below runs the real command (in-process, `cli.main`) and checks the code it ends with,
and every (code, command) pair the table claims has its situation here."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from search_service import cli
from search_service.analytics import report
from search_service.fetch import commands as fetch_commands
from search_service.fetch.store import Store
from search_service.index import build, generations
from search_service.index import commands as index_commands
from search_service.ingest import check, curation
from search_service.web import server

from ..conftest import build_lock_held
from .conftest import ARTICLES, RunMain, one_page_site, write_corpus

#: The function each command hands over to (patched to raise in the "bug" and
#: "interrupted" situations: the command's work failing unexpectedly).
WORK = {
    "corpus check": (check, "run_check"),
    "corpus organisations": (curation, "run_organisations"),
    "index build": (index_commands, "run_build"),
    "index status": (index_commands, "run_status"),
    "index rollback": (index_commands, "run_rollback"),
    "serve": (server, "run_serve"),
    "search": (server, "run_search"),
    "corpus fetch": (fetch_commands, "run_fetch"),
    "sync": (fetch_commands, "run_sync"),
    "report": (report, "run_report"),
}
COMMANDS = sorted(WORK)

#: Codes whose situations are tested elsewhere (a real process is needed).
TESTED_ELSEWHERE = {
    ("broken_pipe", None): "tests/cli/test_pipes.py",
    ("ok", "serve"): "tests/api/test_serve_command.py",
    # Real permissions need another user (setpriv when root): tests/faults/test_bad_setup.py.
    ("index_unreadable", "index status"): "tests/faults/test_bad_setup.py",
    ("index_unreadable", "search"): "tests/faults/test_bad_setup.py",
    ("index_unreadable", "serve"): "tests/faults/test_bad_setup.py",
}


class Place:
    """A test's folder, with what a situation needs: corpora, indexes, a held lock, a busy port."""

    def __init__(
        self,
        tmp_path: Path,
        index_template: Path,
        monkeypatch: pytest.MonkeyPatch,
        stack: contextlib.ExitStack,
    ) -> None:
        self.tmp = tmp_path
        self.template = index_template
        self.monkeypatch = monkeypatch
        self.stack = stack

    def corpus(self, articles: dict[str, str] | None = None) -> Path:
        return write_corpus(self.tmp / "corpus", articles)

    def index(self, generations_kept: int = 2) -> Path:
        root = self.tmp / "indexes"
        shutil.copytree(self.template, root)
        if generations_kept == 1:
            pointer = generations.read_pointer_file(root)
            assert pointer is not None
            generations.write_json_durably(
                root / generations.POINTER_FILE, {"live": pointer.live, "previous": []}
            )
        return root

    def no_index(self) -> Path:
        return self.tmp / "no-index"

    def damaged_index(self) -> Path:
        root = self.index()
        (root / generations.POINTER_FILE).write_text('{"live": "gen-x')
        return root

    def locked(self, root: Path) -> Path:
        root.mkdir(parents=True, exist_ok=True)
        self.stack.enter_context(build_lock_held(root))
        return root

    def bad_vocabulary(self) -> Path:
        root = self.corpus()
        (root / "vocabulary" / "partners.yaml").write_text("- not a mapping\n")
        return root

    def shrunk_corpus(self, index: Path) -> Path:
        """A corpus whose `index` has three articles live, now holding one of them."""
        three = {**ARTICLES, "ghana.md": ARTICLES["togo.md"].replace("Togo", "Ghana")}
        root = self.corpus(three)
        build.build_index(root, index)
        (root / "articles" / "benin.md").unlink()
        (root / "articles" / "ghana.md").unlink()
        return root

    def site(self, path: str) -> str:
        """A URL of a small site served on loopback (`one_page_site`): /en/a/ (an article),
        /sitemap-en.xml (it and a page answering 500), /sitemap-more.xml.gz (a PDF)."""
        if not hasattr(self, "base"):
            self.base = one_page_site(self.stack)
        return self.base + path

    def fetching(self, root: Path) -> Path:
        """`root`, a corpus another fetch is running on (its fetch lock held)."""
        self.stack.enter_context(Store(root).lock())
        return root

    def damaged_store(self) -> Path:
        """A data folder whose analytics store is not SQLite."""
        folder = self.tmp / "data"
        folder.mkdir()
        (folder / "analytics.sqlite3").write_bytes(b"not a database " * 100)
        return folder

    def a_file(self) -> Path:
        path = self.tmp / "README.md"
        path.write_text("# Not a corpus\n", encoding="utf-8")
        return path

    def busy_port(self) -> int:
        sock = self.stack.enter_context(socket.socket())
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        return int(sock.getsockname()[1])

    def work_raises(self, command: str, error: BaseException) -> None:
        module, name = WORK[command]

        def fail(*args: object, **kwargs: object) -> int:
            raise error

        self.monkeypatch.setattr(module, name, fail)


@dataclass(frozen=True)
class Situation:
    exit: str  # a key of EXIT_CODES
    command: str
    argv: Callable[[Place], list[str | Path]]
    env: tuple[tuple[str, str], ...] = ()
    case: str = ""  # tells apart two situations of one (code, command)

    @property
    def id(self) -> str:
        return f"{self.command}: {self.exit}" + (f" ({self.case})" if self.case else "")


def _serve(*args: str | Path) -> list[str | Path]:
    """`serve` on a free port: the situations end before it would serve."""
    return ["serve", "--port", "0", *args]


def _usage(command: str) -> Situation:
    return Situation("usage", command, lambda p: [*command.split(), "--no-such-option"])


def _fetch(place: Place, *args: str | Path) -> list[str | Path]:
    return ["corpus", "fetch", "--delay", "0", *args]


def _sync(place: Place, *args: str | Path) -> list[str | Path]:
    return ["sync", "--delay", "0", "--index", place.tmp / "ix", *args]


def _raising(exit: str, command: str, error: BaseException) -> Situation:
    def argv(place: Place) -> list[str | Path]:
        place.work_raises(command, error)
        return [*command.split(), *(["x"] if command == "search" else [])]

    return Situation(exit, command, argv)


SITUATIONS = [
    # 0
    Situation("ok", "corpus check", lambda p: ["corpus", "check", "--corpus", p.corpus()]),
    Situation(
        "ok",
        "corpus organisations",
        lambda p: ["corpus", "organisations", "--corpus", p.corpus()],
    ),
    Situation(
        "ok",
        "index build",
        lambda p: ["index", "build", "--corpus", p.corpus(), "--index", p.tmp / "ix"],
    ),
    Situation("ok", "index status", lambda p: ["index", "status", "--index", p.index()]),
    Situation("ok", "index rollback", lambda p: ["index", "rollback", "--index", p.index()]),
    Situation("ok", "search", lambda p: ["search", "teachers", "--index", p.index()]),
    Situation("ok", "corpus fetch", lambda p: _fetch(p, "--corpus", p.tmp / "c", p.site("/en/a/"))),
    Situation("ok", "sync", lambda p: _sync(p, "--corpus", p.corpus(), p.site("/en/a/"))),
    Situation("ok", "report", lambda p: ["report", "--data", p.tmp / "data"]),
    # 1
    Situation("nothing", "search", lambda p: ["search", "zanzibar", "--index", p.index()]),
    Situation(
        "nothing",
        "corpus check",
        lambda p: ["corpus", "check", "--corpus", p.corpus({**ARTICLES, "empty.md": ""})],
    ),
    Situation(
        "nothing",
        "corpus fetch",
        lambda p: _fetch(p, "--corpus", p.tmp / "c", p.site("/sitemap-en.xml")),
    ),
    Situation(
        "nothing", "sync", lambda p: _sync(p, "--corpus", p.corpus(), p.site("/sitemap-en.xml"))
    ),
    # 2
    *[_usage(command) for command in COMMANDS],
    Situation("usage", "search", lambda p: ["search", "teachers", "--limit", "0"]),
    # 3
    Situation(
        "build_running",
        "index build",
        lambda p: ["index", "build", "--corpus", p.corpus(), "--index", p.locked(p.tmp / "ix")],
    ),
    Situation(
        "build_running",
        "index rollback",
        lambda p: ["index", "rollback", "--index", p.locked(p.index())],
    ),
    Situation(
        "build_running",
        "corpus fetch",
        lambda p: _fetch(p, "--corpus", p.fetching(p.tmp / "c"), p.site("/en/a/")),
    ),
    Situation(
        "build_running",
        "sync",
        lambda p: [
            *_sync(p, "--corpus", p.corpus(), p.site("/en/a/")),
            "--index",
            p.locked(p.tmp / "locked"),
        ],
    ),
    Situation(
        "build_running",
        "serve",
        lambda p: _serve("--corpus", p.corpus(), "--index", p.locked(p.tmp / "ix")),
    ),
    # 4
    Situation("no_index", "index status", lambda p: ["index", "status", "--index", p.no_index()]),
    Situation("no_index", "search", lambda p: ["search", "teachers", "--index", p.no_index()]),
    Situation(
        "no_index",
        "serve",
        lambda p: _serve("--index", p.no_index(), "--corpus", p.tmp / "no-corpus"),
    ),
    # 5
    Situation(
        "no_rollback", "index rollback", lambda p: ["index", "rollback", "--index", p.index(1)]
    ),
    # 6
    Situation(
        "bad_vocabulary",
        "corpus check",
        lambda p: ["corpus", "check", "--corpus", p.bad_vocabulary()],
    ),
    Situation(
        "bad_vocabulary",
        "corpus organisations",
        lambda p: ["corpus", "organisations", "--corpus", p.bad_vocabulary()],
    ),
    Situation(
        "bad_vocabulary",
        "index build",
        lambda p: ["index", "build", "--corpus", p.bad_vocabulary(), "--index", p.tmp / "ix"],
    ),
    Situation(
        "bad_vocabulary",
        "sync",
        lambda p: _sync(p, "--corpus", p.bad_vocabulary(), p.site("/en/a/")),
    ),
    Situation(
        "bad_vocabulary",
        "serve",
        lambda p: _serve("--corpus", p.bad_vocabulary(), "--index", p.tmp / "ix"),
    ),
    # 7
    Situation(
        "damaged_pointer",
        "index status",
        lambda p: ["index", "status", "--index", p.damaged_index()],
    ),
    Situation("damaged_pointer", "search", lambda p: ["search", "x", "--index", p.damaged_index()]),
    Situation("damaged_pointer", "serve", lambda p: _serve("--index", p.damaged_index())),
    # 8
    Situation(
        "build_failed",
        "index build",
        lambda p: ["index", "build", "--corpus", p.corpus({}), "--index", p.tmp / "ix"],
    ),
    Situation(
        "build_failed",
        "index build",
        lambda p: [
            "index",
            "build",
            "--corpus",
            p.shrunk_corpus(p.tmp / "ix"),
            "--index",
            p.tmp / "ix",
        ],
        case="a shrink without --allow-shrink",
    ),
    Situation(
        "build_failed",
        "sync",
        lambda p: _sync(p, "--corpus", p.corpus({}), p.site("/sitemap-more.xml.gz")),
    ),
    Situation(
        "build_failed",
        "serve",
        lambda p: _serve("--corpus", p.corpus({}), "--index", p.tmp / "ix"),
    ),
    # 9
    Situation(
        "bad_setting",
        "index build",
        lambda p: ["index", "build", "--corpus", p.corpus(), "--index", p.tmp / "ix"],
        env=(("SEARCH_KEEP_GENERATIONS", "0"),),
    ),
    Situation(
        "bad_setting",
        "search",
        lambda p: ["search", "x", "--index", p.index()],
        env=(("SEARCH_CACHE_SIZE", "-1"),),
    ),
    Situation("bad_setting", "serve", lambda p: ["serve", "--port", "99999"]),
    Situation(
        "bad_setting",
        "corpus fetch",
        lambda p: ["corpus", "fetch", "--corpus", p.tmp / "c", "https://example.org/"],
        env=(("SEARCH_FETCH_DELAY", "-1"),),
    ),
    Situation(
        "bad_setting",
        "report",
        lambda p: ["report", "--data", p.tmp / "data"],
        env=(("SEARCH_ANALYTICS_DAYS", "0"),),
    ),
    Situation(
        "bad_setting",
        "sync",
        lambda p: ["sync", "--corpus", p.corpus(), "--timeout", "0", "https://example.org/"],
    ),
    # 10
    Situation(
        "cannot_serve",
        "serve",
        lambda p: ["serve", "--index", p.index(), "--port", str(p.busy_port())],
    ),
    # 11
    Situation(
        "bad_corpus",
        "corpus check",
        lambda p: ["corpus", "check", "--corpus", p.tmp / "no-corpus"],
    ),
    Situation(
        "bad_corpus",
        "corpus organisations",
        lambda p: ["corpus", "organisations", "--corpus", p.tmp / "no-corpus"],
    ),
    Situation(
        "bad_corpus",
        "index build",
        lambda p: ["index", "build", "--corpus", p.a_file(), "--index", p.tmp / "ix"],
    ),
    # 12
    Situation(
        "fetch_failed",
        "corpus fetch",
        lambda p: _fetch(p, "--corpus", p.tmp / "c", "ftp://example.org/sitemap.xml"),
    ),
    Situation(
        "fetch_failed",
        "sync",
        lambda p: _sync(p, "--corpus", p.corpus(), p.site("/media/r.pdf")),
        case="the only source is not a sitemap, a feed or a page",
    ),
    # 13
    Situation(
        "unknown_organisation",
        "corpus organisations",
        lambda p: ["corpus", "organisations", "--corpus", p.corpus(), "--accept", "Nobody"],
    ),
    # 14: tests/faults (above)
    # 15
    Situation("bad_analytics_store", "report", lambda p: ["report", "--data", p.damaged_store()]),
    # 70, 130: the command's work fails unexpectedly, or Ctrl-C interrupts it
    *[_raising("bug", command, RuntimeError("a bug")) for command in COMMANDS],
    *[_raising("interrupted", command, KeyboardInterrupt()) for command in COMMANDS],
]


@pytest.fixture
def place(tmp_path: Path, index_template: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Place]:
    for name in list(os.environ):
        if name.upper().startswith("SEARCH_"):
            monkeypatch.delenv(name)
    with contextlib.ExitStack() as stack:
        yield Place(tmp_path, index_template, monkeypatch, stack)


@pytest.mark.parametrize("situation", SITUATIONS, ids=lambda situation: situation.id)
def test_each_command_ends_with_the_code_of_the_table(
    situation: Situation, place: Place, run_main: RunMain
) -> None:
    expected = cli.EXIT_CODES[situation.exit]
    for name, value in situation.env:
        place.monkeypatch.setenv(name, value)

    code, out, err = run_main(*situation.argv(place))

    assert code == expected.code, (out, err)
    assert expected.commands is None or situation.command in expected.commands
    if expected.errors and situation.exit != "usage":  # a failure: one line on stderr
        assert err.startswith("error: ") and err.count("\n") == 1, err
        assert "Traceback" not in err
    if situation.exit == "bug":
        assert "Traceback" in err and "RuntimeError: a bug" in err


def test_every_code_a_command_may_end_with_has_its_situation() -> None:
    tested = {(s.exit, s.command) for s in SITUATIONS}
    for name, exit_code in cli.EXIT_CODES.items():
        if exit_code.commands is None:
            assert any(s.exit == name for s in SITUATIONS) or (name, None) in TESTED_ELSEWHERE
            continue
        for command in exit_code.commands:
            assert (name, command) in tested or (name, command) in TESTED_ELSEWHERE, (
                f"no situation ends `{command}` with {exit_code.code} ({name})"
            )
    claimed = {
        (name, command)
        for name, exit_code in cli.EXIT_CODES.items()
        for command in (exit_code.commands or COMMANDS)
    }
    assert tested <= claimed  # no command ends with a code the table does not give it


def test_codes_never_overlap_and_each_error_has_one_code() -> None:
    codes = [exit_code.code for exit_code in cli.EXIT_CODES.values()]
    assert len(codes) == len(set(codes))
    errors = [error for exit_code in cli.EXIT_CODES.values() for error in exit_code.errors]
    assert len(errors) == len(set(errors))
    assert set(cli.HANDLERS) == set(COMMANDS) == set(cli.SETTINGS_USED)

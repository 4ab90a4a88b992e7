"""A bad setting is one line naming it as the user wrote it (variable or option) and what
it accepts, never a traceback; a command is only stopped by the settings it uses."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

from search_service import cli
from search_service.settings import Settings, accepted_values, load_settings

from .conftest import RunMain, one_page_site, run_process

#: A value each setting refuses (None: every value is a valid one, e.g. any text is a host).
BAD_VALUES: dict[str, str | None] = {
    "corpus_dir": None,
    "index_dir": None,
    "keep_generations": "0",
    "build_workers": "-1",
    "host": None,
    "port": "abc",
    "workers": "0",
    "cors_origins": "https://a.org",
    "reload_interval": "0",
    "max_query_words": "none",
    "max_prefix_expansions": "-3",
    "search_time_budget_ms": "5",
    "cache_size": "-1",
    "log_level": "loud",
    "fetch_delay": "-1",
    "fetch_timeout": "0",
    "fetch_max_page_bytes": "10",
    "fetch_max_redirects": "50",
    "fetch_user_agent": "",
    "fetch_contact_url": None,
    "max_url_bytes": "100",
    "max_header_bytes": "many",
    "request_read_timeout": "0",
    "timeout_keep_alive": "0",
    "limit_concurrency": "-1",
    "backlog": "0",
    "balance_wait_ms": "-1",
    "proxy_headers": "perhaps",
    "forwarded_allow_ips": None,
    "data_dir": None,
    "analytics": "maybe",
    "analytics_days": "0",
    "admin_token": "too-short",
}
REFUSABLE = sorted(name for name, value in BAD_VALUES.items() if value is not None)


@pytest.fixture(autouse=True)
def _no_search_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("SEARCH_"):
            monkeypatch.delenv(name)


def test_every_setting_has_a_bad_value_here() -> None:
    assert set(BAD_VALUES) == set(Settings.model_fields), (
        "a new setting: add a value it refuses to BAD_VALUES (None if it takes any text)"
    )


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        ("SEARCH_PORT", "abc", "SEARCH_PORT=abc is not valid: expected an integer from 0 to 65535"),
        (
            "SEARCH_CORS_ORIGINS",
            "https://a.org",
            "SEARCH_CORS_ORIGINS=https://a.org is not valid: "
            'expected a JSON list of strings, e.g. ["https://a.org"]',
        ),
        (
            "SEARCH_LOG_LEVEL",
            "loud",
            "SEARCH_LOG_LEVEL=loud is not valid: "
            "expected one of debug, info, warning, error, critical",
        ),
    ],
)
def test_a_bad_variable_is_one_line_naming_it_and_what_it_accepts(
    variable: str, value: str, line: str, tmp_path: Path
) -> None:
    done = run_process("serve", "--index", tmp_path / "ix", env={variable: value})

    assert done.returncode == cli.EXIT_CODES["bad_setting"].code
    assert done.stderr == f"error: {line}\n"
    assert done.stdout == ""
    assert not (tmp_path / "ix").exists()


@pytest.mark.parametrize(
    ("option", "line"),
    [
        (["--port", "99999"], "--port 99999 is not valid: expected an integer from 0 to 65535"),
        (["--port", "http"], "--port http is not valid: expected an integer from 0 to 65535"),
        (["--workers", "0"], "--workers 0 is not valid: expected an integer of at least 1"),
    ],
)
def test_a_bad_option_is_one_line_naming_the_option(
    option: list[str], line: str, run_main: RunMain, tmp_path: Path
) -> None:
    code, out, err = run_main("serve", "--index", tmp_path / "ix", *option)

    assert code == cli.EXIT_CODES["bad_setting"].code
    assert err == f"error: {line}\n"
    assert out == ""


def test_an_option_is_named_even_when_the_variable_is_also_set(
    monkeypatch: pytest.MonkeyPatch, run_main: RunMain
) -> None:
    monkeypatch.setenv("SEARCH_WORKERS", "2")

    _, _, err = run_main("serve", "--workers", "-1")

    assert err == "error: --workers -1 is not valid: expected an integer of at least 1\n"


def test_several_bad_settings_are_all_named(
    monkeypatch: pytest.MonkeyPatch, run_main: RunMain
) -> None:
    monkeypatch.setenv("SEARCH_CACHE_SIZE", "-1")

    code, _, err = run_main("serve", "--port", "-5")

    assert code == cli.EXIT_CODES["bad_setting"].code
    assert err.count("\n") == 1
    assert "--port -5 is not valid" in err and "SEARCH_CACHE_SIZE=-1 is not valid" in err


@pytest.mark.parametrize("name", REFUSABLE)
def test_every_setting_a_command_uses_stops_it_with_one_line(
    name: str, monkeypatch: pytest.MonkeyPatch, run_main: RunMain, tmp_path: Path
) -> None:
    variable = f"SEARCH_{name.upper()}"
    monkeypatch.setenv(variable, str(BAD_VALUES[name]))
    users = [c for c, used in cli.SETTINGS_USED.items() if used is None or name in used]
    assert "serve" in users

    for command in users:
        args = {"search": ["search", "x"], "corpus check": ["corpus", "check"]}
        folder = (
            []
            if command.startswith("corpus") or command == "report"
            else ["--index", tmp_path / "ix"]
        )
        code, _, err = run_main(*args.get(command, command.split()), *folder)

        assert code == cli.EXIT_CODES["bad_setting"].code, command
        assert err.startswith(f"error: {variable}=") and err.count("\n") == 1, err
        assert f"expected {accepted_values(name)}" in err


@pytest.mark.parametrize(
    "command", [command for command, used in cli.SETTINGS_USED.items() if used is not None]
)
def test_a_command_is_not_stopped_by_settings_it_does_not_use(
    command: str,
    monkeypatch: pytest.MonkeyPatch,
    run_main: RunMain,
    corpus: Path,
    index: Path,
    stack: contextlib.ExitStack,
) -> None:
    used = cli.SETTINGS_USED[command]
    assert used is not None
    unused = [name for name in REFUSABLE if name not in used]
    for name in unused:
        monkeypatch.setenv(f"SEARCH_{name.upper()}", str(BAD_VALUES[name]))
    page = one_page_site(stack) + "/en/a/"
    args = {
        "corpus check": ["corpus", "check", "--corpus", corpus],
        "corpus fetch": ["corpus", "fetch", "--corpus", corpus, "--delay", "0", page],
        "sync": ["sync", "--corpus", corpus, "--index", index, "--delay", "0", page],
        "corpus organisations": ["corpus", "organisations", "--corpus", corpus],
        "index build": ["index", "build", "--corpus", corpus, "--index", index],
        "index status": ["index", "status", "--index", index],
        "index rollback": ["index", "rollback", "--index", index],
        "search": ["search", "teachers", "--index", index],
        "report": ["report", "--data", index.parent / "data"],
    }[command]

    code, _, err = run_main(*args)

    assert code == 0, err
    assert err == ""


def test_corpus_check_works_with_a_bad_port_as_a_process(corpus: Path) -> None:
    done = run_process("corpus", "check", "--corpus", corpus, env={"SEARCH_PORT": "abc"})

    assert done.returncode == 0, done.stderr
    assert "2 articles from 2 files" in done.stdout


def test_a_setting_not_used_keeps_its_good_values_and_defaults_a_bad_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SEARCH_PORT", "abc")
    monkeypatch.setenv("SEARCH_CACHE_SIZE", "7")

    settings = load_settings(used={"index_dir"})

    assert settings.port == Settings.model_fields["port"].default
    assert settings.cache_size == 7


def test_options_win_over_variables_and_folders_are_shown_in_full(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SEARCH_PORT", "8001")
    monkeypatch.setenv("SEARCH_CORS_ORIGINS", '["https://a.org"]')

    settings = load_settings({"port": "8002", "index_dir": Path("ix")})

    assert settings.port == 8002
    assert settings.cors_origins == ["https://a.org"]
    assert settings.index_dir == tmp_path / "ix"
    assert Settings().index_dir == tmp_path / "indexes"


def test_the_command_shows_no_pydantic_traceback_for_any_bad_setting(tmp_path: Path) -> None:
    env = {f"SEARCH_{name.upper()}": str(BAD_VALUES[name]) for name in REFUSABLE}

    done = run_process("serve", "--index", tmp_path / "ix", env=env)

    assert done.returncode == cli.EXIT_CODES["bad_setting"].code
    assert "Traceback" not in done.stderr and "pydantic" not in done.stderr
    assert done.stderr.count("\n") == 1
    for name in REFUSABLE:
        assert f"SEARCH_{name.upper()}=" in done.stderr

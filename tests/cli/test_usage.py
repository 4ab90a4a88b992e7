"""What the commands take and what their messages name: the query as the rest of the
line, `--limit` within 1–100, options (not internal field names) in usage errors, a
JSON status even without an index, and every folder in full."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search_service import cli

from .conftest import RunMain


def test_search_takes_the_rest_of_the_command_line_as_the_query(
    run_main: RunMain, index: Path
) -> None:
    code, out, err = run_main("search", "teachers", "of", "togo", "--index", index, "--json")

    assert code == 0, err
    result = json.loads(out)
    assert result["query"] == "teachers of togo"
    assert result["hits"][0]["title"] == "Teachers of Togo"


def test_options_may_come_before_or_between_the_words_of_the_query(
    run_main: RunMain, index: Path
) -> None:
    code, out, _ = run_main("search", "--json", "health", "--index", index, "benin")

    assert code == 0
    assert json.loads(out)["query"] == "health benin"


@pytest.mark.parametrize(
    "words",
    [
        ["-togo", "teachers"],  # an exclusion, as the query syntax has it (docs/api.md)
        ["teachers", "-togo"],
        ["teachers", "-hello", "-togo"],  # not argparse's -h with an argument
        ["teachers", '-"of togo"'],
    ],
)
def test_a_word_excluded_with_a_dash_is_part_of_the_query_not_an_option(
    words: list[str], run_main: RunMain, index: Path
) -> None:
    code, out, err = run_main("search", *words, "--index", index, "--json")

    assert code == 0, err
    result = json.loads(out)
    assert sorted(result["query"].split(" ")) == sorted(" ".join(words).split(" "))
    assert [hit["title"] for hit in result["hits"]] == ["Health insurance in Benin"]


def test_an_unknown_double_dash_option_is_still_a_usage_error(run_main: RunMain) -> None:
    code, _, err = run_main("search", "teachers", "--limt", "3")

    assert code == cli.EXIT_CODES["usage"].code
    assert "unrecognized arguments: --limt" in err


@pytest.mark.parametrize("limit", ["0", "101", "-3", "ten"])
def test_a_limit_outside_1_to_100_is_a_usage_error_naming_limit(
    limit: str, run_main: RunMain, index: Path
) -> None:
    code, out, err = run_main("search", "teachers", "--index", index, "--limit", limit)

    assert code == cli.EXIT_CODES["usage"].code
    assert out == ""
    assert f"argument --limit: expected a whole number from 1 to 100, got '{limit}'" in err


@pytest.mark.parametrize("limit", ["1", "100"])
def test_a_limit_of_1_or_100_is_taken(limit: str, run_main: RunMain, index: Path) -> None:
    code, out, _ = run_main("search", "teachers", "--index", index, "--limit", limit, "--json")

    assert code == 0
    assert len(json.loads(out)["hits"]) == min(int(limit), 2)


def test_search_without_a_query_is_a_usage_error_naming_it(run_main: RunMain) -> None:
    code, _, err = run_main("search")

    assert code == cli.EXIT_CODES["usage"].code
    assert "the following arguments are required: QUERY" in err


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--workers", "0"],
        ["serve", "--port", "x"],
        ["search", "x", "--limit", "0"],
        ["index", "build", "--unknown"],
    ],
)
def test_usage_errors_name_options_not_internal_field_names(
    args: list[str], run_main: RunMain
) -> None:
    _, _, err = run_main(*args)

    assert "--" in err
    for internal in ("per_page", "workers:", "port:", "index_dir", "Input should", "pydantic"):
        assert internal not in err


def test_index_status_json_without_an_index_says_so_as_json(
    run_main: RunMain, tmp_path: Path
) -> None:
    missing = tmp_path / "nothing-here"

    code, out, err = run_main("index", "status", "--index", missing, "--json")

    assert code == cli.EXIT_CODES["no_index"].code
    status = json.loads(out)
    assert status["error"] == {
        "code": "index_not_found",
        "message": f"no index has been built in {missing} yet",
    }
    assert status["live"] is None and status["previous"] == []
    assert status["index_dir"] == str(missing)
    assert err == f"error: no index has been built in {missing} yet\n"
    assert not missing.exists()


def test_index_status_json_of_a_live_index_has_no_error(run_main: RunMain, index: Path) -> None:
    code, out, _ = run_main("index", "status", "--index", index, "--json")

    assert code == 0
    assert json.loads(out)["error"] is None


def test_index_status_json_when_the_pointer_names_a_missing_generation(
    run_main: RunMain, index: Path
) -> None:
    live = json.loads((index / "live.json").read_text())["live"]
    (index / live / "manifest.json").unlink()

    code, out, _ = run_main("index", "status", "--index", index, "--json")

    assert code == cli.EXIT_CODES["no_index"].code
    status = json.loads(out)
    assert status["error"]["code"] == "index_not_found" and live in status["error"]["message"]


@pytest.mark.parametrize("folder", [".", "indexes", "../elsewhere/indexes", None])
def test_messages_name_the_index_folder_in_full_from_where_the_user_stands(
    folder: str | None, run_main: RunMain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.delenv("SEARCH_INDEX_DIR", raising=False)
    full = (here / (folder or "indexes")).resolve()
    option = [] if folder is None else ["--index", folder]

    _, _, status = run_main("index", "status", *option)
    _, _, search = run_main("search", "x", *option)
    _, _, rollback = run_main("index", "rollback", *option)

    assert status == f"error: no index has been built in {full} yet\n"
    assert search.startswith(f"error: no index has been built in {full}")
    assert f"{full}" in rollback
    for message in (status, search, rollback):
        assert " in ." not in message and " in indexes" not in message

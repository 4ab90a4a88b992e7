"""`./dev` as a user runs it: an unknown command fails, the help is text (not the
script's lines), and `./dev search-service` / `./dev serve` read paths from where the
user stands, with the project's folders as defaults, from any folder."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow


def run_dev(
    repo_root: Path, *args: str, cwd: Path, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SEARCH_")}
    return subprocess.run(
        [str(repo_root / "dev"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_an_unknown_command_fails_with_the_usage(repo_root: Path, tmp_path: Path) -> None:
    done = run_dev(repo_root, "frobnicate", cwd=tmp_path)

    assert done.returncode == 2
    assert done.stderr.startswith("./dev: unknown command 'frobnicate'\nusage: ./dev COMMAND")
    assert done.stdout == ""


@pytest.mark.parametrize("args", [["help"], ["--help"], []])
def test_the_help_is_text_not_lines_of_the_script(
    args: list[str], repo_root: Path, tmp_path: Path
) -> None:
    done = run_dev(repo_root, *args, cwd=tmp_path)

    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0] == "usage: ./dev COMMAND [ARGS ...]"
    for command in ("serve", "test", "lint", "search-service", "help"):
        assert any(re.match(rf"  {command}\b", line) for line in lines), command
    assert not [line for line in lines if line.startswith("#") or "set -" in line]


def test_search_service_reads_paths_from_where_the_user_stands(
    repo_root: Path, tmp_path: Path
) -> None:
    mine = tmp_path / "my-corpus"
    shutil.copytree(repo_root / "corpus", mine)

    done = run_dev(
        repo_root, "search-service", "corpus", "check", "my-corpus", "--json", cwd=tmp_path
    )

    assert done.returncode == 0, done.stderr
    titles = [json.loads(line)["title"] for line in done.stdout.splitlines()]
    assert len(titles) == 2 and all(titles)


def test_search_service_defaults_to_the_project_folders_from_any_folder(
    repo_root: Path, tmp_path: Path
) -> None:
    done = run_dev(repo_root, "search-service", "index", "status", "--json", cwd=tmp_path)

    assert json.loads(done.stdout)["index_dir"] == str(repo_root / "indexes")


def test_test_runs_from_another_folder(repo_root: Path, tmp_path: Path) -> None:
    done = run_dev(
        repo_root,
        "test",
        "--collect-only",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/project/test_settings_documented.py",
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "test_readme_documents_no_setting_that_does_not_exist" in done.stdout


def test_serve_from_another_folder_builds_where_it_is_told_from_the_project_corpus(
    repo_root: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SEARCH_")}
    process = subprocess.Popen(
        [str(repo_root / "dev"), "serve", "--port", "0", "--index", "my-index"],
        cwd=tmp_path,
        env={**env, "SEARCH_LOG_LEVEL": "warning"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        seen = ""
        for line in process.stdout:
            seen += line
            if "open http" in line:
                break
        url = re.search(r"open (http://\S+/)", seen)
        assert url, seen
        assert f"building one from {repo_root / 'corpus'}" in seen
        assert (tmp_path / "my-index" / "live.json").is_file()
        assert httpx.get(url.group(1) + "health", timeout=120).json()["articles"] == 2
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    assert process.returncode == 0

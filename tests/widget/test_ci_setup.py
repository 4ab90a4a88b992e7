"""`.ci/run` installs what the browser tests need (Chromium; npm for axe-core) only when missing.

The script runs from a copy of itself beside a stub `./dev`, with a PATH holding stubs of
`apt-get` (and of `npm` when it should be present): nothing is installed, each call is logged.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CI_RUN = Path(__file__).resolve().parents[2] / ".ci" / "run"


def stub(path: Path, log: Path) -> None:
    path.write_text(f'#!/bin/sh\necho "{path.name} $*" >> "{log}"\n')
    path.chmod(0o755)


def run_ci(tmp_path: Path, *, npm: bool) -> list[str]:
    """Runs the copied `.ci/run`; returns the logged calls of apt-get, npm and ./dev."""
    log = tmp_path / "calls.log"
    log.touch()
    repo = tmp_path / "repo"
    (repo / ".ci").mkdir(parents=True)
    shutil.copy(CI_RUN, repo / ".ci" / "run")
    stub(repo / "dev", log)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub(bin_dir / "apt-get", log)
    if npm:
        stub(bin_dir / "npm", log)
    dirname = shutil.which("dirname")
    assert dirname
    os.symlink(dirname, bin_dir / "dirname")
    bash = shutil.which("bash")
    assert bash
    subprocess.run([bash, str(repo / ".ci" / "run")], env={"PATH": str(bin_dir)}, check=True)
    return log.read_text().splitlines()


def test_ci_installs_npm_with_apt_get_when_npm_is_missing(tmp_path: Path) -> None:
    calls = run_ci(tmp_path, npm=False)

    installs = [c.split() for c in calls if c.startswith("apt-get install")]
    assert len(installs) == 1  # one apt-get call, with Chromium too when it is missing
    assert "npm" in installs[0]
    assert calls[-2:] == ["dev lint", "dev test"]


def test_ci_runs_no_apt_get_when_chromium_and_npm_are_present(tmp_path: Path) -> None:
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Chromium is not installed here, so .ci/run would install it")

    calls = run_ci(tmp_path, npm=True)

    assert calls == ["dev lint", "dev test"]

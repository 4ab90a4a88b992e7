"""The Dockerfile: what it promises, and its commands run (there is no Docker engine here).

The image is read instruction by instruction: a slim Python 3.11 base, a user of
its own, the index folder on a volume, a health check on `/health`, the service
via `search-service serve`. Then its install is replayed in a fresh virtual
environment (the files it copies, its `RUN` commands with the image's paths under a
temporary root) and its `CMD` and `HEALTHCHECK` run: the service builds its first
index from the shipped corpus, answers, and the health check passes.

Offline by default: the fresh environment sees the dependencies of this one (a
`.pth` line) and pip installs the project with `--no-index`; set
`SEARCH_TEST_DOCKERFILE_ONLINE=1` to let pip fetch every dependency from PyPI.
Commands that change the machine's users (`groupadd`, `useradd`, `chown`) are not
replayed: they need root and would change this machine.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from search_service.settings import Settings

NOT_REPLAYED = ("groupadd", "useradd", "chown")

Instruction = tuple[str, str]


def instructions(dockerfile: Path) -> list[Instruction]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    found: list[Instruction] = []
    pending = ""
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        whole = pending + stripped
        pending = ""
        keyword, _, arguments = whole.partition(" ")
        found.append((keyword.upper(), arguments.strip()))
    return found


def values(found: list[Instruction], keyword: str) -> list[str]:
    return [arguments for name, arguments in found if name == keyword]


def environment(found: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for arguments in values(found, "ENV"):
        for pair in shlex.split(arguments):
            name, _, value = pair.partition("=")
            env[name] = value
    return env


@pytest.fixture(scope="module")
def dockerfile(repo_root: Path) -> list[Instruction]:
    return instructions(repo_root / "Dockerfile")


def test_the_image_is_slim_python_311_with_a_user_of_its_own(
    dockerfile: list[Instruction],
) -> None:
    assert values(dockerfile, "FROM") == ["python:3.11-slim"]
    [user] = values(dockerfile, "USER")
    assert user not in ("root", "0") and not user.startswith("0:")
    order = [name for name, _ in dockerfile]
    last_run = max(i for i, name in enumerate(order) if name == "RUN")
    assert order.index("USER") > last_run  # the service and its check run as that user
    assert order.index("CMD") > order.index("USER")
    [created] = [a for a in values(dockerfile, "RUN") if "useradd" in a]
    assert f" {user}" in created


def test_the_index_folder_is_a_volume_and_every_setting_exists(
    dockerfile: list[Instruction],
) -> None:
    env = environment(dockerfile)
    [volumes] = values(dockerfile, "VOLUME")
    assert env["SEARCH_INDEX_DIR"] in json.loads(volumes)
    assert env["SEARCH_CORPUS_DIR"] in json.loads(volumes)
    settings = {name for name in env if name.startswith("SEARCH_")}
    assert settings <= {f"SEARCH_{field.upper()}" for field in Settings.model_fields}
    assert values(dockerfile, "EXPOSE") == [env["SEARCH_PORT"]]
    assert env["SEARCH_HOST"] == "0.0.0.0"


def test_the_service_is_search_service_serve_checked_on_health(
    dockerfile: list[Instruction],
) -> None:
    assert [json.loads(cmd) for cmd in values(dockerfile, "CMD")] == [["search-service", "serve"]]
    [check] = values(dockerfile, "HEALTHCHECK")
    assert "/health" in check and "SEARCH_PORT" in check
    assert re.search(r"--start-period=\d+s", check)  # the first start builds an index


@pytest.mark.slow
def test_the_images_install_command_and_health_check_work_in_a_fresh_environment(
    dockerfile: list[Instruction], repo_root: Path, tmp_path: Path
) -> None:
    root = tmp_path / "image"
    venv = tmp_path / "venv"
    online = os.environ.get("SEARCH_TEST_DOCKERFILE_ONLINE") == "1"
    without_pip = [] if online else ["--without-pip"]  # pip and setuptools come with the .pth
    subprocess.run([sys.executable, "-m", "venv", *without_pip, str(venv)], check=True, timeout=120)
    if not online:  # this environment's packages stand in for PyPI
        site = Path(sysconfig.get_paths(vars={"base": str(venv)})["purelib"])
        (site / "dependencies-of-the-test-run.pth").write_text(sysconfig.get_paths()["purelib"])

    for name, arguments in dockerfile:
        if name == "COPY":
            copy(arguments, repo_root, root)
        elif name == "RUN":
            for command in arguments.split("&&"):
                replay(command.strip(), root, venv, online)

    env = environment(dockerfile)
    port = free_port()
    run_env = {
        **os.environ,
        **{key: in_image(value, root) for key, value in env.items()},
        "SEARCH_HOST": "127.0.0.1",
        "SEARCH_PORT": str(port),
        "SEARCH_WORKERS": "1",
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
    }
    run_env.pop("VIRTUAL_ENV", None)
    workdir = in_image(values(dockerfile, "WORKDIR")[-1], root)
    Path(workdir).mkdir(parents=True, exist_ok=True)
    [cmd] = [json.loads(cmd) for cmd in values(dockerfile, "CMD")]
    [check] = values(dockerfile, "HEALTHCHECK")
    check_command = check.split(" CMD ", 1)[1]

    installed = shutil.which(cmd[0], path=run_env["PATH"])
    assert installed is not None and Path(installed).parent == venv / "bin"
    server = subprocess.Popen(
        cmd, cwd=workdir, env=run_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        healthy = wait_for_health_check(check_command, workdir, run_env, server)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert healthy, output.decode(errors="replace")[-3000:]
    assert b"building one from" in output  # the first start built the index on the volume
    assert list(Path(run_env["SEARCH_INDEX_DIR"]).glob("gen-*"))


def copy(arguments: str, repo_root: Path, root: Path) -> None:
    *sources, destination = shlex.split(arguments)
    target = Path(in_image(destination, root))
    for source in sources:
        path = repo_root / source
        if path.is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(path, target, symlinks=True, ignore=ignore, dirs_exist_ok=True)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target / path.name)


def replay(command: str, root: Path, venv: Path, online: bool) -> None:
    words = [in_image(word, root) for word in shlex.split(command)]
    if words[0] in NOT_REPLAYED:
        return
    if words[0] == "pip":
        offline = [] if online else ["--no-index", "--no-build-isolation"]
        words = [str(venv / "bin" / "python"), "-m", "pip", *words[1:2], "-q", *offline, *words[2:]]
    done = subprocess.run(words, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{command}: {done.stderr[-3000:]}"


def in_image(text: str, root: Path) -> str:
    """A path of the image, moved under `root` (other words unchanged)."""
    if text.startswith("/"):
        return str(root / text.lstrip("/")) + ("/" if text.endswith("/") and text != "/" else "")
    return text


def wait_for_health_check(
    check: str, workdir: str, env: dict[str, str], server: subprocess.Popen[bytes]
) -> bool:
    python = str(Path(env["PATH"].split(os.pathsep)[0]) / "python")
    command = ["sh", "-c", check.replace("python ", f"{shlex.quote(python)} ", 1)]
    for _ in range(600):
        if server.poll() is not None:
            return False
        done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, check=False)
        if done.returncode == 0:
            return True
        time.sleep(0.2)
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port

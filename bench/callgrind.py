"""Instructions counted by callgrind for a stretch of a child process's work only.

A child runs under `valgrind --tool=callgrind --instr-atstart=no`: start-up (imports,
opening the index, the warm-up requests) runs uncounted at a few times native
speed, and the child switches instrumentation on around the work to count, by
callgrind's client requests from a tiny C library compiled on the spot (gcc and
valgrind's headers: `apt-get install valgrind gcc`).

Three things would otherwise move the count of the same code from run to run:

* string hashing: the child runs with `PYTHONHASHSEED=0`;
* OpenBLAS's idle thread, which numpy starts at import and which spins for a
  while by the CPU's clock before it sleeps: under callgrind, whose run takes
  minutes, that spin is counted in amounts that follow the machine's load (two
  runs of the same start-up differed by 1,500,130 instructions, 1,500,015 of them
  in `blas_thread_server`). The service calls no BLAS routine, so the child runs
  with `OPENBLAS_NUM_THREADS=1`, which starts no such thread;
* where the process's objects lie in memory: a thousand objects made before the app
  starts (`pad_heap`) moved the analytics comparison's off figure by up to 11,000
  instructions a search (0.2 %); for one code and one such start, the count repeats
  within a few hundred. A figure is therefore the mean of children started with
  `HEAP_PADS`' objects made first.

And the package's bytecode is written before any child starts (`compile_package`): this
machine sets `PYTHONDONTWRITEBYTECODE`, so a module changed since it was last compiled
was compiled from source in each child, and the counts moved with it. The same off
side, over the three layouts, read 4,925,231 instructions a search at cd6ba70 run from a
worktree without bytecode and 4,910,118 at 7c712ad with three modules changed (neither
runs the changed code); with the bytecode written, 4,914,402 and 4,911,342.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Final, Protocol

from bench.common import REPO_ROOT, compile_package

_COLLECTED = re.compile(r"Collected : (\d+)")

_TOGGLES = r"""
#include <valgrind/callgrind.h>
void counting_on(void) { CALLGRIND_START_INSTRUMENTATION; }
void counting_off(void) { CALLGRIND_STOP_INSTRUMENTATION; }
"""

#: Objects (and as many short strings) a counted child makes before its work, one child
#: each: three layouts of its heap, whose counts a figure averages. Four children of the
#: off side read 4,907,543 (none), 4,918,420 (1,000), 4,917,790 (3,777) and 4,916,777
#: (10,000) instructions a search.
HEAP_PADS: Final = (0, 1_000, 3_777)
#: How a child learns its number of `HEAP_PADS` objects.
PAD_VARIABLE: Final = "BENCH_HEAP_PAD"
#: Valgrind's header with the client requests that switch the counting.
HEADER: Final = "/usr/include/valgrind/callgrind.h"
#: The child's environment on top of the parent's (see the module's docstring).
STEADY_ENVIRONMENT = {"PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1"}


class Switch(Protocol):
    """What a child switches around the work to count (`Counting`, or a test's own)."""

    def enable(self) -> None: ...

    def disable(self) -> None: ...


def missing_tools() -> list[str]:
    """What counting needs and this machine lacks: valgrind, and gcc with valgrind's
    header to compile the switches (`apt-get install valgrind gcc`)."""
    missing = [tool for tool in ("valgrind", "gcc") if shutil.which(tool) is None]
    if not Path(HEADER).exists():
        missing.append(HEADER)
    return missing


def require_tools() -> None:
    """`RuntimeError` naming what is missing, before any child is started."""
    missing = missing_tools()
    if missing:
        raise RuntimeError(
            f"counting instructions needs {', '.join(missing)} (apt-get install valgrind gcc)"
        )


class Counting:
    """Switches callgrind's instrumentation in the child (a no-op outside valgrind)."""

    def __init__(self, library: Path | None) -> None:
        self.library = ctypes.CDLL(str(library)) if library else None

    def enable(self) -> None:
        if self.library:
            self.library.counting_on()

    def disable(self) -> None:
        if self.library:
            self.library.counting_off()

    def dump_stats(self, path: Path) -> None:
        """Nothing to write: callgrind reports the count (cProfile's interface)."""


def pad_heap() -> list[object]:
    """The objects the parent asked this child to make first (`PAD_VARIABLE`), to be kept
    alive while it works."""
    count = int(os.environ.get(PAD_VARIABLE, "0"))
    return [object() for _ in range(count)] + [f"{'x' * (i % 50)}{i}" for i in range(count)]


def compile_toggles(folder: Path) -> Path:
    """The shared library whose two functions switch the counting on and off."""
    source = folder / "toggles.c"
    source.write_text(_TOGGLES)
    library = folder / "toggles.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-o", str(library), str(source)], check=True)
    return library


def counted_instructions(module: str, arguments: list[str], pad: int = 0) -> int:
    """Instructions that `python -m module arguments --toggles LIBRARY` counted, every
    thread included, between its `Counting.enable` and `Counting.disable`; the child made
    `pad` objects first if it calls `pad_heap`; the package's bytecode written first."""
    compile_package()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        log = folder / "callgrind.log"
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no",
            "--callgrind-out-file=/dev/null", f"--log-file={log}",
            sys.executable, "-m", module, *arguments,
            "--toggles", str(compile_toggles(folder)),
        ]  # fmt: skip
        env = {**os.environ, **STEADY_ENVIRONMENT, PAD_VARIABLE: str(pad)}
        subprocess.run(command, cwd=REPO_ROOT, check=True, env=env)
        found = _COLLECTED.search(log.read_text())
    if found is None:
        raise RuntimeError("callgrind reported no instruction count")
    return int(found.group(1))

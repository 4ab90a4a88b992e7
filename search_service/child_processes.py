"""What a process forked by a build or an ingest does to end with its parent.

A forked worker waits for work from its parent on a pipe it also holds open itself:
killed, the parent leaves it waiting forever. The kernel can kill it instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
from typing import Final

_PR_SET_PDEATHSIG: Final = 1


def die_with_parent(parent: int, sent: signal.Signals = signal.SIGKILL) -> None:
    """Be sent `sent` (killed, by default) when `parent` dies, or exit now if it already has.

    `parent` is the pid the parent had before the fork: asking `getppid()` here
    would already answer 1 if the parent was killed before this child ran.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, sent)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)

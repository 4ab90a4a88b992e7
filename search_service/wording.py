"""How the commands word what they print: a count with its noun ("1 result", "2 results")."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`count` and `noun`, in the plural unless the count is one (`plural` when the
    plural is not the noun plus "s": `counted(2, "match", "matches")`)."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"

"""The search path calls numpy's array methods, not the module functions that wrap them.

`np.flatnonzero(mask)` is two Python functions (`ravel`, then `nonzero` through
`fromnumeric._wrapfunc`) around `mask.nonzero()`; `np.argsort`, `np.take`,
`np.repeat`, `np.cumsum`, `np.searchsorted` and the others below are one each. A search
calls a dozen of them: written as methods, `bench.request_cost`'s engine figure for a
`/search` went from 4,466,593 to 4,279,663 instructions (-4.2 %), with the same answers
byte for byte (docs/api.md, "numpy's methods rather than its wrappers").
"""

from __future__ import annotations

import ast
from pathlib import Path

import search_service.search

#: numpy functions that only look up and call the array method of the same name.
WRAPPERS = frozenset(
    {
        "argpartition",
        "argsort",
        "cumsum",
        "flatnonzero",
        "nonzero",
        "partition",
        "repeat",
        "searchsorted",
        "sort",
        "take",
    }
)


def _wrapper_calls(source: str) -> list[str]:
    calls = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "np"
            and node.func.attr in WRAPPERS
        ):
            calls.append(f"np.{node.func.attr} (line {node.lineno})")
    return calls


def test_the_search_package_calls_array_methods_rather_than_numpys_wrappers() -> None:
    package = Path(search_service.search.__file__).parent
    found = {
        path.name: calls
        for path in sorted(package.glob("*.py"))
        if (calls := _wrapper_calls(path.read_text()))
    }
    assert found == {}


def test_a_wrapper_call_is_found_and_a_method_call_is_not() -> None:
    assert _wrapper_calls("docs = np.flatnonzero(mask)\nsize = np.zeros(3)\n") == [
        "np.flatnonzero (line 1)"
    ]
    assert _wrapper_calls("docs = mask.nonzero()[0]\norder = keys.argsort()\n") == []

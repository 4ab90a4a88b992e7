"""The search path calls numpy's array methods, not the module functions that wrap them.

`np.argsort`, `np.take`, `np.repeat`, `np.cumsum`, `np.searchsorted`, `np.argpartition`
and `np.nonzero` look up the array's method of the same name and call it through Python
(`fromnumeric._wrapfunc`, after their dispatcher); `np.sort` and `np.partition` copy the
array, then call it; `np.flatnonzero(mask)` is `ravel` then `nonzero` around
`mask.nonzero()`. A search called about fifteen of them: written as methods,
`bench.request_cost`'s engine figure for a `/search` went from 4,466,593 to 4,279,663
instructions (-4.2 %), with the same answers byte for byte (docs/serving-speed.md, "numpy's methods
rather than its wrappers"). A check of how the code is written, not of its results.
"""

from __future__ import annotations

import ast
from pathlib import Path

import search_service.search

#: numpy functions that call the array method of the same name through Python.
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

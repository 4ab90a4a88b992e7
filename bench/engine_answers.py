"""The engine's answers to the `bench.request_cost` mix, as JSON: proof that a change of speed
changed no result.

Dumps what `SearchEngine.search` and `suggest` answer to the `/search` and
`/suggest` requests of the mix (every query kind with facets and snippets), on
the 5,000-article index of `bench.api_latency`, each request twice (words first
met, then with the engine's postings warm), every field but `took_ms`, floats
written exactly (`repr`). Run it before and after a change and compare the two
files byte for byte (`cmp`): the same hits in the same order, scores, facet
counts, snippets, notices and suggestions.

    python -m bench.engine_answers OUT.json [--count 5000] [--requests 1000]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

from bench.request_cost import ENDPOINTS, engine_calls, requests_of, synthetic


def plain(value: Any) -> Any:
    """`value` as JSON types, floats as their exact `repr`, a result's `took_ms` left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            item.name: plain(getattr(value, item.name))
            for item in dataclasses.fields(value)
            if item.name != "took_ms"
        }
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, float):
        return repr(value)
    return value


def answers(count: int, requests: int) -> list[dict[str, Any]]:
    index_dir, export = synthetic(count)
    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        for endpoint in ENDPOINTS:
            sent = requests_of(export, endpoint, requests)
            calls = engine_calls(sent, index_dir, Path(folder))
            for round_ in ("first", "warm"):
                for (path, params), call in zip(sent, calls, strict=True):
                    out.append(
                        {"round": round_, "path": path, "params": params, "answer": plain(call())}
                    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="The JSON file to write.")
    parser.add_argument("--count", type=int, default=5000, help="Articles of the index.")
    parser.add_argument("--requests", type=int, default=1000, help="Requests per endpoint.")
    args = parser.parse_args(argv)
    found = answers(args.count, args.requests)
    args.out.write_text(json.dumps(found, indent=0, sort_keys=True))
    print(f"{len(found):,} answers written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The fixed cost of a request: instructions per `/search` and `/suggest`, split by layer.

Counted by callgrind (`valgrind --tool=callgrind`), which a shared machine does not
disturb, in-process on the 5,000-article index of `bench.api_latency`, with the
same requests in each layer (the `/search` mix of `bench.http_load`, every query
kind with facets and snippets; its `/suggest` prefixes), response cache off:

* `engine`: `SearchEngine.search` / `suggest` alone, on requests parsed beforehand;
* `app`: the ASGI app of `create_app` (middleware, routing, parameters, the
  engine, analytics off, JSON), called as an ASGI server calls it;
* `http`: the same app behind `serve`'s HTTP layer (`GuardedHttpToolsProtocol`,
  uvicorn's httptools protocol) fed the request's bytes on a transport that
  keeps the response: everything a worker does for a request but the socket's
  system calls and the event loop's polling.

With `--mix http-list` the requests are instead the list that `bench.http_load`'s
8-client wrk step repeats (2,000 of each endpoint), sent once whole uncounted, then
`--requests` of them counted again: the engine's caches as warm as in that step, where
a word's scores are mostly kept, whereas the default mix's counted requests are new
(results in `request-cost-5000-http-list.json`).

`http - engine` is what a request costs that is not search. Each figure is one
child process under callgrind, counted by `bench.callgrind` for the `--requests`
counted requests only, after `--warm-up` ones uncounted. Every layer sends the
same requests, so the engine's caches are as warm in each; string hashing is
fixed and numpy starts no OpenBLAS thread, so a run counts the same figure every
time.

    python -m bench.request_cost [--count 5000] [--requests 200] [--warm-up 200]
    python -m bench.request_cost --mix http-list [--requests 500]
    python -m bench.request_cost --profile app   # where the time goes (cProfile)
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import pstats
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.api_latency import cycle
from bench.callgrind import Counting, counted_instructions, require_tools
from bench.common import DATA_DIR, write_result
from bench.http_load import CONCURRENCY, REQUESTS_PER_LEVEL, Requests, asgi_get, level_mixes

LAYERS = ("engine", "app", "http")
ENDPOINTS = ("search", "suggest")
MIXES = ("requests", "http-list")
#: The level whose list `--mix http-list` sends: 8 clients, the issue's p50 figure.
HTTP_LIST_CLIENTS = 8


def requests_of(export: Path, endpoint: str, count: int) -> Requests:
    """`count` requests of `endpoint`, the same for every layer and run."""
    searches, suggests = level_mixes(export, count, 0, seed=23)
    return (searches if endpoint == "search" else suggests)[0]


def http_list(export: Path, endpoint: str) -> Requests:
    """The requests `bench.http_load --wrk` repeats at `HTTP_LIST_CLIENTS` clients."""
    searches, suggests = level_mixes(export, REQUESTS_PER_LEVEL, len(CONCURRENCY), seed=23)
    level = CONCURRENCY.index(HTTP_LIST_CLIENTS) + 1  # list 0 is the warm-up's
    return (searches if endpoint == "search" else suggests)[level]


def mix_requests(
    mix: str, export: Path, endpoint: str, warm_up: int, measured: int
) -> tuple[Requests, int]:
    """The requests a child sends, and how many of them go first, uncounted."""
    if mix == "http-list":
        listing = http_list(export, endpoint)
        return listing + cycle(listing, measured), len(listing)  # as wrk goes round
    return requests_of(export, endpoint, warm_up + measured), warm_up


def _settings(index_dir: Path, data: Path) -> Any:
    from search_service.settings import Settings

    return Settings(
        index_dir=index_dir,
        data_dir=data,
        cache_size=0,
        analytics=False,
        reload_interval=1e9,
        log_level="warning",
    )


def _targets(requests: Requests) -> list[bytes]:
    return [httpx.URL(path, params=params).raw_path for path, params in requests]


def engine_calls(requests: Requests, index_dir: Path, data: Path) -> list[Callable[[], Any]]:
    """One call of the core per request, its parameters parsed here (not counted)."""
    from search_service.search.engine import SearchEngine
    from search_service.web.parameters import SearchQuery, SuggestQuery

    engine = SearchEngine(_settings(index_dir, data))
    engine.generation()
    calls: list[Callable[[], Any]] = []
    for path, params in requests:
        if path == "/search":
            request = SearchQuery.model_validate(params).request()
            calls.append(functools.partial(engine.search, request))
        else:
            suggest = SuggestQuery.model_validate(params)
            calls.append(functools.partial(engine.suggest, suggest.q, suggest.limit))
    return calls


async def _drive_app(app: Any, targets: list[bytes]) -> None:
    for target in targets:
        status = await asgi_get(app, target.partition(b"?"))
        if status != 200:
            raise RuntimeError(f"{target!r} answered {status}")


class _Transport(asyncio.Transport):
    """Keeps what the protocol writes; a response is complete when its body is."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(
            name, default
        )

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None: ...

    def get_write_buffer_size(self) -> int:
        return 0


async def _drive_http(app: Any, heads: list[bytes]) -> None:
    import uvicorn
    from uvicorn.server import ServerState

    from search_service.web.protocol import GuardedHttpToolsProtocol, ProtocolLimits
    from search_service.web.server import uvicorn_options

    settings = app.state.settings
    options = uvicorn_options(settings)
    options.pop("workers")
    options.pop("http")
    config = uvicorn.Config(app, lifespan="off", **options)
    config.load()
    protocol_class = GuardedHttpToolsProtocol.with_limits(ProtocolLimits.from_settings(settings))
    protocol = protocol_class(config, ServerState(), {})
    transport = _Transport()
    protocol.connection_made(transport)
    for head in heads:
        transport.written.clear()
        protocol.data_received(head)
        while protocol.tasks:
            await asyncio.sleep(0)
        response = b"".join(transport.written)
        if not response.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"{head!r} answered {response[:200]!r}")
    protocol.connection_lost(None)


def child(layer: str, endpoint: str, export: Path, index_dir: Path, warm_up: int, measured: int,
          profile: Path | None = None, toggles: Path | None = None,
          mix: str = "requests") -> None:  # fmt: skip
    """Send `warm_up` requests to `layer` (the whole list with `http-list`), then `measured`
    more, profiled or counted."""
    import uvloop

    from search_service.web.api import create_app

    requests, warm_up = mix_requests(mix, export, endpoint, warm_up, measured)
    sent = warm_up + measured
    profiler: cProfile.Profile | Counting = cProfile.Profile() if profile else Counting(toggles)
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        if layer == "engine":
            calls = engine_calls(requests, index_dir, data)
            for call in calls[:warm_up]:
                call()
            profiler.enable()
            for call in calls[warm_up:sent]:
                call()
            profiler.disable()
        else:
            app = create_app(_settings(index_dir, data))
            targets = _targets(requests)
            heads = [b"GET " + t + b" HTTP/1.1\r\nhost: bench\r\nuser-agent: bench\r\n\r\n"
                     for t in targets]  # fmt: skip

            async def drive() -> None:
                async with app.router.lifespan_context(app):
                    if layer == "app":
                        await _drive_app(app, targets[:warm_up])
                        profiler.enable()
                        await _drive_app(app, targets[warm_up:sent])
                        profiler.disable()
                    else:
                        await _drive_http(app, heads[:warm_up])
                        profiler.enable()
                        await _drive_http(app, heads[warm_up:sent])
                        profiler.disable()

            uvloop.run(drive())
        if profile:
            profiler.dump_stats(profile)


def instructions(
    layer: str,
    endpoint: str,
    export: Path,
    index_dir: Path,
    warm_up: int,
    measured: int,
    mix: str = "requests",
) -> float:
    """Instructions per request of `layer`, counted by callgrind (every thread)."""
    arguments = [
        "--child", "--layer", layer, "--endpoint", endpoint, "--export", str(export),
        "--index", str(index_dir), "--warm-up", str(warm_up), "--requests", str(measured),
        "--mix", mix,
    ]  # fmt: skip
    return counted_instructions("bench.request_cost", arguments) / measured


def synthetic(count: int) -> tuple[Path, Path]:
    from bench.api_latency import synthetic_index

    work = DATA_DIR / "api-latency"
    work.mkdir(parents=True, exist_ok=True)
    index_dir, _, export = synthetic_index(count, 1, work)
    return index_dir, export


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000, help="Articles of the index.")
    parser.add_argument("--requests", type=int, default=200, help="Requests counted per figure.")
    parser.add_argument("--warm-up", type=int, default=200, help="Requests sent first, uncounted.")
    parser.add_argument("--layers", nargs="+", choices=LAYERS, default=list(LAYERS))
    parser.add_argument("--endpoints", nargs="+", choices=ENDPOINTS, default=list(ENDPOINTS))
    parser.add_argument(
        "--mix",
        choices=MIXES,
        default="requests",
        help="http-list: the 8-client list of bench.http_load's wrk step, sent once first "
        "(--warm-up is then the whole list).",
    )
    parser.add_argument(
        "--profile", choices=LAYERS, help="cProfile one layer's /search instead (top functions)."
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--layer", choices=LAYERS, help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", choices=ENDPOINTS, help=argparse.SUPPRESS)
    parser.add_argument("--export", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--toggles", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.layer, args.endpoint, args.export, args.index, args.warm_up, args.requests,
              toggles=args.toggles, mix=args.mix)  # fmt: skip
        return 0
    index_dir, export = synthetic(args.count)
    if args.profile:
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "profile"
            child(args.profile, "search", export, index_dir, args.warm_up, args.requests,
                  profile=out, mix=args.mix)  # fmt: skip
            pstats.Stats(str(out)).sort_stats("tottime").print_stats(40)
        return 0
    require_tools()
    figures: dict[str, Any] = {}
    for endpoint in args.endpoints:
        per_layer = {}
        for layer in args.layers:
            per_layer[layer] = round(
                instructions(
                    layer, endpoint, export, index_dir, args.warm_up, args.requests, args.mix
                )
            )
            print(f"/{endpoint} {layer}: {per_layer[layer]:,} instructions", flush=True)
        outer = next((layer for layer in ("http", "app") if layer in per_layer), None)
        if outer and "engine" in per_layer:
            per_layer["not_search"] = per_layer[outer] - per_layer["engine"]
        figures[endpoint] = per_layer
    parameters: dict[str, Any] = {"count": args.count, "requests": args.requests, "mix": args.mix}
    if args.mix == "http-list":
        name = f"request-cost-{args.count}-http-list"
        parameters["warm_up"] = f"the whole list ({REQUESTS_PER_LEVEL:,} requests)"
    else:
        name = f"request-cost-{args.count}"
        parameters["warm_up"] = args.warm_up
    print(write_result(name, parameters, figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
